"""The search page: /search."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participation import labels, policies
from participation.extensions import db
from participation.models import Draft, LiaisonPoint
from participation.unit_of_work import reads
from search.facets import category_label
from search.service import CATEGORIES, FACET_PARAMETERS, SORTS, STANCES, STATES, read_params, run_search

bp = Blueprint("search", __name__)


def _draft_options(staff: bool) -> list[tuple[int, str]]:
    query = select(Draft.id, Draft.title).order_by(Draft.id.desc())
    if not staff:
        query = query.where(Draft.published_at.is_not(None), Draft.opens_at.is_not(None), Draft.closes_at.is_not(None))
    return [(row.id, row.title) for row in db.session.execute(query.limit(200))]


def _liaison_options() -> list[tuple[int, str]]:
    query = select(LiaisonPoint.id, LiaisonPoint.name).order_by(LiaisonPoint.name).limit(200)
    return [(row.id, row.name) for row in db.session.execute(query)]


@bp.route("/search")
@reads
def search_page():
    staff = policies.can_search_all_opinions(current_user)
    params, errors, warnings = read_params(request.args)
    if params.state and not staff:
        errors.setdefault("state", []).append(_("只有工作人员可以按审核状态筛选。"))
        params.state = None
    asked = bool(params.q.strip()) or params.has_filters()
    outcome = run_search(params, current_user) if asked else None

    base_args = {"q": params.q or None, "sort": params.sort if params.sort != "relevance" else None,
                 **params.filter_args()}
    base_args = {key: value for key, value in base_args.items() if value is not None}

    def link(**changes):
        """This search with some parameters changed (None removes one); back to page 1."""
        args = dict(base_args)
        if "draft" in changes:
            args.pop("clause", None)  # clause keys belong to one draft
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = value
        return url_for("search.search_page", **args)

    def page_link(page: int):
        return url_for("search.search_page", **base_args, page=page)

    return render_template(
        "search/search.html",
        params=params, errors=errors, warnings=warnings, outcome=outcome, staff=staff, link=link, page_link=page_link,
        drafts=_draft_options(staff), liaison_points=_liaison_options(),
        stances=[(value, labels.label(labels.STANCE, value)) for value in STANCES],
        categories=[(value, category_label(value)) for value in CATEGORIES],
        states=[(value, labels.label(labels.MODERATION_STATE, value)) for value in STATES],
        sorts=[("relevance", _("相关度")), ("newest", _("最新"))] if SORTS else [],
        facet_parameters=FACET_PARAMETERS, category_label=category_label,
        facet_titles={"kind": _("类型"), "draft": _("草案"), "call": _("征集"), "article": _("条文"), "stance": _("态度"),
                      "category": _("提出人类别"), "liaison": _("基层立法联系点"), "state": _("审核状态")},
    )

"""Public reading pages: home, the list of drafts and the draft itself."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from participation import clock, labels, mail, policies, queries
from participation.models import Draft, DraftStatus
from participation.services import follows
from participation.clock import time_left
from participation.tally.compute import compute_tally
from participation.views import load_visible, plan_status, safe_next_url
from participation.views.common import SUPPORTED_LOCALES
from participation.unit_of_work import reads

bp = Blueprint("public", __name__)

DRAFTS_PER_PAGE = 20
HOME_OPEN_LIMIT = 10
HOME_UPCOMING_LIMIT = 5
HOME_CLOSED_LIMIT = 5
PUBLIC_STATUSES = ("open", "scheduled", "closed", "feedback")


@bp.route("/")
@reads
def home():
    now = clock.now()
    open_drafts = queries.open_drafts(now, limit=HOME_OPEN_LIMIT + 1)
    return render_template(
        "public/home.html",
        open_drafts=[(draft, time_left(draft.closes_at, now)) for draft in open_drafts[:HOME_OPEN_LIMIT]],
        more_open=len(open_drafts) > HOME_OPEN_LIMIT,
        upcoming=queries.upcoming_drafts(now, limit=HOME_UPCOMING_LIMIT),
        closed=[(draft, draft.status_at(now).value) for draft in queries.recently_closed_drafts(now, HOME_CLOSED_LIMIT)],
        # 立法计划项目建议征集 now taking (or about to take) proposals.
        plan_calls=[(call, call.status_at(now).value) for call in queries.public_calls(now)[0]],
    )


@bp.route("/drafts")
@reads
def drafts():
    status = request.args.get("status")
    if status not in PUBLIC_STATUSES:
        status = None
    now = clock.now()
    page = queries.drafts_page(status, now, include_unpublished=False,
                               page=request.args.get("page", 1, type=int) or 1, per_page=DRAFTS_PER_PAGE)
    rows = [(draft, draft.status_at(now).value, time_left(draft.closes_at, now)) for draft in page.items]
    return render_template("public/drafts.html", page=page, rows=rows, status=status, statuses=PUBLIC_STATUSES)


def _load_visible(draft_id: int) -> Draft:
    """The draft if this visitor may read it. An unpublished draft is a 404 (not a 403)
    for everyone but staff: its existence is not public."""
    return load_visible(queries.get_draft, draft_id, lambda draft: draft.current_version is not None
                        and policies.can_view_draft(current_user, draft, clock.now()))


def _toc_hrefs(draft: Draft, outline: queries.DraftOutline, page: queries.TextPage | None) -> dict[str, str]:
    """The link of every table-of-contents entry: a fragment on this page, or the page
    of the division holding it."""
    hrefs = {}
    for top in outline.toc:
        for node in top.walk():
            target = outline.page_for_position(node.position)
            if target is None or target is page:
                hrefs[node.key] = f"#{node.key}"
            else:
                hrefs[node.key] = url_for("public.draft_part", draft_id=draft.id, key=target.key) + f"#{node.key}"
    return hrefs


def _render_draft(draft: Draft, page_key: str | None = None):
    now = clock.now()
    version = draft.current_version
    outline = queries.draft_outline(version.id)
    page = None
    if outline.is_paged:
        page = outline.page(page_key) if page_key else outline.pages[0]
        if page is None:
            abort(404)
        nodes = queries.provision_tree(version.id, page.start, page.end)
    else:
        nodes = queries.provision_tree(version.id)
    status = draft.status_at(now)
    return render_template(
        "public/draft.html",
        draft=draft, version=version, status=status.value, time_left=time_left(draft.closes_at, now),
        is_preview=status == DraftStatus.DRAFT, outline=outline, page=page,
        neighbours=outline.neighbours(page) if page else (None, None),
        toc_hrefs=_toc_hrefs(draft, outline, page), nodes=nodes,
        can_manage=policies.can_manage_drafts(current_user),
        **_opinion_context(draft, version, status, nodes, now),
        **_follow_context(draft, now),
        plan_line=plan_status.draft_plan_line(draft.id),
    )


def _follow_context(draft: Draft, now) -> dict:
    """关注 on the draft page: the button for accounts, the email form for visitors
    (only while email is on). The routes are in ``participation.views.subscriptions``."""
    return {
        "can_follow": policies.can_follow_draft(current_user, draft, now),
        "is_following": follows.is_following(current_user, draft.id),
        "can_subscribe": (not current_user.is_authenticated and mail.is_enabled()
                          and policies.can_subscribe_by_email(draft, now)),
    }


def _opinion_context(draft: Draft, version, status: DraftStatus, nodes, now) -> dict:
    """What the reading page needs for opinions: the base of the "对本条提意见" links
    (only while the draft is open), and the published counts per article when the
    draft shows opinions publicly."""
    context = {
        "op_href": url_for("public.new_opinion", draft_id=draft.id) + "?provision="
        if status == DraftStatus.OPEN else None,
        "op_counts": None, "op_total": 0, "op_list_href": None,
        "can_view_tally": policies.can_view_tally(current_user, draft, now),
        **_feedback_context(draft, version, status),
    }
    if policies.can_list_published_opinions(current_user, draft, now) and status != DraftStatus.DRAFT:
        counts, whole = queries.published_counts(draft.id, version.id)
        context["op_counts"] = queries.rolled_up_counts(nodes, counts)
        context["op_total"] = sum(counts.values()) + whole
        # "/drafts/5/provisions/" + key + "/opinions", built once for hundreds of links.
        context["op_list_href"] = url_for("public.draft", draft_id=draft.id) + "/provisions/"
    return context


def _feedback_context(draft: Draft, version, status: DraftStatus) -> dict:
    """A closed draft shows its totals; once the feedback report is published, the
    totals by disposition and the link to the report (意见采纳情况)."""
    if status not in (DraftStatus.CLOSED, DraftStatus.FEEDBACK):
        return {"feedback_totals": None, "feedback_href": None}
    # As on the tally page: the public counts published opinions only.
    published_only = not policies.can_view_tally_details(current_user)
    overall = compute_tally(draft.id, version.id, published_only=published_only).overall
    published = status == DraftStatus.FEEDBACK
    return {
        "feedback_totals": {
            "total": overall.total, "submitters": overall.submitters, "published_only": published_only,
            "dispositions": [(labels.label(labels.DISPOSITION, key), overall.by_disposition[key])
                             for key in labels.DISPOSITION if overall.by_disposition.get(key)] if published else [],
        },
        "feedback_href": url_for("public.feedback_report", draft_id=draft.id) if published else None,
    }


@bp.route("/drafts/<int:draft_id>")
@reads
def draft(draft_id: int):
    return _render_draft(_load_visible(draft_id))


@bp.route("/drafts/<int:draft_id>/part/<key>")
@reads
def draft_part(draft_id: int, key: str):
    """One top-level division of a large draft."""
    draft = _load_visible(draft_id)
    outline = queries.draft_outline(draft.current_version.id)
    if not outline.is_paged:
        # A small draft is one page; keep old or guessed links working.
        if queries.find_provision(draft.current_version.id, key) is None:
            abort(404)
        return redirect(url_for("public.draft", draft_id=draft.id, _anchor=key))
    return _render_draft(draft, key)


@bp.route("/drafts/<int:draft_id>/provisions/<key>")
@reads
def provision(draft_id: int, key: str):
    """A stable address for one provision: redirects to the page that shows it."""
    draft = _load_visible(draft_id)
    version = draft.current_version
    row = queries.find_provision(version.id, key)
    if row is None:
        abort(404)
    outline = queries.draft_outline(version.id)
    page = outline.page_for_position(row.position)
    if page is None:
        return redirect(url_for("public.draft", draft_id=draft.id, _anchor=key))
    return redirect(url_for("public.draft_part", draft_id=draft.id, key=page.key, _anchor=key))


@bp.route("/language", methods=["POST"])
def set_language():
    locale = request.form.get("locale")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    return redirect(safe_next_url(request.form.get("next"), url_for("public.home")))


@bp.route("/favicon.ico")
def favicon():
    # Browsers and feed readers ask for /favicon.ico regardless of the <link rel=icon>.
    return redirect(url_for("static", filename="favicon.svg"), 301)


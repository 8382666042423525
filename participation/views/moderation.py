"""Staff pages for opinions, on the staff blueprint: the list per draft with filters,
one opinion in full, and moderation (approve, hide with a reason, show again).

Hidden opinions stay in the list (filter 已屏蔽) with their reason, and are counted as
hidden on these pages and in the tally: nothing disappears silently.
"""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from participation import clock, policies, queries
from participation.citations import parse_citation
from participation.errors import ServiceError
from participation.extensions import db
from participation.forms.dispositions import BulkDispositionForm, DispositionForm
from participation.forms.opinions import HideOpinionForm, StaffOpinionFilterForm
from participation.models import (
    WHOLE_DRAFT_KEY, Disposition, Draft, LiaisonPoint, ModerationState, ReplyTemplate, Stance, SubmitterCategory, User,
)
from participation.services import opinions as service
from participation.unit_of_work import reads, writes
from participation.views import MAX_ID, load_visible, require, safe_next_url
from participation.views import audit_log
from participation.views.staff import bp

OPINIONS_PER_PAGE = 30
MAX_FILTER_TEXT = 100
_KEY = re.compile(r"(?:art|annex|preamble)[0-9A-Za-z.\-]{0,76}")


def parse_clause_filter(value: str) -> str:
    """What staff type in the clause filter → a key prefix: ``art.12.2`` as is,
    ``12`` or ``第十二条`` → ``art.12``, ``第十条之一`` → ``art.10-1``, ``第十二条第二款`` →
    ``art.12.2``, ``序言`` → ``preamble``, ``总体``/``总体意见`` → ``general``. Anything
    else is matched as a key and finds nothing."""
    value = "".join(value.split())[:80]
    if not value:
        return ""
    if value in ("总体", "总体意见", "general", "整体"):
        return "general"
    if value.isdigit():
        return f"art.{int(value)}"
    if _KEY.fullmatch(value):
        return value
    # A citation as people write it, read by the one citation parser (without the text,
    # 第十二条第（三）项 is taken to be in paragraph 1).
    return parse_citation(value) or value


def load_draft(draft_id: int) -> Draft:
    return load_visible(queries.get_draft, draft_id)


def load_opinion(opinion_id: int):
    return load_visible(queries.get_opinion, opinion_id)


def _page_arg() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE)


def _id_arg(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def opinion_filters(form: StaffOpinionFilterForm) -> queries.StaffOpinionFilters:
    """The filter form's values, each one kept only when it means something."""
    def choice(value, allowed):
        return value if value in allowed else ""

    return queries.StaffOpinionFilters(
        state=choice(form.state.data, {s.value for s in ModerationState}),
        stance=choice(form.stance.data, {s.value for s in Stance}),
        category=choice(form.category.data, {c.value for c in SubmitterCategory}),
        clause=parse_clause_filter(form.clause.data or ""),
        text=" ".join((form.q.data or "").split())[:MAX_FILTER_TEXT],
        liaison_point=_id_arg(form.liaison_point.data), batch=_id_arg(form.batch.data),
        disposition=choice(form.disposition.data, {d.value for d in Disposition}),
        assignee=_id_arg(form.assignee.data),
    )


def filter_form(formdata, prefix: str = "") -> StaffOpinionFilterForm:
    form = StaffOpinionFilterForm(formdata=formdata, prefix=prefix)
    form.liaison_point.choices = [("", _("全部联系点"))] + [
        (str(point.id), point.name) for point in db.session.scalars(select(LiaisonPoint).order_by(LiaisonPoint.id))]
    form.assignee.choices = [("", _("全部承办人"))] + [
        (str(user.id), user.display_name or user.email) for user in queries.staff_members()]
    return form


def template_choices(draft_id: int, blank: str) -> list[SelectChoice]:
    """The draft's 常用答复 for a picker: each option carries its text for the script."""
    return [SelectChoice("", blank)] + [
        SelectChoice(str(t.id), t.title, render_kw={"data-text": t.text, "data-disposition": t.disposition})
        for t in queries.reply_templates(draft_id)]


def picked_reason(draft_id: int, reason: str, template_id: str | None) -> str:
    """The reason typed, or (left empty, as without script) the picked template's text."""
    template = db.session.get(ReplyTemplate, _id_arg(template_id)) if _id_arg(template_id) else None
    if (reason or "").strip() or template is None or template.draft_id != draft_id:
        return reason or ""
    return template.text


def _clause_page(draft: Draft, filters: queries.StaffOpinionFilters) -> dict | None:
    """The clause filtered on, with its text (the staff's clause page)."""
    version = draft.current_version
    if not filters.clause or filters.clause == WHOLE_DRAFT_KEY or version is None:
        return None
    provision = queries.find_provision(version.id, filters.clause)
    if provision is None:
        return None
    lines = queries.clause_lines(provision)
    return {"citation": queries.clause_citation(version.id, provision.key) or provision.label,
            "lines": lines, "more": len(lines) >= queries.MAX_CLAUSE_LINES}


def render_opinion_list(draft: Draft, form: StaffOpinionFilterForm, *, bulk_form=None, status_code: int = 200):
    filters = opinion_filters(form)
    page = db.paginate(queries.staff_opinions_query(draft.id, filters), page=_page_arg(),
                       per_page=OPINIONS_PER_PAGE, error_out=False)
    args = filters.as_args()
    # The form shows what was understood (第十二条 → art.12), and the links keep it.
    if "text" in args:
        args["q"] = args.pop("text")
    form.clause.data = filters.clause
    if bulk_form is None:
        bulk_form = BulkDispositionForm(formdata=None)
    bulk_form.template.choices = template_choices(draft.id, _("选择常用答复…"))
    return render_template(
        "staff/opinions.html", draft=draft, form=form, page=page, filter_args=args,
        counts=queries.opinion_state_counts(draft.id), citations=queries.opinion_citations(page.items),
        status=draft.status_at(clock.now()).value, hide_form=HideOpinionForm(formdata=None),
        back=request.full_path.rstrip("?") if request.method == "GET" else url_for(
            "staff.draft_opinions", draft_id=draft.id, **args),
        disposition_counts=queries.disposition_counts(draft.id), bulk_form=bulk_form,
        clause_page=_clause_page(draft, filters), templates=queries.reply_templates(draft.id),
        can_dispose=policies.can_dispose_opinions(current_user),
        can_export=policies.can_export_opinions(current_user),
    ), status_code


@bp.route("/drafts/<int:draft_id>/opinions")
@reads
def draft_opinions(draft_id: int):
    require(policies.can_moderate_opinions(current_user))
    return render_opinion_list(load_draft(draft_id), filter_form(request.args))


def render_detail(opinion, *, hide_form=None, dispose_form=None, status_code: int = 200):
    draft = db.session.get(Draft, opinion.draft_id)
    author = db.session.get(User, opinion.author_id) if opinion.author_id else None
    moderator = db.session.get(User, opinion.moderated_by_id) if opinion.moderated_by_id else None
    disposer = db.session.get(User, opinion.disposed_by_id) if opinion.disposed_by_id else None
    point = db.session.get(LiaisonPoint, opinion.liaison_point_id) if opinion.liaison_point_id else None
    back = safe_next_url(request.args.get("next") or request.form.get("next"),
                         url_for("staff.draft_opinions", draft_id=opinion.draft_id))
    if dispose_form is None:
        dispose_form = DispositionForm(formdata=None, data={
            "disposition": opinion.disposition, "reason": opinion.disposition_reason,
            "note": opinion.disposition_note, "next": back})
    dispose_form.template.choices = template_choices(opinion.draft_id, _("选择常用答复…"))
    return render_template(
        "staff/opinion.html", opinion=opinion, draft=draft, author=author, moderator=moderator, point=point,
        citation=queries.clause_citation(opinion.version_id, opinion.provision_key),
        hide_form=hide_form or HideOpinionForm(formdata=None), back=back,
        can_view_duty=author is not None and policies.can_view_duty_record(current_user, author),
        can_view_account=author is not None and policies.can_view_account(current_user, author),
        history=audit_log.present(queries.opinion_history(opinion)),
        dispose_form=dispose_form, disposer=disposer, can_dispose=policies.can_dispose_opinions(current_user),
    ), status_code


@bp.route("/opinions/<int:opinion_id>")
@reads
def opinion_detail(opinion_id: int):
    require(policies.can_moderate_opinions(current_user))
    return render_detail(load_opinion(opinion_id))


def _back(opinion) -> str:
    return safe_next_url(request.form.get("next"), url_for("staff.opinion_detail", opinion_id=opinion.id))


@bp.route("/opinions/<int:opinion_id>/publish", methods=["POST"])
@writes
def publish_opinion(opinion_id: int):
    """Approve a held opinion, or show a hidden one again."""
    require(policies.can_moderate_opinions(current_user))
    opinion = load_opinion(opinion_id)
    previous = opinion.moderation_state
    service.publish_opinion(opinion, by=current_user._get_current_object(), now=clock.now())
    db.session.commit()
    if previous == ModerationState.PENDING.value:
        flash(_("已通过审核，意见 %(code)s 已公开。", code=opinion.receipt_code), "success")
    elif previous == ModerationState.HIDDEN.value:
        flash(_("已取消屏蔽，意见 %(code)s 重新公开。", code=opinion.receipt_code), "success")
    else:
        flash(_("意见 %(code)s 已经是公开状态。", code=opinion.receipt_code), "info")
    return redirect(_back(opinion), 303)


@bp.route("/opinions/<int:opinion_id>/hide", methods=["POST"])
@writes
def hide_opinion(opinion_id: int):
    require(policies.can_moderate_opinions(current_user))
    opinion = load_opinion(opinion_id)
    form = HideOpinionForm()
    if not form.validate_on_submit():
        return render_detail(opinion, hide_form=form, status_code=400)
    try:
        service.hide_opinion(opinion, reason=form.reason.data or "", by=current_user._get_current_object(),
                             now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        form.reason.errors = list(exc.fields.get("reason", [exc.message]))
        return render_detail(opinion, hide_form=form, status_code=422)
    db.session.commit()
    flash(_("意见 %(code)s 已屏蔽：不再在公开页面显示，仍保留并计入统计的“已屏蔽”。", code=opinion.receipt_code), "success")
    return redirect(_back(opinion), 303)


"""Staff exports of a call's proposals (Excel, the Word 立法项目建议汇总表): the button on
the staff proposal list posts here with ``format`` and the list's filter fields; the
export runs as a job whose status page is the opinion exports' (``staff.job_status``)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from participation import jobs, labels, policies, queries
from participation.exports.proposals import FORMATS, describe
from participation.extensions import db
from participation.models import ModerationState
from participation.queries import ProposalFilters
from participation.unit_of_work import writes
from participation.views import MAX_ID, load_visible, require
from participation.views.staff import bp

#: The filter's choice fields and their allowed values.
_CHOICES = {
    "classification": labels.CLASSIFICATION, "category": labels.PROPOSER_CATEGORY, "channel": labels.CHANNEL,
    "moderation_state": {state.value: state.value for state in ModerationState},
}
MAX_FILTER_TEXT = 100


def read_filters(values) -> tuple[ProposalFilters, list[str]]:
    """The staff list's filter from request values, and a Chinese message per bad value
    (which is then left out)."""
    filters, errors = ProposalFilters(), []
    for name, allowed in _CHOICES.items():
        value = (values.get(name) or "").strip()
        if value and value not in allowed:
            errors.append(_("筛选条件 %(name)s 的取值无效。", name=name))
        elif value:
            setattr(filters, name, value)
    for name in ("area", "text"):
        value = (values.get(name) or "").strip()
        if len(value) > MAX_FILTER_TEXT:
            errors.append(_("筛选条件 %(name)s 过长。", name=name))
        else:
            setattr(filters, name, value)
    for name in ("assignee_id", "group_id"):
        value = (values.get(name) or "").strip()
        if value and not (value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID):
            errors.append(_("筛选条件 %(name)s 必须是编号。", name=name))
        elif value:
            setattr(filters, name, int(value))
    return filters, errors


def _call_page(call_id: int) -> str:
    try:
        return url_for("staff.plan_call", call_id=call_id)
    except BuildError:  # the staff pages of calls are another part of the same issue
        return f"/staff/plan-calls/{call_id}"


@bp.post("/plan-calls/<int:call_id>/exports")
@writes
def export_proposals(call_id: int):
    require(policies.can_manage_plan_calls(current_user))
    call = load_visible(queries.get_call, call_id)
    kind = (request.values.get("format") or "").strip()
    filters, errors = read_filters(request.values)
    if kind not in FORMATS:
        errors.insert(0, _("请选择导出格式（Excel 或 Word）。"))
    if errors:
        for message in errors:
            flash(message, "error")
        return redirect(_call_page(call.id), 303)
    job = jobs.enqueue(FORMATS[kind], params={"call_id": call.id, "filter": describe(filters), "format": kind},
                       by=current_user._get_current_object())
    db.session.commit()
    return redirect(url_for("staff.job_status", public_id=job.public_id), 303)

"""操作记录 (audit log): the administrators' page, on the admin blueprint, and the
readable form of entries that the opinion and draft staff pages share."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from participation import clock, labels, policies, queries
from participation.extensions import db
from participation.forms.audit import AuditFilterForm
from participation.models import Role, User
from participation.queries.audit import OBJECT_MODELS, AuditFilters, AuditRow
from participation.unit_of_work import reads
from participation.views import MAX_ID, require
from participation.views.admin import bp

ENTRIES_PER_PAGE = 50
MAX_VALUE_TEXT = 300
# Recorded values shown through a label map, and the ones that are times.
_VALUE_LABELS = {"moderation_state": labels.MODERATION_STATE, "disposition": labels.DISPOSITION,
                 "role": labels.ROLE, "moderation_mode": labels.MODERATION_MODE,
                 "classification": labels.CLASSIFICATION, "project_class": labels.PROJECT_CLASS}
_TIME_FIELDS = {"published_at", "opens_at", "closes_at", "disposed_at", "feedback_published_at"}
_OBJECT_PAGES = {"opinion": ("staff.opinion_detail", "opinion_id"), "draft": ("staff.draft", "draft_id"),
                 "user": ("admin.user_detail", "user_id"), "liaison_point": ("admin.liaison_point_detail", "point_id"),
                 "proposal": ("staff.proposal", "proposal_id"), "plan_call": ("staff.plan_call", "call_id")}


def _value_text(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field in _VALUE_LABELS:
        return labels.label(_VALUE_LABELS[field], value)
    if field in _TIME_FIELDS and isinstance(value, str):
        try:
            return clock.format_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_TEXT else text[:MAX_VALUE_TEXT] + "…"


def _changes(old: dict | None, new: dict | None) -> list[dict]:
    old, new = old or {}, new or {}
    fields = list(new) + [key for key in old if key not in new]
    return [{"field": labels.label(labels.AUDIT_FIELD, key), "old": _value_text(key, old[key]) if key in old else None,
             "new": _value_text(key, new[key]) if key in new else None} for key in fields]


def _selection_text(selection: dict | None) -> str:
    if not selection:
        return ""
    parts = []
    for key, value in selection.items():
        if isinstance(value, list):
            shown = "、".join(str(v) for v in value[:20]) + ("…" if len(value) > 20 else "")
            parts.append(f"{labels.label(labels.AUDIT_FIELD, key)}: {shown}")
        elif value not in (None, "", [], {}):
            parts.append(f"{labels.label(labels.AUDIT_FIELD, key)}: {value}")
    return "; ".join(parts)


def present(rows: list[AuditRow]) -> list[dict]:
    """Entries as the templates show them: who, when, what, on which object (with a
    link while it exists), each changed field's old → new value, a bulk action's
    selection and count."""
    shown = []
    for row in rows:
        entry = row.entry
        page = _OBJECT_PAGES.get(entry.object_type)
        url = (url_for(page[0], **{page[1]: entry.object_id})
               if page and row.object_exists and entry.object_id is not None else None)
        shown.append({
            "id": entry.id, "at": entry.created_at,
            "actor": (row.actor.display_name or row.actor.email) if row.actor else _("命令行（无操作人）"),
            "actor_id": entry.actor_id, "action": labels.label(labels.AUDIT_ACTION, entry.action),
            "object": f"{labels.label(labels.AUDIT_OBJECT, entry.object_type)} #{entry.object_id or '—'}",
            "object_url": url, "changes": _changes(entry.old, entry.new),
            "selection": _selection_text(entry.selection), "count": entry.count,
        })
    return shown


def _day_start(day) -> datetime:
    return clock.local_to_utc(datetime.combine(day, time()))


def _fill_choices(form: AuditFilterForm) -> None:
    people = db.session.scalars(select(User).where(User.role.in_((Role.STAFF.value, Role.ADMIN.value)))
                                .order_by(User.display_name, User.email)).all()
    form.actor.choices = [SelectChoice("", _("全部")), SelectChoice("0", _("命令行（无操作人）"))] + [
        SelectChoice(str(u.id), f"{u.display_name} <{u.email}>" if u.display_name else u.email) for u in people]
    chosen = form.actor.data
    if chosen and chosen.isdigit() and chosen != "0" and chosen not in {c.value for c in form.actor.choices}:
        form.actor.choices.append(SelectChoice(chosen, f"#{chosen}"))  # someone outside staff, named by id
    form.action.choices = [SelectChoice("", _("全部"))] + [
        SelectChoice(key, str(label)) for key, label in labels.AUDIT_ACTION.items()]
    form.object_type.choices = [SelectChoice("", _("全部"))] + [
        SelectChoice(key, str(label)) for key, label in labels.AUDIT_OBJECT.items()]


def _filters(form: AuditFilterForm) -> AuditFilters:
    """What the form asks for; a field it could not read is left out (its error shows)."""
    form.validate()
    actor = form.actor.data or ""
    object_type = form.object_type.data if form.object_type.data in OBJECT_MODELS else ""
    return AuditFilters(
        actor_id=int(actor) if actor.isdigit() and int(actor) <= MAX_ID else None,
        object_type=object_type,
        object_id=form.object_id.data if object_type and not form.object_id.errors else None,
        action=form.action.data if form.action.data in labels.AUDIT_ACTION else "",
        since=_day_start(form.since.data) if form.since.data and not form.since.errors else None,
        until=_day_start(form.until.data + timedelta(days=1)) if form.until.data and not form.until.errors else None,
    )


@bp.route("/audit")
@reads
def audit_log():
    require(policies.can_read_audit_log(current_user))
    form = AuditFilterForm(request.args)
    _fill_choices(form)
    filters = _filters(form)
    before = request.args.get("before", type=int)
    page = queries.audit_entries_page(filters, before=before if before and 0 < before <= MAX_ID else None,
                                      per_page=ENTRIES_PER_PAGE)
    kept = {key: value for key, value in request.args.items() if key != "before" and value}
    return render_template("admin/audit.html", form=form, entries=present(page.rows), filtered=bool(kept),
                           next_url=url_for("admin.audit_log", before=page.next_before, **kept)
                           if page.next_before else None, first_url=url_for("admin.audit_log", **kept)
                           if before else None)

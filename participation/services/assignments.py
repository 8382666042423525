"""承办 and 常用答复: who on the staff answers for which clauses of a draft, and the
reasons staff reuse when they dispose opinions. Every change is audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Assignment, Draft, ReplyTemplate, Role, User
from participation.services import audit
from participation.services.dispositions import DISPOSITION_VALUES, MAX_DISPOSITION_REASON_LENGTH
from participation.text import clean_text

MAX_TEMPLATE_TITLE_LENGTH = 100


def save_assignments(draft: Draft, wanted: dict[str, int | None], *, by: User, now: datetime) -> int:
    """Set the assignee of each provision key in ``wanted`` (None: nobody). Keys not in
    ``wanted`` keep theirs. Returns how many changed; each change is one audit entry."""
    staff_ids = set(db.session.scalars(select(User.id).where(
        User.role.in_((Role.STAFF.value, Role.ADMIN.value)), User.is_enabled.is_(True))))
    bad = sorted(key for key, user_id in wanted.items() if user_id is not None and user_id not in staff_ids)
    if bad:
        raise ValidationFailed(_("只能指定在职的工作人员为承办人。"), fields={key: [_("请选择工作人员。")] for key in bad})
    existing = {row.provision_key: row for row in db.session.scalars(
        select(Assignment).where(Assignment.draft_id == draft.id, Assignment.provision_key.in_(list(wanted))))}
    changed = 0
    for key, user_id in wanted.items():
        row = existing.get(key)
        before = row.user_id if row is not None else None
        if before == user_id:
            continue
        if row is None:
            db.session.add(Assignment(draft_id=draft.id, provision_key=key, user_id=user_id, assigned_at=now,
                                      assigned_by_id=by.id))
        elif user_id is None:
            db.session.delete(row)
        else:
            row.user_id, row.assigned_at, row.assigned_by_id = user_id, now, by.id
        audit.record("assignment.set", actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                     now=now, old={"provision_key": key, "user_id": before},
                     new={"provision_key": key, "user_id": user_id})
        changed += 1
    db.session.flush()
    return changed


@dataclass(frozen=True)
class TemplateInput:
    title: str
    text: str
    disposition: str = ""


def check_template(data: TemplateInput) -> TemplateInput:
    errors: dict[str, list[str]] = {}
    title = clean_text(data.title or "")
    text = clean_text(data.text or "", multiline=True)
    disposition = (data.disposition or "").strip()
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > MAX_TEMPLATE_TITLE_LENGTH:
        errors["title"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TEMPLATE_TITLE_LENGTH)]
    if not text:
        errors["text"] = [_("请填写答复内容。")]
    elif len(text) > MAX_DISPOSITION_REASON_LENGTH:
        errors["text"] = [_("不能超过 %(limit)d 个字。", limit=MAX_DISPOSITION_REASON_LENGTH)]
    if disposition and disposition not in DISPOSITION_VALUES:
        errors["disposition"] = [_("请选择处理情况。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return TemplateInput(title, text, disposition)


def _template_state(template: ReplyTemplate) -> dict:
    return {"title": template.title, "text": template.text, "disposition": template.disposition}


def create_template(draft: Draft, data: TemplateInput, *, by: User, now: datetime) -> ReplyTemplate:
    data = check_template(data)
    template = ReplyTemplate(draft_id=draft.id, title=data.title, text=data.text, disposition=data.disposition,
                             created_at=now, updated_at=now, created_by_id=by.id)
    db.session.add(template)
    db.session.flush()
    audit.record("reply_template.create", actor=by, object_type="reply_template", object_id=template.id,
                 draft_id=draft.id, now=now, new=_template_state(template))
    return template


def update_template(template: ReplyTemplate, data: TemplateInput, *, by: User, now: datetime) -> bool:
    data = check_template(data)
    before = _template_state(template)
    after = {"title": data.title, "text": data.text, "disposition": data.disposition}
    if before == after:
        return False
    template.title, template.text, template.disposition, template.updated_at = data.title, data.text, \
        data.disposition, now
    old, new = audit.changes(before, after)
    audit.record("reply_template.update", actor=by, object_type="reply_template", object_id=template.id,
                 draft_id=template.draft_id, now=now, old=old, new=new)
    db.session.flush()
    return True


def delete_template(template: ReplyTemplate, *, by: User, now: datetime) -> None:
    audit.record("reply_template.delete", actor=by, object_type="reply_template", object_id=template.id,
                 draft_id=template.draft_id, now=now, old=_template_state(template))
    db.session.delete(template)
    db.session.flush()

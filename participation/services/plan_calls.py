"""征集公告: staff create, edit, open and close calls for legislative-plan project
proposals. Every channel (the staff pages, the CLI, the demo) calls these; each change
is audited."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _

from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import ModerationMode, PlanCall, User
from participation.services import audit
from participation.text import clean_text

MAX_TITLE_LENGTH = 200
MAX_ANNOUNCEMENT_LENGTH = 20000
MAX_AREA_LENGTH = 50
MAX_AREAS = 30
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class PlanCallInput:
    title: str
    year: int | str | None
    announcement: str = ""
    focus_areas: list[str] = field(default_factory=list)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    allows_anonymous_proposals: bool = False
    moderation_mode: str = ModerationMode.POST.value


_FIELDS = ("title", "year", "announcement", "focus_areas", "opens_at", "closes_at", "allows_anonymous_proposals",
           "moderation_mode")


def parse_areas(text: str) -> list[str]:
    """Focus areas as people type them: one per line, or separated by 、，, ；; ."""
    raw = text or ""
    for separator in ("、", "，", ",", "；", ";"):
        raw = raw.replace(separator, "\n")
    areas: list[str] = []
    for line in raw.splitlines():
        area = clean_text(line, multiline=False)
        if area and area not in areas:
            areas.append(area)
    return areas


def check(data: PlanCallInput) -> dict:
    """The cleaned values, or ValidationFailed naming the fields at fault."""
    errors: dict[str, list[str]] = {}
    title = clean_text(data.title or "", multiline=False)
    announcement = clean_text(data.announcement or "", multiline=True)
    if not title:
        errors["title"] = [_("请填写标题。")]
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = [_("不能超过 %(limit)d 个字。", limit=MAX_TITLE_LENGTH)]
    try:
        year = int(str(data.year).strip())
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = [_("请填写计划年度（如 2027）。")]
        year = None
    if len(announcement) > MAX_ANNOUNCEMENT_LENGTH:
        errors["announcement"] = [_("不能超过 %(limit)d 个字。", limit=MAX_ANNOUNCEMENT_LENGTH)]
    areas = [clean_text(area, multiline=False) for area in (data.focus_areas or [])]
    areas = list(dict.fromkeys(area for area in areas if area))
    if len(areas) > MAX_AREAS or any(len(area) > MAX_AREA_LENGTH for area in areas):
        errors["focus_areas"] = [_("重点领域最多 %(count)d 个，每个不超过 %(limit)d 个字。",
                                   count=MAX_AREAS, limit=MAX_AREA_LENGTH)]
    if (data.opens_at is None) != (data.closes_at is None):
        errors["closes_at" if data.closes_at is None else "opens_at"] = [_("请同时填写开始和截止时间。")]
    elif data.opens_at is not None and data.closes_at <= data.opens_at:
        errors["closes_at"] = [_("截止时间应晚于开始时间。")]
    try:
        mode = ModerationMode(data.moderation_mode or ModerationMode.POST.value).value
    except ValueError:
        errors["moderation_mode"] = [_("请选择审核方式。")]
        mode = None
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return {"title": title, "year": year, "announcement": announcement, "focus_areas": areas,
            "opens_at": data.opens_at, "closes_at": data.closes_at,
            "allows_anonymous_proposals": bool(data.allows_anonymous_proposals), "moderation_mode": mode}


def create_call(data: PlanCallInput, *, by: User | None, now: datetime, publish: bool = False) -> PlanCall:
    """A new call; published at once when ``publish`` (its period must then be set)."""
    values = check(data)
    call = PlanCall(**values, created_at=now, created_by_id=getattr(by, "id", None))
    db.session.add(call)
    db.session.flush()
    audit.record("plan_call.create", actor=by, object_type="plan_call", object_id=call.id,
                 new=audit.snapshot(call, _FIELDS), now=now)
    if publish:
        publish_call(call, by=by, now=now)
    return call


def update_call(call: PlanCall, data: PlanCallInput, *, by: User | None, now: datetime) -> PlanCall:
    values = check(data)
    before = audit.snapshot(call, _FIELDS)
    for name, value in values.items():
        setattr(call, name, value)
    audit.record_change("plan_call.update", actor=by, object_type="plan_call", object_id=call.id, before=before,
                        after=audit.snapshot(call, _FIELDS), now=now)
    db.session.flush()
    return call


def publish_call(call: PlanCall, *, by: User | None, now: datetime) -> PlanCall:
    """Make the call public (it opens at ``opens_at``)."""
    if call.published_at is not None:
        return call
    if call.opens_at is None or call.closes_at is None:
        raise ValidationFailed(_("发布前请设置征集期。"), fields={"opens_at": [_("请填写开始和截止时间。")]})
    call.published_at = now
    audit.record("plan_call.publish", actor=by, object_type="plan_call", object_id=call.id,
                 new={"published_at": now}, now=now)
    db.session.flush()
    return call


def open_call_now(call_data: PlanCallInput, *, days: int, by: User | None, now: datetime) -> PlanCall:
    """The CLI's ``plan-calls create``: a call published and open from now for ``days``."""
    if days < 1:
        raise ValidationFailed(_("征集天数至少为 1 天。"), fields={"days": [_("至少为 1 天。")]})
    call_data.opens_at = now
    call_data.closes_at = now + timedelta(days=days)
    return create_call(call_data, by=by, now=now, publish=True)


def close_call(call: PlanCall, *, by: User | None, now: datetime) -> PlanCall:
    """End the period now (a call not yet open closes before it began)."""
    status = call.status_at(now)
    if status.value == "closed":
        raise Conflict(_("该征集已经截止。"))
    if status.value == "draft":
        raise Conflict(_("该征集尚未发布。"))
    before = {"closes_at": call.closes_at}
    call.closes_at = now
    if call.opens_at > now:
        call.opens_at = now
    audit.record("plan_call.close", actor=by, object_type="plan_call", object_id=call.id, old=before,
                 new={"closes_at": now}, now=now)
    db.session.flush()
    return call

"""基层立法联系点 management."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import LiaisonPoint

MAX_NAME_LENGTH = 200


def _check_name(name: str, *, excluding_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写联系点名称。"), fields={"name": [_("请填写联系点名称。")]})
    if len(name) > MAX_NAME_LENGTH:
        message = _("名称不能超过 %(n)d 个字。", n=MAX_NAME_LENGTH)
        raise ValidationFailed(message, fields={"name": [message]})
    existing = db.session.scalar(select(LiaisonPoint.id).where(LiaisonPoint.name == name))
    if existing is not None and existing != excluding_id:
        raise ValidationFailed(_("已有同名的联系点。"), fields={"name": [_("已有同名的联系点。")]})
    return name


def _flush_unique_name() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(_("已有同名的联系点。"), fields={"name": [_("已有同名的联系点。")]}) from exc


def create_liaison_point(*, name: str, region: str = "", address: str = "") -> LiaisonPoint:
    point = LiaisonPoint(name=_check_name(name), region=(region or "").strip()[:100], address=(address or "").strip()[:300])
    db.session.add(point)
    _flush_unique_name()
    return point


def update_liaison_point(point: LiaisonPoint, *, name: str, region: str, address: str, is_active: bool) -> LiaisonPoint:
    point.name = _check_name(name, excluding_id=point.id)
    point.region = (region or "").strip()[:100]
    point.address = (address or "").strip()[:300]
    point.is_active = is_active
    _flush_unique_name()
    return point

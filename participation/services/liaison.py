"""基层立法联系点 management."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import LiaisonPoint, Role, User
from participation.services import audit

MAX_NAME_LENGTH = 200
MAX_REGION_LENGTH = 100
MAX_ADDRESS_LENGTH = 300
MAX_ID = 2**31 - 1  # PostgreSQL integer: larger ids cannot exist and would fail the query


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


def _check_length(field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        message = _("不能超过 %(n)d 个字。", n=limit)
        raise ValidationFailed(message, fields={field: [message]})
    return value


_POINT_FIELDS = ("name", "region", "address", "is_active")


def create_liaison_point(*, name: str, region: str = "", address: str = "", by: User | None = None) -> LiaisonPoint:
    """``by`` (None for the command line and the demo) is recorded in the audit log."""
    point = LiaisonPoint(
        name=_check_name(name),
        region=_check_length("region", region, MAX_REGION_LENGTH),
        address=_check_length("address", address, MAX_ADDRESS_LENGTH),
        is_active=True,
    )
    db.session.add(point)
    _flush_unique_name()
    audit.record_event("liaison_point.create", actor=by, object_type="liaison_point", object_id=point.id,
                       new=audit.snapshot(point, _POINT_FIELDS))
    return point


def update_liaison_point(point: LiaisonPoint, *, name: str, region: str, address: str, is_active: bool,
                         by: User | None = None) -> LiaisonPoint:
    """Edit a point. Deactivating keeps its operators (their accounts and past batches
    stay) but no operator can be added to it any more."""
    before = audit.snapshot(point, _POINT_FIELDS)
    point.name = _check_name(name, excluding_id=point.id)
    point.region = _check_length("region", region, MAX_REGION_LENGTH)
    point.address = _check_length("address", address, MAX_ADDRESS_LENGTH)
    point.is_active = bool(is_active)
    _flush_unique_name()
    audit.record_change("liaison_point.update", actor=by, object_type="liaison_point", object_id=point.id,
                        before=before, after=audit.snapshot(point, _POINT_FIELDS))
    return point


def find_liaison_point(point_id) -> LiaisonPoint | None:
    try:
        point_id = int(point_id)
    except (TypeError, ValueError):
        return None
    if not 0 < point_id <= MAX_ID:
        return None
    return db.session.get(LiaisonPoint, point_id)


# --- read helpers -------------------------------------------------------------------

def liaison_points_query(*, active: bool | None = None):
    stmt = select(LiaisonPoint)
    if active is not None:
        stmt = stmt.where(LiaisonPoint.is_active.is_(active))
    return stmt.order_by(LiaisonPoint.is_active.desc(), LiaisonPoint.name, LiaisonPoint.id)


def active_liaison_points() -> list[LiaisonPoint]:
    """For the operator's liaison point select. A city runs a handful of points, so the
    whole list fits in a select."""
    return list(db.session.scalars(liaison_points_query(active=True)))


def operator_counts(point_ids) -> dict[int, int]:
    """Operators (enabled or not) per liaison point, for the ids given."""
    point_ids = list(point_ids)
    if not point_ids:
        return {}
    rows = db.session.execute(
        select(User.liaison_point_id, func.count(User.id))
        .where(User.liaison_point_id.in_(point_ids), User.role == Role.OPERATOR.value)
        .group_by(User.liaison_point_id)
    )
    return {point_id: count for point_id, count in rows}


def operators_query(point: LiaisonPoint):
    return (
        select(User)
        .where(User.liaison_point_id == point.id, User.role == Role.OPERATOR.value)
        .order_by(User.is_enabled.desc(), User.display_name, User.id)
    )

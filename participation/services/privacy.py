"""个人信息保护 (the Personal Information Protection Law): the privacy policy and its
versions, what the platform holds about a person (to download), and erasing an account
at its owner's request (注销账户).

Erasing keeps what a person said: opinions and proposals are part of the legislative
record and stay, counted as before in every tally (their ``submitter_key`` is an opaque
key and does not change), but they no longer point at the account and lose the name and
contact details given with them. The account row stays too (the audit log and other
records name it by id), emptied of everything that identifies the person.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import delete, func, select, update

from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import (
    ApiToken, Draft, EmailDelivery, Follow, LoginSession, Notification, NotificationPreference, Opinion,
    PrivacyPolicy, Proposal, User,
)
from participation.services import audit
from participation.spreadsheets.writing import text_cell, workbook_bytes
from participation.text import clean_text

MAX_POLICY_LENGTH = 50000
#: The version of the built-in policy, in force until an administrator publishes one.
BUILT_IN_VERSION = 1

BUILT_IN_POLICY = _l(
    "一、我们收集哪些个人信息\n"
    "注册账户时：电子邮箱、您选择填写的姓名或昵称、密码（只保存不可逆的摘要）。"
    "发表意见或提出立法项目建议时：您选择填写的姓名、单位、所在地区和联系方式。"
    "为保障账户安全，我们还记录登录时间、IP 地址和浏览器信息。\n\n"
    "二、为什么收集\n"
    "电子邮箱用于登录和发送您选择接收的通知；姓名、地区用于统计和整理意见；"
    "联系方式仅用于工作人员在需要时就您的意见与您联系。\n\n"
    "三、谁能看到\n"
    "联系方式只有法制工作委员会的工作人员可以看到，从不公开、不进入搜索。"
    "姓名只有在您选择公开时才会显示在公开页面上。\n\n"
    "四、保存多久\n"
    "意见和建议是立法工作记录的一部分，按档案管理规定长期保存。"
    "账户信息保存到您注销账户为止；登录记录保存不超过一年。\n\n"
    "五、您的权利\n"
    "登录后，您可以在“个人信息”页面下载我们保存的关于您的全部信息，也可以注销账户。"
    "注销后，您的意见仍作为立法记录保留并计入统计，但不再与您关联，其中的姓名和联系方式会被删除。"
    "无法登录时，可以联系管理员代为办理。"
)


@dataclass(frozen=True)
class CurrentPolicy:
    version: int
    text: str
    published_at: datetime | None  # None for the built-in text


def current_policy() -> CurrentPolicy:
    row = db.session.scalar(select(PrivacyPolicy).order_by(PrivacyPolicy.version.desc()).limit(1))
    if row is None:
        return CurrentPolicy(BUILT_IN_VERSION, str(BUILT_IN_POLICY), None)
    return CurrentPolicy(row.version, row.text, row.published_at)


def publish_policy(text: str, *, by: User, now: datetime) -> PrivacyPolicy:
    """Publish a new version of the policy (people who registered under an earlier one
    keep the version they agreed to on record)."""
    text = clean_text(text or "", multiline=True)
    if not text:
        raise ValidationFailed(_("请填写隐私政策的内容。"), fields={"text": [_("请填写隐私政策的内容。")]})
    if len(text) > MAX_POLICY_LENGTH:
        message = _("不能超过 %(limit)d 个字。", limit=MAX_POLICY_LENGTH)
        raise ValidationFailed(message, fields={"text": [message]})
    current = current_policy()
    if text == current.text:
        raise Conflict(_("内容没有变化。"), fields={"text": [_("内容没有变化。")]})
    policy = PrivacyPolicy(version=current.version + 1, text=text, published_at=now, published_by_id=by.id)
    db.session.add(policy)
    db.session.flush()
    audit.record("privacy_policy.publish", actor=by, object_type="privacy_policy", object_id=policy.id,
                 new={"version": policy.version}, now=now)
    return policy


def record_consent(user: User, *, version: int, now: datetime) -> None:
    user.privacy_consent_at = now
    user.privacy_policy_version = version


# --- What the platform holds about a person ------------------------------------------

def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def collect(user: User) -> dict:
    """Everything the platform holds about ``user``, as plain data (the download)."""
    account = {
        "id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
        "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        "email_verified_at": _iso(user.email_verified_at), "privacy_consent_at": _iso(user.privacy_consent_at),
        "privacy_policy_version": user.privacy_policy_version, "deputy_number": user.deputy_number,
        "delegation": user.delegation, "professional_group": user.professional_group,
        "liaison_point": user.liaison_point.name if user.liaison_point_id else None,
    }
    opinions = [
        {"receipt": o.receipt_code, "draft": title, "clause": o.provision_key or "", "stance": o.stance,
         "body": o.body, "proposed_text": o.proposed_text, "reason": o.reason, "category": o.category,
         "name": o.submitter_name, "name_public": o.is_name_public, "region": o.region, "contact": o.contact,
         "channel": o.channel, "moderation_state": o.moderation_state, "disposition": o.disposition,
         "submitted_at": _iso(o.created_at)}
        for o, title in db.session.execute(
            select(Opinion, Draft.title).join(Draft, Draft.id == Opinion.draft_id)
            .where(Opinion.author_id == user.id).order_by(Opinion.created_at, Opinion.id))
    ]
    proposals = [
        {"receipt": p.receipt_code, "title": p.title, "necessity": p.necessity, "problems": p.problems,
         "measures": p.measures, "area": p.area, "category": p.category, "name": p.submitter_name,
         "unit": p.unit, "region": p.region, "contact": p.contact, "name_public": p.is_name_public,
         "motion_number": p.motion_number, "channel": p.channel, "classification": p.classification,
         "submitted_at": _iso(p.created_at)}
        for p in db.session.scalars(select(Proposal).where(Proposal.author_id == user.id)
                                    .order_by(Proposal.created_at, Proposal.id))
    ]
    follows = [{"draft": title, "since": _iso(created)} for title, created in db.session.execute(
        select(Draft.title, Follow.created_at).join(Draft, Draft.id == Follow.draft_id)
        .where(Follow.user_id == user.id).order_by(Follow.id))]
    sessions = [{"signed_in_at": _iso(s.created_at), "ip": s.ip, "browser": s.user_agent}
                for s in db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                                            .order_by(LoginSession.id))]
    notifications = db.session.scalar(select(func.count()).select_from(Notification)
                                      .where(Notification.user_id == user.id))
    return {"account": account, "opinions": opinions, "proposals": proposals, "follows": follows,
            "sign_in_sessions": sessions, "notification_count": notifications}


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


_SHEETS = (
    ("opinions", _l("意见")), ("proposals", _l("立法项目建议")), ("follows", _l("关注的草案")),
    ("sign_in_sessions", _l("登录记录")),
)


def as_workbook(data: dict) -> bytes:
    """The same data as an Excel workbook: the account on one sheet, each list on its own
    (every text written as text, never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("账户")))
    for key, value in data["account"].items():
        sheet.append([text_cell(sheet, key), text_cell(sheet, "" if value is None else value)])
    for key, title in _SHEETS:
        rows = data[key]
        sheet = workbook.create_sheet(str(title))
        if not rows:
            sheet.append([text_cell(sheet, str(_("（无）")))])
            continue
        headers = list(rows[0])
        sheet.append([text_cell(sheet, header) for header in headers])
        for row in rows:
            sheet.append([text_cell(sheet, "" if row[h] is None else row[h]) for h in headers])
    return workbook_bytes(workbook)


# --- Erasure ---------------------------------------------------------------------------

def erase_account(user: User, *, by: User, now: datetime, reason: str = "") -> dict[str, int]:
    """注销账户: detach the person's opinions and proposals (kept, and counted as before)
    and erase the names and contact details given with them; delete the account's
    sessions, tokens, notifications, follows and preferences; empty the account row and
    disable it. ``by``: the owner, or the administrator acting on their request (then
    ``reason`` is recorded). Returns what was changed, by kind."""
    if user.erased_at is not None:
        raise Conflict(_("该账户已注销。"))
    reason = clean_text(reason or "", multiline=False)[:500]
    # Through the ORM, so that derived data (the search index) follows the erased names.
    opinions = db.session.scalars(select(Opinion).where(Opinion.author_id == user.id)).all()
    for opinion in opinions:
        opinion.author_id = None
        opinion.submitter_name = ""
        opinion.is_name_public = False
        opinion.contact = ""
    proposals = db.session.scalars(select(Proposal).where(Proposal.author_id == user.id)).all()
    for proposal in proposals:
        proposal.author_id = None
        proposal.submitter_name = ""
        proposal.is_name_public = False
        proposal.contact = ""
    db.session.flush()
    counts = {"opinions": len(opinions), "proposals": len(proposals)}
    follow_ids = select(Follow.id).where(Follow.user_id == user.id)
    notification_ids = select(Notification.id).where(Notification.user_id == user.id)
    db.session.execute(delete(EmailDelivery).where(
        (EmailDelivery.follow_id.in_(follow_ids)) | (EmailDelivery.notification_id.in_(notification_ids))))
    for model, column in ((Follow, Follow.user_id), (Notification, Notification.user_id),
                          (NotificationPreference, NotificationPreference.user_id),
                          (LoginSession, LoginSession.user_id)):
        counts[model.__tablename__] = db.session.execute(delete(model).where(column == user.id)).rowcount
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now, revoked_by_id=by.id))
    user.email = f"erased-{user.id}@erased.invalid"
    user.display_name = ""
    user.password_hash = "!erased:" + secrets.token_hex(16)  # matches no password
    user.session_nonce = secrets.token_hex(16)
    user.is_enabled = False
    user.email_verified_at = None
    user.deputy_number = None
    user.professional_group = None
    user.erased_at = now
    db.session.flush()
    audit.record("account.erase", actor=by, object_type="user", object_id=user.id,
                 new={"by_owner": by.id == user.id, "reason": reason, **counts}, now=now)
    return counts

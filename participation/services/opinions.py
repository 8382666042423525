"""Opinions (意见建议): submission with a receipt, moderation, and withdrawal of personal
data on request."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.errors import Conflict, Forbidden, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import (
    Draft, DraftStatus, ModerationMode, ModerationState, Opinion, Provision, Role, Stance,
    SubmitterCategory, User,
)
from participation.models.provisions import COMMENTABLE_KINDS
from participation.receipts import new_receipt_code, normalize_receipt_code  # noqa: F401  (part of this service)
from participation.text import clean_text

MAX_BODY_LENGTH = 5000
MAX_PROPOSED_TEXT_LENGTH = 5000
MAX_REASON_LENGTH = 3000
MAX_NAME_LENGTH = 50
MAX_REGION_LENGTH = 100
MAX_CONTACT_LENGTH = 200
MAX_HIDDEN_REASON_LENGTH = 500
MAX_SUBMISSION_TOKEN_LENGTH = 120

# Categories a submitter may choose on the form; deputies and liaison-point operators
# have theirs fixed by their account.
SELF_CHOSEN_CATEGORIES = (
    SubmitterCategory.CITIZEN, SubmitterCategory.ORGANISATION, SubmitterCategory.ENTERPRISE,
    SubmitterCategory.LAWYER, SubmitterCategory.EXPERT,
)


@dataclass
class OpinionInput:
    """What a submitter sends. ``provision_key`` None or '' means the whole draft."""

    body: str
    stance: str = Stance.AMEND.value
    provision_key: str | None = None
    proposed_text: str = ""
    reason: str = ""
    category: str | None = None
    region: str = ""
    submitter_name: str = ""
    is_name_public: bool = False
    contact: str = ""


def category_for(user: User | None) -> SubmitterCategory | None:
    """The category fixed by an account, or None when the submitter chooses."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.DEPUTY.value:
        return SubmitterCategory.DEPUTY
    if user.role == Role.OPERATOR.value:
        return SubmitterCategory.LIAISON_POINT
    return None


def commentable_provision(draft: Draft, key: str | None) -> Provision | None:
    """The provision of the draft's current version an opinion may target, or None for
    the whole draft. Raises NotFound for a key that is not a commentable clause of it."""
    if not key:
        return None
    version = draft.current_version
    provision = db.session.scalar(
        select(Provision).where(Provision.version_id == version.id, Provision.key == key)
    ) if version else None
    if provision is None or provision.kind not in COMMENTABLE_KINDS:
        raise NotFound(_("草案中没有这个条款：%(key)s", key=key), fields={"provision": [_("条款不存在。")]})
    return provision


def _validate(data: OpinionInput, author: User | None) -> tuple[dict, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    body = clean_text(data.body)
    proposed_text = clean_text(data.proposed_text)
    reason = clean_text(data.reason)
    name = clean_text(data.submitter_name, multiline=False)
    region = clean_text(data.region, multiline=False)
    contact = clean_text(data.contact, multiline=False)
    if not body:
        fail("body", _("请填写意见内容。"))
    for field, value, limit in (
        ("body", body, MAX_BODY_LENGTH), ("proposed_text", proposed_text, MAX_PROPOSED_TEXT_LENGTH),
        ("reason", reason, MAX_REASON_LENGTH), ("submitter_name", name, MAX_NAME_LENGTH),
        ("region", region, MAX_REGION_LENGTH), ("contact", contact, MAX_CONTACT_LENGTH),
    ):
        if len(value) > limit:
            fail(field, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(value)))
    try:
        stance = Stance(data.stance)
    except ValueError:
        fail("stance", _("请选择态度。"))
        stance = None
    fixed = category_for(author)
    if fixed is not None:
        if data.category not in (None, "", fixed.value):
            fail("category", _("您的账户只能以“%(category)s”身份提交。",
                               category=_category_label(fixed)))
        category = fixed
    else:
        try:
            category = SubmitterCategory(data.category or SubmitterCategory.CITIZEN.value)
        except ValueError:
            category = None
        if category not in SELF_CHOSEN_CATEGORIES:
            fail("category", _("请选择提出人类别。"))
    if data.is_name_public and not name:
        fail("submitter_name", _("选择公开姓名时请填写姓名。"))
    cleaned = {
        "body": body, "proposed_text": proposed_text, "reason": reason, "submitter_name": name,
        "region": region, "contact": contact, "stance": stance, "category": category,
        "is_name_public": bool(data.is_name_public and name),
    }
    return cleaned, errors


def _category_label(category: SubmitterCategory) -> str:
    from participation import labels

    return labels.label(labels.SUBMITTER_CATEGORY, category)


def check_accepting(draft: Draft, now: datetime) -> None:
    """Raise Conflict unless the draft is open for opinions at ``now``."""
    status = draft.status_at(now)
    if status == DraftStatus.OPEN:
        return
    if status == DraftStatus.SCHEDULED:
        raise Conflict(_("该草案尚未开始征求意见。"))
    if status == DraftStatus.DRAFT:
        raise Conflict(_("该草案尚未发布。"))
    raise Conflict(_("该草案的征求意见期已经结束。"))


def submit_opinion(
    draft: Draft, data: OpinionInput, *, author: User | None, now: datetime,
    submission_token: str | None = None,
) -> tuple[Opinion, bool]:
    """Store an opinion. Returns (opinion, created).

    ``submission_token`` makes the call idempotent: the same token again returns the
    opinion stored the first time (created False) instead of a second row — a
    double-clicked form or a retried API call is stored once. The unique constraint
    decides, so two concurrent retries cannot both insert.
    """
    if submission_token is not None:
        submission_token = submission_token[:MAX_SUBMISSION_TOKEN_LENGTH]
        existing = _by_submission_token(submission_token)
        if existing is not None:
            return _replayed(existing, draft, author), False
    check_accepting(draft, now)
    signed_in = author is not None and getattr(author, "is_authenticated", False)
    if not signed_in and not draft.allows_anonymous_opinions:
        raise Forbidden(_("该草案需要登录后才能发表意见。"))
    provision = commentable_provision(draft, data.provision_key)
    cleaned, errors = _validate(data, author if signed_in else None)
    if errors:
        raise ValidationFailed(_("请修改标出的内容后再提交。"), fields=errors)

    state = ModerationState.PENDING if draft.moderation_mode == ModerationMode.PRE.value else ModerationState.PUBLISHED
    for _attempt in range(5):
        receipt = new_receipt_code()
        opinion = Opinion(
            draft_id=draft.id, version_id=draft.current_version.id,
            provision_id=provision.id if provision else None,
            provision_key=provision.key if provision else None,
            stance=cleaned["stance"].value, body=cleaned["body"], proposed_text=cleaned["proposed_text"],
            reason=cleaned["reason"], category=cleaned["category"].value, region=cleaned["region"],
            submitter_name=cleaned["submitter_name"], is_name_public=cleaned["is_name_public"],
            contact=cleaned["contact"], author_id=author.id if signed_in else None,
            submitter_key=f"u:{author.id}" if signed_in else f"anon:{receipt}",
            delegation=author.delegation if signed_in and author.role == Role.DEPUTY.value else None,
            liaison_point_id=author.liaison_point_id if signed_in and author.role == Role.OPERATOR.value else None,
            moderation_state=state.value, receipt_code=receipt, submission_token=submission_token,
            created_at=now,
        )
        try:
            # In a savepoint: a lost race leaves the session usable, and the object
            # added inside it is expunged again on rollback.
            with db.session.begin_nested():
                db.session.add(opinion)
                db.session.flush()
            return opinion, True
        except IntegrityError:
            if submission_token is not None:
                existing = _by_submission_token(submission_token)
                if existing is not None:
                    return _replayed(existing, draft, author), False
            # Otherwise a receipt code collided (60 random bits: practically never); retry.
    raise RuntimeError("could not allocate a unique receipt code")


def _by_submission_token(token: str) -> Opinion | None:
    return db.session.scalar(select(Opinion).where(Opinion.submission_token == token))


def _replayed(existing: Opinion, draft: Draft, author: User | None) -> Opinion:
    author_id = author.id if author is not None and getattr(author, "is_authenticated", False) else None
    if existing.draft_id != draft.id or existing.author_id != author_id:
        raise Conflict(_("这个提交标识已用于另一条意见。"), fields={"idempotency_key": [_("已被使用。")]})
    return existing


def _check_reason(reason: str) -> str:
    reason = clean_text(reason, multiline=False)
    if not reason:
        raise ValidationFailed(_("请填写屏蔽理由。"), fields={"reason": [_("请填写屏蔽理由。")]})
    if len(reason) > MAX_HIDDEN_REASON_LENGTH:
        message = _("不能超过 %(limit)d 个字。", limit=MAX_HIDDEN_REASON_LENGTH)
        raise ValidationFailed(message, fields={"reason": [message]})
    return reason


def hide_opinion(opinion: Opinion, *, reason: str, by: User, now: datetime) -> Opinion:
    """Hide an opinion from public pages. It stays stored, counted as hidden."""
    opinion.hidden_reason = _check_reason(reason)
    opinion.moderation_state = ModerationState.HIDDEN.value
    opinion.moderated_by_id = by.id
    opinion.moderated_at = now
    db.session.flush()
    return opinion


def publish_opinion(opinion: Opinion, *, by: User, now: datetime) -> Opinion:
    """Approve a held opinion, or show a hidden one again."""
    if opinion.moderation_state == ModerationState.PUBLISHED.value:
        return opinion
    opinion.moderation_state = ModerationState.PUBLISHED.value
    opinion.hidden_reason = ""
    opinion.moderated_by_id = by.id
    opinion.moderated_at = now
    db.session.flush()
    return opinion


def find_by_receipt(code: str | None) -> Opinion | None:
    normalized = normalize_receipt_code(code)
    if normalized is None:
        return None
    return db.session.scalar(select(Opinion).where(Opinion.receipt_code == normalized))


def update_opinion_settings(
    draft: Draft, *, allows_anonymous_opinions: bool, moderation_mode: str, shows_opinions_publicly: bool,
) -> Draft:
    """The per-draft opinion settings chosen by staff. Changing the moderation mode
    applies to opinions sent from then on: opinions already held stay held until staff
    approve them, published ones stay published."""
    try:
        mode = ModerationMode(moderation_mode)
    except ValueError:
        message = _("请选择审核方式。")
        raise ValidationFailed(message, fields={"moderation_mode": [message]}) from None
    draft.allows_anonymous_opinions = bool(allows_anonymous_opinions)
    draft.moderation_mode = mode.value
    draft.shows_opinions_publicly = bool(shows_opinions_publicly)
    db.session.flush()
    return draft


# Form submission tokens: the web form's one-time token, namespaced so that it can never
# equal an API idempotency token ("api:<user>:<key>").
FORM_TOKEN_PREFIX = "form:"
_FORM_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_form_token() -> str:
    """A random token for one rendering of the opinion form (kept across re-renders
    of the same submission, so a double-click or a reload stores one opinion)."""
    return secrets.token_urlsafe(24)


def form_submission_token(value: str | None) -> str | None:
    """The stored submission token for a token posted by the form, or None when the
    posted value is missing or malformed (the opinion is then stored without one)."""
    if not value or not 16 <= len(value) <= 64 or not set(value) <= _FORM_TOKEN_CHARS:
        return None
    return FORM_TOKEN_PREFIX + value

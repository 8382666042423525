"""Opinions (意见建议): submission with a receipt, moderation, and withdrawal of personal
data on request."""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from participation import outbox, policies
from participation.errors import Conflict, Forbidden, IdempotencyKeyConflict, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import (
    Draft, DraftStatus, DraftVersion, ModerationMode, ModerationState, Opinion, Provision, Role, Stance,
    SubmitterCategory, User,
)
from participation.models.drafts import status_at as draft_status_at
from participation.models.provisions import COMMENTABLE_KINDS
from participation.receipts import new_receipt_code, normalize_receipt_code  # noqa: F401  (part of this service)
from participation.services import audit, notifications
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


_REFUSALS = {
    policies.CommentRefusal.NOT_OPEN_YET: lambda: Conflict(_("该草案尚未开始征求意见。")),
    policies.CommentRefusal.NOT_PUBLISHED: lambda: Conflict(_("该草案尚未发布。")),
    policies.CommentRefusal.CLOSED: lambda: Conflict(_("该草案的征求意见期已经结束。")),
    policies.CommentRefusal.SIGN_IN_REQUIRED: lambda: Forbidden(_("该草案需要登录后才能发表意见。")),
}


@dataclass(frozen=True)
class SubmissionTarget:
    """What a submission needs of a draft and of the clause it names, read in one
    statement without building ORM objects (``submission_target``). Duck-types as the
    draft for ``Draft.status_at`` and the policies."""

    draft_id: int
    published_at: datetime | None
    opens_at: datetime | None
    closes_at: datetime | None
    feedback_published_at: datetime | None
    allows_anonymous_opinions: bool
    moderation_mode: str
    version_id: int | None
    provision_key: str | None  # the key asked for; None for the whole draft
    provision_id: int | None   # None when the key names no clause of the current version
    provision_kind: str | None

    def status_at(self, now: datetime) -> DraftStatus:
        return draft_status_at(self, now)


@dataclass(frozen=True)
class StoredOpinion:
    """The answer to a submission: the opinion's id and receipt, its moderation state,
    and whether this call stored it (False: the submission token was seen before)."""

    id: int
    receipt_code: str
    moderation_state: str
    created: bool


_drafts = Draft.__table__
_versions = DraftVersion.__table__
_provisions = Provision.__table__
_opinions = Opinion.__table__
_other_versions = _versions.alias("other_versions")
_CURRENT_VERSION_NUMBER = (
    select(func.max(_other_versions.c.number)).where(_other_versions.c.draft_id == _drafts.c.id)
    .correlate(_drafts).scalar_subquery()
)
_TARGET_QUERY = (
    select(_drafts.c.id, _drafts.c.published_at, _drafts.c.opens_at, _drafts.c.closes_at,
           _drafts.c.feedback_published_at, _drafts.c.allows_anonymous_opinions, _drafts.c.moderation_mode,
           _versions.c.id, _provisions.c.id, _provisions.c.kind)
    .select_from(
        _drafts
        .outerjoin(_versions, and_(_versions.c.draft_id == _drafts.c.id,
                                   _versions.c.number == _CURRENT_VERSION_NUMBER))
        .outerjoin(_provisions, and_(_provisions.c.version_id == _versions.c.id,
                                     _provisions.c.key == bindparam("provision_key")))
    )
    .where(_drafts.c.id == bindparam("draft_id"))
)
_BY_SUBMISSION_TOKEN = select(
    _opinions.c.id, _opinions.c.receipt_code, _opinions.c.moderation_state, _opinions.c.draft_id,
    _opinions.c.author_id, _opinions.c.submission_fingerprint,
).where(_opinions.c.submission_token == bindparam("token"))


def submission_target(draft_id: int, provision_key: str | None) -> SubmissionTarget | None:
    """The draft (with its current version and the named clause of it) an opinion is
    sent to, or None when there is no such draft. Reads through the session's
    connection: flush first if the draft was changed in this session."""
    key = provision_key or None
    row = db.session.connection().execute(
        _TARGET_QUERY, {"draft_id": draft_id, "provision_key": key}
    ).first()
    if row is None:
        return None
    return SubmissionTarget(*row[:8], provision_key=key, provision_id=row[8], provision_kind=row[9])


_INSERT_OPINION_COLUMNS = [column.key for column in _opinions.c if column.key != "id"]
# ``ON CONFLICT DO NOTHING``: a taken receipt code or submission token yields no row
# instead of an error, so no savepoint is needed to keep the transaction usable
# (PostgreSQL aborts it on an error); both databases speak it. Written as text, from
# the table's own columns, because SQLAlchemy does not cache the compiled form of its
# dialect-specific ``insert().on_conflict_do_nothing()``, and compiling an INSERT of
# every column on each submission cost more than the rest of it. Every column is named,
# so column defaults are applied here (``_OPINION_DEFAULTS``).
_INSERT_OPINION = text(
    f"INSERT INTO {_opinions.name} ({', '.join(_INSERT_OPINION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _INSERT_OPINION_COLUMNS)}) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(
    *(bindparam(name, type_=_opinions.c[name].type) for name in _INSERT_OPINION_COLUMNS)
).columns(_opinions.c.id)  # typed: the result metadata is cached with the compiled form
_OPINION_DEFAULTS = {
    name: (_opinions.c[name].default.arg
           if _opinions.c[name].default is not None and _opinions.c[name].default.is_scalar else None)
    for name in _INSERT_OPINION_COLUMNS
}
# A default computed per row (a callable) cannot be taken from the table like the
# scalar ones above: submit_opinion must set such a column itself.
if {column.key for column in _opinions.c if column.default is not None and not column.default.is_scalar} - {"created_at"}:
    raise RuntimeError("submit_opinion does not fill a new column's computed default")


def request_fingerprint(draft_id: int, data: OpinionInput) -> str:
    """SHA-256 of what defines a submission: the draft and every field of ``data``,
    as canonical JSON (sorted keys, texts stripped of surrounding white space, no clause
    and an empty clause alike). Two API requests with the same fingerprint ask for the
    same opinion, however their JSON was spelt."""
    fields = {name: (value.strip() if isinstance(value, str) else value) for name, value in asdict(data).items()}
    fields["provision_key"] = fields["provision_key"] or None
    canonical = json.dumps({"draft": draft_id, **fields}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _idempotency_conflict() -> IdempotencyKeyConflict:
    return IdempotencyKeyConflict(
        _("这个 Idempotency-Key 已用于内容不同的另一个请求。重试时请原样发送第一次的请求，新的请求请换一个键。"),
        fields={"idempotency_key": [_("已用于内容不同的请求。")]})


def submit_opinion(
    draft: Draft | SubmissionTarget, data: OpinionInput, *, author, now: datetime,
    submission_token: str | None = None, fingerprint: str | None = None, channel: str = "web",
) -> StoredOpinion:
    """Send an opinion: the one use case the web form, the API, the demo and the
    tests all call. Checks ``policies.comment_refusal`` (Conflict outside the open
    period, Forbidden for a visitor where the draft wants a sign-in), the clause
    (NotFound) and every field (ValidationFailed), then stores the opinion with one
    INSERT on the session's connection and records it in the outbox
    (``participation.outbox``), in the caller's write unit. Never commits.

    ``draft``: a Draft, or the ``submission_target`` a caller read already for
    ``data.provision_key``. ``author``: a User, an API ``TokenHolder`` or None.

    ``submission_token`` (the form's one-time token, the API's "api:<user>:<key>")
    makes the call idempotent: a token seen before returns the opinion stored the first
    time (created False; even once the draft has closed) instead of a second row, and
    the unique constraint settles two concurrent retries. With a ``fingerprint``
    (``request_fingerprint``, the API's Idempotency-Key) it is stored with the opinion,
    and a token seen before with another fingerprint, or on another draft, raises
    IdempotencyKeyConflict; an opinion stored without one counts as the same request."""
    target = draft if isinstance(draft, SubmissionTarget) else _target_of(draft, data.provision_key)
    if (data.provision_key or None) != target.provision_key:
        raise ValueError("the target was read for another clause")
    signed_in = author is not None and getattr(author, "is_authenticated", False)
    author_id = author.id if signed_in else None
    connection = db.session.connection()
    if submission_token is not None:
        submission_token = submission_token[:MAX_SUBMISSION_TOKEN_LENGTH]
        existing = _stored_by_token(connection, submission_token, target, author_id, fingerprint)
        if existing is not None:
            return existing
    refusal = policies.comment_refusal(author, target, now)
    if refusal is not None:
        raise _REFUSALS[refusal]()
    if target.provision_key is not None and (
        target.provision_id is None or target.provision_kind not in COMMENTABLE_KINDS
    ):
        raise NotFound(_("草案中没有这个条款：%(key)s", key=target.provision_key),
                       fields={"provision": [_("条款不存在。")]})
    if target.version_id is None:
        raise NotFound(_("草案不存在，或尚未发布。"))  # no text: nothing to comment on
    cleaned, errors = _validate(data, author if signed_in else None)
    if errors:
        raise ValidationFailed(_("请修改标出的内容后再提交。"), fields=errors)
    state = ModerationState.PENDING if target.moderation_mode == ModerationMode.PRE.value else ModerationState.PUBLISHED
    values = dict(
        _OPINION_DEFAULTS,
        draft_id=target.draft_id, version_id=target.version_id, provision_id=target.provision_id,
        provision_key=target.provision_key, stance=cleaned["stance"].value, body=cleaned["body"],
        proposed_text=cleaned["proposed_text"], reason=cleaned["reason"], category=cleaned["category"].value,
        region=cleaned["region"], submitter_name=cleaned["submitter_name"],
        is_name_public=cleaned["is_name_public"], contact=cleaned["contact"],
        author_id=author_id,
        delegation=author.delegation if signed_in and author.role == Role.DEPUTY.value else None,
        liaison_point_id=author.liaison_point_id if signed_in and author.role == Role.OPERATOR.value else None,
        moderation_state=state.value, submission_token=submission_token,
        submission_fingerprint=fingerprint if submission_token is not None else None, created_at=now,
        channel=channel,
    )
    return _insert(connection, target, values)


def _target_of(draft: Draft, provision_key: str | None) -> SubmissionTarget:
    db.session.flush()  # the target is read through the connection
    target = submission_target(draft.id, provision_key)
    if target is None:
        raise NotFound(_("草案不存在，或尚未发布。"))
    return target


def _set_receipt(values: dict) -> None:
    receipt = values["receipt_code"] = new_receipt_code()
    author_id = values["author_id"]
    values["submitter_key"] = f"u:{author_id}" if author_id is not None else f"anon:{receipt}"


def _insert(connection, target: SubmissionTarget, values: dict) -> StoredOpinion:
    token = values["submission_token"]
    for _attempt in range(5):
        _set_receipt(values)
        try:
            opinion_id = connection.execute(_INSERT_OPINION, values).scalar()
        except IntegrityError:
            # Not a unique conflict (those return no row): a foreign key, so the draft,
            # its version or the clause was deleted after it was read.
            raise NotFound(_("草案不存在，或尚未发布。")) from None
        if opinion_id is not None:
            outbox.record_opinion_stored(db.session(), opinion_id)
            return StoredOpinion(opinion_id, values["receipt_code"], values["moderation_state"], created=True)
        if token is not None:
            # A concurrent retry with the same token stored it first.
            existing = _stored_by_token(connection, token, target, values["author_id"],
                                        values["submission_fingerprint"])
            if existing is not None:
                return existing
        # Otherwise a receipt code collided (60 random bits: practically never); retry.
    raise RuntimeError("could not allocate a unique receipt code")


def _stored_by_token(connection, token: str, target: SubmissionTarget, author_id: int | None,
                     fingerprint: str | None = None) -> StoredOpinion | None:
    row = connection.execute(_BY_SUBMISSION_TOKEN, {"token": token}).first()
    if row is None:
        return None
    opinion_id, receipt, state, draft_id, stored_author_id, stored_fingerprint = row
    if draft_id != target.draft_id or stored_author_id != author_id:
        if fingerprint is not None:
            raise _idempotency_conflict()
        raise Conflict(_("这个提交标识已用于另一条意见。"), fields={"idempotency_key": [_("已被使用。")]})
    if fingerprint is not None and stored_fingerprint is not None and stored_fingerprint != fingerprint:
        raise _idempotency_conflict()
    return StoredOpinion(opinion_id, receipt, state, created=False)


def _check_reason(reason: str) -> str:
    reason = clean_text(reason, multiline=False)
    if not reason:
        raise ValidationFailed(_("请填写屏蔽理由。"), fields={"reason": [_("请填写屏蔽理由。")]})
    if len(reason) > MAX_HIDDEN_REASON_LENGTH:
        message = _("不能超过 %(limit)d 个字。", limit=MAX_HIDDEN_REASON_LENGTH)
        raise ValidationFailed(message, fields={"reason": [message]})
    return reason


_MODERATION_FIELDS = ("moderation_state", "hidden_reason")


def _record_moderation(action: str, opinion: Opinion, before: dict, by: User, now: datetime) -> None:
    audit.record_change(action, actor=by, object_type="opinion", object_id=opinion.id, before=before,
                        after=audit.snapshot(opinion, _MODERATION_FIELDS), now=now, draft_id=opinion.draft_id)


def hide_opinion(opinion: Opinion, *, reason: str, by: User, now: datetime) -> Opinion:
    """Hide an opinion from public pages. It stays stored, counted as hidden."""
    before = audit.snapshot(opinion, _MODERATION_FIELDS)
    opinion.hidden_reason = _check_reason(reason)
    opinion.moderation_state = ModerationState.HIDDEN.value
    opinion.moderated_by_id = by.id
    opinion.moderated_at = now
    _record_moderation("opinion.hide", opinion, before, by, now)
    db.session.flush()
    notifications.notify_opinion_hidden(opinion, now=now)
    return opinion


def publish_opinion(opinion: Opinion, *, by: User, now: datetime) -> Opinion:
    """Approve a held opinion, or show a hidden one again."""
    if opinion.moderation_state == ModerationState.PUBLISHED.value:
        return opinion
    before = audit.snapshot(opinion, _MODERATION_FIELDS)
    opinion.moderation_state = ModerationState.PUBLISHED.value
    opinion.hidden_reason = ""
    opinion.moderated_by_id = by.id
    opinion.moderated_at = now
    _record_moderation("opinion.publish", opinion, before, by, now)
    db.session.flush()
    return opinion


def find_by_receipt(code: str | None) -> Opinion | None:
    normalized = normalize_receipt_code(code)
    if normalized is None:
        return None
    return db.session.scalar(select(Opinion).where(Opinion.receipt_code == normalized))


_SETTINGS_FIELDS = ("allows_anonymous_opinions", "moderation_mode", "shows_opinions_publicly")


def update_opinion_settings(
    draft: Draft, *, allows_anonymous_opinions: bool, moderation_mode: str, shows_opinions_publicly: bool,
    by: User | None = None,
) -> Draft:
    """The per-draft opinion settings chosen by staff. Changing the moderation mode
    applies to opinions sent from then on: opinions already held stay held until staff
    approve them, published ones stay published."""
    try:
        mode = ModerationMode(moderation_mode)
    except ValueError:
        message = _("请选择审核方式。")
        raise ValidationFailed(message, fields={"moderation_mode": [message]}) from None
    before = audit.snapshot(draft, _SETTINGS_FIELDS)
    draft.allows_anonymous_opinions = bool(allows_anonymous_opinions)
    draft.moderation_mode = mode.value
    draft.shows_opinions_publicly = bool(shows_opinions_publicly)
    audit.record_change("draft.opinion_settings", actor=by, object_type="draft", object_id=draft.id, before=before,
                        after=audit.snapshot(draft, _SETTINGS_FIELDS), draft_id=draft.id)
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

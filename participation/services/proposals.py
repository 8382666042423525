"""立法项目建议: submission with a receipt (web form, API, liaison batches, demo),
moderation, assignment to staff, lookup by receipt. The same rules as opinions
(``services.opinions``): one row per submission token, receipt codes of the same form,
contact details for staff only."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from participation import policies
from participation.errors import Conflict, Forbidden, IdempotencyKeyConflict, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import ModerationMode, ModerationState, PlanCall, Proposal, ProposerCategory, Role, User
from participation.receipts import new_receipt_code, normalize_receipt_code
from participation.services import attachments as attachment_files
from participation.services import audit
from participation.text import clean_text

MAX_TITLE_LENGTH = 100
MAX_TEXT_LENGTH = 10000
MAX_NAME_LENGTH = 50
MAX_UNIT_LENGTH = 200
MAX_REGION_LENGTH = 100
MAX_CONTACT_LENGTH = 200
MAX_MOTION_NUMBER_LENGTH = 50
MAX_HIDDEN_REASON_LENGTH = 500
MAX_SUBMISSION_TOKEN_LENGTH = 120

#: Categories a proposer may choose; deputies and liaison-point operators have theirs
#: fixed by their account.
SELF_CHOSEN_CATEGORIES = (
    ProposerCategory.CITIZEN, ProposerCategory.ORGANISATION, ProposerCategory.GOVERNMENT, ProposerCategory.EXPERT,
)
#: Categories that speak for a body: the unit is required.
CATEGORIES_NEEDING_UNIT = frozenset({ProposerCategory.ORGANISATION.value, ProposerCategory.GOVERNMENT.value})


@dataclass
class ProposalInput:
    """What a proposer sends (the API's ``proposer`` object flattened)."""

    title: str
    necessity: str
    problems: str = ""
    measures: str = ""
    area: str = ""
    category: str | None = None
    submitter_name: str = ""
    unit: str = ""
    region: str = ""
    contact: str = ""
    is_name_public: bool = False
    motion_number: str = ""


@dataclass(frozen=True)
class StoredProposal:
    id: int
    receipt_code: str
    moderation_state: str
    created: bool


@dataclass
class CheckedProposal:
    """The cleaned fields of a proposal (what ``check_fields`` returns)."""

    values: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def category_for(user) -> ProposerCategory | None:
    """The category fixed by an account, or None when the proposer chooses."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.role == Role.DEPUTY.value:
        return ProposerCategory.DEPUTY
    if user.role == Role.OPERATOR.value:
        return ProposerCategory.LIAISON_POINT
    return None


def _category_label(value: str) -> str:
    from participation import labels

    return labels.label(labels.PROPOSER_CATEGORY, value)


def check_fields(call: PlanCall, data: ProposalInput, *, fixed_category: ProposerCategory | None,
                 any_category: bool = False) -> CheckedProposal:
    """Clean and check every field. ``fixed_category``: the account's; ``any_category``:
    any of the six is acceptable (liaison-point batches name their speakers' categories).
    Errors are keyed by the ``ProposalInput`` field names."""
    result = CheckedProposal()
    errors = result.errors

    def fail(name, message):
        errors.setdefault(name, []).append(message)

    title = clean_text(data.title or "", multiline=False)
    texts = {name: clean_text(getattr(data, name) or "", multiline=True)
             for name in ("necessity", "problems", "measures")}
    short = {name: clean_text(getattr(data, name) or "", multiline=False)
             for name in ("area", "submitter_name", "unit", "region", "contact", "motion_number")}
    if not title:
        fail("title", _("请填写项目名称。"))
    if not texts["necessity"]:
        fail("necessity", _("请填写立法的必要性和可行性。"))
    for name, value, limit in (
        ("title", title, MAX_TITLE_LENGTH), ("necessity", texts["necessity"], MAX_TEXT_LENGTH),
        ("problems", texts["problems"], MAX_TEXT_LENGTH), ("measures", texts["measures"], MAX_TEXT_LENGTH),
        ("submitter_name", short["submitter_name"], MAX_NAME_LENGTH), ("unit", short["unit"], MAX_UNIT_LENGTH),
        ("region", short["region"], MAX_REGION_LENGTH), ("contact", short["contact"], MAX_CONTACT_LENGTH),
        ("motion_number", short["motion_number"], MAX_MOTION_NUMBER_LENGTH),
    ):
        if len(value) > limit:
            fail(name, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(value)))
    if short["area"] and call.focus_areas and short["area"] not in call.focus_areas:
        fail("area", _("请从本次征集的重点领域中选择：%(areas)s。", areas="、".join(call.focus_areas)))
    if len(short["area"]) > 50:
        fail("area", _("不能超过 %(limit)d 个字。", limit=50))
    if fixed_category is not None:
        if data.category not in (None, "", fixed_category.value):
            fail("category", _("您的账户只能以“%(category)s”身份提交。",
                               category=_category_label(fixed_category.value)))
        category = fixed_category.value
    else:
        category = data.category or ProposerCategory.CITIZEN.value
        allowed = [c.value for c in (ProposerCategory if any_category else SELF_CHOSEN_CATEGORIES)]
        if category not in allowed:
            fail("category", _("请选择提出人类别。"))
    if category in CATEGORIES_NEEDING_UNIT and not short["unit"]:
        fail("unit", _("单位、政府部门提出建议时请填写单位名称。"))
    if short["motion_number"] and category != ProposerCategory.DEPUTY.value:
        fail("motion_number", _("只有人大代表的建议可以注明所依据的议案或建议编号。"))
    if data.is_name_public and not (short["submitter_name"] or short["unit"]):
        fail("submitter_name", _("选择公开姓名时请填写姓名或单位。"))
    result.values = {
        "title": title, **texts, **short, "category": category,
        "is_name_public": bool(data.is_name_public and (short["submitter_name"] or short["unit"])),
    }
    return result


def request_fingerprint(call_id: int, data: ProposalInput, attachment_digests: tuple[str, ...] = ()) -> str:
    """SHA-256 of what defines an API submission (as ``opinions.request_fingerprint``)."""
    fields = {name: (value.strip() if isinstance(value, str) else value) for name, value in asdict(data).items()}
    canonical = json.dumps({"call": call_id, **fields, "attachments": list(attachment_digests)},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_REFUSALS = {
    policies.ProposalRefusal.NOT_PUBLISHED: lambda: NotFound(_("征集公告不存在。")),
    policies.ProposalRefusal.NOT_OPEN_YET: lambda: Conflict(_("该征集尚未开始。")),
    policies.ProposalRefusal.CLOSED: lambda: Conflict(_("该征集已经截止。")),
    policies.ProposalRefusal.SIGN_IN_REQUIRED: lambda: Forbidden(_("该征集需要登录后才能提出建议。")),
}


def _by_token(token: str) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.submission_token == token))


def _existing(token: str, call: PlanCall, author_id: int | None, fingerprint: str | None) -> StoredProposal | None:
    proposal = _by_token(token)
    if proposal is None:
        return None
    if proposal.call_id != call.id or proposal.author_id != author_id:
        if fingerprint is not None:
            raise _idempotency_conflict()
        raise Conflict(_("这个提交标识已用于另一件建议。"), fields={"idempotency_key": [_("已被使用。")]})
    if fingerprint is not None and proposal.submission_fingerprint not in (None, fingerprint):
        raise _idempotency_conflict()
    return StoredProposal(proposal.id, proposal.receipt_code, proposal.moderation_state, created=False)


def _idempotency_conflict() -> IdempotencyKeyConflict:
    return IdempotencyKeyConflict(
        _("这个 Idempotency-Key 已用于内容不同的另一个请求。重试时请原样发送第一次的请求，新的请求请换一个键。"),
        fields={"idempotency_key": [_("已用于内容不同的请求。")]})


def submit_proposal(
    call: PlanCall, data: ProposalInput, *, author, now: datetime, attachments: list | None = None,
    submission_token: str | None = None, fingerprint: str | None = None, channel: str = "web",
) -> StoredProposal:
    """Send a proposal: the one use case of the web form, the API and the demo. Checks
    ``policies.proposal_refusal``, every field and every attachment
    (``services.attachments.check``) before anything is stored; then the proposal row,
    its attachments' rows and files, in the caller's write unit. Never commits.

    ``attachments``: ``attachments.Upload`` objects. ``submission_token`` makes the call
    idempotent as for opinions: a token seen before returns the first proposal."""
    signed_in = author is not None and getattr(author, "is_authenticated", False)
    author_id = author.id if signed_in else None
    if submission_token is not None:
        submission_token = submission_token[:MAX_SUBMISSION_TOKEN_LENGTH]
        existing = _existing(submission_token, call, author_id, fingerprint)
        if existing is not None:
            return existing
    refusal = policies.proposal_refusal(author, call, now)
    if refusal is not None:
        raise _REFUSALS[refusal]()
    checked = check_fields(call, data, fixed_category=category_for(author if signed_in else None))
    files = []
    try:
        files = [attachment_files.check(upload) for upload in (attachments or [])]
    except ValidationFailed as error:
        checked.errors.setdefault("attachment", []).extend(error.fields.get("attachment", [error.message]))
    if len(files) > attachment_files.MAX_FILES_PER_PROPOSAL:
        checked.errors.setdefault("attachment", []).append(
            _("最多附 %(count)d 个文件。", count=attachment_files.MAX_FILES_PER_PROPOSAL))
    if checked.errors:
        raise ValidationFailed(_("请修改标出的内容后再提交。"), fields=checked.errors)
    state = ModerationState.PENDING if call.moderation_mode == ModerationMode.PRE.value else ModerationState.PUBLISHED
    proposal = Proposal(
        call_id=call.id, **checked.values, author_id=author_id,
        liaison_point_id=author.liaison_point_id if signed_in and author.role == Role.OPERATOR.value else None,
        channel=channel, moderation_state=state.value, submission_token=submission_token,
        submission_fingerprint=fingerprint if submission_token is not None else None, created_at=now,
    )
    stored = _insert(proposal, call, author_id, fingerprint)
    if stored.created:
        for checked_file in files:
            attachment_files.store(proposal, checked_file, now=now)
        db.session.flush()
    return stored


def _insert(proposal: Proposal, call: PlanCall, author_id: int | None, fingerprint: str | None) -> StoredProposal:
    for _attempt in range(5):
        proposal.receipt_code = new_receipt_code()
        try:
            with db.session.begin_nested():
                db.session.add(proposal)
                db.session.flush()
        except IntegrityError:
            if proposal.submission_token is not None:
                existing = _existing(proposal.submission_token, call, author_id, fingerprint)
                if existing is not None:
                    return existing
            if db.session.get(PlanCall, call.id) is None:
                raise NotFound(_("征集公告不存在。")) from None
            continue  # a receipt code collided (practically never): draw another
        return StoredProposal(proposal.id, proposal.receipt_code, proposal.moderation_state, created=True)
    raise RuntimeError("could not allocate a unique receipt code")


def find_by_receipt(code: str | None) -> Proposal | None:
    normalized = normalize_receipt_code(code)
    if normalized is None:
        return None
    return db.session.scalar(select(Proposal).where(Proposal.receipt_code == normalized))


# -- moderation --------------------------------------------------------------------

_MODERATION_FIELDS = ("moderation_state", "hidden_reason")


def _check_hidden_reason(reason: str) -> str:
    reason = clean_text(reason or "", multiline=False)
    if not reason:
        raise ValidationFailed(_("请填写屏蔽理由。"), fields={"reason": [_("请填写屏蔽理由。")]})
    if len(reason) > MAX_HIDDEN_REASON_LENGTH:
        message = _("不能超过 %(limit)d 个字。", limit=MAX_HIDDEN_REASON_LENGTH)
        raise ValidationFailed(message, fields={"reason": [message]})
    return reason


def hide_proposal(proposal: Proposal, *, reason: str, by: User, now: datetime) -> Proposal:
    """Hide a proposal from public pages; it stays stored and is still classified."""
    before = audit.snapshot(proposal, _MODERATION_FIELDS)
    proposal.hidden_reason = _check_hidden_reason(reason)
    proposal.moderation_state = ModerationState.HIDDEN.value
    proposal.moderated_by_id = by.id
    proposal.moderated_at = now
    audit.record_change("proposal.hide", actor=by, object_type="proposal", object_id=proposal.id, before=before,
                        after=audit.snapshot(proposal, _MODERATION_FIELDS), now=now)
    db.session.flush()
    return proposal


def publish_proposal(proposal: Proposal, *, by: User, now: datetime) -> Proposal:
    """Approve a held proposal, or show a hidden one again."""
    if proposal.moderation_state == ModerationState.PUBLISHED.value:
        return proposal
    before = audit.snapshot(proposal, _MODERATION_FIELDS)
    proposal.moderation_state = ModerationState.PUBLISHED.value
    proposal.hidden_reason = ""
    proposal.moderated_by_id = by.id
    proposal.moderated_at = now
    audit.record_change("proposal.publish", actor=by, object_type="proposal", object_id=proposal.id, before=before,
                        after=audit.snapshot(proposal, _MODERATION_FIELDS), now=now)
    db.session.flush()
    return proposal


def assign_proposals(proposals: list[Proposal], assignee: User | None, *, by: User, now: datetime) -> int:
    """承办: make ``assignee`` (staff; None to clear) answer for these proposals. The
    number changed."""
    if assignee is not None and not policies.is_staff(assignee):
        raise ValidationFailed(_("只能交由法工委工作人员承办。"), fields={"assignee": [_("请选择工作人员。")]})
    new_id = assignee.id if assignee is not None else None
    changed = [p for p in proposals if p.assignee_id != new_id]
    if not changed:
        return 0
    old_ids = {p.id: p.assignee_id for p in changed}
    db.session.execute(update(Proposal).where(Proposal.id.in_([p.id for p in changed]))
                       .values(assignee_id=new_id).execution_options(synchronize_session="fetch"))
    for proposal in changed:
        audit.record("proposal.assign", actor=by, object_type="proposal", object_id=proposal.id,
                     old={"assignee_id": old_ids[proposal.id]}, new={"assignee_id": new_id}, now=now)
    db.session.flush()
    return len(changed)

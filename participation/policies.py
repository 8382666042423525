"""Access rules: the one place that decides who may do what to which object.

Every view and API endpoint asks these functions; templates only receive the flags the
views computed here. Anonymous users are Flask-Login's AnonymousUserMixin
(``is_authenticated`` False).
"""
from __future__ import annotations

import enum
from datetime import datetime
from enum import Enum

from participation.models import ApiToken, Draft, DraftStatus, Role, User

# Roles a staff member may create or manage; only administrators manage staff and admins.
STAFF_MANAGEABLE_ROLES = frozenset({Role.CITIZEN, Role.DEPUTY, Role.OPERATOR})


def _role(user) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Role(user.role)


def is_staff(user) -> bool:
    return _role(user) in (Role.STAFF, Role.ADMIN)


def is_admin(user) -> bool:
    return _role(user) == Role.ADMIN


def can_manage_drafts(user) -> bool:
    """Import, edit, publish, extend and close drafts."""
    return is_staff(user)


def can_view_draft(user, draft: Draft, now: datetime) -> bool:
    """Published drafts are public; unpublished ones only for staff."""
    if draft.status_at(now) != DraftStatus.DRAFT:
        return True
    return is_staff(user)


def can_read_audit_log(user) -> bool:
    """The whole 操作记录 (every person's actions): administrators only. Staff see an
    opinion's own history on its staff page (``can_moderate_opinions``)."""
    return is_admin(user)


def can_manage_jobs(user) -> bool:
    """The list of every background job (and retrying a failed one): administrators,
    who run the consumer. A job's own status page is its creator's (exports)."""
    return is_admin(user)


def can_manage_liaison_points(user) -> bool:
    return is_staff(user)


def can_list_accounts(user) -> bool:
    return is_staff(user)


def can_create_account(user, role: Role) -> bool:
    if is_admin(user):
        return True
    return is_staff(user) and role in STAFF_MANAGEABLE_ROLES


def can_manage_account(user, target: User) -> bool:
    """Edit, disable, reset the password of, or issue tokens for another account."""
    if is_admin(user):
        return True
    return is_staff(user) and Role(target.role) in STAFF_MANAGEABLE_ROLES


def can_disable_account(user, target: User) -> bool:
    # Nobody disables their own account: an administrator could lock everyone out.
    return can_manage_account(user, target) and user.id != target.id


def can_unlock_sign_in(user, target: User) -> bool:
    """Clear an account's sign-in throttle: whoever manages the account."""
    return can_manage_account(user, target)


def can_issue_token(user, target: User) -> bool:
    if _role(user) is None:
        return False
    return user.id == target.id or can_manage_account(user, target)


def can_revoke_token(user, token: ApiToken) -> bool:
    if _role(user) is None:
        return False
    return token.user_id == user.id or can_manage_account(user, token.user)


# --- Accounts area (account and admin pages) ----------------------------------------

def can_view_account(user, target: User) -> bool:
    """The administration page of an account; what may be done there is decided by
    can_manage_account and the others."""
    return can_list_accounts(user)


def can_set_password(user, target: User) -> bool:
    """Set a new password without knowing the old one. One's own password is changed on
    the account page, which asks for the current password."""
    return can_manage_account(user, target) and user.id != target.id


# --- API ----------------------------------------------------------------------------

def can_list_unpublished_drafts(user) -> bool:
    """Unpublished drafts appear in listings (the API's /drafts) only for staff."""
    return is_staff(user)


# --- Search (search/) ------------------------------------------------------------------

def can_search_all_opinions(user) -> bool:
    """Search sees pending and hidden opinions, and drafts not yet published or whose
    opinions are not shown publicly (and may filter by moderation state)."""
    return is_staff(user)


# --- Opinions: tallies and public listings (API and pages alike) ---------------------

def can_view_tally(user, draft: Draft, now: datetime) -> bool:
    """意见统计 (counts only, nothing personal): public as soon as the draft is
    published; staff also see unpublished drafts."""
    return can_view_draft(user, draft, now)


def can_list_published_opinions(user, draft: Draft, now: datetime) -> bool:
    """Read the published opinions on a draft's clauses: when the draft shows opinions
    publicly; staff always. Never contact details, and a name only when its submitter
    chose to publish it, whoever reads."""
    if not can_view_draft(user, draft, now):
        return False
    return draft.shows_opinions_publicly or is_staff(user)


# --- Opinions: submission, moderation, duty records (web pages) ---------------------

class CommentRefusal(enum.Enum):
    """Why an opinion on a draft is not accepted (``comment_refusal``)."""

    NOT_PUBLISHED = "not_published"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    SIGN_IN_REQUIRED = "sign_in_required"


def comment_refusal(user, draft, now: datetime) -> CommentRefusal | None:
    """Why ``user`` may not send an opinion on ``draft`` at ``now``, or None. The
    period comes first: only an open draft takes opinions; then anyone signed in
    may, and visitors where the draft allows anonymous opinions. ``draft`` is a Draft
    or anything with its dates and ``allows_anonymous_opinions`` (the submission
    service's ``SubmissionTarget``); ``user`` a User, an API ``TokenHolder`` or None."""
    status = draft.status_at(now)
    if status != DraftStatus.OPEN:
        return {DraftStatus.DRAFT: CommentRefusal.NOT_PUBLISHED,
                DraftStatus.SCHEDULED: CommentRefusal.NOT_OPEN_YET}.get(status, CommentRefusal.CLOSED)
    if _role(user) is None and not draft.allows_anonymous_opinions:
        return CommentRefusal.SIGN_IN_REQUIRED
    return None


def can_comment(user, draft, now: datetime) -> bool:
    """Who may send an opinion on a draft now (``comment_refusal`` says why not)."""
    return comment_refusal(user, draft, now) is None


def can_moderate_opinions(user) -> bool:
    """Read every opinion with its contact details, approve, hide and show again."""
    return is_staff(user)


def can_dispose_opinions(user) -> bool:
    """Record what became of opinions (处理情况): one at a time, in bulk, by spreadsheet,
    on the pages and through the API. Staff and administrators only, never operators or
    deputies."""
    return is_staff(user)


def can_manage_assignments(user) -> bool:
    """Assign a draft's clauses to staff members (承办) and keep its reply templates."""
    return is_staff(user)


def can_view_tally_details(user) -> bool:
    """Pending and hidden counts on the tally page (the public sees the counts that the
    API gives: opinions received, by stance and by category)."""
    return is_staff(user)


def can_view_duty_record(user, target: User) -> bool:
    """履职记录: a deputy's opinions, for the deputy and for staff."""
    if target.role != Role.DEPUTY.value or _role(user) is None:
        return False
    return user.id == target.id or is_staff(user)


def can_view_own_opinions(user) -> bool:
    """我的意见: every signed-in account has its own list (it is never another's)."""
    return _role(user) is not None


def can_read_notification(user, notification) -> bool:
    """站内消息 are read only by the person they were sent to."""
    return _role(user) is not None and notification.user_id == user.id


# --- Liaison-point batches (报送意见, issue 4) -------------------------------------------

# --- 关注 and notification settings (issue 16) --------------------------------------------

def can_follow_draft(user, draft: Draft, now: datetime) -> bool:
    """Any account follows a published draft (scheduled, open, closed or with feedback)."""
    return _role(user) is not None and draft.status_at(now) != DraftStatus.DRAFT


def can_subscribe_by_email(draft: Draft, now: datetime) -> bool:
    """Anyone, signed in or not, may ask to follow a published draft by email (the
    address then confirms by a link before anything else is sent)."""
    return draft.status_at(now) != DraftStatus.DRAFT


def can_choose_notifications(user) -> bool:
    """Every account sets its own channels per event."""
    return _role(user) is not None


def _is_operator_of(user, point_id: int) -> bool:
    return _role(user) == Role.OPERATOR and user.liaison_point_id is not None and user.liaison_point_id == point_id


def can_open_batches(user) -> bool:
    """The 报送意见 area: a point's operators (their own point) and staff (every point)."""
    role = _role(user)
    if role == Role.OPERATOR:
        return user.liaison_point_id is not None
    return is_staff(user)


def can_view_batches(user, point) -> bool:
    """A liaison point's batches and their rows (with the speakers' names): its own
    operators and staff; nobody else, not even another point's operators."""
    return _is_operator_of(user, point.id) or is_staff(user)


def point_takes_batches(point) -> bool:
    """A deactivated point takes no new batches (its old ones stay readable)."""
    return bool(point.is_active)


def can_submit_batch(user, point) -> bool:
    """Upload a batch for ``point``: its own operators, or staff on its behalf (代为录入,
    recorded as such). A deactivated point takes no new batches."""
    if not point_takes_batches(point):
        return False
    return _is_operator_of(user, point.id) or is_staff(user)


def can_enter_late_batch(user) -> bool:
    """Enter a batch after the comment period closed, giving a reason: staff only (the
    forum was held in time, the table came late)."""
    return is_staff(user)


def can_view_batch(user, batch) -> bool:
    return _is_operator_of(user, batch.liaison_point_id) or is_staff(user)


class BatchRefusal(Enum):
    """Why a draft takes no batch for a point now (``batch_refusal``)."""

    POINT_INACTIVE = "point_inactive"
    LATE_REASON_MISSING = "late_reason_missing"
    CLOSED = "closed"
    FEEDBACK = "feedback"
    SCHEDULED = "scheduled"
    UNPUBLISHED = "unpublished"


def batch_refusal(user, point, draft: Draft, now: datetime, *, late_reason: str) -> BatchRefusal | None:
    """Whether ``point`` may hand in a batch for ``draft`` now, entered by ``user``: None
    when it may, else why not. A deactivated point takes no batches. Operators hand in
    while the comment period is open, like everybody; staff may enter a batch after it
    closed (``can_enter_late_batch``), giving a reason. Whether ``user`` may submit for
    ``point`` at all is ``can_submit_batch``, asked first by the views."""
    if not point_takes_batches(point):
        return BatchRefusal.POINT_INACTIVE
    status = draft.status_at(now)
    if status == DraftStatus.OPEN:
        return None
    if status == DraftStatus.CLOSED:
        if not can_enter_late_batch(user):
            return BatchRefusal.CLOSED
        return None if late_reason else BatchRefusal.LATE_REASON_MISSING
    if status == DraftStatus.FEEDBACK:
        return BatchRefusal.FEEDBACK
    if status == DraftStatus.SCHEDULED:
        return BatchRefusal.SCHEDULED
    return BatchRefusal.UNPUBLISHED


def is_late_batch(draft: Draft, now: datetime) -> bool:
    """A batch accepted now is late (and records its late reason) unless the comment
    period is open."""
    return draft.status_at(now) != DraftStatus.OPEN


# --- The feedback report (意见采纳情况, issue 15) -------------------------------------------

def _feedback_published(draft) -> bool:
    return draft.feedback_published_at is not None


def can_view_tally_dispositions(user, draft: Draft) -> bool:
    """The counts by disposition: staff may revise dispositions until the report is
    published, so others see them only from then on."""
    return is_staff(user) or _feedback_published(draft)


def can_edit_feedback_report(user) -> bool:
    """Write the introduction and the sections of a draft's report (staff, admins)."""
    return is_staff(user)


def can_publish_feedback(user) -> bool:
    """Publish a draft's report; the service refuses a draft that is not closed, or
    published already."""
    return is_staff(user)


def can_view_feedback_report(user, draft: Draft) -> bool:
    """The public report once published; staff may preview it before."""
    return _feedback_published(draft) or is_staff(user)


# --- 统计概览 (the leadership overview) ------------------------------------------------

def can_view_overview(user) -> bool:
    """The figures across every draft (page, its Excel, the API): staff and admins.
    They count opinions not yet published and name liaison points that sent nothing."""
    return is_staff(user)


# --- Exports (意见汇总表, issue 16) ----------------------------------------------------

def can_export_opinions(user) -> bool:
    """Export a draft's opinions (Excel with contact details, the Word 意见汇总表), on the
    pages and through the API, and read them as JSON (``/api/v1/drafts/<id>/opinions``):
    staff and administrators only."""
    return is_staff(user)


def can_download_job(user, job) -> bool:
    """A job's status and its file: the staff member who asked for it, and
    administrators; nobody else, not even other staff (an export holds contact details
    chosen by someone's filter)."""
    if is_admin(user):
        return True
    return is_staff(user) and job.created_by_id is not None and job.created_by_id == user.id


# --- Legislative-plan calls (issue 17) -------------------------------------------------

def can_manage_plan_calls(user) -> bool:
    """Create, edit, publish and close calls; read every proposal with its contact
    details; moderate, assign, classify, merge; build and publish the plan."""
    return is_staff(user)


def can_view_plan_call(user, call, now: datetime) -> bool:
    """Published calls are public; unpublished ones only for staff."""
    return call.published_at is not None or is_staff(user)


class ProposalRefusal(enum.Enum):
    """Why a proposal is not accepted (``proposal_refusal``)."""

    NOT_PUBLISHED = "not_published"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    SIGN_IN_REQUIRED = "sign_in_required"


def proposal_refusal(user, call, now: datetime) -> ProposalRefusal | None:
    """Why ``user`` may not send a proposal to ``call`` now, or None: only an open call
    takes proposals; visitors only where the call allows anonymous proposals."""
    status = call.status_at(now).value
    if status != "open":
        return {"draft": ProposalRefusal.NOT_PUBLISHED,
                "scheduled": ProposalRefusal.NOT_OPEN_YET}.get(status, ProposalRefusal.CLOSED)
    if _role(user) is None and not call.allows_anonymous_proposals:
        return ProposalRefusal.SIGN_IN_REQUIRED
    return None


def can_propose(user, call, now: datetime) -> bool:
    return proposal_refusal(user, call, now) is None


def can_view_proposal(user, proposal, call, now: datetime) -> bool:
    """A proposal's public page: published proposals of a published call; staff see
    every proposal (the proposer follows theirs by receipt and on 我的意见)."""
    if is_staff(user):
        return True
    return call.published_at is not None and proposal.moderation_state == "published"


def can_download_proposal_attachment(user, proposal, call, now: datetime) -> bool:
    """法规草案建议稿: public with its published proposal; for a held or hidden
    proposal, staff only."""
    return can_view_proposal(user, proposal, call, now)


def can_view_plan(user, plan) -> bool:
    """A published annual plan is public; staff see it while they build it."""
    return plan.published_at is not None or is_staff(user)


# --- Personal information (issue 18) ----------------------------------------------------

def can_edit_privacy_policy(user) -> bool:
    return is_admin(user)


def can_erase_own_account(user) -> bool:
    """Citizens and deputies may erase their own account. Accounts that act for an
    institution (a liaison point's operator, staff, administrators) are closed by an
    administrator, who first hands their work over."""
    return _role(user) in (Role.CITIZEN, Role.DEPUTY) and user.erased_at is None


def can_handle_personal_data_of(user, target: User) -> bool:
    """An administrator exports or erases a person's data on their request (never their
    own through this path: they use their own account page)."""
    return is_admin(user) and target.id != user.id


# --- Liaison-point batches of proposals (issue 17, part api-batches) ---------------------------

def plan_call_batch_refusal(user, point, call, now: datetime, *, late_reason: str) -> BatchRefusal | None:
    """Whether ``point`` may hand in a batch of proposals for ``call`` now, entered by
    ``user`` (as ``batch_refusal`` for a draft): while the call is open; after it closed
    only staff, giving a reason."""
    if not point_takes_batches(point):
        return BatchRefusal.POINT_INACTIVE
    status = call.status_at(now).value
    if status == "open":
        return None
    if status == "closed":
        if not can_enter_late_batch(user):
            return BatchRefusal.CLOSED
        return None if late_reason else BatchRefusal.LATE_REASON_MISSING
    if status == "scheduled":
        return BatchRefusal.SCHEDULED
    return BatchRefusal.UNPUBLISHED


def is_late_call_batch(call, now: datetime) -> bool:
    return call.status_at(now).value != "open"

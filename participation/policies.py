"""Access rules: the one place that decides who may do what to which object.

Every view and API endpoint asks these functions; templates only receive the flags the
views computed here. Anonymous users are Flask-Login's AnonymousUserMixin
(``is_authenticated`` False).
"""
from __future__ import annotations

from datetime import datetime

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

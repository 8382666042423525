"""Every access rule of the accounts area as a matrix: actor role × target → allowed.

The expectations are written out by hand (not derived from the rules) so that a change
to a rule shows up here as a deliberate edit of the table.
"""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation import policies
from participation.models import ApiToken, Role, User

ACTORS = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")
TARGETS = ("self", "citizen", "deputy", "operator", "staff", "admin")


def person(role: str, user_id: int) -> User:
    return User(id=user_id, role=role, email=f"{role}{user_id}@example.org", is_enabled=True, session_nonce="n")


def actor(name: str):
    return AnonymousUserMixin() if name == "anonymous" else person(name, 1)


def target(name: str, acting) -> User:
    if name == "self":
        return acting if acting.is_authenticated else person("citizen", 1)
    return person(name, 2)


def table(rows: str) -> dict[tuple[str, str], bool]:
    """Rows of 'actor: six marks' (Y allowed, . refused), one mark per target in TARGETS."""
    result = {}
    for line in rows.strip().splitlines():
        who, marks = line.split(":")
        marks = marks.split()
        assert len(marks) == len(TARGETS)
        for target_name, mark in zip(TARGETS, marks):
            result[(who.strip(), target_name)] = mark == "Y"
    return result


#                         self citizen deputy operator staff admin
MANAGE_ACCOUNT = table("""
anonymous: .    .       .      .        .     .
citizen:   .    .       .      .        .     .
deputy:    .    .       .      .        .     .
operator:  .    .       .      .        .     .
staff:     .    Y       Y      Y        .     .
admin:     Y    Y       Y      Y        Y     Y
""")

DISABLE_ACCOUNT = table("""
anonymous: .    .       .      .        .     .
citizen:   .    .       .      .        .     .
deputy:    .    .       .      .        .     .
operator:  .    .       .      .        .     .
staff:     .    Y       Y      Y        .     .
admin:     .    Y       Y      Y        Y     Y
""")

SET_PASSWORD = DISABLE_ACCOUNT  # same shape: manageable, and never oneself

VIEW_ACCOUNT = table("""
anonymous: .    .       .      .        .     .
citizen:   .    .       .      .        .     .
deputy:    .    .       .      .        .     .
operator:  .    .       .      .        .     .
staff:     Y    Y       Y      Y        Y     Y
admin:     Y    Y       Y      Y        Y     Y
""")

ISSUE_TOKEN = table("""
anonymous: .    .       .      .        .     .
citizen:   Y    .       .      .        .     .
deputy:    Y    .       .      .        .     .
operator:  Y    .       .      .        .     .
staff:     Y    Y       Y      Y        .     .
admin:     Y    Y       Y      Y        Y     Y
""")

# The token belongs to the target.
REVOKE_TOKEN = ISSUE_TOKEN

CASES = [(a, t) for a in ACTORS for t in TARGETS]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_manage_account(actor_name, target_name):
    who = actor(actor_name)
    assert policies.can_manage_account(who, target(target_name, who)) is MANAGE_ACCOUNT[(actor_name, target_name)]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_disable_account(actor_name, target_name):
    who = actor(actor_name)
    assert policies.can_disable_account(who, target(target_name, who)) is DISABLE_ACCOUNT[(actor_name, target_name)]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_set_password(actor_name, target_name):
    who = actor(actor_name)
    assert policies.can_set_password(who, target(target_name, who)) is SET_PASSWORD[(actor_name, target_name)]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_view_account(actor_name, target_name):
    who = actor(actor_name)
    assert policies.can_view_account(who, target(target_name, who)) is VIEW_ACCOUNT[(actor_name, target_name)]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_issue_token(actor_name, target_name):
    who = actor(actor_name)
    assert policies.can_issue_token(who, target(target_name, who)) is ISSUE_TOKEN[(actor_name, target_name)]


@pytest.mark.parametrize("actor_name,target_name", CASES)
def test_can_revoke_token(actor_name, target_name):
    who = actor(actor_name)
    owner = target(target_name, who)
    token = ApiToken(id=9, user_id=owner.id, prefix="lpp_x", token_digest="d")
    token.user = owner
    assert policies.can_revoke_token(who, token) is REVOKE_TOKEN[(actor_name, target_name)]


# actor → roles it may create, in the order citizen deputy operator staff admin
CREATE_ACCOUNT = {
    "anonymous": ".....",
    "citizen": ".....",
    "deputy": ".....",
    "operator": ".....",
    "staff": "YYY..",
    "admin": "YYYYY",
}


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("role", list(Role))
def test_can_create_account(actor_name, role):
    expected = CREATE_ACCOUNT[actor_name][list(Role).index(role)] == "Y"
    assert policies.can_create_account(actor(actor_name), role) is expected


STAFF_ONLY = {"anonymous": False, "citizen": False, "deputy": False, "operator": False, "staff": True, "admin": True}


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("rule", ["can_list_accounts", "can_manage_liaison_points", "is_staff"])
def test_staff_only_rules(actor_name, rule):
    assert getattr(policies, rule)(actor(actor_name)) is STAFF_ONLY[actor_name]


@pytest.mark.parametrize("actor_name", ACTORS)
def test_is_admin(actor_name):
    assert policies.is_admin(actor(actor_name)) is (actor_name == "admin")


def test_none_is_anonymous():
    someone = person("citizen", 2)
    assert not policies.is_staff(None)
    assert not policies.can_list_accounts(None)
    assert not policies.can_issue_token(None, someone)
    assert not policies.can_manage_account(None, someone)

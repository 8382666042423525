"""The account and liaison point services called directly."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.errors import Forbidden, Throttled, ValidationFailed
from participation import queries
from participation.extensions import db
from participation.models import LoginAttempt, Role, User
from participation.services import accounts, liaison
from tests.accounts.conftest import STRONG_PASSWORD
from tests.conftest import DEMO_PASSWORD

LIMITS = dict(limits=accounts.LoginLimits(max_per_account_ip=5, max_per_ip=30, window=timedelta(minutes=15)))


def test_passwords_are_hashed_with_scrypt(app, zh):
    user = accounts.create_user(email="a@example.org", password=STRONG_PASSWORD, role=Role.CITIZEN)
    assert user.password_hash.startswith("scrypt:")
    assert STRONG_PASSWORD not in user.password_hash
    assert accounts._dummy_hash().split("$")[0] == user.password_hash.split("$")[0]


@pytest.mark.parametrize("password,ok", [
    ("a-long-enough-one", True),
    ("短密码", False),
    ("x" * 129, False),
    ("1234567890", False),
    ("Password123", False),
    ("ababababababab", False),  # too few distinct characters
    ("zhangsan-2024-x", False),  # contains the e-mail's local part
    ("合理的中文密码短语足够长", True),
])
def test_password_strength(app, zh, password, ok):
    if ok:
        accounts.check_password_strength(password, email="zhangsan@example.org")
    else:
        with pytest.raises(ValidationFailed) as caught:
            accounts.check_password_strength(password, email="zhangsan@example.org")
        assert "password" in caught.value.fields


def test_role_specific_fields_are_checked(app, zh, make_point):
    point = make_point()
    closed = make_point(active=False)
    cases = [
        (dict(role=Role.OPERATOR), "liaison_point"),
        (dict(role=Role.OPERATOR, liaison_point=closed), "liaison_point"),
        (dict(role=Role.CITIZEN, liaison_point=point), "liaison_point"),
        (dict(role=Role.DEPUTY, delegation="x"), "deputy_number"),
        (dict(role=Role.DEPUTY, deputy_number="D", delegation="  "), "delegation"),
        (dict(role=Role.DEPUTY, deputy_number="D" * 51, delegation="x"), "deputy_number"),
        (dict(role=Role.STAFF, professional_group="x"), "deputy_number"),
        (dict(role=Role.CITIZEN, display_name="名" * 101), "display_name"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            accounts.create_user(email="x@example.org", password=STRONG_PASSWORD, **kwargs)
        assert field in caught.value.fields, kwargs
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_blank_deputy_fields_are_stored_as_null_for_other_roles(app, zh):
    user = accounts.create_user(email="x@example.org", password=STRONG_PASSWORD, role=Role.CITIZEN,
                                deputy_number="  ", delegation="", professional_group=None)
    assert user.deputy_number is None and user.delegation is None


def test_update_user_details_ignores_fields_of_other_roles(app, zh, make_user, make_point):
    citizen = make_user("citizen")
    accounts.update_user_details(citizen, display_name=" 新名字 ", deputy_number="D-1", delegation="x",
                                 liaison_point=make_point())
    assert (citizen.display_name, citizen.deputy_number, citizen.liaison_point_id) == ("新名字", None, None)


def test_operator_cannot_lose_its_point(app, zh, make_user):
    operator = make_user("operator")
    with pytest.raises(ValidationFailed) as caught:
        accounts.update_user_details(operator, display_name="x", liaison_point=None)
    assert "liaison_point" in caught.value.fields


def test_nobody_disables_themselves(app, zh, make_user, frozen_now):
    admin = make_user("admin")
    with pytest.raises(Forbidden):
        accounts.set_enabled(admin, False, changed_by=admin, now=frozen_now.now)
    assert admin.is_enabled


def test_authenticate_and_throttle(app, zh, make_user, frozen_now):
    user = make_user("citizen")
    for _attempt in range(5):
        assert accounts.authenticate(email=user.email, password="nope", ip="1.2.3.4", now=frozen_now.now, **LIMITS) is None
    with pytest.raises(Throttled):
        accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="1.2.3.4", now=frozen_now.now, **LIMITS)
    # Another address is not refused: strangers cannot lock the owner out.
    assert accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="5.6.7.8", now=frozen_now.now,
                                 **LIMITS).user == user
    # Old attempts stop counting once the window has passed.
    later = frozen_now.now + timedelta(minutes=15, seconds=1)
    assert accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="1.2.3.4", now=later, **LIMITS).user == user
    # An unknown e-mail's failures are deleted once no throttle needs them; an account's
    # are kept for its owner's notice.
    accounts.authenticate(email="nobody@example.org", password="nope", ip="1.2.3.4", now=later, **LIMITS)
    much_later = later + timedelta(days=2)
    accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="1.2.3.4", now=much_later, **LIMITS)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 5
    accounts.authenticate(email=user.email, password=DEMO_PASSWORD, ip="1.2.3.4",
                          now=much_later + accounts.NOTICE_RETENTION, **LIMITS)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_attempts_store_a_digest_not_the_email(app, zh, frozen_now):
    accounts.authenticate(email="Secret.Person@example.org", password="x", ip="1.2.3.4", now=frozen_now.now, **LIMITS)
    attempt = db.session.scalar(select(LoginAttempt))
    assert "secret" not in attempt.account_key and len(attempt.account_key) == 64
    assert attempt.account_key == accounts.account_key(" SECRET.person@example.org")


def test_tokens(app, zh, make_user, frozen_now):
    user = make_user("citizen")
    token, secret = accounts.issue_api_token(user, name="  集成  ")
    assert token.name == "集成" and secret.startswith("lpp_") and token.prefix == secret[:12]
    assert secret not in token.token_digest
    assert accounts.find_token(secret) == token
    for bad in ["", "lpp_", secret + "x", secret[:-1], "Bearer " + secret, "x" * 300, "lpp_" + "a" * 300]:
        assert accounts.find_token(bad) is None
    assert accounts.revoke_all_tokens(user, revoked_by=None, now=frozen_now.now) == 1
    assert token.revoked_at == frozen_now.now and token.revoked_by_id is None
    assert accounts.find_token(secret) is None


def test_accounts_query_search_is_literal(app, zh, make_user):
    make_user("citizen", email="under_score@example.org")
    make_user("citizen", email="underXscore@example.org")
    found = db.session.scalars(queries.accounts_query(search="under_")).all()
    assert [u.email for u in found] == ["under_score@example.org"]
    assert db.session.scalars(queries.accounts_query(search="%")).all() == []


def test_find_liaison_point_tolerates_bad_ids(app, make_point):
    point = make_point()
    assert liaison.find_liaison_point(str(point.id)) == point
    for bad in [None, "", "abc", "-1", 0, 2**40, "1.5"]:
        assert liaison.find_liaison_point(bad) is None

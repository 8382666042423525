"""The ``liaison`` and ``users`` commands, including every refusal."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import ApiToken, LiaisonPoint, User
from participation.services import accounts
from tests.accounts.conftest import STRONG_PASSWORD
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def cli(runner, fast_hashing):
    def invoke(*args, env=None, input=None):
        result = runner.invoke(args=[str(a) for a in args], env=env, input=input)
        db.session.expire_all()  # the command committed through the same session
        return result

    return invoke


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def user(email):
    return db.session.scalar(select(User).where(User.email == email))


# --- liaison -------------------------------------------------------------------------

def test_liaison_create_prints_the_id(cli):
    result = cli("liaison", "create", "东城街道基层立法联系点", "--region", "东城区", "--address", "东城大道1号")
    assert result.exit_code == 0, result.output
    point = db.session.get(LiaisonPoint, int(result.stdout.strip()))
    assert (point.name, point.region, point.address, point.is_active) == ("东城街道基层立法联系点", "东城区", "东城大道1号", True)
    assert "已创建联系点" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["已有联系点"], "NAME: 已有同名的联系点。"),
    (["  "], "NAME: 请填写联系点名称。"),
    (["新联系点", "--region", "区" * 101], "--region: 不能超过 100 个字。"),
])
def test_liaison_create_refusals(cli, make_point, args, message):
    make_point("已有联系点")
    result = cli("liaison", "create", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert count(LiaisonPoint) == 1


def test_liaison_list(cli, make_point, make_user):
    busy = make_point("甲联系点", region="甲区")
    make_point("乙联系点", active=False)
    make_user("operator", liaison_point=busy)
    result = cli("liaison", "list")
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"{busy.id}\t启用\t信息员 1 人\t甲联系点\t甲区"
    assert lines[1].split("\t")[1:4] == ["已停用", "信息员 0 人", "乙联系点"]
    assert "共 2 个联系点" in result.stderr


# --- users create --------------------------------------------------------------------

def test_create_each_role(cli, make_point):
    point = make_point()
    cases = [
        ["--role", "citizen", "--email", "Citizen@Example.org"],
        ["--role", "deputy", "--email", "deputy@example.org", "--deputy-number", "D-1", "--delegation", "东城代表团",
         "--professional-group", "法制组"],
        ["--role", "operator", "--email", "operator@example.org", "--liaison-point", point.id],
        ["--role", "STAFF", "--email", "staff@example.org"],
        ["--role", "admin", "--email", "admin@example.org", "--name", "管理员"],
    ]
    for args in cases:
        result = cli("users", "create", *args, "--password", STRONG_PASSWORD)
        assert result.exit_code == 0, result.output
        created = db.session.get(User, int(result.stdout.strip()))
        assert created.email == args[3].lower()
        assert accounts.check_password_hash(created.password_hash, STRONG_PASSWORD)
    assert user("deputy@example.org").professional_group == "法制组"
    assert user("operator@example.org").liaison_point_id == point.id
    assert user("staff@example.org").role == "staff"
    assert user("admin@example.org").display_name == "管理员"


@pytest.mark.parametrize("args,message,code", [
    (["--role", "emperor"], "未知角色 'emperor'", 2),
    (["--role", "deputy", "--delegation", "东城代表团"], "--deputy-number: 人大代表必须填写代表证号。", 1),
    (["--role", "deputy", "--deputy-number", "D-9"], "--delegation: 人大代表必须填写所属代表团。", 1),
    (["--role", "deputy", "--deputy-number", "D-1", "--delegation", "x"], "--deputy-number: 该代表证号已被使用。", 1),
    (["--role", "citizen", "--deputy-number", "D-9"], "--deputy-number: 只有人大代表可以填写代表信息。", 1),
    (["--role", "operator"], "--liaison-point: 联系点信息员必须绑定一个基层立法联系点。", 1),
    (["--role", "operator", "--liaison-point", "4242"], "联系点 #4242 不存在", 1),
    (["--role", "operator", "--liaison-point", "abc"], "'abc' is not a valid integer", 2),
    (["--role", "operator", "--liaison-point", "{closed}"], "已停用，不能再添加信息员", 1),
    (["--role", "staff", "--liaison-point", "{open}"], "--liaison-point: 只有联系点信息员可以绑定联系点。", 1),
    (["--role", "citizen", "--email", "TAKEN@example.org"], "--email: 该邮箱已注册。", 1),
    (["--role", "citizen", "--email", "not-an-email"], "--email: 请输入有效的电子邮箱地址。", 1),
    (["--role", "citizen", "--password", "short"], "--password: 密码至少 10 位。", 1),
    (["--role", "citizen", "--password", "1234567890"], "--password: 密码太容易被猜到", 1),
])
def test_create_refusals(cli, make_point, make_user, args, message, code):
    open_point = make_point("开放的联系点")
    closed = make_point("停用的联系点", active=False)
    make_user("deputy", email="taken@example.org", deputy_number="D-1")
    args = [a.format(open=open_point.id, closed=closed.id) for a in args]
    if "--email" not in args:
        args += ["--email", "new@example.org"]
    if "--password" not in args:
        args += ["--password", STRONG_PASSWORD]
    result = cli("users", "create", *args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert count(User) == 1


def test_create_requires_role_and_email(cli):
    result = cli("users", "create", "--email", "x@example.org", "--password", STRONG_PASSWORD)
    assert result.exit_code == 2 and "--role" in result.stderr
    result = cli("users", "create", "--role", "citizen", "--password", STRONG_PASSWORD)
    assert result.exit_code == 2 and "--email" in result.stderr


def test_password_from_the_environment(cli):
    result = cli("users", "create", "--role", "citizen", "--email", "env@example.org", env={"LPP_PASSWORD": STRONG_PASSWORD})
    assert result.exit_code == 0, result.output
    assert accounts.check_password_hash(user("env@example.org").password_hash, STRONG_PASSWORD)


def test_password_is_prompted_without_echo(cli):
    result = cli("users", "create", "--role", "citizen", "--email", "asked@example.org",
                 input=f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert STRONG_PASSWORD not in result.output
    assert accounts.check_password_hash(user("asked@example.org").password_hash, STRONG_PASSWORD)


def test_prompted_passwords_must_match(cli):
    result = cli("users", "create", "--role", "citizen", "--email", "asked@example.org",
                 input=f"{STRONG_PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert user("asked@example.org") is None


# --- users token / revoke-tokens -----------------------------------------------------

def test_token_prints_only_the_token(cli, make_user):
    owner = make_user("operator", email="op@example.org")
    result = cli("users", "token", "OP@example.org", "--name", "报送系统")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert result.stdout == secret + "\n" and secret.startswith("lpp_")
    token = accounts.find_token(secret)
    assert token.user_id == owner.id and token.name == "报送系统"
    assert "不会再次显示" in result.stderr


def test_token_refusals(cli, make_user, frozen_now):
    result = cli("users", "token", "nobody@example.org")
    assert result.exit_code == 1 and "没有邮箱为 nobody@example.org 的账户" in result.stderr
    gone = make_user("citizen", email="gone@example.org")
    accounts.set_enabled(gone, False, changed_by=None, now=frozen_now.now)
    db.session.commit()
    result = cli("users", "token", "gone@example.org")
    assert result.exit_code == 1 and "账户已停用，不能签发令牌" in result.stderr
    result = cli("users", "token", "gone@example.org", "--name", "长" * 101)
    assert result.exit_code == 1
    assert count(ApiToken) == 0


def test_revoke_tokens(cli, make_user, frozen_now):
    owner = make_user("citizen", email="owner@example.org")
    bystander = make_user("citizen")
    secrets = [accounts.issue_api_token(owner)[1] for _ in range(3)]
    kept = accounts.issue_api_token(bystander)[1]
    old, _secret = accounts.issue_api_token(owner)
    accounts.revoke_api_token(old, revoked_by=owner, now=frozen_now.now)
    db.session.commit()
    result = cli("users", "revoke-tokens", "owner@example.org")
    assert result.exit_code == 0
    assert "已撤销 owner@example.org 的 3 个令牌" in result.stdout
    assert all(accounts.find_token(secret) is None for secret in secrets)
    assert accounts.find_token(kept) is not None
    assert cli("users", "revoke-tokens", "owner@example.org").stdout.strip() == "已撤销 owner@example.org 的 0 个令牌。"
    result = cli("users", "revoke-tokens", "nobody@example.org")
    assert result.exit_code == 1 and "没有邮箱为" in result.stderr


# --- users list / set-password -------------------------------------------------------

def test_list(cli, make_user, make_point):
    point = make_point("甲联系点")
    make_user("deputy", email="rep@example.org", deputy_number="D-7", delegation="东城代表团")
    make_user("operator", email="op@example.org", liaison_point=point)
    make_user("citizen", email="c@example.org")
    result = cli("users", "list")
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 3 and "共 3 个账户" in result.stderr
    deputy_line = next(line for line in result.stdout.splitlines() if "rep@example.org" in line)
    assert deputy_line.split("\t")[1:4] == ["deputy", "正常", "rep@example.org"] and "D-7 / 东城代表团" in deputy_line
    assert f"#{point.id} 甲联系点" in result.stdout
    only = cli("users", "list", "--role", "operator")
    assert only.stdout.count("\n") == 1 and "op@example.org" in only.stdout
    bad = cli("users", "list", "--role", "king")
    assert bad.exit_code == 2 and "未知角色" in bad.stderr


def test_set_password(cli, make_user, new_client):
    target = make_user("staff", email="staff@example.org")
    session = new_client(target)
    nonce = target.session_nonce
    result = cli("users", "set-password", "STAFF@example.org", "--password", STRONG_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "已为 staff@example.org 设置新密码" in result.stdout
    target = user("staff@example.org")
    assert target.session_nonce != nonce
    assert accounts.check_password_hash(target.password_hash, STRONG_PASSWORD)
    assert session.get("/account/").status_code == 302


def test_set_password_from_env_and_refusals(cli, make_user):
    make_user("citizen", email="c@example.org")
    assert cli("users", "set-password", "c@example.org", env={"LPP_PASSWORD": STRONG_PASSWORD}).exit_code == 0
    weak = cli("users", "set-password", "c@example.org", "--password", "short")
    assert weak.exit_code == 1 and "--password: 密码至少 10 位。" in weak.stderr
    unknown = cli("users", "set-password", "nobody@example.org", "--password", STRONG_PASSWORD)
    assert unknown.exit_code == 1 and "没有邮箱为 nobody@example.org 的账户" in unknown.stderr
    # The e-mail is checked before the password is asked for.
    asked = cli("users", "set-password", "nobody@example.org")
    assert asked.exit_code == 1 and "密码" not in asked.stdout
    assert accounts.check_password_hash(user("c@example.org").password_hash, STRONG_PASSWORD)
    assert not accounts.check_password_hash(user("c@example.org").password_hash, DEMO_PASSWORD)

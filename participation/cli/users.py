"""``flask --app app users …``: accounts and their API tokens from the command line.

Machine-readable results (a new id, a token) go to stdout alone, so that scripts can
capture them; explanations go to stderr. Bad input exits non-zero with the reason.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager

import click
from flask.cli import AppGroup
from flask_babel import force_locale, gettext as _

from participation import clock, labels, queries
from participation.errors import ServiceError
from participation.extensions import db
from participation.models import Role
from participation.services import accounts, liaison
from participation.unit_of_work import writes

PASSWORD_ENVVAR = "LPP_PASSWORD"

# Service field names → the option that carried the value, for error messages.
OPTION_NAMES = {
    "email": "--email", "password": "--password", "display_name": "--name", "name": "--name",
    "liaison_point": "--liaison-point", "deputy_number": "--deputy-number", "delegation": "--delegation",
    "professional_group": "--professional-group", "region": "--region", "address": "--address",
}

users = AppGroup("users", help="账户：创建、列出、设置密码、解除登录限制、签发和撤销 API 令牌。")


def in_chinese(command):
    """Run a command with the Chinese messages of the services (there is no request to
    choose a language from)."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with force_locale("zh_CN"):
            return command(*args, **kwargs)
    return wrapper


@contextmanager
def service_errors(option_names: dict[str, str] | None = None):
    """Turn a refused use case into a non-zero exit with the service's message, naming
    the option (or argument) that carried the faulty value."""
    names = {**OPTION_NAMES, **(option_names or {})}
    try:
        yield
    except ServiceError as exc:
        db.session.rollback()
        details = [
            f"{names.get(field, field)}: {message}"
            for field, messages in exc.fields.items() for message in messages
        ]
        raise click.ClickException("；".join(details) if details else exc.message) from None


def note(message: str) -> None:
    click.echo(message, err=True)


def _user_or_fail(email: str):
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(_("没有邮箱为 %(email)s 的账户。", email=accounts.normalize_email(email)))
    return user


def _role(ctx, param, value):
    if value is None:
        return None
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise click.BadParameter(
            f"未知角色 {value!r}，可选：{'、'.join(role.value for role in Role)}。"
        ) from None


def password_option(command):
    return click.option(
        "--password", envvar=PASSWORD_ENVVAR,
        help=f"密码（至少 {accounts.MIN_PASSWORD_LENGTH} 位）。不写时从环境变量 {PASSWORD_ENVVAR} 读取，"
             "再没有则提示输入（不回显），以免密码留在命令历史中。",
    )(command)


def _password_or_prompt(password: str | None) -> str:
    # Prompted only after the other input has been checked, so that a typo in the
    # e-mail does not cost a password entry.
    if password is not None:
        return password
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@users.command("create")
@click.option("--role", "role", required=True, callback=_role,
              help="citizen（公民）| deputy（人大代表）| operator（联系点信息员）| staff（工作人员）| admin（管理员）")
@click.option("--email", required=True, help="登录用的电子邮箱。")
@password_option
@click.option("--name", "display_name", default="", help="姓名。")
@click.option("--liaison-point", "liaison_point_id", type=int, help="联系点编号（operator 必填）。")
@click.option("--deputy-number", help="代表证号（deputy 必填）。")
@click.option("--delegation", help="所属代表团（deputy 必填）。")
@click.option("--professional-group", help="专业小组（deputy 可选）。")
@in_chinese
@writes
def create_user(role, email, password, display_name, liaison_point_id, deputy_number, delegation,
                professional_group):
    """Create an account; prints the new account's id."""
    point = None
    if liaison_point_id is not None:
        point = liaison.find_liaison_point(liaison_point_id)
        if point is None:
            raise click.ClickException(_("联系点 #%(id)s 不存在。用 `flask --app app liaison list` 查看已有联系点。",
                                         id=liaison_point_id))
    password = _password_or_prompt(password)
    with service_errors():
        user = accounts.create_user(
            email=email, password=password, role=role, display_name=display_name, liaison_point=point,
            deputy_number=deputy_number, delegation=delegation, professional_group=professional_group,
        )
    db.session.commit()
    note(_("已创建%(role)s账户 %(email)s（编号 %(id)d）。", role=labels.label(labels.ROLE, role),
           email=user.email, id=user.id))
    click.echo(user.id)


@users.command("token")
@click.argument("email")
@click.option("--name", default="", help="令牌名称，写明用途。")
@in_chinese
@writes
def issue_token(email, name):
    """Issue an API token; prints only the token (shown this once)."""
    user = _user_or_fail(email)
    with service_errors():
        token, secret = accounts.issue_api_token(user, name=name)
    db.session.commit()
    note(_("已为 %(email)s 签发令牌 %(prefix)s…，请妥善保存，它不会再次显示。", email=user.email, prefix=token.prefix))
    click.echo(secret)


@users.command("revoke-tokens")
@click.argument("email")
@in_chinese
@writes
def revoke_tokens(email):
    """Revoke every live API token of an account."""
    user = _user_or_fail(email)
    count = accounts.revoke_all_tokens(user, revoked_by=None, now=clock.now())
    db.session.commit()
    click.echo(_("已撤销 %(email)s 的 %(n)d 个令牌。", email=user.email, n=count))


@users.command("unlock")
@click.argument("email")
@in_chinese
@writes
def unlock(email):
    """Clear the sign-in throttle of an account (recorded as done from the command line)."""
    user = _user_or_fail(email)
    cleared = accounts.unlock_sign_in(user, unlocked_by=None, now=clock.now())
    db.session.commit()
    click.echo(_("已解除 %(email)s 的登录限制（清除了 %(n)d 次失败记录）。", email=user.email, n=cleared))


@users.command("set-password")
@click.argument("email")
@password_option
@in_chinese
@writes
def set_password(email, password):
    """Set a new password; every session of the account ends."""
    user = _user_or_fail(email)
    password = _password_or_prompt(password)
    with service_errors():
        accounts.set_password(user, password)
    db.session.commit()
    click.echo(_("已为 %(email)s 设置新密码，该账户原有的登录均已失效。", email=user.email))


@users.command("list")
@click.option("--role", "role", callback=_role, help="只列出该角色的账户。")
@click.option("--search", default="", help="按邮箱、姓名或代表证号筛选。")
@in_chinese
def list_users(role, search):
    """List accounts, newest first: id, role, status, e-mail, name, delegation or point."""
    stmt = queries.accounts_query(role=role.value if role else None, search=search)
    count = 0
    for user in db.session.scalars(stmt).unique():
        count += 1
        if user.role == Role.DEPUTY.value:
            extra = " / ".join(filter(None, [user.deputy_number, user.delegation, user.professional_group]))
        elif user.role == Role.OPERATOR.value and user.liaison_point is not None:
            extra = f"#{user.liaison_point.id} {user.liaison_point.name}"
        else:
            extra = ""
        status = _("正常") if user.is_enabled else _("已停用")
        click.echo("\t".join([str(user.id), user.role, status, user.email, user.display_name or "-", extra]).rstrip())
    note(_("共 %(n)d 个账户。", n=count))

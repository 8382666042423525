"""The signed-in user's own page: details, password change, API tokens."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation import clock, queries
from participation.errors import ServiceError, Throttled
from participation.extensions import db
from participation.forms.accounts import TokenForm
from participation.forms.auth import ChangePasswordForm
from participation.models import ApiToken
from participation.services import accounts
from participation.services import sessions as login_sessions
from participation.unit_of_work import reads, writes
from participation.views.auth import current_login_session_secret, device_token_for, sign_in
from participation.views import apply_field_errors, client_ip, load_visible, require

bp = Blueprint("account", __name__, url_prefix="/account")

TOKENS_PER_PAGE = 20


@bp.before_request
def signed_in_only():
    require(current_user.is_authenticated)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _render_profile(password_form=None, token_form=None, status=200):
    user = current_user._get_current_object()
    tokens = db.paginate(queries.tokens_query(user), page=_page(), per_page=TOKENS_PER_PAGE, error_out=False)
    return render_template(
        "account/profile.html",
        user=user,
        password_form=password_form or ChangePasswordForm(),
        token_form=token_form or TokenForm(),
        tokens=tokens,
        live_tokens=accounts.live_token_count(user),
        max_live_tokens=accounts.MAX_LIVE_TOKENS,
        login_sessions=login_sessions.live_sessions(user, clock.now()),
        current_session_digest=login_sessions.digest_of(current_login_session_secret()),
    ), status


@bp.route("/")
@reads
def profile():
    return _render_profile()


def _renew_session(user) -> None:
    """Sign this browser in again after a password change ended every session of the
    account, keeping its "remember me" choice. The caller commits."""
    sign_in(user, remember=bool(session.permanent))


@bp.route("/password", methods=["POST"])
@writes
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _render_profile(password_form=form, status=422)
    user = current_user._get_current_object()
    try:
        accounts.change_password(
            user, current_password=form.current_password.data, new_password=form.password.data,
            ip=client_ip(), now=clock.now(), limits=accounts.LoginLimits.from_config(current_app.config),
            device_token=device_token_for(user.email),
        )
    except Throttled as exc:
        db.session.commit()  # the throttle's clean-up of old attempts
        flash(exc.message, "error")
        return _render_profile(password_form=form, status=429)
    except ServiceError as exc:
        # The failed attempt is recorded even though the change is refused.
        db.session.commit()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_profile(password_form=form, status=422)
    _renew_session(user)
    db.session.commit()
    flash(_("密码已修改。其他设备上的登录已失效。"), "success")
    return redirect(url_for("account.profile"))


@bp.route("/tokens", methods=["POST"])
@writes
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_profile(token_form=form, status=422)
    user = current_user._get_current_object()
    try:
        token, secret = accounts.issue_api_token(user, name=form.name.data, by=user)
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_profile(token_form=form, status=422)
    db.session.commit()
    return render_template("account/token_created.html", token=token, secret=secret, owner=user,
                           back_url=url_for("account.profile"))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@writes
def revoke_token(token_id: int):
    # Only one's own tokens are reachable here; others' are managed on the admin pages.
    token = load_visible(ApiToken, token_id, lambda token: token.user_id == current_user.id)
    accounts.revoke_api_token(token, revoked_by=current_user._get_current_object(), now=clock.now())
    db.session.commit()
    flash(_("令牌 %(prefix)s… 已撤销。", prefix=token.prefix), "success")
    return redirect(url_for("account.profile"))


@bp.route("/sessions/end-others", methods=["POST"])
@writes
def end_other_sessions():
    """Sign out every other browser of this account (a lost phone, a shared computer)."""
    ended = login_sessions.end_all_login_sessions(current_user, except_secret=current_login_session_secret())
    db.session.commit()
    flash(_("已退出其他 %(n)d 个设备上的登录。", n=ended), "success")
    return redirect(url_for("account.profile") + "#sessions")

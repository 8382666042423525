"""Administration of accounts and of 基层立法联系点 (staff and administrators)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from participation import clock, labels, policies, queries
from participation.errors import ServiceError
from participation.extensions import db
from participation.forms.accounts import (
    AccountFilterForm,
    LiaisonPointEditForm,
    LiaisonPointForm,
    SetPasswordForm,
    TokenForm,
    create_form_class,
    edit_form_class,
)
from participation.models import ApiToken, LiaisonPoint, Role, User
from participation.services import accounts, liaison
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, form_page, load_visible, require

bp = Blueprint("admin", __name__, url_prefix="/admin")

ACCOUNTS_PER_PAGE = 30
POINTS_PER_PAGE = 30
OPERATORS_PER_PAGE = 30
TOKENS_PER_PAGE = 20


@bp.before_request
def staff_area():
    # Each route checks its own policy as well; this turns everyone else away early.
    require(policies.can_list_accounts(current_user) or policies.can_manage_liaison_points(current_user))


def _actor() -> User:
    return current_user._get_current_object()


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _load(model, object_id: int):
    # Every account, token and point is visible to whoever passes staff_area (role-level,
    # 403 before any id is looked at); what they may do to it is checked per route (403).
    return load_visible(model, object_id)


def _fail(form, exc: ServiceError) -> None:
    db.session.rollback()
    if not apply_field_errors(form, exc):
        flash(exc.message, "error")


def _point_label(point: LiaisonPoint) -> str:
    if point.region:
        return _("%(name)s（%(region)s）", name=point.name, region=point.region)
    return point.name


def _fill_liaison_choices(form, current: LiaisonPoint | None = None) -> None:
    """Active points, plus the operator's current one when it has been deactivated
    (keeping it is allowed, choosing it anew is not)."""
    points = liaison.active_liaison_points()
    if current is not None and not current.is_active:
        points.append(current)
    choices = [SelectChoice("", _("请选择联系点"))]
    for point in points:
        label = _point_label(point) if point.is_active else _("%(name)s（已停用）", name=point.name)
        choices.append(SelectChoice(point.id, label))
    form.liaison_point.choices = choices


def _chosen_liaison_point(form) -> LiaisonPoint | None:
    point = liaison.find_liaison_point(form.liaison_point.data)
    if point is None and form.liaison_point.data is not None:
        raise ServiceError(_("所选联系点不存在。"), fields={"liaison_point": [_("所选联系点不存在。")]})
    return point


# --- accounts -----------------------------------------------------------------------

@bp.route("/users")
@reads
def users():
    require(policies.can_list_accounts(current_user))
    form = AccountFilterForm(request.args)
    form.role.choices = [SelectChoice("", _("全部角色"))] + [
        SelectChoice(role.value, labels.label(labels.ROLE, role)) for role in Role]
    role = form.role.data if form.role.data in {r.value for r in Role} else None
    enabled = {"enabled": True, "disabled": False}.get(form.status.data)
    search = (form.q.data or "").strip()[:100]
    page = db.paginate(queries.accounts_query(role=role, search=search, enabled=enabled),
                       page=_page(), per_page=ACCOUNTS_PER_PAGE, error_out=False)
    filters = {key: value for key, value in (("role", role), ("status", form.status.data), ("q", search)) if value}
    creatable = [r for r in Role if policies.can_create_account(current_user, r)]
    return render_template("admin/users.html", form=form, page=page, filters=filters, creatable=creatable)


def _role_to_create() -> tuple[Role | None, object]:
    """(the role ``?role=`` names, which the user may create, None), or (None, the page
    to answer instead: the choice of roles; 400 with a flash for an unknown one)."""
    creatable = [r for r in Role if policies.can_create_account(current_user, r)]
    require(bool(creatable))
    role_value = request.args.get("role", "")
    if not role_value:
        return None, render_template("admin/user_new_choose.html", creatable=creatable)
    try:
        role = Role(role_value)
    except ValueError:
        flash(_("未知的账户角色“%(role)s”，请从下面选择。", role=role_value[:20]), "error")
        return None, (render_template("admin/user_new_choose.html", creatable=creatable), 400)
    require(policies.can_create_account(current_user, role))
    return role, None


def _new_user_form(role: Role):
    form = create_form_class(role)()
    if role == Role.OPERATOR:
        _fill_liaison_choices(form)
    return form


@bp.get("/users/new")
@reads
def new_user():
    """The new-account form (posted to ``create_user``, on the same address)."""
    role, answer = _role_to_create()
    if role is None:
        return answer
    form = _new_user_form(role)
    if role == Role.OPERATOR:
        preset = liaison.find_liaison_point(request.args.get("liaison_point"))
        if preset is not None and preset.is_active:
            form.liaison_point.data = preset.id
    return form_page("admin/user_form.html", form, role=role, target=None)


@bp.post("/users/new")
@writes
def create_user():
    role, answer = _role_to_create()
    if role is None:
        return answer
    form = _new_user_form(role)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                email=form.email.data, password=form.password.data, role=role,
                display_name=form.display_name.data,
                liaison_point=_chosen_liaison_point(form) if role == Role.OPERATOR else None,
                deputy_number=form.deputy_number.data if role == Role.DEPUTY else None,
                delegation=form.delegation.data if role == Role.DEPUTY else None,
                professional_group=form.professional_group.data if role == Role.DEPUTY else None, by=_actor(),
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("已创建%(role)s账户 %(email)s。", role=labels.label(labels.ROLE, role), email=user.email), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return form_page("admin/user_form.html", form, role=role, target=None)


@bp.route("/users/<int:user_id>")
@reads
def user_detail(user_id: int):
    target = _load(User, user_id)
    require(policies.can_view_account(current_user, target))
    actor = _actor()
    show_tokens = policies.can_issue_token(actor, target)
    tokens = None
    if show_tokens:
        tokens = db.paginate(queries.tokens_query(target), page=_page(), per_page=TOKENS_PER_PAGE, error_out=False)
    return render_template(
        "admin/user_detail.html",
        target=target,
        tokens=tokens,
        token_form=TokenForm(),
        live_tokens=accounts.live_token_count(target) if show_tokens else 0,
        can_edit=policies.can_manage_account(actor, target),
        can_disable=policies.can_disable_account(actor, target),
        can_set_password=policies.can_set_password(actor, target),
        can_issue_token=show_tokens and target.is_enabled,
        revocable={t.id for t in (tokens.items if tokens else []) if policies.can_revoke_token(actor, t)},
        is_self=actor.id == target.id,
        can_unlock=policies.can_unlock_sign_in(actor, target),
        can_handle_personal_data=policies.can_handle_personal_data_of(actor, target),
        throttle=accounts.sign_in_throttle_state(
            target, now=clock.now(), limits=accounts.LoginLimits.from_config(current_app.config)),
    )


def _editable_user(user_id: int) -> User:
    target = _load(User, user_id)
    require(policies.can_manage_account(current_user, target))
    return target


def _user_edit_form(target: User, **values):
    """(the account's role, its edit form built with ``values``: ``obj=`` to show the
    account, nothing to take the posted fields)."""
    role = Role(target.role)
    form = edit_form_class(role)(**values)
    if role == Role.OPERATOR:
        _fill_liaison_choices(form, current=target.liaison_point)
    return role, form


@bp.get("/users/<int:user_id>/edit")
@reads
def edit_user(user_id: int):
    """The account's edit form (posted to ``update_user``, on the same address)."""
    target = _editable_user(user_id)
    role, form = _user_edit_form(target, obj=target)
    if role == Role.OPERATOR:
        form.liaison_point.data = target.liaison_point_id
    return form_page("admin/user_form.html", form, role=role, target=target)


@bp.post("/users/<int:user_id>/edit")
@writes
def update_user(user_id: int):
    target = _editable_user(user_id)
    role, form = _user_edit_form(target)
    if form.validate_on_submit():
        try:
            accounts.update_user_details(
                target, display_name=form.display_name.data,
                deputy_number=form.deputy_number.data if role == Role.DEPUTY else None,
                delegation=form.delegation.data if role == Role.DEPUTY else None,
                professional_group=form.professional_group.data if role == Role.DEPUTY else None,
                liaison_point=_chosen_liaison_point(form) if role == Role.OPERATOR else None, by=_actor(),
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("已保存 %(email)s 的账户信息。", email=target.email), "success")
            return redirect(url_for("admin.user_detail", user_id=target.id))
    return form_page("admin/user_form.html", form, role=role, target=target)


def _password_target(user_id: int) -> User:
    target = _load(User, user_id)
    require(policies.can_set_password(current_user, target))
    return target


@bp.get("/users/<int:user_id>/password")
@reads
def set_password(user_id: int):
    """The new-password form (posted to ``save_password``, on the same address)."""
    target = _password_target(user_id)
    return form_page("admin/user_password.html", SetPasswordForm(), target=target)


@bp.post("/users/<int:user_id>/password")
@writes
def save_password(user_id: int):
    target = _password_target(user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(target, form.password.data, by=_actor())
        except ServiceError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("已为 %(email)s 设置新密码，该账户原有的登录均已失效。", email=target.email), "success")
            return redirect(url_for("admin.user_detail", user_id=target.id))
    return form_page("admin/user_password.html", form, target=target)


def _set_enabled(user_id: int, enabled: bool):
    target = _load(User, user_id)
    require(policies.can_disable_account(current_user, target))
    try:
        accounts.set_enabled(target, enabled, changed_by=_actor(), now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    db.session.commit()
    if enabled:
        flash(_("已启用账户 %(email)s。", email=target.email), "success")
    else:
        flash(_("已停用账户 %(email)s：其登录和 API 令牌均已失效。", email=target.email), "success")
    return redirect(url_for("admin.user_detail", user_id=target.id))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@writes
def disable_user(user_id: int):
    return _set_enabled(user_id, False)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@writes
def enable_user(user_id: int):
    return _set_enabled(user_id, True)


@bp.route("/users/<int:user_id>/unlock-sign-in", methods=["POST"])
@writes
def unlock_sign_in(user_id: int):
    """Clear the account's sign-in throttle (recorded with who did it)."""
    target = _load(User, user_id)
    require(policies.can_unlock_sign_in(current_user, target))
    cleared = accounts.unlock_sign_in(target, unlocked_by=_actor(), now=clock.now())
    db.session.commit()
    flash(_("已解除 %(email)s 的登录限制（清除了 %(n)d 次失败记录）。", email=target.email, n=cleared), "success")
    return redirect(url_for("admin.user_detail", user_id=target.id))


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@writes
def issue_token(user_id: int):
    target = _load(User, user_id)
    require(policies.can_issue_token(current_user, target))
    form = TokenForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    try:
        token, secret = accounts.issue_api_token(target, name=form.name.data, by=_actor())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    db.session.commit()
    return render_template("account/token_created.html", token=token, secret=secret, owner=target,
                           back_url=url_for("admin.user_detail", user_id=target.id))


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@writes
def revoke_token(token_id: int):
    token = _load(ApiToken, token_id)
    require(policies.can_revoke_token(current_user, token))
    accounts.revoke_api_token(token, revoked_by=_actor(), now=clock.now())
    db.session.commit()
    flash(_("令牌 %(prefix)s… 已撤销。", prefix=token.prefix), "success")
    return redirect(url_for("admin.user_detail", user_id=token.user_id))


# --- liaison points -----------------------------------------------------------------

@bp.route("/liaison-points")
@reads
def liaison_points():
    require(policies.can_manage_liaison_points(current_user))
    page = db.paginate(liaison.liaison_points_query(), page=_page(), per_page=POINTS_PER_PAGE, error_out=False)
    counts = liaison.operator_counts(point.id for point in page.items)
    return render_template("admin/liaison_points.html", page=page, counts=counts)


@bp.get("/liaison-points/new")
@reads
def new_liaison_point():
    """The new-point form (posted to ``create_liaison_point``, on the same address)."""
    require(policies.can_manage_liaison_points(current_user))
    return form_page("admin/liaison_point_form.html", LiaisonPointForm(), point=None)


@bp.post("/liaison-points/new")
@writes
def create_liaison_point():
    require(policies.can_manage_liaison_points(current_user))
    form = LiaisonPointForm()
    if form.validate_on_submit():
        try:
            point = liaison.create_liaison_point(name=form.name.data, region=form.region.data,
                                                 address=form.address.data, by=_actor())
        except ServiceError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("已创建联系点“%(name)s”。", name=point.name), "success")
            return redirect(url_for("admin.liaison_point_detail", point_id=point.id))
    return form_page("admin/liaison_point_form.html", form, point=None)


@bp.route("/liaison-points/<int:point_id>")
@reads
def liaison_point_detail(point_id: int):
    point = _load(LiaisonPoint, point_id)
    require(policies.can_manage_liaison_points(current_user))
    operators = db.paginate(liaison.operators_query(point), page=_page(), per_page=OPERATORS_PER_PAGE,
                            error_out=False)
    return render_template(
        "admin/liaison_point_detail.html", point=point, operators=operators,
        can_add_operator=point.is_active and policies.can_create_account(current_user, Role.OPERATOR),
    )


def _editable_point(point_id: int) -> LiaisonPoint:
    point = _load(LiaisonPoint, point_id)
    require(policies.can_manage_liaison_points(current_user))
    return point


@bp.get("/liaison-points/<int:point_id>/edit")
@reads
def edit_liaison_point(point_id: int):
    """The point's edit form (posted to ``update_liaison_point``, on the same address)."""
    point = _editable_point(point_id)
    return form_page("admin/liaison_point_form.html", LiaisonPointEditForm(obj=point), point=point)


@bp.post("/liaison-points/<int:point_id>/edit")
@writes
def update_liaison_point(point_id: int):
    point = _editable_point(point_id)
    form = LiaisonPointEditForm()
    if form.validate_on_submit():
        try:
            liaison.update_liaison_point(point, name=form.name.data, region=form.region.data,
                                         address=form.address.data, is_active=form.is_active.data, by=_actor())
        except ServiceError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("已保存联系点“%(name)s”。", name=point.name), "success")
            return redirect(url_for("admin.liaison_point_detail", point_id=point.id))
    return form_page("admin/liaison_point_form.html", form, point=point)

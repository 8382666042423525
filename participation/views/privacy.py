"""个人信息: the privacy policy page (public) and its editor (administrators); a person's
own page to download what the platform holds about them and to erase their account; the
same export and erasure by an administrator on a person's request."""
from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from participation import clock, policies
from participation.errors import ServiceError, Throttled
from participation.extensions import db
from participation.forms.privacy import ERASE_CONFIRMATION, EraseAccountForm, EraseOwnAccountForm, PrivacyPolicyForm
from participation.models import User
from participation.services import accounts, privacy
from participation.spreadsheets.writing import XLSX_MIMETYPE
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, client_ip, form_page, load_visible, require
from participation.views.account import bp as account_bp
from participation.views.admin import bp as admin_bp
from participation.views.auth import device_token_for
from participation.views.public import bp as public_bp

FORMATS = ("json", "xlsx")


@public_bp.get("/privacy")
@reads
def privacy_policy():
    return render_template("public/privacy.html", policy=privacy.current_policy())


@admin_bp.get("/privacy")
@reads
def edit_privacy_policy():
    require(policies.can_edit_privacy_policy(current_user))
    current = privacy.current_policy()
    return form_page("admin/privacy.html", PrivacyPolicyForm(data={"text": current.text}), policy=current)


@admin_bp.post("/privacy")
@writes
def publish_privacy_policy():
    require(policies.can_edit_privacy_policy(current_user))
    form = PrivacyPolicyForm()
    if form.validate_on_submit():
        try:
            policy = privacy.publish_policy(form.text.data, by=current_user._get_current_object(), now=clock.now())
        except ServiceError as error:
            db.session.rollback()
            if not apply_field_errors(form, error):
                flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("已发布隐私政策第 %(version)d 版。", version=policy.version), "success")
            return redirect(url_for("admin.edit_privacy_policy"))
    return form_page("admin/privacy.html", form, policy=privacy.current_policy())


def _download(user: User, file_format: str):
    if file_format not in FORMATS:
        abort(404)
    data = privacy.collect(user)
    stamp = clock.now().strftime("%Y%m%d")
    if file_format == "json":
        return send_file(io.BytesIO(privacy.as_json(data)), mimetype="application/json", as_attachment=True,
                         download_name=f"personal-data-{user.id}-{stamp}.json", max_age=0)
    return send_file(io.BytesIO(privacy.as_workbook(data)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"personal-data-{user.id}-{stamp}.xlsx", max_age=0)


def _own_page(form=None, status=200):
    user = current_user._get_current_object()
    summary = privacy.collect(user)
    return render_template("account/personal_data.html", user=user, form=form or EraseOwnAccountForm(),
                           counts={key: len(summary[key]) for key in ("opinions", "proposals", "follows")},
                           can_erase=policies.can_erase_own_account(user), confirmation_word=ERASE_CONFIRMATION,
                           policy=privacy.current_policy()), status


@account_bp.get("/data")
@reads
def personal_data():
    return _own_page()


@account_bp.get("/data.<file_format>")
@reads
def download_personal_data(file_format: str):
    return _download(current_user._get_current_object(), file_format)


@account_bp.post("/erase")
@writes
def erase_own_account():
    user = current_user._get_current_object()
    require(policies.can_erase_own_account(user))
    form = EraseOwnAccountForm()
    if not form.validate_on_submit():
        return _own_page(form, 422)
    if form.confirmation.data.strip() != ERASE_CONFIRMATION:
        form.confirmation.errors.append(_("请输入“注销”两个字确认。"))
        return _own_page(form, 422)
    try:
        accounts.confirm_current_password(
            user, form.password.data, ip=client_ip(), now=clock.now(),
            limits=accounts.LoginLimits.from_config(current_app.config), device_token=device_token_for(user.email),
            field="password")
    except Throttled as error:
        db.session.commit()  # the throttle's clean-up of old attempts
        flash(error.message, "error")
        return _own_page(form, 429)
    except ServiceError as error:
        db.session.commit()  # the failed attempt counts against the throttle
        apply_field_errors(form, error)
        return _own_page(form, 422)
    privacy.erase_account(user, by=user, now=clock.now())
    db.session.commit()
    logout_user()
    flash(_("您的账户已注销。您的意见作为立法记录保留，但已不再与您关联，其中的姓名和联系方式已删除。"), "success")
    return redirect(url_for("public.home"))


def _target(user_id: int) -> User:
    target = load_visible(User, user_id)
    require(policies.can_handle_personal_data_of(current_user, target))
    return target


@admin_bp.get("/users/<int:user_id>/data.<file_format>")
@reads
def download_user_personal_data(user_id: int, file_format: str):
    return _download(_target(user_id), file_format)


def _erase_page(target: User, form):
    return form_page("admin/user_erase.html", form, target=target, confirmation_word=ERASE_CONFIRMATION)


@admin_bp.get("/users/<int:user_id>/erase")
@reads
def erase_user(user_id: int):
    target = _target(user_id)
    if target.erased_at is not None:
        flash(_("该账户已注销。"), "info")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    return _erase_page(target, EraseAccountForm())


@admin_bp.post("/users/<int:user_id>/erase")
@writes
def erase_user_post(user_id: int):
    target = _target(user_id)
    if target.erased_at is not None:
        flash(_("该账户已注销。"), "info")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    form = EraseAccountForm()
    if not form.validate_on_submit():
        return _erase_page(target, form)
    if form.confirmation.data.strip() != ERASE_CONFIRMATION:
        form.confirmation.errors.append(_("请输入“注销”两个字确认。"))
        return _erase_page(target, form)
    counts = privacy.erase_account(target, by=current_user._get_current_object(), now=clock.now(),
                                   reason=form.reason.data)
    db.session.commit()
    flash(_("已注销账户：%(opinions)d 条意见、%(proposals)d 件建议已与其解除关联。",
            opinions=counts["opinions"], proposals=counts["proposals"]), "success")
    return redirect(url_for("admin.user_detail", user_id=target.id))

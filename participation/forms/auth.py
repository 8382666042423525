"""Sign-in, registration and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from participation.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("在这台设备上保持登录"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)])
    display_name = StringField(_l("姓名或昵称"), validators=[Length(max=100)],
                               description=_l("可不填。发表意见时可选择是否公开。"))
    password = PasswordField(
        _l("密码"),
        validators=[DataRequired(_l("请输入密码。")),
                    Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                           message=_l("密码长度应为 %(min)d 到 %(max)d 位。"))],
        description=_l("至少 %(n)d 位。", n=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                      EqualTo("password", _l("两次输入的密码不一致。"))])
    # 个人信息保护法: explicit consent, recorded with its time and the policy's version.
    privacy_consent = BooleanField(_l("我已阅读并同意《隐私政策》"),
                                   validators=[DataRequired(_l("注册前请阅读并同意隐私政策。"))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    password = PasswordField(
        _l("新密码"),
        validators=[DataRequired(_l("请输入新密码。")),
                    Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                           message=_l("密码长度应为 %(min)d 到 %(max)d 位。"))],
    )
    confirm = PasswordField(_l("确认新密码"), validators=[DataRequired(_l("请再次输入新密码。")),
                                                        EqualTo("password", _l("两次输入的密码不一致。"))])

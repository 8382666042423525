"""Forms of the account page and of the account and liaison point administration.

Which fields a role requires (a deputy's number and delegation, an operator's liaison
point) is checked again by the services; the forms only shape the input.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from participation.models import Role
from participation.services.accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from participation.services.liaison import MAX_ADDRESS_LENGTH, MAX_REGION_LENGTH
from participation.services.liaison import MAX_NAME_LENGTH as MAX_POINT_NAME_LENGTH


def _optional_int(value):
    """Select values arrive as strings; an empty or malformed one means "none chosen"."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[DataRequired(_l("请输入密码。")),
                    Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                           message=_l("密码长度应为 %(min)d 到 %(max)d 位。"))],
        description=_l("至少 %(n)d 位，不要使用容易猜到的密码。", n=MIN_PASSWORD_LENGTH),
    )


def _confirm_field():
    return PasswordField(_l("确认密码"), validators=[DataRequired(_l("请再次输入密码。")),
                                                  EqualTo("password", _l("两次输入的密码不一致。"))])


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[Length(max=100, message=_l("不能超过 %(max)d 个字。"))],
                       description=_l("写明用途，例如“数据报送系统”，便于以后识别。"))


class AccountFilterForm(FlaskForm):
    """The account list's filters, sent by GET (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("搜索"), validators=[Optional(), Length(max=100)],
                    render_kw={"placeholder": _l("邮箱、姓名或代表证号")})
    role = SelectField(_l("角色"), validators=[Optional()], validate_choice=False)
    status = SelectField(_l("状态"), validators=[Optional()], validate_choice=False,
                         choices=[SelectChoice("", _l("全部")), SelectChoice("enabled", _l("正常")),
                                  SelectChoice("disabled", _l("已停用"))])


class AccountCreateForm(FlaskForm):
    email = EmailField(_l("电子邮箱"), validators=[DataRequired(_l("请输入电子邮箱。")), Length(max=254)],
                       description=_l("用于登录，保存时统一转为小写。"))
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=MAX_NAME_LENGTH)])
    password = _new_password_field(_l("初始密码"))
    confirm = _confirm_field()


class _DeputyFields:
    deputy_number = StringField(_l("代表证号"), validators=[DataRequired(_l("请填写代表证号。")), Length(max=50)])
    delegation = StringField(_l("所属代表团"), validators=[DataRequired(_l("请填写所属代表团。")), Length(max=100)])
    professional_group = StringField(_l("专业小组"), validators=[Optional(), Length(max=100)],
                                     description=_l("可不填。"))


class _OperatorFields:
    liaison_point = SelectField(_l("基层立法联系点"), coerce=_optional_int, validate_choice=False,
                                validators=[DataRequired(_l("请选择联系点。"))])


class DeputyCreateForm(_DeputyFields, AccountCreateForm):
    pass


class OperatorCreateForm(_OperatorFields, AccountCreateForm):
    pass


class AccountEditForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=MAX_NAME_LENGTH)])


class DeputyEditForm(_DeputyFields, AccountEditForm):
    pass


class OperatorEditForm(_OperatorFields, AccountEditForm):
    pass


def create_form_class(role: Role):
    return {Role.DEPUTY: DeputyCreateForm, Role.OPERATOR: OperatorCreateForm}.get(Role(role), AccountCreateForm)


def edit_form_class(role: Role):
    return {Role.DEPUTY: DeputyEditForm, Role.OPERATOR: OperatorEditForm}.get(Role(role), AccountEditForm)


class SetPasswordForm(FlaskForm):
    password = _new_password_field(_l("新密码"))
    confirm = _confirm_field()


class LiaisonPointForm(FlaskForm):
    name = StringField(_l("联系点名称"), validators=[DataRequired(_l("请填写联系点名称。")),
                                                  Length(max=MAX_POINT_NAME_LENGTH)],
                       description=_l("例如“某某街道基层立法联系点”。"))
    region = StringField(_l("所在区域"), validators=[Optional(), Length(max=MAX_REGION_LENGTH)],
                         description=_l("例如“某某区”。"))
    address = StringField(_l("地址"), validators=[Optional(), Length(max=MAX_ADDRESS_LENGTH)])


class LiaisonPointEditForm(LiaisonPointForm):
    is_active = BooleanField(_l("启用"), description=_l("停用后不能再为该联系点添加信息员，已有信息员不受影响。"))

"""Forms of personal information: the privacy policy's text, erasing an account."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from participation.services.accounts import MAX_PASSWORD_LENGTH
from participation.services.privacy import MAX_POLICY_LENGTH

#: What the owner types to confirm erasure (a checkbox is too easy to tick by mistake).
ERASE_CONFIRMATION = "注销"


class PrivacyPolicyForm(FlaskForm):
    text = TextAreaField(_l("隐私政策"), validators=[DataRequired(_l("请填写隐私政策的内容。")),
                                                  Length(max=MAX_POLICY_LENGTH)])


class EraseOwnAccountForm(FlaskForm):
    password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。")),
                                                     Length(max=MAX_PASSWORD_LENGTH)])
    confirmation = StringField(_l("请输入“注销”两个字确认"),
                               validators=[DataRequired(_l("请输入“注销”两个字确认。"))])


class EraseAccountForm(FlaskForm):
    """An administrator erasing an account on its owner's request."""

    reason = StringField(_l("依据（如：本人来信申请，日期）"),
                         validators=[DataRequired(_l("请填写注销依据。")), Length(max=500)])
    confirmation = StringField(_l("请输入“注销”两个字确认"),
                               validators=[DataRequired(_l("请输入“注销”两个字确认。"))])

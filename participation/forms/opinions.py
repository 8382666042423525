"""Forms for opinions: the submission form, receipt lookup, and the staff's moderation
and filter forms.

The submission form only parses what was posted: lengths, choices and the category
rules are checked by ``participation.services.opinions`` (shared with the API), so a
message is the same wherever the opinion comes from. Choice fields therefore skip
WTForms' own choice check (its message is not ours, and an unknown value gets the
service's Chinese message instead).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from participation import labels
from participation.models import Disposition, ModerationMode, ModerationState, Stance, SubmitterCategory
from participation.services.opinions import (
    MAX_BODY_LENGTH,
    MAX_CONTACT_LENGTH,
    MAX_HIDDEN_REASON_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROPOSED_TEXT_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REGION_LENGTH,
    SELF_CHOSEN_CATEGORIES,
)

# The honeypot's name: nothing a browser's autofill would fill in.
HONEYPOT_FIELD = "leave_this_blank"


def _counted(limit: int, rows: int) -> dict:
    # data-maxlength drives the live counter (static/js/opinions.js); no maxlength
    # attribute, so that pasted text is never cut off silently: the counter warns and
    # the server says what is too long, keeping everything typed.
    return {"rows": rows, "data-maxlength": limit}


class OpinionForm(FlaskForm):
    provision = HiddenField()
    submission_token = HiddenField()
    stance = RadioField(
        _l("态度"), validate_choice=False,
        choices=[SelectChoice(stance.value, labels.STANCE[stance.value]) for stance in Stance],
    )
    body = TextAreaField(_l("意见内容"), render_kw=_counted(MAX_BODY_LENGTH, 8),
                         description=_l("必填，不超过 %(n)d 字。", n=MAX_BODY_LENGTH))
    proposed_text = TextAreaField(
        _l("修改建议条文"), render_kw=_counted(MAX_PROPOSED_TEXT_LENGTH, 4),
        description=_l("可不填。建议的条文怎样写，不超过 %(n)d 字。", n=MAX_PROPOSED_TEXT_LENGTH),
    )
    reason = TextAreaField(_l("理由"), render_kw=_counted(MAX_REASON_LENGTH, 4),
                           description=_l("可不填，不超过 %(n)d 字。", n=MAX_REASON_LENGTH))
    category = RadioField(
        _l("提出人类别"), validate_choice=False, default=SubmitterCategory.CITIZEN.value,
        choices=[SelectChoice(category.value, labels.SUBMITTER_CATEGORY[category.value])
                 for category in SELF_CHOSEN_CATEGORIES],
    )
    region = StringField(
        _l("所在地区"), render_kw={"maxlength": MAX_REGION_LENGTH, "autocomplete": "address-level2"},
        description=_l("可不填。会随意见一起公开显示，填写到区（县）或街道即可。"),
    )
    submitter_name = StringField(_l("姓名"), render_kw={"maxlength": MAX_NAME_LENGTH, "autocomplete": "name"},
                                 description=_l("可不填。"))
    is_name_public = BooleanField(_l("公开我的姓名"))
    contact = StringField(
        _l("联系方式"), render_kw={"maxlength": MAX_CONTACT_LENGTH, "autocomplete": "tel"},
        description=_l("可不填。电话或电子邮箱，便于工作人员就您的意见与您联系。"),
    )
    leave_this_blank = StringField(_l("请不要填写此栏"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class ReceiptLookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    code = StringField(_l("回执码"), render_kw={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "maxlength": 40,
        "placeholder": "ABCD-EFGH-JKMN",
    })


class HideOpinionForm(FlaskForm):
    reason = StringField(
        _l("屏蔽理由"), render_kw={"maxlength": MAX_HIDDEN_REASON_LENGTH},
        description=_l("必填。仅工作人员可见，例如：含有他人个人信息、广告、与草案无关。"),
    )


class OpinionSettingsMixin:
    """The per-draft opinion settings, on the staff's draft edit form."""

    allows_anonymous_opinions = BooleanField(
        _l("允许不登录提交意见"), description=_l("不勾选时，公众须登录后才能提交意见。"))
    moderation_mode = RadioField(
        _l("审核方式"), validate_choice=False,
        choices=[SelectChoice(mode.value, labels.MODERATION_MODE[mode.value]) for mode in ModerationMode],
        description=_l("修改后只影响此后提交的意见：已待审核的意见仍需逐条审核。"),
    )
    shows_opinions_publicly = BooleanField(
        _l("在草案页面公开显示意见"),
        description=_l("公开显示已公开的意见内容；联系方式从不公开，姓名仅在提交人同意时显示。"))


class StaffOpinionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("状态"), validate_choice=False, choices=[SelectChoice("", _l("全部状态"))] + [
        SelectChoice(state.value, labels.MODERATION_STATE[state.value]) for state in ModerationState])
    stance = SelectField(_l("态度"), validate_choice=False, choices=[SelectChoice("", _l("全部态度"))] + [
        SelectChoice(stance.value, labels.STANCE[stance.value]) for stance in Stance])
    category = SelectField(_l("提出人类别"), validate_choice=False, choices=[SelectChoice("", _l("全部类别"))] + [
        SelectChoice(category.value, labels.SUBMITTER_CATEGORY[category.value]) for category in SubmitterCategory])
    clause = StringField(_l("条款"), render_kw={"maxlength": 80, "placeholder": _l("如 第十二条、art.12.2、总体")})
    q = StringField(_l("包含文字"), render_kw={"maxlength": 100, "type": "search"})
    disposition = SelectField(_l("处理情况"), validate_choice=False, choices=[SelectChoice("", _l("全部处理情况"))] + [
        SelectChoice(disposition.value, labels.DISPOSITION[disposition.value]) for disposition in Disposition])
    # Choices filled by the view (the draft's liaison points, the staff members).
    liaison_point = SelectField(_l("联系点"), validate_choice=False)
    assignee = SelectField(_l("承办人"), validate_choice=False)
    batch = StringField(_l("批次编号"), render_kw={"maxlength": 10, "inputmode": "numeric"})

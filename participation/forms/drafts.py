"""Staff forms for drafts: import, re-import, details, publish, extend.

Times are typed as local wall-clock times in the configured zone (``datetime-local``
inputs); the views convert them with ``participation.clock``.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participation.services.drafts import (
    DEFAULT_COMMENT_DAYS,
    MAX_COMMENT_DAYS,
    MAX_ISSUING_BODY_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
)
from participation.clock import FORM_FORMAT
from participation.labels import READING

# The input's own format first: it is also the one used to prefill the field, and
# browsers ignore a datetime-local value in any other format.
DATETIME_FORMATS = [FORM_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
ACCEPTED_UPLOADS = ".docx,.txt,.md,.markdown"


def _datetime_field(label, description=None, required=False):
    return DateTimeLocalField(
        label, format=DATETIME_FORMATS, description=description,
        validators=[DataRequired(_l("请选择时间。")) if required else Optional()],
        invalid_value_message=_l("请按“年-月-日 时:分”填写时间。"),
        render_kw={"step": "60"},
    )


def _days_field(label, default=None, description=None, required=False):
    return IntegerField(
        label, default=default, description=description,
        validators=[DataRequired(_l("请填写天数。")) if required else Optional(),
                    NumberRange(min=1, max=MAX_COMMENT_DAYS,
                                message=_l("天数应在 %(min)s 到 %(max)s 之间。"))],
        invalid_value_message=_l("请填写整数天数。"),
        render_kw={"min": 1, "max": MAX_COMMENT_DAYS, "inputmode": "numeric"},
    )


class DraftDetailsForm(FlaskForm):
    title = StringField(_l("草案标题"), validators=[DataRequired(_l("请填写草案标题。")), Length(max=MAX_TITLE_LENGTH)])
    issuing_body = StringField(_l("起草单位"), validators=[Length(max=MAX_ISSUING_BODY_LENGTH)])
    summary = TextAreaField(_l("草案说明"), validators=[Length(max=MAX_SUMMARY_LENGTH)],
                            description=_l("在草案页面顶部显示，可简要说明起草背景和征求意见的重点。"))


class ImportDraftForm(DraftDetailsForm):
    title = StringField(
        _l("草案标题"), validators=[Length(max=MAX_TITLE_LENGTH)],
        description=_l("留空则使用文本第一行的标题。"),
    )
    file = FileField(_l("上传文件"), description=_l("支持 Word（.docx）、纯文本（.txt）和 Markdown（.md）。"),
                     render_kw={"accept": ACCEPTED_UPLOADS})
    text = TextAreaField(_l("或粘贴全文"), render_kw={"rows": 14, "spellcheck": "false"},
                         description=_l("每条以“第一条”“第二条”……加空格开头；章节标题如“第一章　总则”。"))


class ReplaceTextForm(FlaskForm):
    file = FileField(_l("上传修改后的文件"), render_kw={"accept": ACCEPTED_UPLOADS})
    text = TextAreaField(_l("或粘贴修改后的全文"), render_kw={"rows": 8, "spellcheck": "false"})


class ReadingForm(FlaskForm):
    """A new reading (审次) of a published draft: the next version of its text."""

    reading = SelectField(_l("审次"), choices=[SelectChoice(key, label) for key, label in READING.items()
                                              if key != "consultation"])
    file = FileField(_l("上传新一稿的文件"), render_kw={"accept": ACCEPTED_UPLOADS})
    text = TextAreaField(_l("或粘贴新一稿的全文"), render_kw={"rows": 8, "spellcheck": "false"})


class PublishForm(FlaskForm):
    opens_at = _datetime_field(_l("开始时间"), _l("留空表示立即开始。"))
    days = _days_field(_l("征求意见天数"), default=DEFAULT_COMMENT_DAYS)
    closes_at = _datetime_field(_l("或指定截止时间"), _l("填写后以此为准，不再按天数计算。"))


class ExtendForm(FlaskForm):
    closes_at = _datetime_field(_l("新的截止时间"), required=True)


from participation.forms.opinions import OpinionSettingsMixin  # noqa: E402


class DraftEditForm(DraftDetailsForm, OpinionSettingsMixin):
    """The staff's edit page: the draft's details and its opinion settings."""

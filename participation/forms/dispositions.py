"""Forms of the staff's disposition work: one opinion, a bulk selection, reply templates
(常用答复) and assignments (承办).

They only parse what was posted; ``participation.services.dispositions.check`` and
``participation.services.assignments`` say what is wrong, with the same messages as the
API."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from participation import labels
from participation.models import Disposition
from participation.services.assignments import MAX_TEMPLATE_TITLE_LENGTH
from participation.services.dispositions import MAX_DISPOSITION_NOTE_LENGTH, MAX_DISPOSITION_REASON_LENGTH


def disposition_choices(*, blank: str | None = None) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(d.value, labels.DISPOSITION[d.value]) for d in Disposition]


class DispositionForm(FlaskForm):
    disposition = SelectField(_l("处理情况"), validate_choice=False, choices=disposition_choices())
    # Filled by the view with the draft's 常用答复; static/js/dispositions.js copies the
    # picked text into the reason, and without script the server uses it when the
    # reason is left empty.
    template = SelectField(_l("常用答复"), validate_choice=False)
    reason = TextAreaField(_l("处理理由"), render_kw={"rows": 3, "data-maxlength": MAX_DISPOSITION_REASON_LENGTH},
                           description=_l("写给提出人，反馈公布后可见；“未采纳”“部分采纳”必填。"))
    note = TextAreaField(_l("内部备注"), render_kw={"rows": 2, "data-maxlength": MAX_DISPOSITION_NOTE_LENGTH},
                         description=_l("仅工作人员可见。"))
    next = HiddenField()


class BulkDispositionForm(FlaskForm):
    scope = RadioField(_l("范围"), validate_choice=False, default="ticked",
                       choices=[SelectChoice("ticked", _l("勾选的意见")), SelectChoice("filter", _l("符合筛选条件的全部意见"))])
    disposition = SelectField(_l("处理情况"), validate_choice=False, choices=disposition_choices(blank=_l("请选择")))
    template = SelectField(_l("常用答复"), validate_choice=False)
    reason = TextAreaField(_l("处理理由"), render_kw={"rows": 3, "data-maxlength": MAX_DISPOSITION_REASON_LENGTH})
    # Drawn when the confirmation page is shown and sent with the confirmation: the
    # bulk change's idempotency key, so a double submit applies it once.
    form_token = HiddenField()


class ReplyTemplateForm(FlaskForm):
    title = StringField(_l("标题"), render_kw={"maxlength": MAX_TEMPLATE_TITLE_LENGTH},
                        description=_l("便于在列表中选择，例如：已在第十二条中吸收。"))
    disposition = SelectField(_l("适用的处理情况"), validate_choice=False,
                              choices=disposition_choices(blank=_l("任何处理情况")))
    text = TextAreaField(_l("答复内容"), render_kw={"rows": 4, "data-maxlength": MAX_DISPOSITION_REASON_LENGTH})

"""Forms of the 报送意见 area: a new batch (the draft, the activity, the table) and the
corrected table on the preview page. The activity's rules are the service's
(``batches.parse_activity``), shared with the API, which reports every field
at fault; the form carries the fields, the CSRF token and the browser's hints."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from participation import labels
from participation.batches.vocabulary import (
    MAX_LATE_REASON_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_PARTICIPANTS,
    MAX_PLACE_LENGTH,
)

ACCEPTED_TABLES = ".xlsx,.csv,.txt"


def _file_field(label):
    return FileField(label, render_kw={"accept": ACCEPTED_TABLES},
                     description=_l("Excel 工作簿（.xlsx），或 CSV（UTF-8 或 GBK 编码）、Unicode 文本（.txt）。"
                                    "请用本页提供的模板填写；表头为：条款、意见内容、态度、修改建议、理由、提出人类别、提出人、地区、反映群众人数。"))


class BatchForm(FlaskForm):
    draft = SelectField(_l("草案"), validate_choice=False)
    kind = SelectField(_l("活动形式"), validate_choice=False,
                       choices=[SelectChoice(value, label) for value, label in labels.BATCH_ACTIVITY_KIND.items()])
    date = StringField(_l("活动日期"), render_kw={"type": "date", "placeholder": "2026-03-15"})
    place = StringField(_l("地点"), render_kw={"maxlength": MAX_PLACE_LENGTH})
    participants = StringField(_l("参加人数"), render_kw={"type": "number", "min": 1, "max": MAX_PARTICIPANTS,
                                                       "inputmode": "numeric"},
                               description=_l("不清楚可留空。"))
    notes = TextAreaField(_l("备注"), render_kw={"rows": 3, "maxlength": MAX_NOTES_LENGTH})
    late_reason = TextAreaField(
        _l("逾期原因"), render_kw={"rows": 2, "maxlength": MAX_LATE_REASON_LENGTH},
        description=_l("征求意见期结束后代为录入时必填，例如：座谈会在期限内举行，汇总表逾期送达。"))
    file = _file_field(_l("意见汇总表"))

    def activity_data(self) -> dict:
        """The raw activity fields for ``parse_activity`` (which reports every error)."""
        return {
            "kind": self.kind.data,
            "date": self.date.data or None,
            "place": self.place.data or "",
            "participants": self.participants.data,
            "notes": self.notes.data or "",
            "late_reason": self.late_reason.data or "",
        }


class ReplaceFileForm(FlaskForm):
    file = _file_field(_l("修改后的意见汇总表"))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: what is confirmed is the stored upload the page shows."""

"""Forms of the disposition sheet round trip: the upload, and its confirmation (which
names the changes that were shown, so that exactly those are applied)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField

ACCEPTED_SHEETS = ".xlsx,.csv,.txt"


class DispositionSheetForm(FlaskForm):
    file = FileField(_l("处理情况表"), render_kw={"accept": ACCEPTED_SHEETS},
                     description=_l("从意见列表下载的处理情况表（.xlsx），填写后上传；也可以是另存的 CSV（UTF-8 或 GBK 编码）。"))


class ConfirmSheetForm(FlaskForm):
    fingerprint = HiddenField()

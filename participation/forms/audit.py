"""The 操作记录 page's filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from participation.queries.paging import MAX_ID


class AuditFilterForm(FlaskForm):
    """Sent by GET (no CSRF: it changes nothing). Dates are days in the configured time
    zone, both inclusive."""

    class Meta:
        csrf = False

    actor = SelectField(_l("操作人"), validators=[Optional()], validate_choice=False)
    action = SelectField(_l("操作"), validators=[Optional()], validate_choice=False)
    object_type = SelectField(_l("对象类型"), validators=[Optional()], validate_choice=False)
    object_id = IntegerField(_l("对象编号"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    since = DateField(_l("起始日期"), validators=[Optional()])
    until = DateField(_l("截止日期"), validators=[Optional()])

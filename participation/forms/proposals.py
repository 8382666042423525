"""The 立法项目建议 form (a proposal in answer to a legislative-plan call).

As the opinion form (``participation.forms.opinions``) it only parses what was posted:
lengths, choices, the focus area, the category rules and the attachments are checked by
``participation.services.proposals`` (shared with the API and liaison batches), so a
message is the same wherever the proposal comes from. The field names are those of
``services.proposals.ProposalInput`` (and ``attachment``), so the service's field errors
land on them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from participation import labels
from participation.services.proposals import (
    MAX_CONTACT_LENGTH,
    MAX_MOTION_NUMBER_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REGION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_UNIT_LENGTH,
    SELF_CHOSEN_CATEGORIES,
)


def _counted(limit: int, rows: int) -> dict:
    # As on the opinion form: a live counter (static/js/opinions.js), no maxlength that
    # would cut pasted text off silently.
    return {"rows": rows, "data-maxlength": limit}


class ProposalForm(FlaskForm):
    class Meta:
        csrf = False  # checked by the view itself, so that an expired form gives its text back

    submission_token = HiddenField()
    title = StringField(_l("项目名称"), render_kw={"maxlength": MAX_TITLE_LENGTH * 2, "placeholder": _l("如：某市养犬管理条例")},
                        description=_l("必填。建议制定或修改的法规名称，不超过 %(n)d 字。", n=MAX_TITLE_LENGTH))
    necessity = TextAreaField(_l("立法的必要性和可行性"), render_kw=_counted(MAX_TEXT_LENGTH, 6),
                              description=_l("必填。为什么需要立这部法规，现在是否具备条件。"))
    problems = TextAreaField(_l("需要解决的主要问题"), render_kw=_counted(MAX_TEXT_LENGTH, 5),
                             description=_l("可不填。"))
    measures = TextAreaField(_l("拟规定的主要制度和措施"), render_kw=_counted(MAX_TEXT_LENGTH, 5),
                             description=_l("可不填。"))
    # A select of the call's focus areas, or free text when the call names none (the
    # template renders the one that fits); the service checks the value either way.
    area = SelectField(_l("重点领域"), validate_choice=False)
    # The help text names the limits, which the view reads from the configuration.
    attachment = MultipleFileField(_l("法规草案建议稿"), render_kw={"accept": ".docx,.pdf,.txt"})
    category = RadioField(
        _l("提出人类别"), validate_choice=False, default=SELF_CHOSEN_CATEGORIES[0].value,
        choices=[SelectChoice(category.value, labels.PROPOSER_CATEGORY[category.value])
                 for category in SELF_CHOSEN_CATEGORIES],
    )
    submitter_name = StringField(_l("姓名"), render_kw={"maxlength": MAX_NAME_LENGTH, "autocomplete": "name"},
                                 description=_l("可不填。"))
    unit = StringField(_l("单位"), render_kw={"maxlength": MAX_UNIT_LENGTH, "autocomplete": "organization"},
                       description=_l("单位、政府部门提出的建议必填。"))
    region = StringField(_l("所在地区"), render_kw={"maxlength": MAX_REGION_LENGTH, "autocomplete": "address-level2"},
                         description=_l("可不填，填写到区（县）或街道即可。"))
    contact = StringField(_l("联系方式"), render_kw={"maxlength": MAX_CONTACT_LENGTH, "autocomplete": "tel"},
                          description=_l("可不填。电话或电子邮箱，仅工作人员可见，便于就您的建议与您联系。"))
    is_name_public = BooleanField(_l("公开我的姓名（或单位名称）"))
    motion_number = StringField(
        _l("所依据的议案或建议编号"), render_kw={"maxlength": MAX_MOTION_NUMBER_LENGTH},
        description=_l("可不填。这件建议以您提出的代表议案或建议为基础时，填写其编号，如“第12号建议”。"))
    leave_this_blank = StringField(_l("请不要填写此栏"), render_kw={"autocomplete": "off", "tabindex": "-1"})

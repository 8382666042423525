"""Forms of the staff's legislative-plan work (立法计划征集): the call, the proposal list's
filter, one proposal's moderation and classification, the bulk actions, and the annual
plan's editor.

They only parse what was posted; the services (``services.plan_calls``,
``services.classifications``, ``services.plans``) say what is wrong, with the same
messages as the API. Times are typed as local wall-clock times (``datetime-local``), as
on the draft publish form; the views convert them with ``participation.clock``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from participation import labels
from participation.forms.drafts import _datetime_field
from participation.models import ModerationMode
from participation.services.classifications import MAX_GROUP_TITLE_LENGTH, MAX_NOTE_LENGTH, MAX_REASON_LENGTH
from participation.services.plan_calls import MAX_TITLE_LENGTH


def _choices(mapping: dict, *, blank=None, skip=()) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(key, label) for key, label in mapping.items() if key not in skip]


class PlanCallForm(FlaskForm):
    title = StringField(_l("标题"), render_kw={"maxlength": MAX_TITLE_LENGTH},
                        description=_l("例如：关于公开征集2027年度立法计划项目建议的公告。"))
    # Typed as text: the service answers a bad year with its own message.
    year = StringField(_l("计划年度"), render_kw={"inputmode": "numeric", "maxlength": 4, "class": "short"},
                       description=_l("征集的是哪一年的立法计划，例如 2027。"))
    announcement = TextAreaField(_l("公告正文"), render_kw={"rows": 10},
                                 description=_l("说明征集哪些方面的立法项目建议、提出方式和要求。"))
    focus_areas = TextAreaField(_l("重点领域"), render_kw={"rows": 3},
                                description=_l("每行一个，或用顿号“、”分隔，例如：民生保障、生态环境、城市管理。可留空。"))
    opens_at = _datetime_field(_l("开始时间"))
    closes_at = _datetime_field(_l("截止时间"))
    allows_anonymous_proposals = BooleanField(
        _l("允许不登录提出建议"), description=_l("不勾选时，公众须登录后才能提出建议。"))
    moderation_mode = RadioField(
        _l("审核方式"), validate_choice=False, default=ModerationMode.POST.value,
        choices=[SelectChoice(mode.value, labels.MODERATION_MODE[mode.value]) for mode in ModerationMode])


class ProposalFilterForm(FlaskForm):
    """The staff list's filter (GET; choices of area, assignee and group filled by the
    view). The fields are named as ``queries.ProposalFilters``'s, so the exports read
    the same arguments."""

    class Meta:
        csrf = False

    text = StringField(_l("关键词"), render_kw={"maxlength": 100, "placeholder": _l("项目名称或必要性")})
    classification = SelectField(_l("处理情况"), validate_choice=False,
                                 choices=_choices(labels.CLASSIFICATION, blank=_l("全部处理情况")))
    moderation_state = SelectField(_l("审核状态"), validate_choice=False,
                        choices=_choices(labels.MODERATION_STATE, blank=_l("全部状态")))
    category = SelectField(_l("提出人类别"), validate_choice=False,
                           choices=_choices(labels.PROPOSER_CATEGORY, blank=_l("全部类别")))
    area = SelectField(_l("重点领域"), validate_choice=False)
    channel = SelectField(_l("渠道"), validate_choice=False, choices=_choices(labels.CHANNEL, blank=_l("全部渠道")))
    assignee_id = SelectField(_l("承办人"), validate_choice=False)
    group_id = SelectField(_l("合并项目"), validate_choice=False)


class ClassificationForm(FlaskForm):
    classification = SelectField(_l("处理情况"), validate_choice=False, choices=_choices(labels.CLASSIFICATION))
    reason = TextAreaField(_l("处理理由"), render_kw={"rows": 3, "data-maxlength": MAX_REASON_LENGTH},
                           description=_l("写给提出人；“不予列入”“已有相关法规”“合并处理”必填。"))
    note = TextAreaField(_l("内部备注"), render_kw={"rows": 2, "data-maxlength": MAX_NOTE_LENGTH},
                         description=_l("仅工作人员可见。"))


class BulkClassificationForm(ClassificationForm):
    # Ids of their own: the list's filter has a "classification" field too.
    classification = SelectField(_l("处理情况"), validate_choice=False, id="bulk-classification",
                                 choices=_choices(labels.CLASSIFICATION, blank=_l("请选择")))
    reason = TextAreaField(_l("处理理由"), render_kw={"rows": 2, "data-maxlength": MAX_REASON_LENGTH},
                           id="bulk-reason", description=_l("写给提出人；“不予列入”“已有相关法规”“合并处理”必填。"))
    note = StringField(_l("内部备注"), render_kw={"maxlength": MAX_NOTE_LENGTH}, id="bulk-note",
                       description=_l("仅工作人员可见。"))
    # Drawn when the list is shown: the bulk change's idempotency key, so a double
    # submit applies it once.
    form_token = HiddenField()


class MergeForm(FlaskForm):
    title = StringField(_l("合并后的项目名称"), render_kw={"maxlength": MAX_GROUP_TITLE_LENGTH},
                        description=_l("勾选同一法规的两件以上建议，合并为一个项目处理。"))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("承办人"), validate_choice=False)


class HideProposalForm(FlaskForm):
    reason = StringField(_l("屏蔽理由"), render_kw={"maxlength": 500}, id="hide-reason",
                         description=_l("必填。提出人凭回执码查询时会看到这一理由，例如：含有他人个人信息、与立法项目无关。"))


class PlanForm(FlaskForm):
    title = StringField(_l("计划标题"), render_kw={"maxlength": 200}, id="plan-title")
    introduction = TextAreaField(_l("说明"), render_kw={"rows": 5},
                                 description=_l("在公开的计划页面顶部显示。"))


class ProjectForm(FlaskForm):
    project_class = SelectField(_l("项目类别"), validate_choice=False,
                                choices=_choices(labels.PROJECT_CLASS, blank=_l("请选择")))
    title = StringField(_l("项目名称"), render_kw={"maxlength": 200})
    drafting_body = StringField(_l("起草单位"), render_kw={"maxlength": 200})
    planned_month = SelectField(_l("提请审议时间"), validate_choice=False,
                                choices=[SelectChoice("", _l("未定"))] + [
                                    SelectChoice(str(m), _l("%(m)d 月", m=m)) for m in range(1, 13)])
    notes = TextAreaField(_l("备注"), render_kw={"rows": 2})


class DraftLinkForm(FlaskForm):
    draft_id = SelectField(_l("实施的草案"), validate_choice=False)

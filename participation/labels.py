"""Display labels (Chinese source strings, translated through Flask-Babel) for the
domain's enumerations. One place, so that pages, exports and the API agree."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

DRAFT_STATUS = {
    "draft": _l("草稿"),
    "scheduled": _l("即将征求意见"),
    "open": _l("征求意见中"),
    "closed": _l("已截止"),
    "feedback": _l("已反馈"),
}

READING = {
    "consultation": _l("征求意见稿"),
    "first": _l("一审稿"),
    "second": _l("二审稿"),
    "third": _l("三审稿"),
    "final": _l("表决稿"),
}

ROLE = {
    "citizen": _l("公民"),
    "deputy": _l("人大代表"),
    "operator": _l("联系点信息员"),
    "staff": _l("法工委工作人员"),
    "admin": _l("管理员"),
}

PROVISION_KIND = {
    "part": _l("编"),
    "subpart": _l("分编"),
    "chapter": _l("章"),
    "section": _l("节"),
    "article": _l("条"),
    "paragraph": _l("款"),
    "item": _l("项"),
    "subitem": _l("目"),
    "preamble": _l("序言"),
    "annex": _l("附件"),
}

ISSUE_SEVERITY = {"error": _l("错误"), "warning": _l("提示")}


def label(mapping: dict, value) -> str:
    value = getattr(value, "value", value)
    return str(mapping.get(value, value))

# The default site name, listed here so that its English translation is extracted.
DEFAULT_SITE_NAME = _l("立法公众参与平台")

STANCE = {
    "support": _l("赞成"),
    "oppose": _l("反对"),
    "amend": _l("修改"),
    "add": _l("新增"),
    "delete": _l("删除"),
    "other": _l("其他"),
}

SUBMITTER_CATEGORY = {
    "citizen": _l("公民"),
    "deputy": _l("人大代表"),
    "liaison_point": _l("基层立法联系点"),
    "organisation": _l("单位"),
    "expert": _l("专家"),
    "enterprise": _l("企业"),
    "lawyer": _l("律师"),
    "other": _l("其他"),
}

MODERATION_STATE = {
    "pending": _l("待审核"),
    "published": _l("已公开"),
    "hidden": _l("已屏蔽"),
}

MODERATION_MODE = {
    "post": _l("先公开、后审核"),
    "pre": _l("先审核、后公开"),
}

# --- Liaison-point batches (issue 4) ---------------------------------------------------

BATCH_ACTIVITY_KIND = {
    "forum": _l("座谈会"),
    "visit": _l("走访"),
    "survey": _l("问卷"),
    "other": _l("其他"),
}

BATCH_SOURCE = {
    "xlsx": _l("Excel 工作簿"),
    "csv": _l("CSV 文本"),
    "json": _l("接口提交（JSON）"),
}

# 处理情况 recorded by staff for each opinion (models.Disposition); "pending" until then.
# The one list: forms, spreadsheets, the API's descriptions and pages all read it.
DISPOSITION = {
    "pending": _l("待处理"),
    "adopted": _l("采纳"),
    "partly_adopted": _l("部分采纳"),
    "not_adopted": _l("未采纳"),
    "already_provided": _l("已有规定"),
    "out_of_scope": _l("不属于本法规调整范围"),
    "for_study": _l("留作研究"),
}

#: How an opinion reached the committee (Opinion.channel), in the feedback report.
CHANNEL = {
    "web": _l("网站"),
    "api": _l("接口"),
    "batch": _l("联系点汇总"),
}

NOTIFICATION_KIND = {
    "feedback_published": _l("意见采纳情况已发布"),
}

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
    "opinion_hidden": _l("您的意见被屏蔽"),
    "draft_opened": _l("关注的草案开始征求意见"),
    "draft_closing": _l("关注的草案即将截止"),
    "new_reading": _l("关注的草案有新的审次"),
    "batch_disposed": _l("联系点批次已全部处理"),
}

NOTIFICATION_CHANNEL = {
    "inbox": _l("站内消息"),
    "email": _l("电子邮件"),
}

# 操作记录 (audit log): what each recorded action is called, what its objects and fields
# are called. An action missing here is shown by its code.
AUDIT_ACTION = {
    "opinion.hide": _l("屏蔽意见"),
    "opinion.publish": _l("公开意见"),
    "opinion.dispose": _l("记录处理情况"),
    "opinion.dispose_bulk": _l("批量记录处理情况"),
    "draft.import": _l("导入草案"),
    "draft.replace_text": _l("重新导入草案文本"),
    "draft.add_reading": _l("发布新的审次文本"),
    "draft.update": _l("修改草案信息"),
    "draft.opinion_settings": _l("修改意见设置"),
    "draft.publish": _l("发布草案"),
    "draft.extend": _l("延长征求意见期"),
    "draft.close": _l("截止征求意见"),
    "draft.delete": _l("删除草案"),
    "draft.publish_feedback": _l("发布意见采纳情况"),
    "account.create": _l("创建账户"),
    "account.update": _l("修改账户信息"),
    "account.disable": _l("停用账户"),
    "account.enable": _l("启用账户"),
    "account.password_set": _l("设置密码"),
    "account.unlock_sign_in": _l("解除登录限制"),
    "account.token_issue": _l("签发 API 令牌"),
    "account.token_revoke": _l("撤销 API 令牌"),
    "account.erase": _l("注销账户（删除个人信息）"),
    "privacy_policy.publish": _l("发布隐私政策"),
    "liaison_point.create": _l("创建联系点"),
    "liaison_point.update": _l("修改联系点"),
    "liaison_point.batch_on_behalf": _l("代联系点录入意见"),
    "plan_call.create": _l("创建征集公告"),
    "plan_call.update": _l("修改征集公告"),
    "plan_call.publish": _l("发布征集公告"),
    "plan_call.close": _l("截止征集"),
    "proposal.hide": _l("屏蔽建议"),
    "proposal.publish": _l("公开建议"),
    "proposal.assign": _l("指定建议承办人"),
    "proposal.classify": _l("记录建议处理情况"),
    "proposal.classify_bulk": _l("批量记录建议处理情况"),
    "proposal.merge": _l("合并处理建议"),
    "proposal.unmerge": _l("取消合并"),
    "proposal.link_project": _l("建议关联计划项目"),
    "proposal.unlink_project": _l("建议取消关联计划项目"),
    "proposal_group.rename": _l("修改合并项目名称"),
    "plan.create": _l("创建年度立法计划"),
    "plan.update": _l("修改年度立法计划"),
    "plan.add_project": _l("添加计划项目"),
    "plan.update_project": _l("修改计划项目"),
    "plan.remove_project": _l("删除计划项目"),
    "plan.publish": _l("发布年度立法计划"),
    "plan.link_draft": _l("计划项目关联草案"),
}

AUDIT_OBJECT = {
    "opinion": _l("意见"),
    "plan_call": _l("征集公告"),
    "proposal": _l("立法项目建议"),
    "proposal_group": _l("合并项目"),
    "plan": _l("年度立法计划"),
    "plan_project": _l("计划项目"),
    "privacy_policy": _l("隐私政策"),
    "draft": _l("草案"),
    "user": _l("账户"),
    "liaison_point": _l("联系点"),
}

AUDIT_FIELD = {
    "moderation_state": _l("审核状态"),
    "hidden_reason": _l("屏蔽理由"),
    "disposition": _l("处理情况"),
    "reason": _l("处理理由"),
    "note": _l("内部备注"),
    "selected": _l("选中条数"),
    "title": _l("标题"),
    "issuing_body": _l("起草单位"),
    "summary": _l("说明"),
    "allows_anonymous_opinions": _l("允许匿名意见"),
    "moderation_mode": _l("审核方式"),
    "shows_opinions_publicly": _l("公开显示意见"),
    "published_at": _l("发布时间"),
    "opens_at": _l("开始时间"),
    "closes_at": _l("截止时间"),
    "version": _l("版本"),
    "source_filename": _l("文件名"),
    "source_format": _l("文件格式"),
    "source_digest": _l("文本摘要值"),
    "provisions": _l("条文节点数"),
    "email": _l("电子邮箱"),
    "role": _l("角色"),
    "display_name": _l("姓名"),
    "is_enabled": _l("启用"),
    "liaison_point_id": _l("联系点"),
    "deputy_number": _l("代表证号"),
    "delegation": _l("代表团"),
    "professional_group": _l("专业小组"),
    "cleared_failures": _l("清除的失败次数"),
    "token_id": _l("令牌编号"),
    "name": _l("名称"),
    "prefix": _l("令牌前缀"),
    "region": _l("地区"),
    "address": _l("地址"),
    "is_active": _l("启用"),
    "batch_id": _l("批次编号"),
    "late_reason": _l("逾期理由"),
    # a bulk action's selection
    "ids": _l("勾选的意见"),
    "clause": _l("条款"),
    "stance": _l("立场"),
    "category": _l("提交者类别"),
    "liaison_point": _l("联系点"),
    "text": _l("文本"),
    "batch": _l("批次"),
    "state": _l("审核状态"),
    # legislative-plan calls, proposals and the plan (issue 17)
    "classification": _l("处理情况"),
    "project_id": _l("计划项目"),
    "group_id": _l("合并项目"),
    "group": _l("合并项目名称"),
    "assignee_id": _l("承办人"),
    "year": _l("计划年度"),
    "announcement": _l("公告正文"),
    "focus_areas": _l("重点领域"),
    "allows_anonymous_proposals": _l("允许不登录提出建议"),
    "introduction": _l("说明"),
    "project_class": _l("项目类别"),
    "drafting_body": _l("起草单位"),
    "planned_month": _l("提请审议时间"),
    "notes": _l("备注"),
    "draft_id": _l("法规草案"),
    "by_owner": _l("本人申请"),
    "opinions": _l("意见数"),
    "proposals": _l("建议数"),
}

# Background jobs (participation/jobs/): their states, and each task's name as people
# read it (a task without an entry shows its registered name).
JOB_STATE = {
    "queued": _l("排队中"),
    "running": _l("进行中"),
    "done": _l("已完成"),
    "failed": _l("失败"),
}
JOB_KIND = {
    "exports.opinions_xlsx": _l("导出意见（Excel）"),
    "exports.opinions_docx": _l("导出意见汇总表（Word）"),
    "notifications.fanout": _l("通知关注者"),
    "mail.deliver": _l("发送通知邮件"),
    "mail.verify_email": _l("发送邮箱验证邮件"),
    "mail.confirm_follow": _l("发送关注确认邮件"),
}


# --- Legislative-plan calls (issue 17) -------------------------------------------------

PLAN_CALL_STATUS = {
    "draft": _l("未发布"),
    "scheduled": _l("即将开始"),
    "open": _l("征集中"),
    "closed": _l("已截止"),
}

#: 处理情况 of a proposal (models.Classification), as staff choose it and proposers read it.
CLASSIFICATION = {
    "pending": _l("待处理"),
    "formal": _l("列入正式项目"),
    "preparatory": _l("列入预备项目"),
    "research": _l("列入调研项目"),
    "not_included": _l("不予列入"),
    "already_covered": _l("已有相关法规"),
    "merged": _l("合并处理"),
}

#: The classes of the annual plan's projects, as its headings name them.
PROJECT_CLASS = {
    "formal": _l("正式项目（审议项目）"),
    "preparatory": _l("预备项目"),
    "research": _l("调研项目"),
}

PROPOSER_CATEGORY = {
    "citizen": _l("公民"),
    "deputy": _l("人大代表"),
    "liaison_point": _l("基层立法联系点"),
    "organisation": _l("单位"),
    "government": _l("政府部门"),
    "expert": _l("专家"),
}


# --- Issue 17, search and exports part: the proposal export jobs --------------------------
JOB_KIND.update({
    "exports.proposals_xlsx": _l("导出立法项目建议（Excel）"),
    "exports.proposals_docx": _l("导出立法项目建议汇总表（Word）"),
})

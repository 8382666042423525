"""The demo's legislative-plan call: from a citizen's idea to the annual plan to the draft.

A call for the 2027 plan, made about four months before the demo's clock and closed a
month later, with proposals through the web form (demo citizens, the demo deputy citing
their 建议, anonymous visitors) and the API (organisations, a government department,
experts); held for review (先审后发), most published, some hidden, one still held;
classified with reasons (every classification at least once); three proposals for the
same regulation merged into one group. The published 2027 plan's first formal project
names the proposals behind it and is linked to the open demo draft; a preparatory and a
research project follow. Every time stamp is in the past, reviews after submissions.

A liaison point's forum hands in three more as one batch (``add_liaison_batch_proposals``,
through the batch pipeline), one of them behind the plan's first project."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from participation.models import Draft, PlanCall, Proposal, User
from participation.services import classifications, plan_calls, plans, proposals

YEAR = 2027
CALL_TITLE = "关于公开征集2027年度立法计划项目建议的公告"
FOCUS_AREAS = ["民生保障", "城市管理", "生态环境", "数字政府"]
ANNOUNCEMENT = (
    "为提高立法质量，拓宽公众有序参与立法的途径，市人大常委会法制工作委员会现向社会公开征集2027年度立法计划项目建议。\n"
    "欢迎围绕民生保障、城市管理、生态环境和数字政府等重点领域提出建议，写明项目名称、立法的必要性和可行性、"
    "需要解决的主要问题和拟规定的主要制度和措施；有条件的可以附上法规草案建议稿。"
)
GROUP_TITLE = "某市社区居家养老服务条例"


@dataclass(frozen=True)
class DemoProposal:
    key: str
    who: str              # an account e-mail, or "" for an anonymous visitor
    channel: str          # web | api
    title: str
    necessity: str
    problems: str = ""
    measures: str = ""
    area: str = ""
    category: str | None = None
    name: str = ""
    unit: str = ""
    region: str = ""
    contact: str = ""
    public: bool = False
    motion: str = ""


C1, C2, DEPUTY = "citizen1@demo.example.org", "citizen2@demo.example.org", "deputy@demo.example.org"

PROPOSALS = (
    DemoProposal("eldercare_citizen", C1, "web", "某市居家养老服务条例",
                 "本市60周岁以上户籍老年人口已超过四分之一，九成以上老人选择居家养老，社区服务供给不足。",
                 "社区养老服务设施缺口大，上门服务标准不一，补贴发放缺少依据。",
                 "规定新建住宅区按标准配建养老服务用房；明确基本服务清单；建立服务补贴制度。",
                 area="民生保障", name="李明", region="东城区", contact="13800000001", public=True),
    DemoProposal("eldercare_deputy", DEPUTY, "web", "某市社区居家养老服务条例",
                 "代表在调研中发现社区养老服务设施配建不落实的问题较为普遍，需要以地方性法规加以规范。",
                 "配建用房被挪作他用；服务机构运营困难。",
                 "明确配建用房的移交和监管；对运营机构给予场地和运营补贴。",
                 area="民生保障", name="赵敏", region="东城区", public=True, motion="第2026015号建议"),
    DemoProposal("eldercare_association", C2, "api", "某市养老服务促进条例",
                 "养老服务业发展需要统一的促进政策，现行规定分散在多个规范性文件中。",
                 "扶持政策碎片化，养老护理员队伍不稳定。",
                 "建立养老护理员职业发展和激励制度；统一扶持政策。",
                 area="民生保障", category="organisation", name="王会长", unit="某市老龄事业发展促进会",
                 region="西城区", contact="010-60000001", public=True),
    DemoProposal("eldercare_government", C1, "api", "某市养老服务条例",
                 "上位法对居家社区养老服务作出原则规定，需要结合本市实际细化。",
                 "街道、社区在养老服务中的职责不清。",
                 "明确市、区、街道三级职责；建立养老服务联席会议制度。",
                 area="民生保障", category="government", unit="某市民政局", contact="010-60000002", public=True),
    DemoProposal("property_citizen", C2, "web", "某市物业管理条例（修订）",
                 "现行条例施行已逾十年，业主大会成立难、物业费调整难等问题突出。",
                 "业主大会成立门槛高；维修资金使用程序繁琐。",
                 "降低业主大会成立门槛；简化维修资金应急使用程序。",
                 area="城市管理", name="张华", region="西城区", contact="13800000002"),
    DemoProposal("property_expert", C1, "api", "关于修改某市物业管理条例的建议",
                 "物业服务纠纷已成为基层矛盾的主要来源之一，修改条例条件成熟。",
                 "物业服务企业退出机制缺失。",
                 "建立物业服务企业退出交接制度和信用管理制度。",
                 area="城市管理", category="expert", name="孙教授", unit="某大学法学院", public=True),
    DemoProposal("noise_government", C2, "api", "某市噪声污染防治条例",
                 "新修订的噪声污染防治法施行后，本市需要配套制定实施性法规。",
                 "夜间施工噪声、社会生活噪声投诉量大。",
                 "划定噪声敏感建筑物集中区域；规范夜间施工审批。",
                 area="生态环境", category="government", unit="某市生态环境局", contact="010-60000003"),
    DemoProposal("data_expert", C1, "web", "某市公共数据条例",
                 "公共数据开放共享缺少地方立法依据，部门间数据壁垒明显。",
                 "公共数据目录不统一；开放范围和安全责任不明确。",
                 "建立公共数据目录管理、分级分类开放和安全责任制度。",
                 area="数字政府", category="expert", name="周研究员", unit="某市社会科学院", public=True),
    DemoProposal("data_organisation", C2, "api", "某市数字经济促进条例",
                 "数字经济是本市重点发展产业，需要以法规稳定市场预期。",
                 "数据要素市场规则缺失。",
                 "规定数据交易场所、数据产权登记等制度。",
                 area="数字政府", category="organisation", unit="某市软件行业协会", contact="010-60000004"),
    DemoProposal("heritage_expert", C1, "api", "某市历史文化街区保护条例",
                 "历史文化街区在城市更新中受到破坏的风险上升。",
                 "保护范围划定和保护责任不清。",
                 "建立保护名录和保护责任人制度。",
                 area="城市管理", category="expert", name="吴规划师", unit="某市规划设计研究院", public=True),
    DemoProposal("legal_aid_organisation", C2, "api", "某市法律援助条例",
                 "法律援助法施行后，本市法律援助的范围和标准需要调整。",
                 "经济困难标准偏低，援助范围窄。",
                 "扩大法律援助事项范围，提高经济困难标准。",
                 area="民生保障", category="organisation", unit="某市律师协会", contact="010-60000005"),
    DemoProposal("dance_anonymous", "", "web", "某市广场舞活动管理条例",
                 "广场舞音响扰民问题突出，希望专门立法。", area="城市管理"),
    DemoProposal("pet_grooming", C1, "web", "某市宠物美容服务管理条例",
                 "宠物美容店越来越多，服务质量参差不齐。", area="城市管理", name="李明"),
    DemoProposal("ebike_citizen", C2, "web", "某市电动自行车管理条例",
                 "电动自行车在楼道内充电引发火灾，应当立法规范。", area="城市管理", name="张华", public=True),
    DemoProposal("dogs_deputy", DEPUTY, "web", "某市养犬管理条例（修订）",
                 "不文明养犬引发的纠纷增多。", "遛狗不牵绳；犬只伤人后责任难以落实。",
                 "强化养犬登记和牵绳义务，加大处罚力度。", area="城市管理", name="赵敏", public=True,
                 motion="第2026021号建议"),
    DemoProposal("accessibility", C1, "web", "某市无障碍环境建设条例",
                 "无障碍设施建设和维护不到位，残疾人和老年人出行不便。", area="民生保障"),
    DemoProposal("night_economy", "", "web", "某市夜间经济促进条例",
                 "发展夜间经济有利于扩大消费。", area="城市管理"),
    DemoProposal("market_deputy", DEPUTY, "web", "某市农贸市场管理条例",
                 "农贸市场环境卫生和食品安全问题较多。", area="民生保障", name="赵敏", public=True,
                 motion="第2026033号建议"),
    DemoProposal("charity", C2, "api", "某市慈善事业促进条例",
                 "慈善法修改后，本市慈善组织的培育和监管需要跟进。", area="民生保障", category="organisation",
                 unit="某市慈善总会", contact="010-60000006"),
    DemoProposal("parking", C1, "web", "某市机动车停车管理条例",
                 "老旧小区停车难问题突出，停车设施建设缺少统筹。", "停车泊位缺口大；错时共享停车推进难。",
                 "建立停车设施规划建设和共享使用制度。", area="城市管理", name="李明", public=True),
    DemoProposal("bikes_held", C2, "web", "某市互联网租赁自行车管理条例",
                 "共享单车乱停乱放，占用人行道。", area="城市管理"),
    DemoProposal("complaint_hidden", "", "web", "投诉某小区物业",
                 "小区物业不作为，电梯坏了一个月没人修，请有关部门处理。电话13900000000。"),
    DemoProposal("property_duplicate", C2, "web", "某市物业管理条例（修订）",
                 "现行条例施行已逾十年，业主大会成立难、物业费调整难等问题突出。", area="城市管理"),
)

#: key → (classification, reason) given by staff after the call closed.
CLASSIFIED = {
    "eldercare_citizen": ("formal", "列入2027年度立法计划正式项目《某市社区居家养老服务条例》，由市民政局负责起草。"),
    "eldercare_deputy": ("merged", "与同类建议合并处理，已列入2027年度立法计划正式项目《某市社区居家养老服务条例》。"),
    "eldercare_association": ("merged", "与同类建议合并处理，已列入2027年度立法计划正式项目《某市社区居家养老服务条例》。"),
    "eldercare_government": ("formal", "列入正式项目，建议内容在起草中一并研究。"),
    "property_citizen": ("preparatory", "列入预备项目，待业主自治相关配套政策明确后适时提请审议。"),
    "property_expert": ("preparatory", "列入预备项目，与《某市物业管理条例（修订）》一并研究。"),
    "noise_government": ("preparatory", "列入预备项目，由市生态环境局抓紧开展起草准备。"),
    "data_expert": ("research", "列入调研项目，由市政务服务和数据管理局开展立法调研。"),
    "data_organisation": ("research", "纳入《某市公共数据条例》调研一并研究。"),
    "heritage_expert": ("research", "列入调研项目，结合城市更新工作开展调研。"),
    "legal_aid_organisation": ("not_included", "本市已于2024年出台法律援助实施办法，暂不列入立法计划，将继续跟踪评估。"),
    "dance_anonymous": ("not_included", "广场舞噪声问题可依据噪声污染防治相关法律法规处理，暂无单独立法必要。"),
    "pet_grooming": ("not_included", "属于市场监管一般事项，可通过行业规范解决，暂不列入立法计划。"),
    "ebike_citizen": ("already_covered", "《某市电动自行车停放充电安全管理条例》已公开征求意见，建议内容已在该条例草案中研究。"),
    "dogs_deputy": ("already_covered", "本市养犬管理条例修订草案正在起草中，代表建议已转起草单位研究。"),
    "accessibility": ("already_covered", "本市无障碍环境建设条例已于2023年施行，建议内容已有相应规定。"),
    "night_economy": ("not_included", "夜间经济促进以政策措施为主，暂不需要立法。"),
    "market_deputy": ("research", "列入调研项目，请市商务局会同市场监管部门开展调研。"),
    "charity": ("not_included", "慈善法已作较为全面的规定，本市以实施办法落实，暂不列入。"),
}
HIDDEN = {
    "complaint_hidden": "内容为个人投诉，不属于立法项目建议，已转有关部门办理。",
    "property_duplicate": "与同一提出人的另一件建议重复。",
}
#: Left 待审核 (held): a reviewer still has to look at it.
HELD = ("bikes_held",)


#: 和平街道基层立法联系点's forum on the call: three proposals handed in as one batch
#: (立法项目建议汇总表), through the same pipeline as a spreadsheet upload.
BATCH_ACTIVITY = {"kind": "座谈会", "place": "和平街道社区服务中心", "participants": 18,
                  "notes": "邀请社区居民、楼门长和物业服务企业座谈，征集年度立法计划项目建议。"}
BATCH_ROWS = [
    {"title": "某市社区居家养老服务条例", "necessity": "辖区老年人口占比超过百分之二十五，居家养老服务缺少统一规范。",
     "problems": "助餐点少、上门服务收费不透明。", "measures": "规定社区养老服务设施配建和服务清单。",
     "area": "民生保障", "category": "居民", "name": "刘秀英", "region": "和平街道", "publish_name": False,
     "represented": 12},
    {"title": "某市既有住宅加装电梯促进条例", "necessity": "老旧小区加装电梯意愿强烈，但协商难、审批环节多。",
     "problems": "低层住户反对时缺少协商规则。", "measures": "规定表决规则、补偿办法和简化审批。",
     "area": "城市管理", "category": "居民", "region": "和平街道", "represented": 9},
    {"title": "某市生活垃圾分类管理条例（修订）", "necessity": "分类投放点设置不合理，督导缺少依据。",
     "area": "生态环境", "category": "单位", "unit": "和平街道物业服务企业联合会", "name": "和平街道物业服务企业联合会",
     "publish_name": True, "represented": 1},
]
_BATCH_POINT = "和平街道基层立法联系点"
#: What became of the batch's proposals (the first one joins the plan's first project).
BATCH_CLASSIFIED = {
    0: ("formal", "群众反映集中，与其他建议一并列入正式项目《某市社区居家养老服务条例》。"),
    1: ("research", "加装电梯涉及业主共同决定事项，先开展调研论证。"),
    2: ("already_covered", "现行《某市生活垃圾管理条例》已对分类投放点设置和督导作出规定。"),
}


def add_liaison_batch_proposals(call: PlanCall, users: dict, points: dict, at: datetime) -> dict[str, Proposal]:
    """The liaison point's batch of proposals, stored at ``at`` (while the call is open)
    by its operator; returns its proposals by demo key (``batch_1`` …)."""
    from participation import batches
    from participation.extensions import db

    point = points[_BATCH_POINT]
    operator = next(user for user in users.values() if user.liaison_point_id == point.id)
    activity = batches.parse_activity({**BATCH_ACTIVITY, "date": at.date().isoformat()}, today=at.date())
    batch, _created = batches.store(batches.check(batches.JsonSource(BATCH_ROWS), call, point), activity, operator, at)
    rows = db.session.scalars(select(Proposal).where(Proposal.batch_id == batch.id).order_by(Proposal.batch_row))
    return {f"batch_{index}": proposal for index, proposal in enumerate(rows)}


def load_plan_call(users: dict, points: dict, staff: User, draft: Draft, now: datetime) -> PlanCall:
    """The call, its proposals, their review and the published 2027 plan whose first
    formal project is linked to ``draft``. ``now``: the demo's clock; everything is
    stamped before it."""
    opened = now - timedelta(days=120)
    call = plan_calls.create_call(plan_calls.PlanCallInput(
        title=CALL_TITLE, year=YEAR, announcement=ANNOUNCEMENT, focus_areas=FOCUS_AREAS, opens_at=opened,
        closes_at=opened + timedelta(days=30), allows_anonymous_proposals=True, moderation_mode="pre",
    ), by=staff, now=opened - timedelta(days=1), publish=True)
    made: dict[str, Proposal] = {}
    for index, item in enumerate(PROPOSALS):
        at = opened + timedelta(days=1 + index, hours=2)
        made[item.key] = _submit(call, item, users, at)
    from_batch = add_liaison_batch_proposals(call, users, points, opened + timedelta(days=27))
    made.update(from_batch)
    _review(call, made, staff, call.closes_at + timedelta(days=2))
    _plan(made, staff, draft, call.closes_at + timedelta(days=10), now)
    return call


NEXT_CALL_TITLE = "关于公开征集2028年度立法计划项目建议的公告"


def open_next_call(staff: User, now: datetime) -> PlanCall:
    """The next year's call, open from an hour ago for 30 days, so that a new user can
    propose a regulation (the 2027 call is closed)."""
    opened = now - timedelta(hours=1)
    return plan_calls.create_call(plan_calls.PlanCallInput(
        title=NEXT_CALL_TITLE, year=YEAR + 1, announcement=ANNOUNCEMENT.replace("2027", "2028"),
        focus_areas=FOCUS_AREAS, opens_at=opened, closes_at=opened + timedelta(days=30),
        allows_anonymous_proposals=False, moderation_mode="post",
    ), by=staff, now=opened, publish=True)


def _submit(call: PlanCall, item: DemoProposal, users: dict, at: datetime) -> Proposal:
    from participation.extensions import db

    data = proposals.ProposalInput(
        title=item.title, necessity=item.necessity, problems=item.problems, measures=item.measures, area=item.area,
        category=item.category, submitter_name=item.name, unit=item.unit, region=item.region, contact=item.contact,
        is_name_public=item.public, motion_number=item.motion)
    stored = proposals.submit_proposal(call, data, author=users.get(item.who), now=at, channel=item.channel)
    return db.session.get(Proposal, stored.id)


def _review(call: PlanCall, made: dict, staff: User, at: datetime) -> None:
    """先审后发, then 合并处理 and 处理情况, a minute apart."""
    step = iter(range(1, 1000))
    for key, proposal in made.items():
        if key in HIDDEN:
            proposals.hide_proposal(proposal, reason=HIDDEN[key], by=staff, now=at + timedelta(minutes=next(step)))
        elif key not in HELD:
            proposals.publish_proposal(proposal, by=staff, now=at + timedelta(minutes=next(step)))
    group_keys = ("eldercare_citizen", "eldercare_deputy", "eldercare_association")
    classifications.merge(call, [made[key].id for key in group_keys], title=GROUP_TITLE, by=staff,
                          now=at + timedelta(hours=2))
    later = at + timedelta(days=1)
    decided = {**CLASSIFIED, **{f"batch_{index}": decision for index, decision in BATCH_CLASSIFIED.items()}}
    for key, (classification, reason) in decided.items():
        classifications.classify(made[key], classifications.ClassificationInput(classification, reason),
                                 by=staff, now=later + timedelta(minutes=next(step)))


def _plan(made: dict, staff: User, draft: Draft, at: datetime, now: datetime) -> None:
    plan = plans.plan_for_year(YEAR, by=staff, now=at)
    plans.update_plan(plan, title="某市人大常委会2027年度立法计划", introduction=(
        "本计划在公开征集立法项目建议的基础上编制，共收到社会各界立法项目建议二十余件。"
        "计划分为正式项目（审议项目）、预备项目和调研项目。"), by=staff, now=at)
    first = plans.add_project(plan, plans.ProjectInput(
        "formal", "某市社区居家养老服务条例", drafting_body="市民政局", planned_month=6,
        notes="源自公众和人大代表的立法项目建议。",
        proposal_ids=[made[key].id for key in ("eldercare_citizen", "eldercare_deputy", "eldercare_association",
                                               "eldercare_government", "batch_0")]), by=staff, now=at + timedelta(hours=1))
    plans.add_project(plan, plans.ProjectInput(
        "preparatory", "某市物业管理条例（修订）", drafting_body="市住房和城乡建设委员会", planned_month=10,
        proposal_ids=[made["property_citizen"].id, made["property_expert"].id]), by=staff, now=at + timedelta(hours=2))
    plans.add_project(plan, plans.ProjectInput(
        "research", "某市公共数据条例", drafting_body="市政务服务和数据管理局",
        proposal_ids=[made["data_expert"].id, made["data_organisation"].id]), by=staff, now=at + timedelta(hours=3))
    plans.publish_plan(plan, by=staff, now=at + timedelta(days=5))
    # The draft was put out for comment by the demo's own clock: the link comes after.
    plans.link_draft(first, draft, by=staff, now=min(now, (draft.published_at or now) + timedelta(minutes=5)))

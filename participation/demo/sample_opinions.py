"""Invented opinions on the demo drafts, so that a new user sees a tally, public
listings, search results and a liaison batch from the first start.

Each opinion: (account e-mail, clause key or None for the whole draft, stance, opinion,
proposed wording, reason, region, name, publish the name).
"""

OPEN_DRAFT_OPINIONS = [
    ("citizen1@demo.example.org", "art.11.1.1", "amend", "建议助餐服务覆盖到所有社区，送餐上门的费用应当有统一的上限。",
     "", "不少老人腿脚不便，送餐费比饭钱还贵。", "东城区", "李明", True),
    ("citizen2@demo.example.org", "art.11.1.1", "support", "赞成助餐服务的规定，我们小区的老年食堂很受欢迎。",
     "", "", "西城区", "", False),
    ("citizen1@demo.example.org", "art.11.1.4.1", "amend", "紧急呼叫设备应当免费配置，并由街道定期上门检查电池和信号。",
     "（一）为独居、高龄老年人免费配置紧急呼叫设备，并定期检查维护；", "设备坏了没人知道，关键时候用不上。", "东城区", "李明", True),
    ("deputy@demo.example.org", "art.12.1.3", "amend", "补贴对象的年龄建议从八十周岁降低到七十五周岁，独居老人风险更高。",
     "（三）七十五周岁以上的独居老年人。", "代表联络站走访中，群众对此反映集中。", "东城区", "赵敏", True),
    ("citizen2@demo.example.org", "art.12.1.3", "support", "同意对独居老年人给予补贴。", "", "", "西城区", "", False),
    ("citizen1@demo.example.org", "art.7", "amend", "每百户二十平方米的配建标准偏低，老旧小区也应当通过购置、租赁等方式补足。",
     "", "老旧小区没有用房，服务开展不起来。", "东城区", "李明", True),
    ("citizen2@demo.example.org", "art.7", "oppose", "配建标准不宜一刀切，应当根据小区老年人口比例确定。",
     "", "有的小区年轻人多，用房闲置。", "西城区", "王芳", True),
    ("deputy@demo.example.org", "art.9", "add", "建议增加对擅自改变服务用房用途的处罚，并明确由哪个部门查处。",
     "", "目前只有禁止性规定，没有罚则。", "东城区", "赵敏", True),
    ("citizen1@demo.example.org", "art.13", "amend", "入户走访每年一次太少，对失能老人应当每季度至少一次。",
     "", "", "东城区", "", False),
    ("citizen2@demo.example.org", "art.15", "support", "收费明码标价很有必要，还应当在社区公示栏公开。", "", "", "西城区", "", False),
    ("citizen1@demo.example.org", "art.16", "amend", "上门巡诊应当纳入医保报销范围，否则老人不愿意用。", "", "", "东城区", "", False),
    ("citizen2@demo.example.org", None, "other", "整体很好，建议在条例中明确停车位、无障碍通道等配套设施的改造责任。",
     "", "", "西城区", "", False),
    ("deputy@demo.example.org", None, "amend", "建议增加一章“养老服务人才”，对护理员的培训、薪酬和职业发展作出规定。",
     "", "护理员队伍不稳定是社区养老的最大短板。", "东城区", "赵敏", True),
]

# One 意见建议汇总表 from a forum at the first liaison point, as its operator would hand it in.
DEMO_BATCH_ACTIVITY = {"kind": "座谈会", "place": "和平街道社区服务中心", "participants": 23,
                       "notes": "邀请社区老年人、家属和养老服务机构负责人座谈。"}
DEMO_BATCH_ROWS = [
    {"provision": "第十一条第（三）项", "body": "日间照料点太少，建议每个社区至少设一个。", "stance": "修改",
     "reason": "群众反映集中", "category": "居民", "name": "王大爷", "region": "和平街道", "represented": 12},
    {"provision": "第十一条第（四）项第1目", "body": "紧急呼叫设备应当免费配置。", "stance": "赞成",
     "category": "居民", "represented": 3},
    {"provision": "第12条", "body": "补贴对象应扩大到七十周岁以上的独居老人。", "stance": "修改",
     "proposed_text": "（四）七十周岁以上的独居老年人。", "category": "人大代表", "name": "陈代表"},
    {"provision": "第十九条", "body": "喘息服务应当明确每年不少于二十天。", "stance": "修改", "category": "企业",
     "name": "康乐养老服务公司"},
    {"provision": "总体意见", "body": "条例对家庭照护者的支持还不够，建议专门规定。", "stance": "其他", "category": "律师"},
]

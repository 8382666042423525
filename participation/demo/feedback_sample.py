"""The demo's finished loop: the closed e-bike draft's opinions with the answers staff
recorded, and the account of how they were handled (意见采纳情况), published, so a new
user sees at once what a citizen, a deputy and a liaison point get back.

Each opinion: (account e-mail, clause key or None, stance, opinion, proposed wording,
reason, region, name, publish the name, disposition, reason for the submitter).
"""

FEEDBACK_DRAFT_OPINIONS = [
    ("citizen1@demo.example.org", None, "support", "赞成制定本条例，楼道充电的隐患必须治理。", "", "", "东城区", "", False,
     "adopted", "感谢您的支持。条例草案已根据各方意见修改完善，提请常委会审议。"),
    ("citizen2@demo.example.org", None, "amend", "建议对充电设施的收费标准作出规定，防止乱收费。", "", "", "西城区", "王芳", True,
     "out_of_scope", "充电收费属于价格主管部门依法管理的事项，不宜在本条例中规定；已将该意见转市发展改革部门研究。"),
    ("citizen1@demo.example.org", "art.4.1", "amend", "新建小区的充电设施应当按停放车位的一定比例配建，否则建成后仍然不够用。",
     "新建住宅小区应当按照不低于停放车位百分之二十的比例配建充电设施。", "现在不少新小区只有几个充电口。", "东城区", "李明", True,
     "adopted", "已采纳。修改后的第四条第一款明确了充电设施的配建比例。"),
    ("deputy@demo.example.org", "art.4.2", "amend", "已建成小区增设停放充电场所，费用从哪里来不明确，建议明确街道的协调责任。",
     "", "代表走访中老旧小区居民反映集中。", "东城区", "赵敏", True,
     "partly_adopted", "部分采纳：增加规定街道办事处应当协调推动已建成住宅小区增设停放充电场所；"
     "费用分担涉及业主共有部分的使用，按照民法典和物业管理的有关规定执行，本条例不另作规定。"),
    ("citizen2@demo.example.org", "art.6", "oppose", "一律禁止电动自行车进电梯，高层住户没地方停车，建议有条件地放开。",
     "", "", "西城区", "", False,
     "not_adopted", "电动自行车进入电梯轿厢后发生火灾的风险突出、难以扑救，本条禁止性规定予以保留；"
     "停放需求通过第四条增设停放充电场所解决。"),
    ("citizen1@demo.example.org", "art.8", "amend", "罚款二百元的上限偏低，起不到威慑作用。", "", "", "东城区", "", False,
     "for_study", "罚款幅度需要与上位法和本省其他城市的规定衔接，将在条例实施后的评估中继续研究。"),
    ("deputy@demo.example.org", "art.7", "add", "物业服务企业发现违规充电后向谁报告、多长时间内报告，应当明确。",
     "", "", "东城区", "赵敏", True,
     "already_provided", "第七条已规定劝阻无效的应当及时报告消防救援机构或者街道办事处；报告的具体方式由市消防救援机构公布。"),
]

# A forum's 意见建议汇总表 from the second liaison point, handed in while the draft was open.
FEEDBACK_BATCH_ACTIVITY = {"kind": "座谈会", "place": "明理律师事务所会议室", "participants": 9,
                           "notes": "邀请律师、物业服务企业和居民代表座谈。"}
FEEDBACK_BATCH_ROWS = [
    {"provision": "第五条", "body": "禁止停放充电的区域应当增加地下室和半地下室。", "stance": "修改",
     "category": "律师", "name": "周律师", "region": "西城区", "represented": 4},
    {"provision": "第九条", "body": "第九条“可以处五十元罚款”建议改为“处五十元罚款”，避免执法随意。", "stance": "修改",
     "category": "律师", "represented": 2},
]
FEEDBACK_BATCH_ANSWERS = [
    ("adopted", "已采纳，第五条增加“地下室、半地下室”。"),
    ("not_adopted", "对初次违法且及时改正的，宜保留不予处罚的空间，本条维持“可以处”的表述。"),
]

FEEDBACK_REPORT_INTRODUCTION = (
    "市人大常委会法制工作委员会就《某市电动自行车安全管理条例（草案）》向社会公开征求意见，"
    "通过网站、接口和基层立法联系点收到市民、人大代表、律师和物业服务企业的意见建议。"
    "法制工作委员会对每一条意见逐条研究，并在修改草案时认真吸收。现将主要意见及处理情况公布如下，"
    "提出意见的市民可以凭回执码查询本人意见的处理情况。"
)

# (provision key, main opinions, handling); "general" is 总体意见.
FEEDBACK_REPORT_SECTIONS = [
    ("general", "普遍赞成制定本条例；有意见提出对充电收费标准作出规定。",
     "充电收费不属于本条例调整的范围，已转价格主管部门研究。"),
    ("ch.2", "集中在新建小区充电设施的配建比例、已建成小区增设场所的协调责任、禁止进入电梯的规定和禁止停放区域的范围。",
     "增加了充电设施配建比例和街道办事处的协调责任，禁止停放区域增加地下室、半地下室；禁止电动自行车进入电梯的规定予以保留。"),
    ("ch.3", "有意见认为罚款数额偏低，有意见建议将“可以处”改为“处”。",
     "罚款幅度留待实施评估中研究；为给初次违法且及时改正的情形留出空间，维持“可以处”的表述。"),
]

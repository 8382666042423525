"""A seeded generator of realistic opinions on the real regulations, for benchmarks.

Each opinion is about 100 Chinese characters (normally distributed, 20–400), aimed at a
clause of one of the regulations in ../shared/data/regulations (a few clauses draw most
opinions, as in real consultations; one in ten is on the draft as a whole), with a
stance, a submitter category, a region, sometimes proposed wording and a reason, and a
time inside a 30-day comment period with the usual bursts at the start and the end.

The words come from two places, so the spread of common and rare words is realistic:
the regulations' own vocabulary (jieba words of all twelve texts, drawn with their real
frequencies, which follow Zipf's law) and a list of everyday concerns (车位, 噪声,
加装电梯 …) drawn with Zipf weights in an order of their own for each draft; opinions
also quote the clause they are about.

    from bench.corpus import Corpus
    corpus = Corpus(seed=20260301)
    for opinion in corpus.opinions(1000): ...

The same seed gives the same corpus on every machine (Python's ``random`` with a fixed
seed, and a fixed segmentation: jieba without HMM).
"""
from __future__ import annotations

import bisect
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGULATIONS_DIR = PROJECT_ROOT.parent / "shared" / "data" / "regulations"

# Share of opinions per regulation (by file stem); the rest split evenly.
DRAFT_WEIGHTS = {
    "beijing-property-management": 0.22,
    "national-civil-code": 0.18,
    "shanghai-household-waste": 0.12,
    "dezhou-elderly-care-services": 0.08,
    "chongqing-public-smoking-control": 0.07,
    "ningbo-city-appearance-sanitation": 0.07,
}

CONCERNS = [
    "停车位", "车位", "噪声", "物业费", "加装电梯", "电梯", "垃圾分类", "电动自行车", "充电桩", "养老",
    "居家养老", "养老机构", "绿化", "遛狗", "吸烟", "广场舞", "快递柜", "占道经营", "违章建筑", "油烟",
    "漏水", "维修资金", "业主委员会", "监控", "消防通道", "共享单车", "外卖", "装修", "宠物", "楼道堆物",
    "高空抛物", "物业服务企业", "公共收益", "停车费", "夜间施工", "噪声扰民", "地下车库", "充电", "防盗门",
    "门禁", "垃圾清运", "厨余垃圾", "可回收物", "投放点", "河道", "黑臭水体", "排污口", "公厕", "无障碍设施",
    "老年人", "助餐", "医养结合", "护理补贴", "志愿服务", "文明养犬", "随地吐痰", "控烟", "电子烟", "劝阻",
    "罚款", "执法", "投诉", "12345热线", "信息公开", "业主大会", "表决", "共有部分", "物业用房", "专项维修资金",
]
PLACES = ["我们小区", "老旧小区", "我们街道", "城中村", "新建小区", "商住楼", "学校周边", "医院附近", "农贸市场", "地铁站口"]
PEOPLE = ["居民", "业主", "老人", "租户", "商户", "志愿者", "物业人员", "社区干部", "外来务工人员", "学生家长"]
DEPARTMENTS = ["街道办事处", "住房和城乡建设部门", "城市管理部门", "生态环境部门", "民政部门", "公安机关",
               "市场监督管理部门", "卫生健康部门", "区人民政府", "居民委员会"]
PROBLEMS = ["长期得不到解决", "反映多年没有结果", "越来越严重", "影响正常休息", "存在安全隐患", "收费不透明",
            "责任不清", "缺乏监督", "执行不到位", "标准过低"]
REGIONS = ["东城区", "西城区", "南湖区", "北山区", "高新区", "经开区", "滨江区", "老城区", "新城区", "临港区", "江北区", "江南区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志红玉兰海燕晓东雪梅春林"
STANCES = [("amend", 0.40), ("support", 0.15), ("oppose", 0.14), ("add", 0.12), ("delete", 0.05), ("other", 0.14)]
CATEGORIES = [("citizen", 0.70), ("liaison_point", 0.10), ("organisation", 0.06), ("deputy", 0.05), ("expert", 0.03),
              ("enterprise", 0.03), ("lawyer", 0.02), ("other", 0.01)]
LIAISON_POINTS = ["东湖街道基层立法联系点", "西山社区基层立法联系点", "滨江律师事务所基层立法联系点", "高新园区企业联系点",
                  "师范大学法学院联系点", "老城区人大代表联络站", "临港镇基层立法联系点", "江北街道基层立法联系点"]

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _cumulative(weights):
    total = 0.0
    result = []
    for weight in weights:
        total += weight
        result.append(total)
    return result


class _Choice:
    """Weighted choice with a precomputed cumulative table (fast for big vocabularies)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = _cumulative(weights)
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass
class Clause:
    key: str
    text: str
    words: list[str]


@dataclass
class Regulation:
    stem: str
    title: str
    source: str
    clauses: list[Clause]


def load_regulations(directory: Path = REGULATIONS_DIR) -> list[Regulation]:
    """The twelve regulations, each with its commentable clauses (articles, paragraphs,
    items) and their jieba words."""
    from participation.parsing import parse_text
    from search import analysis

    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is missing: the benchmark needs the real regulations")
    segmenter = analysis.warm()  # the platform's dictionary (and its user dictionary)
    regulations = []
    for path in sorted(directory.glob("*.md")):
        if path.name == "INDEX.md":
            continue
        source = path.read_text(encoding="utf-8")
        document = parse_text(source)
        title = next((line.lstrip("# ").strip() for line in source.splitlines() if line.startswith("# ")), path.stem)
        clauses = []
        for node in _walk(document.nodes if hasattr(document, "nodes") else document.roots):
            if node.kind in ("paragraph", "item", "subitem", "preamble") and len(node.text) >= 8:
                words = [w for w in segmenter.cut(node.text, HMM=False) if len(w) >= 2 and _HAN.search(w)]
                if words:
                    clauses.append(Clause(node.key, node.text, words))
        regulations.append(Regulation(path.stem, title, source, clauses))
    return regulations


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.children)


class Corpus:
    def __init__(self, seed: int = 20260301, regulations: list[Regulation] | None = None):
        self.seed = seed
        self.regulations = regulations if regulations is not None else load_regulations()
        vocabulary = Counter(word for regulation in self.regulations for clause in regulation.clauses
                             for word in clause.words)
        words, counts = zip(*sorted(vocabulary.items(), key=lambda item: (-item[1], item[0])))
        self.vocabulary = _Choice(words, counts)
        # Each draft has its own order of everyday concerns (Zipf, s = 0.8): 车位 is the
        # top worry in one consultation, 垃圾分类 in another.
        concern_rng = random.Random(seed ^ 0xC0C0)
        self.concerns = []
        for _regulation in self.regulations:
            order = list(CONCERNS)
            concern_rng.shuffle(order)
            self.concerns.append(_Choice(order, [1.0 / (rank + 1) ** 0.8 for rank in range(len(order))]))
        self._draft = 0
        weights = [DRAFT_WEIGHTS.get(r.stem, 0.0) for r in self.regulations]
        rest = max(1e-9, 1.0 - sum(weights))
        unweighted = sum(1 for w in weights if w == 0.0) or 1
        self.draft_choice = _Choice(range(len(self.regulations)), [w or rest / unweighted for w in weights])
        # Within a draft a few clauses draw most opinions: Zipf over a shuffled order.
        order_rng = random.Random(seed ^ 0x5EED)
        self.clause_choice = []
        for regulation in self.regulations:
            order = list(range(len(regulation.clauses)))
            order_rng.shuffle(order)
            self.clause_choice.append(_Choice(order, [1.0 / (rank + 1) ** 0.9 for rank in range(len(order))]))
        self.stance = _Choice([s for s, _w in STANCES], [w for _s, w in STANCES])
        self.category = _Choice([c for c, _w in CATEGORIES], [w for _c, w in CATEGORIES])

    # --- pieces ---------------------------------------------------------------------

    def concern(self, rng) -> str:
        """An everyday concern of the current draft half of the time, else a word of the
        regulations."""
        if rng.random() < 0.5:
            return self.concerns[self._draft](rng)
        return self.vocabulary(rng)

    def _quote(self, rng, clause: Clause) -> str:
        words = clause.words
        start = rng.randrange(len(words))
        return "".join(words[start:start + rng.randint(1, 3)])

    def _reason(self, rng, clause: Clause) -> str:
        w = self.vocabulary
        pattern = rng.randrange(8)
        if pattern == 0:
            return f"{rng.choice(PLACES)}的{self.concern(rng)}问题{rng.choice(PROBLEMS)}"
        if pattern == 1:
            return f"目前{w(rng)}和{w(rng)}之间缺乏衔接，{rng.choice(PEOPLE)}无所适从"
        if pattern == 2:
            return f"{rng.choice(DEPARTMENTS)}对{self.concern(rng)}的{w(rng)}{rng.choice(PROBLEMS)}"
        if pattern == 3:
            return f"很多{rng.choice(PEOPLE)}反映{self.concern(rng)}{rng.choice(PROBLEMS)}，{rng.randint(2015, 2026)}年以来多次投诉"
        if pattern == 4:
            return f"每月{rng.randint(1, 30) * 10}元的{self.concern(rng)}费用对{rng.choice(PEOPLE)}负担较重"
        if pattern == 5:
            return f"条文中“{self._quote(rng, clause)}”的含义不够明确，容易引起{w(rng)}争议"
        if pattern == 6:
            return f"建议参照其他城市的做法，把{self.concern(rng)}纳入{w(rng)}范围"
        return f"{rng.choice(PLACES)}有{rng.randint(2, 400)}户{rng.choice(PEOPLE)}，{self.concern(rng)}和{self.concern(rng)}都需要统筹考虑"

    def _opening(self, rng, stance: str, clause: Clause) -> str:
        quote = self._quote(rng, clause)
        concern = self.concern(rng)
        if stance == "support":
            return f"赞成本条关于“{quote}”的规定"
        if stance == "oppose":
            return f"反对“{quote}”的表述"
        if stance == "amend":
            return f"建议将“{quote}”修改为“{quote}和{self.vocabulary(rng)}”"
        if stance == "add":
            return f"建议增加关于{concern}的规定"
        if stance == "delete":
            return f"建议删除“{quote}”"
        return f"希望{rng.choice(DEPARTMENTS)}加强{concern}管理"

    def _body(self, rng, stance: str, clause: Clause, length: int) -> str:
        parts = [self._opening(rng, stance, clause)]
        size = len(parts[0])
        while size < length:
            sentence = self._reason(rng, clause)
            parts.append(sentence)
            size += len(sentence) + 1
        text = "，".join(parts[:2]) + ("。" + "。".join(parts[2:]) if len(parts) > 2 else "") + "。"
        return text

    def _created(self, rng, start: datetime) -> datetime:
        roll = rng.random()
        if roll < 0.3:
            offset = rng.uniform(0, 2)
        elif roll < 0.6:
            offset = rng.uniform(28, 30)
        else:
            offset = rng.uniform(0, 30)
        return start + timedelta(days=offset)

    # --- opinions ---------------------------------------------------------------------

    def opinions(self, count: int, *, start: datetime | None = None):
        """``count`` opinion dicts (draft index into ``regulations``, clause key or None,
        and the opinion's columns)."""
        rng = random.Random(self.seed)
        start = start or datetime(2027, 3, 1, tzinfo=timezone.utc)
        for number in range(count):
            draft_index = self.draft_choice(rng)
            self._draft = draft_index
            regulation = self.regulations[draft_index]
            clause = regulation.clauses[self.clause_choice[draft_index](rng)]
            whole = rng.random() < 0.1
            stance = self.stance(rng)
            category = self.category(rng)
            length = min(400, max(20, int(rng.gauss(88, 28))))  # sentences overshoot: ~100 on average
            body = self._body(rng, stance, clause, length)
            proposed = ""
            if stance in ("amend", "add") and rng.random() < 0.5:
                proposed = clause.text[: rng.randint(10, 60)] + f"，并明确{self.concern(rng)}的相关要求。"
            reason = self._reason(rng, clause) + "。" if rng.random() < 0.4 else ""
            named = rng.random() < 0.2
            yield {
                "draft_index": draft_index,
                "provision_key": None if whole else clause.key,
                "stance": stance,
                "category": category,
                "body": body,
                "proposed_text": proposed,
                "reason": reason,
                "region": rng.choice(REGIONS),
                "submitter_name": (rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))))
                if named else "",
                "is_name_public": named and rng.random() < 0.5,
                "liaison_index": rng.randrange(len(LIAISON_POINTS)) if category == "liaison_point" else None,
                "moderation_state": "hidden" if rng.random() < 0.01 else "published",
                "created_at": self._created(rng, start),
                "number": number,
            }


if __name__ == "__main__":
    corpus = Corpus()
    sample = list(itertools.islice(corpus.opinions(5), 5))
    for opinion in sample:
        print(opinion["provision_key"], opinion["stance"], len(opinion["body"]), opinion["body"])

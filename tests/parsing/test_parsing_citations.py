"""What people write in a clause column, turned into keys."""

from __future__ import annotations

import pytest

from participation.parsing import parse_citation, parse_text

WITHOUT_DOC = [
    ("第十一条", "art.11"), ("art.11", "art.11"), ("ART.11", "art.11"), ("第11条", "art.11"),
    ("十一条", "art.11"), ("第１１条", "art.11"), ("第十一条第二款", "art.11.2"),
    ("art.11.2", "art.11.2"), ("第十一条第（三）项", "art.11.1.3"),
    ("第十一条第(三)项", "art.11.1.3"), ("第十一条第三项", "art.11.1.3"),
    ("第11条第2款第3项", "art.11.2.3"), ("第十一条第二款第（三）项", "art.11.2.3"),
    ("第十一条第二款第（三）项第1目", "art.11.2.3.1"), ("第十条之一", "art.10-1"),
    ("第十条之一第二款", "art.10-1.2"), ("art.10-1", "art.10-1"),
    ("第一千二百六十条", "art.1260"), ("  第十一条 ", "art.11"), ("\u3000第十一条\u3000", "art.11"),
    ("第 十一 条", "art.11"), ("", ""), ("  ", ""), ("\u3000", ""), ("总体", ""),
    ("总体意见", ""), ("全文", ""), ("整体", ""), (" 总体意见 ", ""),
    ("第三章", "ch.3"), ("第三章第二节", "ch.3.sec.2"), ("第二编第一章", "part.2.ch.1"),
    ("第二编", "part.2"), ("第二编第一分编", "part.2.subpart.1"), ("序言", "preamble"),
    ("附件", "annex.1"), ("附件二", "annex.2"), ("part.2.ch.4.sec.1", "part.2.ch.4.sec.1"),
    ("第十一章第三条", None), ("第零条", None), ("第十一条第零款", None), ("第一节", None),
    ("第十一条第1目", None), ("第一二十条", None), ("十一", None), ("意见", None),
    ("art.", None), ("建议删除第十一条", None), ("附则", None),
]


@pytest.mark.parametrize("text,key", WITHOUT_DOC)
def test_without_document(text, key):
    assert parse_citation(text) == key


DRAFT = """# 某办法
第一章 总则
第一条 甲。
乙：
（一）子；
（二）丑；
（三）寅。
第二条 丙：
（一）卯。
丁：
（一）辰；
（二）巳。
第二条之一 戊：
（一）午；
1.未；
2.申。
第二章 附则
第三条 己。
"""

WITH_DOC = [
    ("第一条第（三）项", "art.1.2.3"),      # the only paragraph with items is the second
    ("第一条第（四）项", None),
    ("第一条第二款第（三）项", "art.1.2.3"), ("第一条第一款第（三）项", None),
    ("第二条第（二）项", "art.2.2.2"),      # only paragraph 2 has an item (二)
    ("第二条第（一）项", None),             # ambiguous: both paragraphs have (一)
    ("第二条之一第（一）项第2目", "art.2-1.1.1.2"), ("第九条", None), ("art.9", None),
    ("art.1.2", "art.1.2"), ("第一章", "ch.1"), ("第三章", None), ("附则", "ch.2"),
    ("序言", None), ("附件", None), ("总体意见", ""),
]


@pytest.mark.parametrize("text,key", WITH_DOC)
def test_with_document(text, key):
    assert parse_citation(text, parse_text(DRAFT)) == key

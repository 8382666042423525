"""The twelve real regulations in shared/data/regulations parse to the counts of INDEX.md."""

from __future__ import annotations

import re

import pytest

from participation.parsing import parse_citation, parse_text, render_text

FILES = [
    "beijing-property-management.md", "shanghai-household-waste.md",
    "ningbo-city-appearance-sanitation.md", "dezhou-elderly-care-services.md",
    "zhengzhou-urban-greening.md", "jiangmen-civilized-behaviour.md",
    "shantou-river-chief-system.md", "chongqing-public-smoking-control.md",
    "national-civil-code.md", "national-legislation-law.md",
    "national-elderly-rights-law.md", "national-flag-law.md",
]
COLUMNS = ("编", "分编", "章", "节", "条", "项 lines")


def index_counts(regulations_dir) -> dict[str, dict[str, int]]:
    """The count columns of INDEX.md's file table, by file name."""
    header, rows = None, {}
    for line in (regulations_dir / "INDEX.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None and "File" in cells and "条" in cells:
            header = cells
        elif header and len(cells) == len(header):
            name = re.search(r"\[([^\]]+)\]", cells[0])
            if name:
                rows[name.group(1)] = {col: int(cells[header.index(col)]) for col in COLUMNS}
    return rows


def structure_counts(doc) -> dict[str, int]:
    nodes = list(doc.walk())
    numbered = {kind: sum(1 for n in nodes if n.kind == kind and n.number is not None)
                for kind in ("part", "subpart", "chapter", "section")}
    return {"编": numbered["part"], "分编": numbered["subpart"], "章": numbered["chapter"],
            "节": numbered["section"], "条": sum(1 for n in nodes if n.kind == "article"),
            "项 lines": sum(1 for n in nodes if n.kind == "item")}


def test_index_lists_the_twelve_files(regulations_dir):
    assert sorted(index_counts(regulations_dir)) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_counts_match_index(name, regulations_dir, assert_no_text_lost):
    text = (regulations_dir / name).read_text(encoding="utf-8")
    doc = parse_text(text)
    assert structure_counts(doc) == index_counts(regulations_dir)[name]
    assert [i for i in doc.issues if i.severity == "error"] == []
    assert doc.unplaced == []
    assert doc.title and doc.notes
    assert_no_text_lost(text, doc)
    keys = [n.key for n in doc.walk()]
    assert len(keys) == len(set(keys))
    assert keys == [n.key for n in parse_text(text).walk()]
    again = parse_text(render_text(doc))
    assert (again.title, again.notes, again.nodes) == (doc.title, doc.notes, doc.nodes)


def test_civil_code_structure(regulations_dir):
    doc = parse_text((regulations_dir / "national-civil-code.md").read_text(encoding="utf-8"))
    assert doc.counts()["part"] == 8  # 第一编 … 第七编 and the unnumbered 附则
    supp = doc.nodes[-1]
    assert (supp.key, supp.label, supp.heading) == ("part.supp", "附则", "附则")
    assert [a.key for a in supp.children] == ["art.1259", "art.1260"]
    last = doc.find("art.1260")
    assert last.label == "第一千二百六十条"
    # Chapter numbers run on across 分编 and restart per 编.
    assert doc.find("part.2.ch.20").heading == "占有"
    assert doc.find("part.3.ch.1").heading == "一般规定"
    assert doc.find("part.1.ch.2.sec.2").heading == "监护"   # '监  护' in the source
    assert doc.find("part.3.subpart.3").heading == "准合同"  # '准 合 同'
    assert not [i for i in doc.issues if i.severity == "warning"]
    assert parse_citation("第一千二百六十条", doc) == "art.1260"
    assert parse_citation("第三章", doc) is None  # every 编 has a 第三章


def test_flag_law_annex(regulations_dir):
    doc = parse_text((regulations_dir / "national-flag-law.md").read_text(encoding="utf-8"))
    art24, annex = doc.nodes[-2:]
    assert art24.key == "art.24" and [c.key for c in art24.children] == ["art.24.1"]
    assert (annex.kind, annex.key, annex.heading) == ("annex", "annex.1", "国旗制法说明")
    items = [n for n in annex.walk() if n.kind == "item"]
    assert [i.label for i in items] == ["第（一）项", "第（二）项", "第（三）项"]
    assert [s.label for s in items[1].children] == ["甲目", "乙目", "丙目"]
    assert [s.label for s in items[2].children] == ["甲目", "乙目", "丙目", "丁目", "戊目"]
    assert annex.children[-1].text == "国旗制法图案"
    # Art. 5 item (二) runs over two lines in the official text.
    assert doc.find("art.5.1.2").text.endswith("\n中国人民政治协商会议全国委员会；")
    assert [i.code for i in doc.issues] == ["item_continuation"]

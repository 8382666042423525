"""Shared helpers for the parsing tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.resources import regulations_dir as _required_regulations_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_regulations_dir() -> Path:
    """The real test texts; skip when absent (fail under REQUIRE_TEST_RESOURCES=1)."""
    return _required_regulations_dir()


@pytest.fixture
def regulations_dir() -> Path:
    return shared_regulations_dir()


@pytest.fixture
def fixture_text():
    def load(name: str) -> str:
        return (FIXTURES / name).read_text(encoding="utf-8")
    return load


_NUM = "[零〇一二两三四五六七八九十百千0-9０-９]+"
# Markers that the parser may replace by a label; written independently of the parser.
_MARKER = re.compile(
    rf"#*(?:第{_NUM}(?:分编|编|章|节)|第{_NUM}条(?:之{_NUM})?(?:【[^】]*】)?"
    rf"|[（(]{_NUM}[）)]|[0-9０-９]{{1,3}}[.．、]|[⑴-⒇①-⑳]|[甲乙丙丁戊己庚辛壬癸]、"
    rf"|附件(?:{_NUM})?[：:]?|附[：:]|序言|目录|附则)")


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s.replace("\u200b", ""))


@pytest.fixture(scope="session")
def assert_no_text_lost():
    """Every non-empty input line must reappear: its text after an optional structural
    marker equals a title, note, unplaced line, heading or a line of some node's text
    (a line that is only a marker is covered by the node it created)."""
    def check(text: str, doc) -> None:
        pieces = {_squash(p) for p in [doc.title or "", *doc.notes, *doc.unplaced]}
        for node in doc.walk():
            pieces.add(_squash(node.heading))
            pieces.update(_squash(part) for part in node.text.split("\n"))
        lost = []
        for raw in text.splitlines():
            line = _squash(raw)
            if not line:
                continue
            m = _MARKER.match(line)
            rests = [line, line.lstrip("#")] + ([line[m.end():]] if m else [])
            if not any(rest == "" or rest in pieces for rest in rests):
                lost.append(raw)
        assert not lost, f"lines lost: {lost[:5]}"
    return check

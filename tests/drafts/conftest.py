"""Fixtures for the drafts area: signed-in staff, texts with problems, Word files."""
from __future__ import annotations

import io

import pytest

from tests.resources import regulations_dir

# Article 3 is missing (a gap: an error), and a line sits between a heading and its
# first article (unplaced: an error).
TEXT_WITH_ERRORS = """# 某市有错误的条例（草案）

## 第一章 总则

本章的说明文字不属于任何条文。

第一条 为了测试，制定本条例。

第二条 本条例适用于测试。

第四条 本条例自公布之日起施行。
"""

# The same draft with its problems fixed.
FIXED_TEXT = """# 某市有错误的条例（草案）

## 第一章 总则

第一条 为了测试，制定本条例。

第二条 本条例适用于测试。

第三条 本条例自公布之日起施行。
"""


def docx_bytes(lines: list[str], title: str | None = None) -> bytes:
    from docx import Document

    document = Document()
    if title:
        document.add_paragraph(title, style="Title")
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def staff_client(login, staff):
    return login(staff)


@pytest.fixture
def civil_code_text():
    return (regulations_dir() / "national-civil-code.md").read_text(encoding="utf-8")

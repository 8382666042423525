"""Upload dispatch and text decoding."""

from __future__ import annotations

import codecs

import pytest

from participation.parsing import UnsupportedFormat, parse_upload

TEXT = "# 某办法\n\n第一条 为了规范管理，制定本办法。\n\n第二条 本办法自公布之日起施行。\n"


def keys(doc):
    return [n.key for n in doc.walk()]


EXPECTED = ["art.1", "art.1.1", "art.2", "art.2.1"]


@pytest.mark.parametrize("name,data", [
    ("a.txt", TEXT.encode("utf-8")),
    ("a.md", codecs.BOM_UTF8 + TEXT.encode("utf-8")),
    ("a.markdown", TEXT.encode("utf-8")),
    ("a.TXT", TEXT.encode("utf-16")),                       # BOM + little endian
    ("a.txt", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")),
    ("a.txt", TEXT.encode("gb18030")),
    ("a.txt", TEXT.replace("\n", "\r\n").encode("gbk")),
    ("../../etc/passwd.md", TEXT.encode("utf-8")),          # the name is never a path
])
def test_text_encodings(name, data):
    doc = parse_upload(name, data)
    assert doc.title == "某办法" and keys(doc) == EXPECTED and not doc.issues


@pytest.mark.parametrize("name,data,fragment", [
    ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".doc"),
    ("a.pdf", b"%PDF-1.7", "PDF"),
    ("a.xlsx", b"PK\x03\x04", "不支持的文件类型"),
    ("README", TEXT.encode(), "无扩展名"),
    ("a.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".doc"),   # a renamed .doc
    ("a.txt", b"\x00\x01\x02binary", "不是文本"),
    ("a.txt", b"PK\x03\x04zipped", "不是文本"),
    ("a.txt", bytes(range(1, 32)) * 10, "不是文本"),
    ("a.txt", b"\x81\x20\xff\xfe\x80", "编码"),              # neither UTF-8 nor GB18030
])
def test_rejected_uploads(name, data, fragment):
    with pytest.raises(UnsupportedFormat) as info:
        parse_upload(name, data)
    assert fragment in str(info.value)


def test_unsupported_format_is_a_value_error():
    assert issubclass(UnsupportedFormat, ValueError)

"""The English translation covers every interface string, keeps its placeholders, and is
what an English-speaking visitor actually sees."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.resources import REPO_ROOT

PYBABEL = Path(sys.executable).parent / "pybabel"
ENGLISH_PO = REPO_ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
ENGLISH_MO = ENGLISH_PO.with_suffix(".mo")
# %(name)s / %(name)d for gettext, {name} for the strings that static/js fills in.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|\{\w+\}")


def extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(PYBABEL), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "-o", str(pot), "."],
        cwd=REPO_ROOT, check=True,
    )
    with pot.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(handle) if message.id}


def english_catalog():
    with ENGLISH_PO.open("rb") as handle:
        return read_po(handle)


def first(value):
    return value if isinstance(value, str) else (value or ("",))[0]


def test_every_interface_string_has_an_english_translation(tmp_path):
    extracted = extract(tmp_path)
    translated = {}
    for message in english_catalog():
        if not message.id:
            continue
        translated[first(message.id)] = bool(first(message.string).strip()) and "fuzzy" not in message.flags
    missing = sorted(m for m in extracted if not translated.get(m))
    assert missing == [], f"{len(missing)} strings lack an English translation; run `make extract-messages` and translate them"


def test_translations_keep_the_placeholders_of_their_source():
    wrong = []
    for message in english_catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if string and sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append((message.id, string))
    assert wrong == []


def test_no_chinese_punctuation_left_in_translations():
    # A translation copied over half-done shows as Chinese commas and brackets in the
    # English interface. Chinese words quoted on purpose (sheet headers, citations such
    # as 第十一条 that the importer expects) are allowed; the punctuation around them is not.
    wrong = [(message.id, message.string) for message in english_catalog()
             if message.id and re.search(r"[，。；：、（）《》！？]", first(message.string).replace("第（三）项", "")
                                         .replace("第（一）项", ""))]
    assert wrong == []


@pytest.fixture
def compiled_catalog():
    if not ENGLISH_MO.exists() or ENGLISH_MO.stat().st_mtime < ENGLISH_PO.stat().st_mtime:
        pytest.fail("the English catalogue is not compiled or out of date: run `make translations`")


def test_english_pages_render_in_english(client, compiled_catalog):
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    for text in ("Sign in", "Register", "Draft regulations", "Skip to main content",
                 "Take part in local lawmaking"):
        assert text in page
    assert ">登录<" not in page and "法规草案" not in page


def test_service_messages_follow_the_visitors_language(client, make_user, compiled_catalog):
    make_user("citizen", email="reader@example.org")
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.post("/login", data={"email": "reader@example.org", "password": "not the password"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Incorrect e-mail address or password." in page

    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    page = client.post("/login", data={"email": "reader@example.org", "password": "not the password"},
                       follow_redirects=True).get_data(as_text=True)
    assert "邮箱或密码不正确。" in page

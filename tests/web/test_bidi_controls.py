"""Bidirectional control characters ("Trojan Source" spoofing): stripped from file names,
shown as visible markers in free text, kept in what was stored."""
from __future__ import annotations

import io

import pytest
from markupsafe import Markup
from sqlalchemy import select

from participation.extensions import db
from participation.models import DraftVersion, Opinion
from participation.batches.reading import read_upload
from participation.services import opinions as opinion_service
from participation.text import BIDI_CONTROLS, clean_filename, show_bidi_controls
from tests.conftest import SAMPLE_DRAFT

RLO = "\u202e"
MARKER = '<span class="bidi-escape" title="U+202E">[U+202E]</span>'


def test_the_list_covers_the_issue():
    for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]:
        assert chr(code) in BIDI_CONTROLS


def test_file_names_lose_every_bidi_control():
    assert clean_filename(f"汇总表{RLO}xslx.exe") == "汇总表xslx.exe"
    assert clean_filename("C:\\temp\\" + "".join(BIDI_CONTROLS) + "表.csv\n") == "表.csv"
    assert clean_filename(None) == ""


@pytest.mark.parametrize("value, expected", [
    (None, ""),
    ("普通文本", "普通文本"),
    (f"<b>{RLO}x", Markup(f"&lt;b&gt;{MARKER}x")),
    (f"a\u2066b\u200fc", Markup('a<span class="bidi-escape" title="U+2066">[U+2066]</span>b'
                                '<span class="bidi-escape" title="U+200F">[U+200F]</span>c')),
    (Markup(f"<mark>{RLO}</mark>"), Markup(f"<mark>{MARKER}</mark>")),
])
def test_the_filter_escapes_html_and_shows_the_controls(value, expected):
    assert show_bidi_controls(value) == expected


def test_plain_text_stays_autoescaped(app):
    rendered = app.jinja_env.from_string("{{ v | show_bidi }}").render(v="<i>x</i>")
    assert rendered == "&lt;i&gt;x&lt;/i&gt;"


def _opinion_with_bidi(make_user, make_draft):
    draft = make_draft(published=True)
    draft.shows_opinions_publicly = True
    author = make_user("citizen")
    spoof = f"同意{RLO}<script>意反</script>"
    submitted = opinion_service.submit_opinion(
        draft, opinion_service.OpinionInput(body=spoof, reason=f"理由{RLO}", proposed_text=f"条文{RLO}",
                                            provision_key="art.1", submitter_name=f"张{RLO}三",
                                            is_name_public=True),
        author=author, now=draft.opens_at,
    )
    opinion = db.session.get(Opinion, submitted.id)
    db.session.commit()
    return draft, opinion, spoof


def test_public_and_staff_pages_show_the_markers_and_keep_the_stored_text(client, login, make_user, make_draft):
    draft, opinion, spoof = _opinion_with_bidi(make_user, make_draft)
    public = client.get(f"/drafts/{draft.id}/provisions/art.1/opinions").get_data(as_text=True)
    assert f"同意{MARKER}&lt;script&gt;" in public
    assert RLO not in public
    login(make_user("staff"))
    for url in (f"/staff/opinions/{opinion.id}", f"/staff/drafts/{draft.id}/opinions"):
        page = client.get(url).get_data(as_text=True)
        assert f"同意{MARKER}" in page and f"理由{MARKER}" in page and f"张{MARKER}三" in page, url
        assert RLO not in page, url
    assert db.session.scalar(select(Opinion.body).where(Opinion.id == opinion.id)) == spoof


def test_an_imported_draft_file_name_loses_its_bidi_controls(client, login, make_user):
    login(make_user("staff"))
    name = f"条例{RLO}dm.txt"
    response = client.post("/staff/drafts/import", content_type="multipart/form-data", data={
        "title": "某市示例管理条例（草案）", "file": (io.BytesIO(SAMPLE_DRAFT.encode("utf-8")), name)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:400]
    assert db.session.scalar(select(DraftVersion.source_filename)) == "条例dm.txt"


def test_a_batch_upload_name_loses_its_bidi_controls(app):
    upload = read_upload("条款,意见内容\n第一条,好\n".encode("utf-8"), f"汇总{RLO}vsc.exe.csv")
    assert upload.filename == "汇总vsc.exe.csv"

"""Properties of search over random input.

* Any substring of two or more characters of an indexed opinion, searched as a quoted
  phrase, finds that opinion (whatever jieba makes of the text around it).
* Any query string at all gets an answer (a result or a message), never an error.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from sqlalchemy import delete

from participation.extensions import db
from participation.models import Opinion
from search.analysis import fold, gram_char

# Characters a person might type in an opinion: common and rare ideographs, Latin
# letters and digits in both widths, punctuation, spaces and line breaks, symbols and
# emoji. Quote characters are left out: they delimit the phrase searched for.
CHARACTERS = st.one_of(
    st.sampled_from(list("停车位小区物业服务企业噪声扰民垃圾分类的了和是在有不人大代表基层立法联系点出租车位")),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("abcXYZ0123456789ＡＢｃ１２")),
    st.sampled_from(list("，。、；：！？（）《》 -_/\n\t·")),
    st.sampled_from(["😀", "℃", "¥", "①", "ß", "𠀀", "İ"]),
)
TEXTS = st.text(alphabet=CHARACTERS, min_size=2, max_size=80)


def _searchable(text: str) -> bool:
    return any(gram_char(char) for char in fold(text))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(TEXTS, min_size=1, max_size=4), data=st.data())
def test_any_substring_as_a_quoted_phrase_finds_its_opinion(public_draft, make_opinion, drain, search_api, texts, data):
    db.session.execute(delete(Opinion))
    db.session.commit()
    opinions = [make_opinion(public_draft, text) for text in texts]
    drain()
    for opinion, text in zip(opinions, texts):
        start = data.draw(st.integers(0, len(text) - 2), label="start")
        end = data.draw(st.integers(start + 2, len(text)), label="end")
        piece = text[start:end]
        assume(_searchable(piece))
        result = search_api(q=f'"{piece}"', type="opinion", per_page=50)
        assert opinion.id in [hit["id"] for hit in result["hits"]], (piece, text, result["notices"], result["total"])


@pytest.fixture
def indexed_sample(public_draft, make_opinion, drain):
    for text in ("小区停车位收费过高。", "夜间施工噪声扰民。", "建议增加垃圾分类投放点。"):
        make_opinion(public_draft, text)
    drain()


OPERATOR_SOUP = st.lists(
    st.sampled_from(['"', "“", "”", "「", "(", ")", "[", "]", "{", "}", "*", "?", "~", "^", ":", "\\", "-", "+",
                     "OR", "AND", "NOT", "|", "&&", "body:", "contact:", "field:value", "*:*", "车位", "停车",
                     "😀", "\x00", " ", "　", "\u2029", "%", "_", "'", ";", "--", "/*", "<script>", "a" * 300]),
    max_size=30,
).map("".join)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(q=st.one_of(st.text(max_size=300), OPERATOR_SOUP))
def test_any_query_string_gets_an_answer(client, indexed_sample, q):
    if "\x00" in q:
        # Refused at the request boundary, as everywhere (tests/web/test_request_boundary.py).
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 422
        assert client.get("/search", query_string={"q": q}).status_code == 400
        return
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["message"] or isinstance(body["total"], int)
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200


def test_huge_and_odd_queries(client, indexed_sample):
    for q in ["车位" * 5000, "*", '"', "(", "-", "OR", "停车位" + "😀" * 2000, "\x01\x02\x03", " " * 10_000,
              "a" * 10_000, '"' + "车" * 10_000]:
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code == 200
        body = response.get_json()
        assert body["total"] >= 0
        assert client.get("/search", query_string={"q": q}).status_code == 200

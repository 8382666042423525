"""An index kept alive through many commits, as in production: Whoosh merges small
segments on most commits after the first few, and merged segments again later. Every
merge goes through this project's posting format (``search.backend.whoosh.postings``)."""
from __future__ import annotations

import tempfile

from search.backend import IndexStore, Writer
from tests.search.conftest import hit_ids


def _document(n: int, text: str) -> dict:
    return {"doc_id": f"opinion:{n}", "kind": "opinion", "parts": [text], "draft": "1",
            "stance": "amend", "state": "published", "category": "citizen"}


def test_one_document_per_commit_survives_automatic_merges():
    """The defect: the sixth commit merged segments and failed with
    ``AssertionError: vbytes=''`` (a ListMatcher without values answers ``""``), and
    every commit after it failed the same way."""
    store = IndexStore(tempfile.mkdtemp())
    _name, _path, ix = store.create_generation()
    for n in range(1, 61):
        with Writer(ix) as writer:
            writer.upsert(_document(n, f"第{n}条意见：社区养老服务中心的停车位不足。"))
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 60
        # Merges happened: far fewer segments than commits.
        assert len(ix._segments()) < 20


def test_drained_one_by_one_every_opinion_stays_searchable(public_draft, make_opinion, drain, search_api):
    made = []
    for n in range(80):
        made.append(make_opinion(public_draft, f"第{n}号意见：加装电梯补贴标准应当公开。").id)
        drain()
        if n % 10 == 9:
            found = search_api(q="电梯补贴", per_page=50, sort="newest")
            assert found["complete"] is True
            assert found["total"] == n + 1
    assert set(hit_ids(search_api(q="电梯补贴", per_page=50))) | set(
        hit_ids(search_api(q="电梯补贴", per_page=50, page=2))) == set(made)

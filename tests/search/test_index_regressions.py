"""Failing examples found by the index state machine (test_index_state_machine.py),
kept as plain tests of the index: no database, the real writer and query code."""
from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone

import pytest

from search.backend import FACET_FIELDS, IndexStore, Writer, forget_searchers, search
from search.query import Filters, parse_query


@pytest.fixture
def ix():
    base = tempfile.mkdtemp(prefix="index-regression-")
    _name, _path, index = IndexStore(base).create_generation()
    yield index
    forget_searchers()
    shutil.rmtree(base, ignore_errors=True)


def _document(n: int, text: str, **fields) -> dict:
    return {"doc_id": f"opinion:{n}", "kind": "opinion", "draft": "1", "state": "published", "parts": [text],
            **fields}


def test_a_segment_without_a_column_searches_with_its_default_values(ix):
    """Whoosh writes a column's file only when a document of the segment has a value
    for it: a segment of documents without ``article`` or ``created`` has neither file.
    The facet counts (``article``) and newest-first ordering (``created``) read them
    and failed with FileNotFoundError; the column reads as its default values."""
    with Writer(ix) as writer:
        writer.add(_document(1, "停车位不足"))  # no article, no creation time
    with ix.searcher() as searcher:
        found = search(searcher, parse_query("停车位"), Filters(), sort="newest", facet_fields=FACET_FIELDS)
        assert [hit.doc_id for hit in found.hits] == ["opinion:1"]
        assert found.facets["article"] == {}
        assert found.facets["draft"] == {"1": 1}
    # Beside a segment that has the columns, and merged with it.
    with Writer(ix) as writer:
        writer.add(_document(2, "停车位收费", article="art.1", created=datetime(2027, 1, 1, tzinfo=timezone.utc)))
    for optimize in (False, True):
        if optimize:
            with Writer(ix) as writer:
                writer._writer.optimize = True
        with ix.searcher() as searcher:
            found = search(searcher, parse_query("停车位"), Filters(), sort="newest", facet_fields=FACET_FIELDS)
            assert [hit.doc_id for hit in found.hits] == ["opinion:2", "opinion:1"]
            assert found.facets["article"] == {"art.1": 1}
    assert len(ix._segments()) == 1


def test_exclusions_apply_when_only_filters_choose_the_documents(ix):
    """``-word`` with a filter and no other word (``draft=1&q=-噪声``): the documents
    of the filter without the word. The exclusions were only applied with a positive
    term, so every document of the filter came back."""
    created = datetime(2027, 1, 1, tzinfo=timezone.utc)
    with Writer(ix) as writer:
        writer.add(_document(1, "夜间施工噪声扰民", created=created))
        writer.add(_document(2, "小区停车位不足", created=created))
        writer.add(_document(3, "噪声", draft="2", created=created))
    with ix.searcher() as searcher:
        for query in ("-噪声", 'NOT "噪声"', "-噪声 -扰民"):
            found = search(searcher, parse_query(query), Filters(drafts=(1,)), facet_fields=("draft",))
            assert (found.total, [hit.doc_id for hit in found.hits]) == (1, ["opinion:2"]), query
            assert found.facets["draft"] == {"1": 1}
        # Without a restricting filter there is still nothing to search.
        assert search(searcher, parse_query("-噪声"), Filters()).total == 0

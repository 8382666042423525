"""The bitset helpers the query code builds on: document numbers in, the same numbers
out, whatever the density (sparse sets go byte by byte, dense ones through one flag
byte per document)."""
from __future__ import annotations

from hypothesis import given, strategies as st

from search.backend.whoosh.postings import bits_to_ids, ids_to_bits

document_sets = st.one_of(
    st.sets(st.integers(0, 5_000), max_size=40),                      # sparse
    st.sets(st.integers(0, 300), min_size=50, max_size=300),          # dense
    st.sets(st.integers(0, 70_000), max_size=200),                    # long and sparse
)


@given(document_sets, st.one_of(st.none(), st.integers(1, 50)))
def test_bits_round_trip(ids, limit):
    ordered = sorted(ids)
    assert bits_to_ids(ids_to_bits(ordered), limit) == (ordered if limit is None else ordered[:limit])


def test_dense_and_sparse_paths_agree():
    dense = list(range(0, 100_000, 3))        # 1 in 3: the flag-byte path
    sparse = list(range(0, 100_000, 997))     # 1 in 997: byte by byte
    assert bits_to_ids(ids_to_bits(dense)) == dense
    assert bits_to_ids(ids_to_bits(sparse)) == sparse
    assert bits_to_ids(ids_to_bits(dense), 10) == dense[:10]
    assert bits_to_ids(0) == []

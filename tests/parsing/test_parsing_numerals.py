"""Chinese numerals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participation.parsing import chinese_to_int, int_to_chinese

TABLE = [
    (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (99, "九十九"), (100, "一百"),
    (101, "一百零一"), (105, "一百零五"), (110, "一百一十"), (119, "一百一十九"),
    (1000, "一千"), (1001, "一千零一"), (1010, "一千零一十"), (1100, "一千一百"),
    (1260, "一千二百六十"), (9999, "九千九百九十九"), (10000, "一万"),
    (10010, "一万零一十"), (100000, "十万"), (120000, "十二万"),
]


@pytest.mark.parametrize("number,text", TABLE)
def test_table(number, text):
    assert int_to_chinese(number) == text
    assert chinese_to_int(text) == number


@pytest.mark.parametrize("text,number", [
    ("两", 2), ("两千零二十", 2020), ("一十一", 11), ("一百十", 110), ("〇", 0),
    ("二〇二〇", 2020), ("12", 12), ("１２", 12), (" 十二 ", 12), ("零", 0),
])
def test_variants(text, number):
    assert chinese_to_int(text) == number


@pytest.mark.parametrize("text", ["", "条", "一二十", "十a", "甲"])
def test_not_numerals(text):
    with pytest.raises(ValueError):
        chinese_to_int(text)


@pytest.mark.parametrize("number", [-1, 100_000_000])
def test_out_of_range(number):
    with pytest.raises(ValueError):
        int_to_chinese(number)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=9999))
def test_round_trip_property(number):
    assert chinese_to_int(int_to_chinese(number)) == number


def test_round_trip_exhaustive_and_unique():
    texts = [int_to_chinese(n) for n in range(1, 10000)]
    assert len(set(texts)) == len(texts)
    assert [chinese_to_int(t) for t in texts] == list(range(1, 10000))

"""Reading and checking a batch (``participation.batches``: reading, citations, checking):
the clause column, every row's errors in one pass, headers, the activity."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from bench.batch_data import HEADERS, excel_like_xlsx
from participation import batches
from participation.batches.checking import parse_activity, validate_rows
from participation.batches.citations import VersionClauses
from participation.batches.reading import read_upload
from participation.batches.rows import BatchRejected, RowInput
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Opinion
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")


def _count(model=Opinion) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- what people write in the clause column ---------------------------------------------

@pytest.mark.parametrize("written, key", [
    ("第三条", "art.3"), ("第3条", "art.3"), ("三条", "art.3"), ("第 三 条", "art.3"), ("第３条", "art.3"),
    ("第三条第二款", "art.3.2"), ("第3条第2款", "art.3.2"),
    # The items of article 3 are in its SECOND paragraph: found there, not in paragraph 1.
    ("第三条第（三）项", "art.3.2.3"), ("第三条第(三)项", "art.3.2.3"), ("第3条第2款第3项", "art.3.2.3"),
    ("第三条第二款第（三）项", "art.3.2.3"),
    ("第四条第二款第（三）项", "art.4.2.3"),
    ("第四条第（三）项", "art.4.2.3"),  # two paragraphs hold items, only the second has a (三)
    ("", None), ("总体", None), ("总体意见", None), ("  ", None), ("art.2.2", "art.2.2"),
])
def test_clause_column_accepts_what_people_write(draft, written, key):
    clauses = VersionClauses(draft.current_version.id)
    provision, problem = clauses.resolve(written)
    assert problem is None
    assert (provision.key if provision is not None else None) == key


@pytest.mark.parametrize("written, message", [
    ("第九十九条", "草案中没有"), ("第3条第5款", "草案中没有"),
    ("第四条第（二）项", "不明确"),  # both paragraphs of article 4 have a (二)
    ("第二章", "章标题"), ("停车管理", "无法识别条款"), ("11", "无法识别条款"),
])
def test_clauses_that_do_not_resolve_say_why(draft, written, message):
    provision, problem = VersionClauses(draft.current_version.id).resolve(written)
    assert provision is None and message in problem


def test_clause_list_cites_clauses_as_people_do_and_resolves_back(draft):
    clauses = VersionClauses(draft.current_version.id)
    choices = clauses.choices()
    assert choices[0].citation == "总体意见" and choices[0].key == ""
    by_key = {choice.key: choice.citation for choice in choices}
    assert by_key["art.3.2.3"] == "第三条第二款第（三）项"
    assert "art.1.1" not in by_key  # a one-paragraph article is chosen as the article
    for choice in choices[1:]:
        provision, problem = clauses.resolve(choice.citation)
        assert problem is None and provision.key == choice.key


# --- rows ---------------------------------------------------------------------------------

def test_every_error_is_reported_in_one_pass_by_row_and_column(draft, point, xlsx):
    data = xlsx([
        row("第三条", "合格的一行"),
        row("第九十九条", "", "支持吧", category="外星人", represented="三"),
        row("第二章", "x" * 6000, name="名" * 60),
    ])
    checked = batches.check(batches.FileSource(data, "意见.xlsx"), draft, point)
    clean, errors = checked.clean, checked.errors
    assert checked.tally() is None  # no preview of a tally while any row is wrong
    assert [r.row for r in clean] == [2]
    found = [(e.row, e.column, e.letter) for e in errors]
    assert found == [
        (3, "条款", "A"), (3, "意见内容", "B"), (3, "态度", "C"), (3, "提出人类别", "F"), (3, "反映群众人数", "I"),
        (4, "条款", "A"), (4, "意见内容", "B"), (4, "提出人", "G"),
    ]
    messages = {(e.row, e.column): e.message for e in errors}
    assert messages[(3, "意见内容")] == "请填写意见内容。"
    assert "赞成、反对、修改、新增、删除、其他" in messages[(3, "态度")]
    assert "不能超过 5000 个字" in messages[(4, "意见内容")]
    assert all(e.value is not None for e in errors)


def test_defaults_words_and_counts(draft):
    rows = [
        RowInput(2, {"provision": "", "body": "意见", "stance": "", "category": "", "represented": ""}),
        RowInput(3, {"provision": "第三条", "body": " 意见\r\n二 ", "stance": "同意", "category": "市民",
                             "represented": "３人"}),
        RowInput(4, {"provision": "第三条", "body": "意见", "stance": "oppose", "category": "lawyer",
                             "represented": "12.0"}),
    ]
    clean, errors = validate_rows(rows, VersionClauses(draft.current_version.id))
    assert errors == []
    assert [(r.stance, r.category, r.represented, r.provision_key) for r in clean] == [
        ("other", "citizen", 1, None), ("support", "citizen", 3, "art.3"), ("oppose", "lawyer", 12, "art.3")]
    assert clean[1].body == "意见\n二"


def test_headers_are_matched_by_name_in_any_order_with_extra_columns(draft):
    header = ["序号", " 意见内容 ", "条\u3000款", "态度（必填）", "*代表人数", "备注"]
    data = excel_like_xlsx([[1, "意见甲", "第三条第（一）项", "反对", 4, "内部备注"]], header=header)
    upload = read_upload(data, "意见.xlsx")
    assert set(upload.columns) == {"body", "provision", "stance", "represented"}
    assert upload.ignored_headers == ["序号", "备注"]
    clean, errors = validate_rows(upload.rows, VersionClauses(draft.current_version.id))
    assert errors == [] and clean[0].provision_key == "art.3.2.1" and clean[0].represented == 4


def test_title_rows_above_the_header_and_duplicate_headers(draft):
    data = excel_like_xlsx([["", "", ""], HEADERS, row()], header=["和平街道意见建议汇总表", "", ""])
    upload = read_upload(data, "意见.xlsx")
    assert upload.header_row == 3 and [r.row for r in upload.rows] == [4]
    with pytest.raises(BatchRejected) as caught:
        read_upload(excel_like_xlsx([row()], header=["意见内容", "态度", "意见"]), "意见.xlsx")
    assert "重复" in caught.value.message and caught.value.errors[0].letter == "C"
    with pytest.raises(BatchRejected) as caught:
        read_upload(excel_like_xlsx([row()], header=["甲", "乙"]), "意见.xlsx")
    assert "没有找到表头" in caught.value.message and caught.value.fields["file"]


# --- activity -----------------------------------------------------------------------------

def test_activity_fields_are_checked_together(frozen_now):
    from datetime import date

    today = date(2026, 3, 1)
    with pytest.raises(ValidationFailed) as caught:
        parse_activity({"kind": "开会", "date": "2026-13-01", "participants": "很多", "place": "地" * 300},
                               today=today)
    assert set(caught.value.fields) == {"kind", "date", "participants", "place"}
    with pytest.raises(ValidationFailed) as caught:
        parse_activity({"kind": "forum", "date": "2026-03-02"}, today=today)
    assert "晚于今天" in caught.value.fields["date"][0]
    activity = parse_activity({"kind": "座谈会", "date": "２０２６-０２-０１", "participants": "25人"}, today=today)
    assert (activity.kind, activity.date, activity.participants) == ("forum", date(2026, 2, 1), 25)

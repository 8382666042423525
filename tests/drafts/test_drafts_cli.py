"""``flask drafts …`` and ``flask demo …`` commands and their error paths."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.demo import ACCOUNTS, DEMO_PASSWORD, MARKER_EMAIL
from participation.extensions import db
from participation.models import AuditEntry, Draft, DraftStatus, LiaisonPoint, Notification, Opinion, User
from participation.parsing import parse_upload
from participation.services import accounts
from tests.conftest import SAMPLE_DRAFT
from tests.drafts.conftest import TEXT_WITH_ERRORS


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "草案.md"
    path.write_text(SAMPLE_DRAFT, encoding="utf-8")
    return path


def _import(runner, path, *extra):
    return runner.invoke(args=["drafts", "import", str(path), "--title", "命令行导入的草案", *extra])


# -- import -------------------------------------------------------------------------------

def test_import_prints_only_the_id_on_stdout(runner, sample_file, app):
    result = _import(runner, sample_file, "--summary", "说明")
    assert result.exit_code == 0, result.output
    draft_id = int(result.stdout.strip())
    draft = db.session.get(Draft, draft_id)
    assert draft.title == "命令行导入的草案" and draft.summary == "说明"
    assert draft.issuing_body == app.config["DEFAULT_ISSUING_BODY"]
    assert draft.published_at is None
    assert draft.current_version.source_filename == "草案.md"
    assert "条 5" in result.stderr and "错误 0 个" in result.stderr


def test_import_with_an_issuing_body_and_a_word_file(runner, tmp_path):
    from participation.demo import demo_docx_bytes

    path = tmp_path / "绿道.docx"
    path.write_bytes(demo_docx_bytes())
    result = _import(runner, path, "--issuing-body", "市园林绿化局")
    assert result.exit_code == 0, result.output
    draft = db.session.get(Draft, int(result.stdout))
    assert draft.issuing_body == "市园林绿化局" and draft.current_version.source_format == "docx"


def test_import_reports_errors_but_keeps_the_draft(runner, tmp_path):
    path = tmp_path / "有错误.txt"
    path.write_text(TEXT_WITH_ERRORS, encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 0
    assert "错误 2 个" in result.stderr and "不能发布" in result.stderr
    assert result.stdout.strip().isdigit()


@pytest.mark.parametrize("name, content, message", [
    ("不存在.txt", None, "文件不存在"),
    ("草案.pdf", b"%PDF-1.4", "不支持 PDF"),
    ("草案.txt", "没有任何条文的文字。".encode(), "没有识别出任何条文"),
    ("草案.txt", b"", "文件是空的"),
])
def test_import_errors_exit_non_zero_and_store_nothing(runner, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = _import(runner, path)
    assert result.exit_code != 0
    assert message in result.stderr and result.stdout == ""
    assert _count(Draft) == 0


def test_import_needs_a_title_option(runner, sample_file):
    result = runner.invoke(args=["drafts", "import", str(sample_file)])
    assert result.exit_code == 2 and "--title" in result.stderr


# -- publish, close, extend ---------------------------------------------------------------

def test_publish_opens_now_for_n_days(runner, make_draft, frozen_now):
    draft = make_draft()
    result = runner.invoke(args=["drafts", "publish", str(draft.id), "--days", "20"])
    assert result.exit_code == 0, result.output
    assert "已发布" in result.stdout
    db.session.expire_all()
    draft = db.session.get(Draft, draft.id)
    assert draft.opens_at == frozen_now.now and draft.closes_at == frozen_now.now + timedelta(days=20)


def test_publish_defaults_to_thirty_days(runner, make_draft, frozen_now):
    draft = make_draft()
    assert runner.invoke(args=["drafts", "publish", str(draft.id)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).closes_at == frozen_now.now + timedelta(days=30)


@pytest.mark.parametrize("setup, args, message", [
    ("errors", ["--days", "30"], "2 个错误"),
    ("published", [], "已经发布"),
    ("none", [], "没有编号为 999 的草案"),
    ("clean", ["--days", "0"], "0"),
    ("clean", ["--days", "400"], "400"),
])
def test_publish_refusals(runner, make_draft, setup, args, message):
    draft_id = 999
    if setup == "errors":
        draft_id = make_draft(TEXT_WITH_ERRORS).id
    elif setup == "published":
        draft_id = make_draft(published=True).id
    elif setup == "clean":
        draft_id = make_draft().id
    result = runner.invoke(args=["drafts", "publish", str(draft_id), *args])
    assert result.exit_code != 0
    assert message in result.stderr


def test_close_and_extend(runner, make_draft, frozen_now):
    draft = make_draft(published=True, days=30)
    closes = draft.closes_at
    result = runner.invoke(args=["drafts", "extend", str(draft.id), "--days", "7"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).closes_at == closes + timedelta(days=7)

    frozen_now.advance(days=1)
    result = runner.invoke(args=["drafts", "close", str(draft.id)])
    assert result.exit_code == 0 and "已截止" in result.stdout
    db.session.expire_all()
    assert db.session.get(Draft, draft.id).status_at(frozen_now.now) == DraftStatus.CLOSED

    result = runner.invoke(args=["drafts", "close", str(draft.id)])
    assert result.exit_code != 0 and "已经结束" in result.stderr


def test_close_and_extend_refusals(runner, make_draft):
    draft = make_draft()
    result = runner.invoke(args=["drafts", "close", str(draft.id)])
    assert result.exit_code != 0 and "尚未发布" in result.stderr
    result = runner.invoke(args=["drafts", "extend", str(draft.id), "--days", "3"])
    assert result.exit_code != 0 and "尚未发布" in result.stderr
    result = runner.invoke(args=["drafts", "extend", str(draft.id)])
    assert result.exit_code == 2 and "--days" in result.stderr
    result = runner.invoke(args=["drafts", "close", "abc"])
    assert result.exit_code == 2
    result = runner.invoke(args=["drafts", "close", "999"])
    assert result.exit_code != 0 and "没有编号为 999 的草案" in result.stderr


# -- list and report -------------------------------------------------------------------------

def test_list(runner, make_draft):
    assert "还没有草案" in runner.invoke(args=["drafts", "list"]).stdout
    make_draft(title="甲草案")
    make_draft(title="乙草案", published=True)
    result = runner.invoke(args=["drafts", "list"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert "乙草案" in lines[1] and "征求意见中" in lines[1] and "\t5\t" in lines[1]
    assert "甲草案" in lines[2] and "草稿" in lines[2]


def test_report(runner, make_draft):
    draft = make_draft(TEXT_WITH_ERRORS, title="有错误的草案")
    result = runner.invoke(args=["drafts", "report", str(draft.id)])
    assert result.exit_code == 0
    out = result.stdout
    assert "有错误的草案" in out and "条 3" in out and "错误 2 个" in out
    assert "第11行 [art.4]" in out and "缺少第三条" in out
    assert "未归入条文：本章的说明文字不属于任何条文。" in out
    assert runner.invoke(args=["drafts", "report", "999"]).exit_code != 0


# -- demo ------------------------------------------------------------------------------------------

def test_demo_load_is_idempotent(runner, frozen_now):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "已加载演示数据" in result.stdout
    for account in ACCOUNTS:
        assert account.email in result.stdout
    assert DEMO_PASSWORD in result.stdout and "http://127.0.0.1:5000/" in result.stdout
    counts = (_count(User), _count(Draft), _count(LiaisonPoint))
    assert counts == (7, 3, 2)

    drafts = db.session.scalars(select(Draft).order_by(Draft.id)).all()
    statuses = [draft.status_at(frozen_now.now) for draft in drafts]
    assert statuses == [DraftStatus.OPEN, DraftStatus.FEEDBACK, DraftStatus.DRAFT]
    # Opened an hour ago, so that every demo opinion is stamped before now.
    assert drafts[0].closes_at == frozen_now.now - timedelta(hours=1) + timedelta(days=30)
    assert drafts[0].current_version.issues == [] and drafts[1].current_version.issues == []
    warnings = drafts[2].current_version.issues
    assert warnings and all(issue["severity"] == "warning" for issue in warnings)
    deputy = db.session.scalar(select(User).where(User.role == "deputy"))
    assert deputy.deputy_number and deputy.delegation and deputy.professional_group
    operators = db.session.scalars(select(User).where(User.role == "operator")).all()
    assert len({operator.liaison_point_id for operator in operators}) == 2

    # The finished loop: the closed draft's opinions all answered, its report published,
    # nothing stamped in the future.
    closed = drafts[1]
    assert _count(Opinion, Opinion.draft_id == closed.id, Opinion.disposition == "pending") == 0
    assert _count(Opinion, Opinion.draft_id == closed.id) == 9
    assert _count(Notification, Notification.draft_id == closed.id, Notification.kind == "feedback_published") == 4
    # Its liaison point's batch is fully disposed: the point's operator was told once.
    assert _count(Notification, Notification.draft_id == closed.id, Notification.kind == "batch_disposed") == 1
    for column in (Opinion.created_at, Opinion.disposed_at, Notification.created_at, AuditEntry.created_at):
        assert db.session.scalar(select(func.max(column))) <= frozen_now.now

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "本次未做任何改动" in again.stdout
    assert (_count(User), _count(Draft), _count(LiaisonPoint)) == counts


def test_demo_accounts_sign_in(runner, client, login):
    runner.invoke(args=["demo", "load"])
    staff = db.session.scalar(select(User).where(User.email == ACCOUNTS[1].email))
    signed_in = login(staff, password=DEMO_PASSWORD)
    assert signed_in.get("/staff/drafts").status_code == 200


def test_demo_refuses_a_database_with_other_accounts(runner, make_user):
    make_user("staff", email="real.person@example.org")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "未加载演示数据" in result.stderr
    assert _count(Draft) == 0
    assert db.session.scalar(select(User).where(User.email == MARKER_EMAIL)) is None


def test_demo_passwords_satisfy_the_password_rules(app):
    for account in ACCOUNTS:
        accounts.check_password_strength(account.password, email=account.email)
        assert len(account.password) >= 10


def test_demo_docx_writes_an_importable_word_file(runner, tmp_path):
    out = tmp_path / "demo.docx"
    result = runner.invoke(args=["demo", "docx", str(out)])
    assert result.exit_code == 0 and str(out) in result.stdout
    document = parse_upload(out.name, out.read_bytes())
    assert document.title == "某市城市绿道管理条例（草案）"
    assert document.counts()["article"] == 11 and document.issues == []
    result = runner.invoke(args=["demo", "docx", str(tmp_path / "demo.txt")])
    assert result.exit_code != 0 and ".docx" in result.stderr


def test_out_of_range_ids_are_unknown(runner):
    result = runner.invoke(args=["drafts", "report", "99999999999999"])
    assert result.exit_code != 0 and "没有编号为 99999999999999 的草案" in result.stderr

"""The demo: invented example drafts and a few accounts of every role, loaded once.

The drafts in ``drafts/`` are written for this project (no real regulation is
copied). ``load_demo`` is idempotent: the demo administrator's account marks a loaded
demo, and a database that already holds other accounts is left alone, so that
``make run`` against a real database never adds accounts with published passwords.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from participation import batches
from participation.extensions import db
from participation.models import Draft, Role, User
from participation.parsing import parse_text
from participation.demo.sample_opinions import DEMO_BATCH_ACTIVITY, DEMO_BATCH_ROWS, OPEN_DRAFT_OPINIONS
from participation.services import accounts, liaison, opinions
from participation.services import drafts as draft_service
from participation.clock import add_days
from participation.demo import feedback as feedback_demo
from participation.demo import plan_call as plan_demo

DEMO_DATA = Path(__file__).resolve().parent / "drafts"
DEMO_ISSUING_BODY = "某市人大常委会法制工作委员会"


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str
    display_name: str
    deputy_number: str | None = None
    delegation: str | None = None
    professional_group: str | None = None
    liaison_point: str | None = None  # name of the liaison point an operator belongs to


@dataclass(frozen=True)
class DemoLiaisonPoint:
    name: str
    region: str
    address: str


LIAISON_POINTS = (
    DemoLiaisonPoint("和平街道基层立法联系点", "东城区", "东城区和平街道办事处二楼"),
    DemoLiaisonPoint("明理律师事务所基层立法联系点", "西城区", "西城区长安路 18 号"),
)

# One password for every demo account, shown by `demo load` and in the README. It must
# not contain an account's e-mail name (the password rules refuse that).
DEMO_PASSWORD = "lifa-demo-2026"

ACCOUNTS = (
    DemoAccount(Role.ADMIN, "admin@demo.example.org", DEMO_PASSWORD, "演示管理员"),
    DemoAccount(Role.STAFF, "staff@demo.example.org", DEMO_PASSWORD, "法工委 王干事"),
    DemoAccount(Role.CITIZEN, "citizen1@demo.example.org", DEMO_PASSWORD, "市民 李明"),
    DemoAccount(Role.CITIZEN, "citizen2@demo.example.org", DEMO_PASSWORD, "市民 张华"),
    DemoAccount(Role.DEPUTY, "deputy@demo.example.org", DEMO_PASSWORD, "人大代表 赵敏",
                deputy_number="DB-2026-015", delegation="东城区代表团", professional_group="法制专业小组"),
    DemoAccount(Role.OPERATOR, "operator1@demo.example.org", DEMO_PASSWORD, "和平街道信息员 陈静",
                liaison_point=LIAISON_POINTS[0].name),
    DemoAccount(Role.OPERATOR, "operator2@demo.example.org", DEMO_PASSWORD, "明理律所信息员 刘洋",
                liaison_point=LIAISON_POINTS[1].name),
)
MARKER_EMAIL = ACCOUNTS[0].email


@dataclass(frozen=True)
class DemoDraft:
    filename: str
    summary: str


OPEN_DRAFT = DemoDraft(
    "eldercare.md",
    "为发展社区居家养老服务，市人大常委会法制工作委员会起草了本条例草案，现向社会公开征求意见。"
    "欢迎重点就服务设施配建标准（第七条）、基本服务项目（第十一条）和服务补贴对象（第十二条）提出意见。",
)
CLOSED_DRAFT = DemoDraft(
    "ebike.md",
    "本草案针对电动自行车停放充电引发的火灾隐患，明确停放充电场所建设、禁止区域和法律责任。"
    "征求意见已结束，意见采纳情况已经公布。",
)
UNPUBLISHED_DRAFT = DemoDraft(
    "dogs.md",
    "起草中的草案（未发布）：结构检查报告中有一条提示（目录已跳过），供工作人员查看。",
)
DOCX_DRAFT = "greenway.md"


class DemoRefused(Exception):
    """The database already holds accounts that are not the demo's."""


@dataclass
class DemoResult:
    loaded: bool
    drafts: list[Draft]


def _read(filename: str) -> str:
    return (DEMO_DATA / filename).read_text(encoding="utf-8")


def _import(demo: DemoDraft, staff: User) -> Draft:
    text = _read(demo.filename)
    document = parse_text(text)
    return draft_service.import_draft(
        title=document.title, document=document, source_format="md", source_filename=demo.filename,
        source_bytes=text.encode("utf-8"), created_by=staff, issuing_body=DEMO_ISSUING_BODY,
        summary=demo.summary,
    )


def is_loaded() -> bool:
    return db.session.scalar(select(User.id).where(User.email == MARKER_EMAIL)) is not None


def demo_drafts() -> list[Draft]:
    titles = [parse_text(_read(d.filename)).title for d in (OPEN_DRAFT, CLOSED_DRAFT, UNPUBLISHED_DRAFT)]
    return list(db.session.scalars(select(Draft).where(Draft.title.in_(titles)).order_by(Draft.id)))


def load_demo(now: datetime) -> DemoResult:
    """Create the demo accounts, liaison points and drafts (flushes, the caller
    commits). The open draft takes opinions for 30 days from ``now``."""
    if is_loaded():
        return DemoResult(loaded=False, drafts=demo_drafts())
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoRefused("数据库中已有其他账户，为安全起见不加载演示数据（演示账户的密码是公开的）。")

    points = {p.name: liaison.create_liaison_point(name=p.name, region=p.region, address=p.address)
              for p in LIAISON_POINTS}
    users = {}
    for account in ACCOUNTS:
        users[account.email] = accounts.create_user(
            email=account.email, password=account.password, role=account.role,
            display_name=account.display_name, deputy_number=account.deputy_number,
            delegation=account.delegation, professional_group=account.professional_group,
            liaison_point=points[account.liaison_point] if account.liaison_point else None,
        )
    staff = users[ACCOUNTS[1].email]

    # Opened an hour ago, so that its opinions (one a minute) are all stamped before ``now``.
    open_draft = _import(OPEN_DRAFT, staff)
    opened = now - timedelta(hours=1)
    draft_service.publish_draft(open_draft, opens_at=opened, closes_at=add_days(opened, 30), now=opened)

    # Published 45 days ago for 30 days: its period ended two weeks ago.
    closed_draft = _import(CLOSED_DRAFT, staff)
    then = now - timedelta(days=45)
    draft_service.publish_draft(closed_draft, opens_at=then, closes_at=add_days(then, 30), now=then)

    # Opinions shown publicly, so a new user sees listings, a tally and search results.
    _show_opinions_publicly(open_draft)
    feedback_demo.answer_closed_draft(closed_draft, users, points[LIAISON_POINTS[1].name],
                                      users[_operator_email(LIAISON_POINTS[1].name)], staff, then)
    _submit_demo_opinions(open_draft, OPEN_DRAFT_OPINIONS, users, now - timedelta(minutes=len(OPEN_DRAFT_OPINIONS) + 5))
    _import_demo_batch(open_draft, points[LIAISON_POINTS[0].name], users[_operator_email(LIAISON_POINTS[0].name)], now)
    feedback_demo.prepare_open_draft(open_draft, staff, now)
    # From proposals to the 2027 plan, whose first project the open draft implements.
    plan_demo.load_plan_call(users, points, staff, open_draft, now)
    plan_demo.open_next_call(staff, now)

    unpublished = _import(UNPUBLISHED_DRAFT, staff)
    return DemoResult(loaded=True, drafts=[open_draft, closed_draft, unpublished])


def _show_opinions_publicly(draft: Draft) -> None:
    opinions.update_opinion_settings(draft, allows_anonymous_opinions=False, moderation_mode="post",
                                     shows_opinions_publicly=True)


def _submit_demo_opinions(draft: Draft, items, users: dict, start: datetime) -> list[int]:
    """Send ``items`` one minute apart from ``start`` (the caller makes sure the last one
    is not later than the clock); returns the opinions' ids."""
    return [opinions.submit_opinion(draft, opinions.OpinionInput(
        body=body, stance=stance, provision_key=key, proposed_text=proposed, reason=reason,
        region=region, submitter_name=name, is_name_public=public,
    ), author=users[email], now=start + timedelta(minutes=offset)).id
        for offset, (email, key, stance, body, proposed, reason, region, name, public) in enumerate(items)]


def _operator_email(point_name: str) -> str:
    return next(a.email for a in ACCOUNTS if a.liaison_point == point_name)


def _import_demo_batch(draft: Draft, point, operator: User, now: datetime) -> None:
    activity = batches.parse_activity({**DEMO_BATCH_ACTIVITY, "date": now.date().isoformat()}, today=now.date())
    batches.store(batches.check(batches.JsonSource(DEMO_BATCH_ROWS), draft, point), activity, operator, now)


# -- the .docx for trying the import ------------------------------------------------

_HEADING_RE = re.compile(r"第[一二三四五六七八九十]+[章节]")
_ARTICLE_RE = re.compile(r"(第[一二三四五六七八九十百]+条)\s*(.*)")


def demo_docx_bytes() -> bytes:
    """A Word file of the demo draft kept for importing (``DOCX_DRAFT``), laid out as
    drafting offices do: a Title paragraph, centred bold chapter headings, article
    numbers in bold followed by an ideographic space."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = Document()
    for raw in _read(DOCX_DRAFT).splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("# "):
            document.add_paragraph(line[2:], style="Title")
            continue
        line = line.lstrip("#").strip()
        if _HEADING_RE.match(line):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = paragraph.add_run(line)
            run.bold = True
            run.font.size = Pt(14)
            continue
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        article = _ARTICLE_RE.match(line)
        if article:
            paragraph.add_run(article.group(1)).bold = True
            paragraph.add_run("\u3000" + article.group(2))
        else:
            paragraph.add_run(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

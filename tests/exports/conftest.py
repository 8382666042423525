"""Fixtures of the export tests: a draft with opinions through every channel (web,
API, a liaison-point batch), several clauses, dispositions, an assignment, texts that
look like formulas, and duplicates."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from participation.extensions import db
from tests.feedback.conftest import SECRET_NOTE, close_draft  # noqa: F401  (fixtures)
from tests.opinions.conftest import make_opinion, open_draft  # noqa: F401  (fixtures)

FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTAB开头", "\r回车开头", "=HYPERLINK(\"http://x\",\"点我\")"]


@pytest.fixture
def export_world(app, make_draft, make_user, make_opinion, close_draft, frozen_now):
    """A closed draft with opinions through every channel (web, API, a liaison-point
    batch), dispositions with reasons, a hidden opinion, texts that start like formulas,
    three identical opinions on 第二条 (spacing and punctuation differ), one with contact
    details, and 第一章 assigned to the staff member. Returns a dict."""
    from datetime import date

    from participation import batches
    from participation.models import Assignment, Opinion
    from participation.services import opinions as opinion_service
    from participation.services.liaison import create_liaison_point

    draft = make_draft(published=True)
    staff = make_user("staff", display_name="承办甲")
    citizen = make_user("citizen")

    def tick():
        frozen_now.set(frozen_now.now + timedelta(seconds=1))

    plan = [("art.1", "adopted"), ("art.1", "not_adopted"), ("art.2", "partly_adopted"), ("art.3.1.1", "for_study"),
            (None, "already_provided"), (None, "pending"), ("art.5", "out_of_scope")]
    for n, (key, disposition) in enumerate(plan):
        tick()
        opinion = make_opinion(draft, key=key, author=citizen, body=f"网站意见{n}")
        opinion.disposition, opinion.disposition_reason = disposition, f"理由{n}"
        opinion.disposition_note = SECRET_NOTE
    tick()
    make_opinion(draft, key="art.1", author=citizen, state="hidden", body="被屏蔽意见XYZ")
    tick()
    stored = opinion_service.submit_opinion(
        draft, opinion_service.OpinionInput(body="接口意见", stance="amend", provision_key="art.3"),
        author=citizen, now=frozen_now.now, channel="api")
    db.session.get(Opinion, stored.id).disposition = "adopted"
    for text in FORMULAS:
        tick()
        opinion = make_opinion(draft, key="art.4", author=citizen, body=text, reason=text, proposed_text=text,
                               submitter_name=text[:20].strip() or "x", region="东城区")
        # The services trim leading spaces; data from elsewhere (an old import) may not be.
        opinion.body = opinion.reason = opinion.proposed_text = text
    for body in ("建议删除本条。", "建议删除本条", " 建议 删除本条！"):
        tick()
        make_opinion(draft, key="art.2", author=citizen, body=body, stance="delete")
    tick()
    contact = make_opinion(draft, key="art.3.1.2", body="留了联系方式的意见", contact="13800000000",
                           submitter_name="李四", region="西城区", category="expert")
    tick()
    point = create_liaison_point(name="示例联系点")
    operator = make_user("operator", liaison_point=point)
    rows = [{"provision": "第四条", "body": "联系点意见一", "stance": "修改", "category": "居民", "name": "王芳",
             "represented": 3},
            {"provision": "总体意见", "body": "联系点意见二", "stance": "赞成", "category": "企业", "name": "",
             "represented": 1}]
    checked = batches.check(batches.JsonSource(rows), draft, point)
    batches.store(checked, batches.Activity(kind="forum", date=date(2026, 1, 5)), operator, frozen_now.now)
    db.session.add(Assignment(draft_id=draft.id, provision_key="ch.1", user_id=staff.id))
    db.session.commit()
    close_draft(draft)
    return {"draft": draft, "staff": staff, "contact": contact, "point": point}


def read_xlsx(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def read_docx(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))

"""Helpers of the public-page tests of legislative-plan calls (test_public_*.py)."""
from __future__ import annotations

import io

from participation import clock
from participation.extensions import db
from participation.services import classifications, plans

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def form_data(**overrides) -> dict:
    """A complete, valid proposal form post (a citizen's)."""
    data = {
        "submission_token": "t" * 32,
        "title": "某市养犬管理条例",
        "necessity": "养犬扰民问题突出，现有规定层级低，制定条例很有必要，也已具备条件。",
        "problems": "犬只伤人、噪声扰民、粪便污染。",
        "measures": "养犬登记、文明养犬、执法分工。",
        "area": "城市管理",
        "category": "citizen",
        "submitter_name": "张三",
        "unit": "",
        "region": "某区某街道",
        "contact": "13800001234",
        "is_name_public": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def with_files(data: dict, *files: tuple[str, bytes]) -> dict:
    data = dict(data)
    data["attachment"] = [(io.BytesIO(content), name) for name, content in files]
    return data


def publish_plan(year, proposals, *, draft=None, klass="formal", title="某市养犬管理条例", publish=True):
    """The year's plan with one project led to by ``proposals`` (and implemented by
    ``draft``), published unless told otherwise."""
    now = clock.now()
    plan = plans.plan_for_year(year, by=None, now=now)
    project = plans.add_project(plan, plans.ProjectInput(klass, title, drafting_body="市公安局", planned_month=6,
                                                         proposal_ids=[p.id for p in proposals]), by=None, now=now)
    if draft is not None:
        plans.link_draft(project, draft, by=None, now=now)
    if publish:
        plans.publish_plan(plan, by=None, now=now)
    db.session.commit()
    return plan, project


def classify(proposal, value, reason=""):
    classifications.classify(proposal, classifications.ClassificationInput(value, reason), by=None, now=clock.now())
    db.session.commit()

"""The demo's staff member exports each demo draft from the opinion list; the files open
with openpyxl and python-docx and hold exactly the list's opinions, in order."""
from __future__ import annotations

import os
import re

from participation import clock, jobs, queries
from participation.demo import ACCOUNTS, demo_drafts, load_demo
from participation.extensions import db
from participation.queries import StaffOpinionFilters
from tests.exports.conftest import read_docx, read_xlsx

STAFF = ACCOUNTS[1]


def _download(app, client, draft_id, kind, query=""):
    response = client.post(f"/staff/drafts/{draft_id}/exports/{kind}{query}")
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    jobs.run_pending(app)
    db.session.rollback()
    download = client.get(f"/staff/jobs/{public_id}/download")
    assert download.status_code == 200, client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)[-800:]
    return download.data


def test_demo_drafts_export_cleanly(app, client):
    load_demo(clock.now())
    db.session.commit()
    response = client.post("/login", data={"email": STAFF.email, "password": STAFF.password})
    assert response.status_code == 302
    keep = os.environ.get("EXPORTS_KEEP_FILES")  # a folder: keep the files to look at by hand
    for draft in demo_drafts():
        expected = [o.receipt_code for o in db.session.scalars(
            queries.staff_opinions_query(draft.id, StaffOpinionFilters()))]
        workbook = _download(app, client, draft.id, "xlsx")
        rows = [row[0] for row in read_xlsx(workbook).worksheets[0].iter_rows(min_row=2, values_only=True)]
        assert rows == expected
        page = client.get(f"/staff/drafts/{draft.id}/opinions").get_data(as_text=True)
        assert re.search(rf"共 {len(expected)} 条符合条件", page)
        summary = _download(app, client, draft.id, "docx")
        document = read_docx(summary)
        listed = sum(len(table.rows) - 1 for table in document.tables)
        assert listed <= len(expected) and (listed > 0) == bool(expected)
        report = client.get(f"/drafts/{draft.id}/feedback.docx")
        assert report.status_code == 200 and read_docx(report.data).paragraphs
        if keep:
            for suffix, data in (("xlsx", workbook), ("docx", summary), ("report.docx", report.data)):
                with open(os.path.join(keep, f"demo-{draft.id}.{suffix}"), "wb") as out:
                    out.write(data)
    assert any(len(list(db.session.scalars(queries.staff_opinions_query(d.id, StaffOpinionFilters())))) > 10
               for d in demo_drafts())

"""The disposition sheet round trip (处理情况表): staff download the opinions of a draft
as a spreadsheet, fill in 处理情况, 处理理由 and 内部备注 in Excel, and upload it back.

Three calls, like a liaison batch's: ``workbook(draft, filters)`` writes the sheet;
``check(data, filename, draft)`` reads an uploaded .xlsx or CSV (through
``participation.spreadsheets``) and checks every row, listing every error by row and
column and the changes it would make; ``apply(check, draft, by, now)`` makes them all
in the caller's transaction, or nothing while any row is wrong. Applying the same sheet
again changes nothing. ``uploads`` keeps a checked sheet until it is confirmed.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from participation.disposition_sheets.checking import SheetChange, SheetCheck, check
from participation.disposition_sheets.workbook import download_name, selected_count, workbook
from participation.errors import ValidationFailed
from participation.models import Draft, User
from participation.services import dispositions

__all__ = ["SheetChange", "SheetCheck", "apply", "check", "download_name", "selected_count", "workbook"]


def apply(check: SheetCheck, draft: Draft, by: User, now: datetime, *,
          idempotency_key: str | None = None) -> dispositions.BulkResult:
    """Apply a checked sheet's changes to ``draft``'s opinions (flushed; the caller
    commits): one statement, one audit entry with the file's name and digest, the rows
    read and the opinions changed. Raises ValidationFailed while the sheet has errors."""
    if check.draft_id != draft.id:
        raise ValueError("a sheet checked against another draft")
    if not check.ok:
        raise ValidationFailed(check.refused or _("处理情况表中有 %(count)d 处错误，没有修改任何意见。请改正后重新上传。",
                                                  count=check.error_count))
    selection = {"file": check.filename, "digest": check.digest, "rows": check.rows,
                 "ids": [change.opinion_id for change in check.changes]}
    return dispositions.apply_changes(draft, check.opinion_changes(), by=by, now=now, selection=selection,
                                      idempotency_key=idempotency_key)

"""Liaison-point batches (批次): a point's opinion table (意见建议汇总表), read from a
spreadsheet or sent as JSON, checked row by row, and stored whole or not at all.

Every channel makes the same two calls (``pipeline``): ``check(source, draft, point)``
reads and checks, giving a ``BatchCheck`` (rows, errors, column names, the tally it
would add); ``store(check, activity, entered_by, now)`` stores it. The modules, along
the seams of the job:

- ``vocabulary``: the columns, their headers, and the words of the stance, category and
  activity columns;
- ``reading``: files (.xlsx, CSV in any encoding, through ``participation.spreadsheets``)
  and JSON rows → rows;
- ``citations``: a row's clause cell resolved against the version's clauses;
- ``checking``: row checking, activity checking, the preview tally;
- ``storing``: the batch and its opinions, "never twice";
- ``uploads``: kept files and the web's previews, and their purge;
- ``workbooks``: the template and the feedback sheet.

Access and acceptance rules are ``participation.policies``'s; read queries are
``participation.queries.batches``'s.
"""
from participation.batches.checking import Activity, parse_activity
from participation.batches.pipeline import (
    BatchCheck, FileSource, JsonSource, acceptance_error, check, refusal_error, store,
)
from participation.batches.rows import BatchRejected, RowError

__all__ = [
    "Activity", "BatchCheck", "BatchRejected", "FileSource", "JsonSource", "RowError", "acceptance_error", "check",
    "parse_activity", "refusal_error", "store",
]

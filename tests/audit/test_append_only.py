"""The 操作记录 is append-only in the application: no route, service or command updates
or deletes an entry. Read from the source, so that a new code path that would is caught
before it runs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "participation"

FORBIDDEN = [
    re.compile(r"\b(update|delete)\(\s*(AuditEntry|audit_entries)\b"),
    re.compile(r"AuditEntry\.__table__\s*\.\s*(update|delete)\b"),
    re.compile(r"\b(UPDATE|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+\"?audit_entries\b", re.IGNORECASE),
    re.compile(r"\.delete\(\s*\w*(entry|entries|audit)\w*\s*\)", re.IGNORECASE),
    re.compile(r"select\(\s*AuditEntry\b[^\n]*\)\s*\.\s*(update|delete)\b"),
    re.compile(r"\b(entry|earlier|audit_entry)\.(old|new|selection|count|action|actor_id|created_at|object_id"
               r"|object_type|draft_id)\s*=(?!=)"),
]


def _offences(text: str) -> list[str]:
    return [match.group(0) for pattern in FORBIDDEN for match in pattern.finditer(text)]


@pytest.mark.parametrize("sample", [
    "db.session.execute(update(AuditEntry).values(old=None))",
    "db.session.execute(delete(AuditEntry).where(AuditEntry.id == 1))",
    "AuditEntry.__table__.delete()",
    'db.session.execute(text("DELETE FROM audit_entries"))',
    'connection.exec_driver_sql("update audit_entries set old = null")',
    "db.session.delete(entry)",
    "entry.new = {}",
])
def test_the_scan_finds_each_way_of_changing_an_entry(sample):
    assert _offences(sample)


def test_no_code_updates_or_deletes_audit_entries():
    offences = {}
    for path in sorted(ROOT.rglob("*.py")):
        found = _offences(path.read_text(encoding="utf-8"))
        if found:
            offences[str(path.relative_to(ROOT.parent))] = found
    assert not offences, f"the audit log is append-only; these change entries: {offences}"

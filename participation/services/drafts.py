"""Drafts: import a text into a provision tree, publish, extend and close the comment
period."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete

from participation import clock
from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import Draft, DraftStatus, DraftVersion, Provision, Reading, User
from participation.parsing import ParsedDocument, UnsupportedFormat, parse_text, parse_upload
from participation.services import audit
from participation.text import clean_filename

MAX_TITLE_LENGTH = 200
MAX_ISSUING_BODY_LENGTH = 200
MAX_SUMMARY_LENGTH = 5000
# Pasted text and uploads share this bound; the request size limit catches most
# oversized uploads before they are read (the Civil Code is about 110,000 characters).
MAX_TEXT_LENGTH = 2_000_000
DEFAULT_COMMENT_DAYS = 30
MAX_COMMENT_DAYS = 366
# A form posted a few minutes after it was opened still means "open now"; an opening
# time further in the past is a mistake, because opinions are judged against the period.
PAST_OPENING_TOLERANCE = timedelta(minutes=10)


# C0 control characters other than tab and line breaks: PostgreSQL refuses NUL in text,
# and none of them belongs in a regulation.
_CONTROL_CHARACTERS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def _clean(value: str | None) -> str:
    return (value or "").translate(_CONTROL_CHARACTERS)


def _fail(field_names: tuple[str, ...], message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={name: [message] for name in field_names})


def parse_source(*, filename: str | None, data: bytes | None, text: str | None) -> tuple[ParsedDocument, str, str, bytes]:
    """Parse an upload (``data`` is not None) or pasted text, exactly one of them.

    Returns (document, source format, filename, raw bytes). Unreadable input raises
    ``ValidationFailed`` with the parser's message on the ``file`` or ``text`` field.
    """
    text = _clean(text)
    has_text = bool(text.strip())
    if data is not None and has_text:
        raise _fail(("file", "text"), _("请只选择一种方式：上传文件或粘贴文本，不要同时使用。"))
    if data is not None:
        if not data.strip():
            raise _fail(("file",), _("上传的文件是空的。"))
        try:
            document = parse_upload(filename or "", data)
        except UnsupportedFormat as exc:
            raise _fail(("file",), str(exc)) from exc
        name = clean_filename(filename)  # shown to staff: no bidi controls, no path
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "text"
        return document, extension, name, data
    if has_text:
        if len(text) > MAX_TEXT_LENGTH:
            raise _fail(("text",), _("文本过长（超过 %(n)d 个字符）。", n=MAX_TEXT_LENGTH))
        return parse_text(text), "text", "", text.encode("utf-8")
    raise _fail(("file", "text"), _("请上传文件或粘贴草案全文。"))


def _check_title(title: str) -> str:
    title = " ".join(_clean(title).split())
    if not title:
        raise _fail(("title",), _("请填写草案标题。"))
    if len(title) > MAX_TITLE_LENGTH:
        raise _fail(("title",), _("标题不能超过 %(n)d 个字。", n=MAX_TITLE_LENGTH))
    return title


def _check_details(issuing_body: str, summary: str) -> tuple[str, str]:
    issuing_body = " ".join(_clean(issuing_body).split())
    summary = _clean(summary).strip()
    if len(issuing_body) > MAX_ISSUING_BODY_LENGTH:
        raise _fail(("issuing_body",), _("起草单位不能超过 %(n)d 个字。", n=MAX_ISSUING_BODY_LENGTH))
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise _fail(("summary",), _("说明不能超过 %(n)d 个字。", n=MAX_SUMMARY_LENGTH))
    return issuing_body, summary


def _check_has_articles(document: ParsedDocument) -> None:
    if not any(node.kind == "article" for node in document.walk()):
        raise _fail(("file", "text"), _("没有识别出任何条文。条文应以“第一条”加空格开头，请检查文本格式。"))


def _store_tree(version: DraftVersion, document: ParsedDocument) -> int:
    """Insert the provision rows of a parsed document; returns how many.

    Rows are added one tree level at a time, so that each level is a single batched
    INSERT … RETURNING and the children find their parents' ids (a flush per node would
    make the Civil Code's 4,000 rows take seconds).
    """
    levels: list[list[tuple[object, object]]] = []  # per depth: (node, parent node)
    positions: dict[int, int] = {}
    position = 0

    def number(nodes, parent, depth):
        nonlocal position
        for node in nodes:
            position += 1
            positions[id(node)] = position
            if len(levels) <= depth:
                levels.append([])
            levels[depth].append((node, parent))
            number(node.children, node, depth + 1)

    number(document.nodes, None, 0)
    row_ids: dict[int, int] = {}
    for depth, level in enumerate(levels):
        rows = []
        for node, parent in level:
            rows.append(Provision(
                version_id=version.id, parent_id=row_ids[id(parent)] if parent is not None else None,
                position=positions[id(node)], depth=depth, kind=node.kind, key=node.key,
                label=node.label[:40], number=node.number, suffix=node.suffix,
                heading=(node.heading or "")[:300], text=node.text or "",
            ))
        db.session.add_all(rows)
        db.session.flush()
        for (node, _parent), row in zip(level, rows):
            row_ids[id(node)] = row.id
    return position


def _issues_as_dicts(document: ParsedDocument) -> list[dict]:
    return [
        {"severity": i.severity, "code": i.code, "message": i.message, "line": i.line, "key": i.key}
        for i in document.issues
    ]


def _fill_version(version: DraftVersion, document: ParsedDocument, source_format: str,
                  source_filename: str, source_bytes: bytes, user: User | None) -> None:
    version.source_title = (document.title or "")[:300]
    version.notes = list(document.notes)
    version.issues = _issues_as_dicts(document)
    version.unplaced = list(document.unplaced)
    version.source_filename = (source_filename or "")[:255]
    version.source_format = (source_format or "text")[:10]
    version.source_digest = hashlib.sha256(source_bytes).hexdigest()
    version.created_by_id = user.id if user else None


def import_draft(
    *, title: str, document: ParsedDocument, source_format: str, source_filename: str,
    source_bytes: bytes, created_by: User | None, issuing_body: str = "", summary: str = "",
    reading: Reading = Reading.CONSULTATION,
) -> Draft:
    """Create an unpublished draft with its first version from a parsed document.

    An empty ``title`` falls back to the title found in the text (the ``#`` line or the
    first line of a Word file). A text without any article is refused and nothing is
    stored; any other problem is recorded in the version's report for staff to read.
    """
    title = _check_title(_clean(title).strip() or document.title or "")
    issuing_body, summary = _check_details(issuing_body, summary)
    _check_has_articles(document)
    draft = Draft(title=title, issuing_body=issuing_body, summary=summary,
                  created_by_id=created_by.id if created_by else None)
    db.session.add(draft)
    db.session.flush()
    version = DraftVersion(draft_id=draft.id, number=1, reading=reading.value)
    _fill_version(version, document, source_format, source_filename, source_bytes, created_by)
    db.session.add(version)
    db.session.flush()
    provisions = _store_tree(version, document)
    audit.record_event("draft.import", actor=created_by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                       new={"title": draft.title, "version": 1, "source_filename": version.source_filename,
                            "provisions": provisions})
    db.session.refresh(draft, ["versions"])
    return draft


# What identifies a version's text in the audit log (the text itself is in the version).
_TEXT_FIELDS = ("source_filename", "source_format", "source_digest")


def replace_draft_text(
    draft: Draft, *, document: ParsedDocument, source_format: str, source_filename: str,
    source_bytes: bytes, replaced_by: User | None,
) -> DraftVersion:
    """Re-import the text of a draft that is not yet published (staff fix the source and
    upload it again after reading the structure report). The version keeps its id and
    number; its provisions and report are replaced."""
    if draft.published_at is not None:
        raise Conflict(_("草案已发布，不能再替换文本。"))
    _check_has_articles(document)
    version = draft.current_version
    before = audit.snapshot(version, _TEXT_FIELDS) if version is not None else {}
    if version is None:
        version = DraftVersion(draft_id=draft.id, number=1, reading=Reading.CONSULTATION.value)
        db.session.add(version)
    else:
        db.session.execute(delete(Provision).where(Provision.version_id == version.id))
    _fill_version(version, document, source_format, source_filename, source_bytes, replaced_by)
    db.session.flush()
    _store_tree(version, document)
    audit.record("draft.replace_text", actor=replaced_by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                 old=before, new=audit.snapshot(version, _TEXT_FIELDS) | {"version": version.number},
                 now=clock.now())
    db.session.refresh(draft, ["versions"])
    return version


def add_reading(
    draft: Draft, *, document: ParsedDocument, reading: Reading, source_format: str, source_filename: str,
    source_bytes: bytes, by: User | None, now: datetime,
) -> DraftVersion:
    """A new reading of a published draft (一审稿 after the 征求意见稿 …): the next version,
    with its own provisions; earlier versions and the opinions on them stay. Followers
    are told through a background fan-out."""
    from participation.services import notifications

    if draft.published_at is None:
        raise Conflict(_("草案尚未发布，请直接替换文本。"))
    _check_has_articles(document)
    number = (draft.current_version.number if draft.current_version is not None else 0) + 1
    version = DraftVersion(draft_id=draft.id, number=number, reading=Reading(reading).value)
    _fill_version(version, document, source_format, source_filename, source_bytes, by)
    db.session.add(version)
    db.session.flush()
    provisions = _store_tree(version, document)
    audit.record("draft.add_reading", actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                 new=audit.snapshot(version, _TEXT_FIELDS) | {"version": number, "reading": version.reading,
                                                              "provisions": provisions}, now=now)
    db.session.refresh(draft, ["versions"])
    notifications.notify_new_reading(draft, version, now=now)
    return version


_DETAIL_FIELDS = ("title", "issuing_body", "summary")
_PERIOD_FIELDS = ("published_at", "opens_at", "closes_at")


def _record(action: str, draft: Draft, before: dict, fields: tuple[str, ...], by: User | None,
            now: datetime | None = None) -> None:
    audit.record_change(action, actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                        before=before, after=audit.snapshot(draft, fields), now=now)


def update_draft_details(draft: Draft, *, title: str, issuing_body: str, summary: str,
                         by: User | None = None) -> Draft:
    """``by`` (None for the command line) is recorded in the audit log, as for the
    other staff actions below."""
    before = audit.snapshot(draft, _DETAIL_FIELDS)
    draft.title = _check_title(title)
    draft.issuing_body, draft.summary = _check_details(issuing_body, summary)
    _record("draft.update", draft, before, _DETAIL_FIELDS, by)
    db.session.flush()
    return draft


def _check_period(opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if closes_at <= opens_at:
        raise _fail(("closes_at",), _("截止时间必须晚于开始时间。"))
    if closes_at <= now:
        raise _fail(("closes_at",), _("截止时间必须晚于现在。"))
    if closes_at - opens_at > timedelta(days=MAX_COMMENT_DAYS):
        raise _fail(("closes_at", "days"), _("征求意见期不能超过 %(n)d 天。", n=MAX_COMMENT_DAYS))


def publish_draft(draft: Draft, *, opens_at: datetime, closes_at: datetime, now: datetime,
                  by: User | None = None) -> Draft:
    """Publish a draft for comment from ``opens_at`` (now or later) until ``closes_at``.

    Refused while the structure report has errors: published keys are what opinions
    will point at, so the tree must be right first.
    """
    if draft.published_at is not None:
        raise Conflict(_("草案已经发布。"))
    version = draft.current_version
    if version is None:
        raise Conflict(_("草案没有文本，不能发布。"))
    if version.error_count:
        raise Conflict(_("结构检查报告中还有 %(n)d 个错误，修正文本并重新导入后才能发布。",
                         n=version.error_count))
    if opens_at < now - PAST_OPENING_TOLERANCE:
        raise _fail(("opens_at",), _("开始时间不能早于现在。"))
    opens_at = max(opens_at, now)
    _check_period(opens_at, closes_at, now)
    before = audit.snapshot(draft, _PERIOD_FIELDS)
    draft.published_at = now
    draft.opens_at = opens_at
    draft.closes_at = closes_at
    _record("draft.publish", draft, before, _PERIOD_FIELDS, by, now)
    db.session.flush()
    return draft


def extend_draft(draft: Draft, *, closes_at: datetime, now: datetime, by: User | None = None) -> Draft:
    """Move the deadline later. A closed draft reopens when the new deadline is ahead
    (a period is sometimes extended after it ran out, for example after a holiday)."""
    status = draft.status_at(now)
    if status == DraftStatus.DRAFT:
        raise Conflict(_("草案尚未发布，不能延长征求意见期。"))
    if status == DraftStatus.FEEDBACK:
        raise Conflict(_("草案已发布反馈，不能再延长征求意见期。"))
    if closes_at <= draft.closes_at:
        raise _fail(("closes_at",), _("新的截止时间必须晚于原截止时间。"))
    _check_period(draft.opens_at, closes_at, now)
    before = audit.snapshot(draft, _PERIOD_FIELDS)
    draft.closes_at = closes_at
    _record("draft.extend", draft, before, _PERIOD_FIELDS, by, now)
    db.session.flush()
    return draft


def close_draft(draft: Draft, *, now: datetime, by: User | None = None) -> Draft:
    """End the comment period now (a scheduled draft is closed before it opens)."""
    status = draft.status_at(now)
    if status == DraftStatus.DRAFT:
        raise Conflict(_("草案尚未发布，无需截止。"))
    if status not in (DraftStatus.OPEN, DraftStatus.SCHEDULED):
        raise Conflict(_("征求意见期已经结束。"))
    before = audit.snapshot(draft, _PERIOD_FIELDS)
    draft.closes_at = now
    if draft.opens_at > now:
        draft.opens_at = now
    _record("draft.close", draft, before, _PERIOD_FIELDS, by, now)
    db.session.flush()
    return draft


def delete_unpublished_draft(draft: Draft, *, by: User | None = None) -> None:
    """Delete a draft nobody could comment on. Its audit entries stay (their draft link
    is cleared by the database); the deletion's own entry keeps the title."""
    if draft.published_at is not None:
        raise Conflict(_("已发布的草案不能删除。"))
    audit.record_event("draft.delete", actor=by, object_type="draft", object_id=draft.id,
                       old={"title": draft.title, "issuing_body": draft.issuing_body})
    db.session.delete(draft)
    db.session.flush()

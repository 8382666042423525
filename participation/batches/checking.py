"""Checking a batch's rows against the draft's current version, every row and every
column in one pass (so one upload reports everything, by row and column, in Chinese);
the tally a batch would add, for the preview; and the activity the opinions were
gathered at."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from participation.batches.citations import VersionClauses
from participation.batches.rows import CleanRow, RowError, RowInput, error_order, max_rows
from participation.batches.vocabulary import (
    CATEGORY_CHOICES, FIELDS, MAX_LATE_REASON_LENGTH, MAX_NOTES_LENGTH, MAX_PARTICIPANTS, MAX_PLACE_LENGTH,
    MAX_REPRESENTED, STANCE_CHOICES, TEXT_LIMITS, activity_kind_of, category_of, stance_of,
)
from participation.errors import ValidationFailed
from participation.models import Stance, SubmitterCategory
from participation.text import clean_text, is_storable_text


# --- Validation --------------------------------------------------------------------------

_MISSING = object()


def _looked_up(cache: dict, raw: str, look_up):
    """``look_up(raw)``, once per distinct cell text (None results included)."""
    value = cache.get(raw, _MISSING)
    if value is _MISSING:
        value = cache[raw] = look_up(raw)
    return value


def validate_rows(rows: list[RowInput], clauses: VersionClauses, *, names: dict[str, str] | None = None,
                  letters: dict[str, str] | None = None) -> tuple[list[CleanRow], list[RowError]]:
    """Check every row; returns the cleaned rows and every error found (all rows are
    checked, so one upload reports everything)."""
    names = {**{name: name for name in FIELDS}, **(names or {})}
    letters = letters or {}
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    # The same few words recur in thousands of rows: look each up once.
    stances: dict[str, Stance | None] = {}
    categories: dict[str, SubmitterCategory | None] = {}
    counts: dict[str, int | None] = {}
    for row in rows:
        found: list[RowError] = []
        values = row.values

        def fail(name: str, message: str, value: str | None = None) -> None:
            raw = values.get(name, "") if value is None else value
            found.append(RowError(row.row, names[name], raw if len(raw) <= 50 else raw[:50] + "…", message,
                                  letters.get(name, ""), name))

        texts = {
            "body": clean_text(values.get("body")), "proposed_text": clean_text(values.get("proposed_text")),
            "reason": clean_text(values.get("reason")), "name": clean_text(values.get("name"), multiline=False),
            "region": clean_text(values.get("region"), multiline=False),
        }
        if not texts["body"]:
            fail("body", _("请填写意见内容。"))
        for name, limit in TEXT_LIMITS.items():
            if len(texts[name]) > limit:
                fail(name, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(texts[name])))

        stance = _looked_up(stances, values.get("stance", ""), stance_of)
        if stance is None:
            fail("stance", _("无法识别态度。请填写：%(choices)s。", choices="、".join(STANCE_CHOICES)))
        category = _looked_up(categories, values.get("category", ""), category_of)
        if category is None:
            fail("category", _("无法识别提出人类别。请填写：%(choices)s。", choices="、".join(CATEGORY_CHOICES)))
        represented = _looked_up(counts, values.get("represented", ""), _represented)
        if represented is None:
            fail("represented", _("反映群众人数应为 1 到 %(max)d 之间的整数（留空记为 1）。", max=MAX_REPRESENTED))
        provision, problem = clauses.resolve(values.get("provision", ""))
        if problem:
            fail("provision", problem)

        if found:
            errors.extend(sorted(found, key=lambda error: FIELDS.index(error.field)))
            continue
        key = provision.key if provision is not None else None
        clean.append(CleanRow(
            row=row.row, provision_id=provision.id if provision is not None else None, provision_key=key,
            citation=clauses.citation(key), stance=stance.value, body=texts["body"],
            proposed_text=texts["proposed_text"], reason=texts["reason"], category=category.value,
            name=texts["name"], region=texts["region"], represented=represented,
        ))
    return clean, errors


def check_rows(rows: list[RowInput], clauses: VersionClauses, *, names: dict[str, str] | None = None,
               letters: dict[str, str] | None = None, problems: list[RowError] | None = None,
               validate=None, empty: str | None = None,
               fields: tuple[str, ...] = FIELDS) -> tuple[list, list[RowError]]:
    """``validate_rows`` (or ``validate(rows, names=, letters=)`` for another kind of
    row: ``proposal_rows``) plus what concerns the batch as a whole (no rows, too many)
    and the cell problems found while reading the file, in one ordered list."""
    if validate is None:
        clean, errors = validate_rows(rows, clauses, names=names, letters=letters)
    else:
        clean, errors = validate(rows, names=names, letters=letters)
    # A cell already reported while reading (a formula without its value, a wrong JSON
    # type) is not reported a second time as, say, empty.
    reported = {(problem.row, problem.field) for problem in problems or ()}
    errors = [error for error in errors if (error.row, error.field) not in reported]
    errors = sorted([*(problems or []), *errors], key=error_order if fields is FIELDS else (
        lambda error: (error.row or 0, fields.index(error.field) if error.field in fields else -1)))
    rows_with_problems = {problem.row for problem in problems or () if problem.row is not None}
    clean = [row for row in clean if row.row not in rows_with_problems]
    if not rows and not errors:
        errors.append(RowError(None, "rows", "", empty or _("表格中没有意见：表头下面至少要有一行意见。")))
    if len(rows) > max_rows():
        errors.insert(0, RowError(None, "rows", str(len(rows)), _("一个批次最多 %(max)d 行，请分成几批上传。",
                                                                   max=max_rows())))
    return clean, errors


_COUNT = re.compile(r"([0-9]{1,9})(?:\.0+)?")


def _represented(value: str) -> int | None:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))
    text = text.removesuffix("人")
    if not text:
        return 1
    match = _COUNT.fullmatch(text)
    if not match:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= MAX_REPRESENTED else None


# --- The tally a batch adds --------------------------------------------------------------

@dataclass
class PreviewClause:
    key: str | None
    citation: str
    count: int = 0
    represented: int = 0
    by_stance: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)


@dataclass
class PreviewTally:
    total: int
    represented: int
    by_stance: Counter
    by_category: Counter
    clauses: list[PreviewClause]  # the clauses rows aim at, whole draft first, then document order


def preview_tally(rows: list[CleanRow], clauses: VersionClauses) -> PreviewTally:
    """What confirming adds to the draft's tally, clause by clause (each row counted on
    the clause it names; the draft's tally also rolls it up into the article and
    chapter)."""
    per_clause: dict[str | None, PreviewClause] = {}
    by_stance: Counter = Counter()
    by_category: Counter = Counter()
    for row in rows:
        entry = per_clause.get(row.provision_key)
        if entry is None:
            entry = per_clause[row.provision_key] = PreviewClause(row.provision_key, row.citation)
        entry.count += 1
        entry.represented += row.represented
        entry.by_stance[row.stance] += 1
        entry.by_category[row.category] += 1
        by_stance[row.stance] += 1
        by_category[row.category] += 1
    ordered = sorted(per_clause.values(), key=lambda c: -1 if c.key is None else clauses.position.get(c.key, 0))
    return PreviewTally(total=len(rows), represented=sum(row.represented for row in rows),
                        by_stance=by_stance, by_category=by_category, clauses=ordered)


# --- Activity -----------------------------------------------------------------------------

@dataclass
class Activity:
    """The event the opinions were gathered at."""

    kind: str
    date: date
    place: str = ""
    participants: int | None = None
    notes: str = ""
    late_reason: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


def parse_activity(raw: dict, *, today: date) -> Activity:
    """The activity fields as sent (form, multipart or JSON). Raises ValidationFailed
    with every field at fault."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    kind_value = raw.get("kind")
    kind = activity_kind_of(kind_value) if isinstance(kind_value, str) else None
    if kind is None:
        fail("kind", _("请选择活动形式：座谈会、走访、问卷或其他。"))

    day = raw.get("date")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(unicodedata.normalize("NFKC", day).strip())
        except ValueError:
            day = None
            fail("date", _("请按“年-月-日”填写活动日期，例如 2026-03-15。"))
    elif isinstance(day, datetime):
        day = day.date()
    elif day is not None and not isinstance(day, date):
        day = None
        fail("date", _("请按“年-月-日”填写活动日期，例如 2026-03-15。"))
    if day is None and "date" not in errors:
        fail("date", _("请填写活动日期。"))
    elif day is not None and day > today:
        fail("date", _("活动日期不能晚于今天。"))

    def text(name: str, limit: int, multiline: bool = False) -> str:
        value = raw.get(name)
        if value is None:
            return ""
        if not isinstance(value, str) or not is_storable_text(value):
            fail(name, _("必须是文字。"))
            return ""
        value = clean_text(value, multiline=multiline)
        if len(value) > limit:
            fail(name, _("不能超过 %(limit)d 个字（现有 %(count)d 个字）。", limit=limit, count=len(value)))
        return value

    place = text("place", MAX_PLACE_LENGTH)
    notes = text("notes", MAX_NOTES_LENGTH, multiline=True)
    late_reason = text("late_reason", MAX_LATE_REASON_LENGTH, multiline=True)

    participants = raw.get("participants")
    if participants in (None, ""):
        participants = None
    else:
        if isinstance(participants, str):
            digits = unicodedata.normalize("NFKC", participants).strip().removesuffix("人")
            participants = int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else -1
        if isinstance(participants, bool) or not isinstance(participants, int) \
                or not 1 <= participants <= MAX_PARTICIPANTS:
            fail("participants", _("参加人数应为 1 到 %(max)d 之间的整数，不清楚可留空。", max=MAX_PARTICIPANTS))
            participants = None
    if errors:
        raise ValidationFailed(_("请修改标出的活动信息。"), fields=errors)
    return Activity(kind=kind.value, date=day, place=place, participants=participants, notes=notes,
                    late_reason=late_reason)

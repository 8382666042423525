"""The numbers and the shape of a draft's feedback report (意见采纳情况).

Every number comes from ``report_numbers`` (participation.tally.report_numbers): the
counts ``compute_tally`` reads for the tally page and the tally API, summed the same way
but only for what the report shows, so the report page, ``GET /api/v1/drafts/<id>/feedback``
and the staff tally show the same counts. This module only arranges them into the
report's sections:

* 总体意见 (the opinions on the draft as a whole, ``WHOLE_DRAFT_KEY``);
* each chapter, or each article where the draft has no chapters;
* any article staff added a section for (``FeedbackSection`` rows).

An article belongs to its nearest enclosing section (itself, when it has one): the table
of contents links it there, and the section lists it among its clauses.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from participation.extensions import db
from participation.models import Draft, FeedbackReport, FeedbackSection, Provision, WHOLE_DRAFT_KEY
from participation.tally.report_numbers import ClauseNumbers, DraftNumbers, ReportNumbers, report_numbers

#: The kinds that make a default section, in order of preference.
SECTION_KINDS = ("chapter", "article")
#: The kinds listed clause by clause in a section (and linked from the contents).
CLAUSE_KINDS = ("article", "preamble", "annex")


@dataclass
class ReportSection:
    key: str                           # WHOLE_DRAFT_KEY or a provision key
    label: str
    heading: str
    kind: str
    numbers: ClauseNumbers             # rolled up (the whole-draft opinions for 总体意见)
    main_opinions: str = ""            # staff text: 主要意见
    handling: str = ""                 # staff text: 处理情况
    clauses: list[ClauseNumbers] = field(default_factory=list)  # the articles in it, document order
    is_default: bool = True            # False: added by staff for one article

    @property
    def title(self) -> str:
        if self.heading and self.heading != self.label:
            return f"{self.label}\u3000{self.heading}"
        return self.label


@dataclass
class ContentsEntry:
    key: str
    label: str
    heading: str
    kind: str
    depth: int
    total: int
    section_key: str | None            # the section it links to (None: no section holds it)


@dataclass
class FeedbackReportView:
    draft_id: int
    version_id: int
    tally: ReportNumbers
    introduction: str
    sections: list[ReportSection]
    contents: list[ContentsEntry]

    @property
    def overall(self) -> DraftNumbers:
        return self.tally.overall

    @property
    def by_channel(self) -> Counter:
        return self.tally.overall.by_channel


def default_section_kind(tally: ReportNumbers) -> str:
    kinds = {row.numbers.kind for row in tally.provisions}
    return next((kind for kind in SECTION_KINDS if kind in kinds), "article")


def build_report(draft: Draft, *, version_id: int | None = None) -> FeedbackReportView:
    """The report of ``draft``'s current version: numbers, staff texts, sections and the
    table of contents. Reads the tally counts (summed by the database to a few rows per
    clause), the provisions and the report's own rows: no opinion row, however many
    there are."""
    version_id = version_id or draft.current_version.id
    tally = report_numbers(version_id)
    report = db.session.get(FeedbackReport, draft.id)
    texts = {row.provision_key: row for row in db.session.scalars(
        select(FeedbackSection).where(FeedbackSection.draft_id == draft.id))}
    section_kind = default_section_kind(tally)
    by_key = tally.by_key()

    whole = ReportSection(key=WHOLE_DRAFT_KEY, label="", heading="", kind="draft", numbers=tally.whole_draft)
    sections: dict[str, ReportSection] = {}
    for clause in (row.numbers for row in tally.provisions):
        added = clause.key in texts and clause.kind in CLAUSE_KINDS
        if clause.kind == section_kind or added:
            sections[clause.key] = ReportSection(
                key=clause.key, label=clause.label, heading=clause.heading, kind=clause.kind, numbers=clause,
                is_default=clause.kind == section_kind)
    for key, section in [(WHOLE_DRAFT_KEY, whole), *sections.items()]:
        if key in texts:
            section.main_opinions, section.handling = texts[key].main_opinions, texts[key].handling

    contents = _contents(tally, sections)
    for entry in contents:
        if entry.kind in CLAUSE_KINDS and entry.section_key is not None:
            sections[entry.section_key].clauses.append(by_key[entry.key])
    return FeedbackReportView(
        draft_id=draft.id, version_id=version_id, tally=tally,
        introduction=report.introduction if report is not None else "",
        sections=[whole, *sections.values()], contents=contents,
    )


def _contents(tally: ReportNumbers, sections: dict[str, ReportSection]):
    """The table of contents (structural divisions and articles), each entry with the
    section it links to: its own, else its nearest enclosing one."""
    section_of: dict[int, str | None] = {}
    contents = []
    for row in tally.provisions:  # parents come before their children
        clause = row.numbers
        inherited = section_of.get(row.parent_id) if row.parent_id is not None else None
        section_of[row.id] = clause.key if clause.key in sections else inherited
        if clause.kind not in ("part", "subpart", "chapter", "section", *CLAUSE_KINDS):
            continue
        contents.append(ContentsEntry(key=clause.key, label=clause.label, heading=clause.heading, kind=clause.kind,
                                      depth=clause.depth, total=clause.total, section_key=section_of[row.id]))
    return contents


def section_keys(draft: Draft) -> set[str]:
    """The keys a section may have: WHOLE_DRAFT_KEY, and the current version's chapters
    and articles (and preamble, annexes)."""
    version_id = draft.current_version.id
    keys = db.session.scalars(select(Provision.key).where(
        Provision.version_id == version_id, Provision.kind.in_(("chapter", *CLAUSE_KINDS))))
    return {WHOLE_DRAFT_KEY, *keys}

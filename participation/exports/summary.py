"""The Word 意见汇总表 of a draft: the opinions the staff filter selects, article by
article, as the committee reads them.

Title and comment period; the totals; then 总体意见 and each 条 (article, preamble or
annex) that drew opinions, in the order of the text: its text, and a table 序号 | 意见内容 |
修改建议 | 提出方 | 处理情况. An opinion on a paragraph or an item is listed under its
article, its own clause named in front of it. Identical opinions (the same text once
spaces, punctuation and letter case are ignored, on the same clause) are listed once,
with their number: campaigns send the same sentence hundreds of times."""
from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from participation import clock, labels, queries
from participation.extensions import db
from participation.exports import documents
from participation.exports import rows as export_rows
from participation.models import Draft, Provision, ProvisionAncestor
from participation.queries import StaffOpinionFilters

#: What an opinion is listed under: the enclosing article (or preamble, annex).
GROUP_KINDS = ("article", "preamble", "annex")
PROGRESS_EVERY = 2_000
COLUMN_WIDTHS_CM = [1.4, 5.1, 3.3, 2.6, 4.2]  # 16.6 cm: A4 less the margins; 处理情况 holds the reason too


def normalised(text: str) -> str:
    """The text compared for duplicates: NFKC (full-width → half-width), case folded,
    without spaces, punctuation and symbols."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


@dataclass
class Entry:
    """One line of a table: an opinion, or identical opinions listed once."""

    first: object                     # the earliest row
    count: int = 1
    dispositions: Counter = field(default_factory=Counter)


@dataclass
class Group:
    key: str                          # "" for 总体意见
    provision_id: int | None
    order: tuple
    entries: dict = field(default_factory=dict)   # (clause key, normalised body) → Entry

    @property
    def opinions(self) -> int:
        return sum(entry.count for entry in self.entries.values())


def _groups_of(provision_ids: set[int], current_version_id: int | None) -> dict[int, tuple]:
    """provision id → (group provision id, key, sort order) of its enclosing article;
    a provision outside any article is its own group."""
    result: dict[int, tuple] = {}
    ids = sorted(provision_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for provision_id, group_id, key, version_id, position in db.session.execute(
                select(ProvisionAncestor.provision_id, Provision.id, Provision.key, Provision.version_id,
                       Provision.position)
                .join(Provision, Provision.id == ProvisionAncestor.ancestor_id)
                .where(ProvisionAncestor.provision_id.in_(chunk), Provision.kind.in_(GROUP_KINDS))):
            result[provision_id] = (group_id, key, (version_id != current_version_id, version_id, position))
        missing = [provision_id for provision_id in chunk if provision_id not in result]
        for provision_id, key, version_id, position in db.session.execute(
                select(Provision.id, Provision.key, Provision.version_id, Provision.position)
                .where(Provision.id.in_(missing))) if missing else ():
            result[provision_id] = (provision_id, key, (version_id != current_version_id, version_id, position))
    return result


def collect(draft: Draft, filters: StaffOpinionFilters, progress: Callable[[int, int], None] | None = None):
    """(groups in document order, export context, rows read, rows by channel)."""
    total = export_rows.count(draft.id, filters)
    context = export_rows.load_context(draft.id, filters)
    rows = []
    for row in export_rows.iter_rows(draft.id, filters):
        rows.append(row)
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), total)
    current = draft.current_version.id if draft.current_version is not None else None
    group_of = _groups_of({row.provision_id for row in rows if row.provision_id is not None}, current)
    groups: dict = {}
    channels = Counter(row.channel for row in rows)
    # Oldest first within a table: 序号 follows the order opinions came in.
    for row in reversed(rows):
        if row.provision_id is None or row.provision_id not in group_of:
            group_id, key, order = None, "", (False, -1, -1)
        else:
            group_id, key, order = group_of[row.provision_id]
        group = groups.get(group_id)
        if group is None:
            group = groups[group_id] = Group(key=key, provision_id=group_id, order=order)
        identity = (row.provision_key, normalised(row.body))
        entry = group.entries.get(identity)
        if entry is None:
            entry = group.entries[identity] = Entry(first=row)
        else:
            entry.count += 1
        entry.dispositions[row.disposition] += 1
    return sorted(groups.values(), key=lambda group: group.order), context, len(rows), channels


def clause_text(lines: list[dict]) -> list[str]:
    """A clause's lines as the law prints them: 第三条 with its first paragraph, then
    each paragraph, items as （一）, sub-items as 1. (the staff page's lines name each
    part: 第一款, 第（一）项)."""
    result: list[str] = []
    for index, line in enumerate(lines):
        label, text = line["label"] or "", line["text"] or ""
        if index == 0:
            result.append(" ".join(part for part in (label, line["heading"], text) if part))
            continue
        if label.endswith("款"):
            label = ""
        elif label.startswith("第") and label.endswith("项"):
            label = label[1:-1]
        elif label.startswith("第") and label.endswith("目"):
            label = label[1:-1] + "."
        if index == 1 and label == "" and not lines[0]["text"] and result:
            result[-1] = f"{result[-1]} {text}".strip()   # the article's first paragraph
        else:
            result.append(f"{label}{text}")
    return [line for line in result if line]


def _period(draft: Draft) -> str:
    if draft.opens_at is None or draft.closes_at is None:
        return ""
    return _("征求意见期：%(start)s 至 %(end)s", start=clock.format_local(draft.opens_at, "%Y年%m月%d日"),
             end=clock.format_local(draft.closes_at, "%Y年%m月%d日"))


def file_title(draft: Draft) -> str:
    return _("《%(title)s》意见汇总表", title=draft.title)


def write_summary(path: Path, draft: Draft, filters: StaffOpinionFilters, *,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Write the 意见汇总表 to ``path``; returns the number of opinions in it."""
    groups, context, count, by_channel = collect(draft, filters, progress)
    stance = {key: str(value) for key, value in labels.STANCE.items()}
    category = {key: str(value) for key, value in labels.SUBMITTER_CATEGORY.items()}
    channel = {key: str(value) for key, value in labels.CHANNEL.items()}
    disposition = {key: str(value) for key, value in labels.DISPOSITION.items()}

    document = documents.new_document(file_title(draft))
    documents.title(document, file_title(draft), _period(draft))
    documents.heading(document, _("一、总体情况"), 1)
    whole = sum(group.opinions for group in groups if group.provision_id is None)
    lines = [_("本表收录意见 %(n)d 条，其中总体意见 %(whole)d 条，针对具体条款的意见 %(clauses)d 条，涉及 %(articles)d 条。",
               n=count, whole=whole, clauses=count - whole,
               articles=sum(1 for group in groups if group.provision_id is not None))]
    described = filters.describe()
    if described:
        lines.append(_("筛选条件：%(filter)s。", filter="；".join(f"{name}={value}" for name, value in described.items())))
    by_disposition = Counter()
    for group in groups:
        for entry in group.entries.values():
            by_disposition.update(entry.dispositions)
    lines.append(_("按渠道：%(counts)s。", counts="，".join(
        f"{channel.get(key, key)} {by_channel[key]} 条" for key in labels.CHANNEL if by_channel[key])) if by_channel
        else "")
    lines.append(_("处理情况：%(counts)s。", counts="，".join(
        f"{disposition.get(key, key)} {by_disposition[key]} 条" for key in labels.DISPOSITION if by_disposition[key]))
        if by_disposition else "")
    for line in lines:
        if line:
            documents.paragraph(document, line)
    identical = sum(entry.count - 1 for group in groups for entry in group.entries.values())
    if identical:
        documents.paragraph(document, _("内容相同的意见合并列出，并注明条数（共合并 %(n)d 条）。", n=identical))

    documents.heading(document, _("二、具体意见"), 1)
    if not groups:
        documents.paragraph(document, _("没有符合条件的意见。"))
    provisions = {row.id: row for row in db.session.scalars(select(Provision).where(
        Provision.id.in_([group.provision_id for group in groups if group.provision_id is not None])))}
    header = [_("序号"), _("意见内容"), _("修改建议"), _("提出方"), _("处理情况")]
    for group in groups:
        provision = provisions.get(group.provision_id)
        if provision is None:
            documents.heading(document, _("总体意见"), 2)
        else:
            citation = context.citations.get((provision.version_id, provision.key)) or queries.clause_citation(
                provision.version_id, provision.key)
            documents.heading(document, f"{citation}（{group.opinions} 条）" if citation else provision.label, 2)
            for text in clause_text(queries.clause_lines(provision)):
                documents.paragraph(document, text)
        if provision is None:
            documents.paragraph(document, _("共 %(n)d 条。", n=group.opinions))
        table_rows = []
        for number, entry in enumerate(group.entries.values(), start=1):
            row = entry.first
            body = row.body
            if provision is not None and row.provision_key and row.provision_key != provision.key:
                body = f"【{context.citation(row) or row.provision_key}】{body}"
            body = f"（{stance.get(row.stance, row.stance)}）{body}"
            if row.reason:
                body += "\n" + _("理由：%(reason)s", reason=row.reason)
            who = "，".join(part for part in (category.get(row.category, row.category), row.submitter_name,
                                             row.region) if part)
            if row.liaison_point_id:
                who += "\n" + (context.points.get(row.liaison_point_id) or "")
            if entry.count > 1:
                who += "\n" + _("（共 %(n)d 条相同意见）", n=entry.count)
            handled = "；".join(
                f"{disposition.get(key, key)}" + (f" {n} 条" if entry.count > 1 else "")
                for key, n in entry.dispositions.most_common())
            if row.disposition_reason and entry.count == 1:
                handled += "\n" + row.disposition_reason
            table_rows.append([str(number), body, row.proposed_text or "", who, handled])
        documents.fast_table(document, header, table_rows, COLUMN_WIDTHS_CM)
    document.save(str(path))
    return count


"""The feedback report (意见采纳情况) as a Word document: the same numbers and texts as
the report page (``participation.tally.report.build_report``), which reads only the
tally's counts — never an opinion row, so it is built while the request waits, and
never shows an internal note or anything personal."""
from __future__ import annotations

import io

from flask_babel import gettext as _

from participation import clock, labels
from participation.exports import documents
from participation.models import Draft
from participation.tally.report import build_report


def file_title(draft: Draft) -> str:
    return _("《%(title)s》意见采纳情况", title=draft.title)


def _counts(counter, mapping: dict) -> str:
    parts = [f"{labels.label(mapping, key)} {counter.get(key, 0)} 条" for key in mapping if counter.get(key)]
    return "，".join(parts) or _("无")


def report_docx(draft: Draft) -> bytes:
    report = build_report(draft)
    document = documents.new_document(file_title(draft))
    subtitle = ""
    if draft.opens_at is not None and draft.closes_at is not None:
        subtitle = _("征求意见期：%(start)s 至 %(end)s", start=clock.format_local(draft.opens_at, "%Y年%m月%d日"),
                     end=clock.format_local(draft.closes_at, "%Y年%m月%d日"))
    documents.title(document, file_title(draft), subtitle)
    if draft.feedback_published_at is None:
        documents.paragraph(document, _("【预览】意见采纳情况尚未发布。"))
    if report.introduction:
        for line in report.introduction.splitlines():
            documents.paragraph(document, line)
    overall = report.overall
    documents.heading(document, _("意见概况"), 1)
    documents.paragraph(document, _("共收到意见 %(total)d 条，提出人 %(submitters)d 人（次），反映群众 %(represented)d 人。",
                                    total=overall.total, submitters=overall.submitters,
                                    represented=overall.represented))
    documents.paragraph(document, _("按渠道：%(counts)s。", counts=_counts(overall.by_channel, labels.CHANNEL)))
    documents.paragraph(document, _("按提出人类别：%(counts)s。",
                                    counts=_counts(overall.by_category, labels.SUBMITTER_CATEGORY)))
    documents.paragraph(document, _("处理情况：%(counts)s。", counts=_counts(overall.by_disposition, labels.DISPOSITION)))
    dispositions = list(labels.DISPOSITION)
    for section in report.sections:
        name = _("总体意见") if section.kind == "draft" else section.title
        documents.heading(document, name, 1)
        documents.paragraph(document, _("意见 %(n)d 条；%(counts)s。", n=section.numbers.total,
                                        counts=_counts(section.numbers.by_disposition, labels.DISPOSITION)))
        documents.heading(document, _("主要意见"), 2)
        documents.paragraph(document, section.main_opinions or _("（无）"))
        documents.heading(document, _("处理情况"), 2)
        documents.paragraph(document, section.handling or _("（无）"))
        clauses = [clause for clause in section.clauses if clause.total]
        if clauses:
            header = [_("条款"), _("意见数")] + [labels.label(labels.DISPOSITION, key) for key in dispositions]
            rows = [[clause.label, str(clause.total)] + [str(clause.by_disposition.get(key, 0) or "")
                                                         for key in dispositions] for clause in clauses]
            documents.fast_table(document, header, rows, [2.6, 1.4] + [1.7] * len(dispositions))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

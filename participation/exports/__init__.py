"""Staff exports of a draft's opinions: the Excel workbook (every field, the tally on a
second sheet), the Word 意见汇总表 (clause by clause), and the feedback report as .docx.

The opinion exports read the staff list's rows (``queries.staff_opinion_conditions``,
the same filter, the same order) in keyset batches, so 100,000 opinions stream through
without being held in memory; they run as jobs (``participation.exports.jobs``), and
their files are offered for download by ``participation.views.exports`` and
``participation.api.exports``.
"""

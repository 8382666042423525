"""意见采纳情况 (the feedback report): staff write it on /staff/drafts/<id>/feedback and
publish it once the draft is closed; everyone reads it on /drafts/<id>/feedback from then
on (staff may preview it before). The numbers are ``participation.tally.report``'s, the
same as the tally page's and the API's.

Routes on the ``staff`` and ``public`` blueprints (registered by participation.web.wiring)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from participation import clock, labels, policies, queries
from participation.errors import ServiceError
from participation.extensions import db
from participation.models import Draft, DraftStatus, WHOLE_DRAFT_KEY
from participation.services import feedback as feedback_service
from participation.tally.report import CLAUSE_KINDS, build_report
from participation.unit_of_work import reads, writes
from participation.views import load_visible, require
from participation.views.public import bp as public_bp
from participation.views.staff import bp as staff_bp


def _load(draft_id: int) -> Draft:
    draft = load_visible(queries.get_draft, draft_id)
    if draft.current_version is None:
        abort(404)
    return draft


def _count_rows(labels_of: dict, counter, *, every: bool) -> list[tuple[str, int, str]]:
    """(label, count, key) in the labels' order; ``every``: zero counts too."""
    rows = [(labels.label(labels_of, key), counter.get(key, 0), key) for key in labels_of
            if every or counter.get(key)]
    # A value no label knows (retired since) is still counted.
    rows += [(key, count, key) for key, count in sorted(counter.items()) if key not in labels_of and count]
    return rows


def _report_context(draft: Draft, now) -> dict:
    report = build_report(draft)
    status = draft.status_at(now)
    overall = report.overall
    counts = {
        "channel": _count_rows(labels.CHANNEL, overall.by_channel, every=True),
        "category": _count_rows(labels.SUBMITTER_CATEGORY, overall.by_category, every=False),
        "disposition": _count_rows(labels.DISPOSITION, overall.by_disposition, every=True),
    }
    dispositions = list(labels.DISPOSITION)
    # Each clause's row of the per-clause tables: (disposition, count or blank).
    clause_cells = {clause.key: [(key, clause.by_disposition[key] or "") for key in dispositions]
                    for section in report.sections for clause in section.clauses}
    return {
        "draft": draft, "version": draft.current_version, "report": report, "status": status.value, "counts": counts,
        "whole_draft_key": WHOLE_DRAFT_KEY, "dispositions": dispositions, "clause_cells": clause_cells,
        "disposition_labels": [(key, labels.label(labels.DISPOSITION, key)) for key in dispositions],
        "channels": list(labels.CHANNEL), "is_published": draft.feedback_published_at is not None,
    }


# --- the public report ----------------------------------------------------------------

@public_bp.get("/drafts/<int:draft_id>/feedback")
@reads
def feedback_report(draft_id: int):
    """The published report; before publication a 404 to everyone but staff, who see a
    preview. Internal notes are never read here."""
    now = clock.now()
    draft = load_visible(queries.get_draft, draft_id,
                         lambda d: policies.can_view_draft(current_user, d, now)
                         and policies.can_view_feedback_report(current_user, d) and d.current_version is not None)
    return render_template("feedback/report.html", **_report_context(draft, now),
                           is_preview=draft.feedback_published_at is None,
                           can_edit=policies.can_edit_feedback_report(current_user))


# --- staff: writing and publishing -------------------------------------------------------

def _addable_clauses(report) -> list:
    """Articles without a section of their own, for "add a section"."""
    own = {section.key for section in report.sections}
    return [entry for entry in report.contents if entry.kind in CLAUSE_KINDS and entry.key not in own]


@staff_bp.get("/drafts/<int:draft_id>/feedback")
@reads
def edit_feedback(draft_id: int):
    require(policies.can_edit_feedback_report(current_user))
    return _edit_page(_load(draft_id))


def _edit_page(draft: Draft, *, errors: dict | None = None, posted=None, status_code: int = 200):
    now = clock.now()
    context = _report_context(draft, now)
    return render_template(
        "feedback/edit.html", **context, addable=_addable_clauses(context["report"]), errors=errors or {},
        posted=posted, can_publish=policies.can_publish_feedback(current_user)
        and context["status"] == DraftStatus.CLOSED.value,
    ), status_code


def _posted_sections() -> list[feedback_service.SectionText]:
    keys = request.form.getlist("section")
    return [feedback_service.SectionText(
        provision_key=key, main_opinions=request.form.get(f"main_opinions-{key}", "").strip(),
        handling=request.form.get(f"handling-{key}", "").strip()) for key in keys]


@staff_bp.post("/drafts/<int:draft_id>/feedback")
@writes
def save_feedback(draft_id: int):
    require(policies.can_edit_feedback_report(current_user))
    draft = _load(draft_id)
    try:
        changed = feedback_service.save_report(
            draft, introduction=request.form.get("introduction", "").strip(), sections=_posted_sections(),
            by=current_user, now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _edit_page(draft, errors=exc.fields, posted=request.form, status_code=422)
    db.session.commit()
    flash(_("已保存意见采纳情况。") if changed else _("没有修改。"), "success" if changed else "info")
    return redirect(url_for("staff.edit_feedback", draft_id=draft.id), 303)


@staff_bp.post("/drafts/<int:draft_id>/feedback/sections")
@writes
def add_feedback_section(draft_id: int):
    require(policies.can_edit_feedback_report(current_user))
    draft = _load(draft_id)
    key = request.form.get("provision_key", "").strip()
    try:
        added = feedback_service.add_report_section(draft, key, by=current_user, now=clock.now())
    except ServiceError:
        db.session.rollback()
        flash(_("请选择草案中的一条。"), "error")
        return redirect(url_for("staff.edit_feedback", draft_id=draft.id), 303)
    db.session.commit()
    if not added:
        flash(_("这一条已经有单独的部分。"), "info")
    return redirect(url_for("staff.edit_feedback", draft_id=draft.id, _anchor=f"s-{key}"), 303)


@staff_bp.get("/drafts/<int:draft_id>/feedback/publish")
@reads
def confirm_publish_feedback(draft_id: int):
    """The confirmation step: what will be published, and what publishing does."""
    require(policies.can_publish_feedback(current_user))
    draft = _load(draft_id)
    now = clock.now()
    context = _report_context(draft, now)
    return render_template("feedback/publish.html", **context,
                           can_publish=context["status"] == DraftStatus.CLOSED.value)


@staff_bp.post("/drafts/<int:draft_id>/feedback/publish")
@writes
def publish_feedback(draft_id: int):
    require(policies.can_publish_feedback(current_user))
    draft = _load(draft_id)
    try:
        feedback_service.publish_feedback(draft, by=current_user, now=clock.now())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.edit_feedback", draft_id=draft.id), 303)
    db.session.commit()
    flash(_("意见采纳情况已发布，草案进入“已反馈”状态。"), "success")
    return redirect(url_for("public.feedback_report", draft_id=draft.id), 303)

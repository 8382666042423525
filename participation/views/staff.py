"""Staff pages for drafts: list, import, structure report, publish, extend, close, edit
and delete."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participation import clock, labels, policies, queries
from participation.errors import Conflict, ServiceError, ValidationFailed
from participation.extensions import db
from participation.forms.drafts import (
    DraftEditForm,
    ExtendForm,
    ImportDraftForm,
    PublishForm,
    ReadingForm,
    ReplaceTextForm,
)
from participation.models import Draft, DraftStatus, Provision, Reading
from participation.services import drafts as draft_service
from participation.services import opinions as opinion_service
from participation.clock import add_days, local_to_utc, to_form_value
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, audit_log, form_page, load_visible, require

bp = Blueprint("staff", __name__, url_prefix="/staff")

DRAFTS_PER_PAGE = 20
# A report with more issues than this is a text that needs fixing at the source; the
# first ones say what is wrong, and the CLI `drafts report` prints all of them.
MAX_ISSUES_SHOWN = 100
MAX_UNPLACED_SHOWN = 100
DRAFT_HISTORY_SHOWN = 50  # the latest entries; the admin log has them all
STAFF_STATUSES = ("draft", "scheduled", "open", "closed", "feedback")


@bp.before_request
def only_staff():
    require(policies.can_manage_drafts(current_user))


def _load(draft_id: int) -> Draft:
    return load_visible(queries.get_draft, draft_id)


def _page_arg() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.route("/drafts")
@reads
def drafts():
    status = request.args.get("status")
    if status not in STAFF_STATUSES:
        status = None
    now = clock.now()
    page = queries.drafts_page(status, now, include_unpublished=True, page=_page_arg(), per_page=DRAFTS_PER_PAGE)
    versions = {draft.id: draft.current_version for draft in page.items}
    articles = queries.article_counts(v.id for v in versions.values() if v is not None)
    opinions = queries.opinion_counts_by_draft(draft.id for draft in page.items)
    rows = [
        {
            "draft": draft,
            "status": draft.status_at(now).value,
            "version": versions[draft.id],
            "articles": articles.get(versions[draft.id].id, 0) if versions[draft.id] else 0,
            "opinions": opinions.get(draft.id, {}),
        }
        for draft in page.items
    ]
    return render_template("staff/drafts.html", page=page, rows=rows, status=status, statuses=STAFF_STATUSES)


def _uploaded(field) -> tuple[str | None, bytes | None]:
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None, None
    return storage.filename, storage.read()


def _parsed_source(form):
    """The draft text a form carries (an uploaded file or pasted text), parsed: the import,
    the re-import and a new reading read it alike. Raises ``ValidationFailed``."""
    filename, data = _uploaded(form.file)
    return draft_service.parse_source(filename=filename, data=data, text=form.text.data)


@bp.get("/drafts/import")
@reads
def import_draft():
    """The import form (posted to ``import_draft_post``, on the same address)."""
    form = ImportDraftForm()
    form.issuing_body.data = current_app.config["DEFAULT_ISSUING_BODY"]
    return form_page("staff/import.html", form)


@bp.post("/drafts/import")
@writes
def import_draft_post():
    form = ImportDraftForm()
    if not form.validate_on_submit():
        return form_page("staff/import.html", form)
    try:
        document, source_format, source_filename, raw = _parsed_source(form)
        draft = draft_service.import_draft(
            title=form.title.data, document=document, source_format=source_format,
            source_filename=source_filename, source_bytes=raw, created_by=current_user,
            issuing_body=form.issuing_body.data, summary=form.summary.data,
        )
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_template("staff/import.html", form=form), 422
    db.session.commit()
    version = draft.current_version
    if version.error_count:
        flash(_("已导入，但结构检查发现 %(n)d 个错误：请修正原文后重新导入，改正前不能发布。",
                n=version.error_count), "warning")
    else:
        flash(_("已导入。请核对下面的结构报告，确认无误后发布。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


def _issue_targets(draft: Draft, outline: queries.DraftOutline, issues: list[dict]) -> dict[str, str]:
    """Where each issue's key is shown in the report tree (URL with fragment)."""
    keys = {issue["key"] for issue in issues if issue.get("key")}
    if not keys:
        return {}
    positions = dict(db.session.execute(
        select(Provision.key, Provision.position)
        .where(Provision.version_id == draft.current_version.id, Provision.key.in_(keys))
    ).all())
    targets = {}
    for key, position in positions.items():
        page = outline.page_for_position(position)
        base = url_for("staff.draft", draft_id=draft.id, division=page.key if page else None)
        targets[key] = f"{base}#tree-{key}"
    return targets


def _open_keys(nodes, issue_keys: set[str]) -> set[str]:
    """Keys of the nodes whose subtree holds an issue: their <details> start open."""
    opened: set[str] = set()

    def visit(node) -> bool:
        found = node.key in issue_keys
        for child in node.children:
            found = visit(child) or found
        if found:
            opened.add(node.key)
        return found

    for node in nodes:
        visit(node)
    return opened


def _render_report(draft: Draft, *, replace_form=None, publish_form=None, extend_form=None, reading_form=None,
                   status_code: int = 200):
    now = clock.now()
    version = draft.current_version
    if version is None:
        abort(404)
    outline = queries.draft_outline(version.id)
    page = None
    if outline.is_paged:
        page = outline.page(request.args.get("division", "")) or outline.pages[0]
        nodes = queries.provision_tree(version.id, page.start, page.end)
    else:
        nodes = queries.provision_tree(version.id)
    issues = list(version.issues)
    issue_keys = {issue["key"] for issue in issues if issue.get("key")}
    status = draft.status_at(now)

    if publish_form is None:
        publish_form = PublishForm(formdata=None)
    if extend_form is None:
        extend_form = ExtendForm(formdata=None)
        if draft.closes_at is not None:
            extend_form.closes_at.data = to_form_value(max(draft.closes_at, now) + timedelta(days=7))
    return render_template(
        "staff/report.html",
        draft=draft, version=version, status=status.value, outline=outline, page=page, nodes=nodes,
        neighbours=outline.neighbours(page) if page else (None, None),
        issues=issues[:MAX_ISSUES_SHOWN], hidden_issues=max(len(issues) - MAX_ISSUES_SHOWN, 0),
        issue_targets=_issue_targets(draft, outline, issues[:MAX_ISSUES_SHOWN]),
        open_keys=_open_keys(nodes, issue_keys), issue_keys=issue_keys,
        unplaced=version.unplaced[:MAX_UNPLACED_SHOWN],
        hidden_unplaced=max(len(version.unplaced) - MAX_UNPLACED_SHOWN, 0),
        replace_form=replace_form or ReplaceTextForm(formdata=None),
        reading_form=reading_form or _next_reading_form(version),
        can_add_reading=draft.published_at is not None,
        publish_form=publish_form, extend_form=extend_form,
        can_replace=draft.published_at is None,
        can_publish=draft.published_at is None and version.error_count == 0,
        can_extend=status in (DraftStatus.SCHEDULED, DraftStatus.OPEN, DraftStatus.CLOSED),
        can_close=status in (DraftStatus.SCHEDULED, DraftStatus.OPEN),
        can_delete=draft.published_at is None,
        reading_label=labels.label(labels.READING, version.reading),
        opinion_counts=queries.opinion_state_counts(draft.id), progress=queries.draft_progress(draft.id),
        history=audit_log.present(queries.history_of("draft", draft.id, limit=DRAFT_HISTORY_SHOWN)),
    ), status_code


@bp.route("/drafts/<int:draft_id>")
@reads
def draft(draft_id: int):
    return _render_report(_load(draft_id))


@bp.route("/drafts/<int:draft_id>/text", methods=["POST"])
@writes
def replace_text(draft_id: int):
    draft = _load(draft_id)
    form = ReplaceTextForm()
    if not form.validate_on_submit():
        return _render_report(draft, replace_form=form, status_code=422)
    try:
        document, source_format, source_filename, raw = _parsed_source(form)
        version = draft_service.replace_draft_text(
            draft, document=document, source_format=source_format, source_filename=source_filename,
            source_bytes=raw, replaced_by=current_user,
        )
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_report(draft, replace_form=form, status_code=422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    if version.error_count:
        flash(_("已重新导入，结构检查仍有 %(n)d 个错误。", n=version.error_count), "warning")
    else:
        flash(_("已重新导入，结构检查没有发现错误。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


def _next_reading_form(version) -> ReadingForm:
    """The form with the reading after the current one proposed."""
    form = ReadingForm(formdata=None)
    order = list(labels.READING)
    if version.reading in order and order.index(version.reading) + 1 < len(order):
        form.reading.data = order[order.index(version.reading) + 1]
    return form


@bp.route("/drafts/<int:draft_id>/readings", methods=["POST"])
@writes
def add_reading(draft_id: int):
    """发布新的审次文本: the next version of a published draft's text (一审稿 after the
    征求意见稿 …); followers are told through the job queue."""
    draft = _load(draft_id)
    form = ReadingForm()
    if not form.validate_on_submit():
        return _render_report(draft, reading_form=form, status_code=422)
    try:
        document, source_format, source_filename, raw = _parsed_source(form)
        version = draft_service.add_reading(
            draft, document=document, reading=Reading(form.reading.data), source_format=source_format,
            source_filename=source_filename, source_bytes=raw, by=current_user, now=clock.now(),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_report(draft, reading_form=form, status_code=422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    flash(_("已发布%(reading)s（第 %(n)d 稿），关注此草案的人会收到通知。",
            reading=labels.label(labels.READING, version.reading), n=version.number), "success")
    if version.error_count:
        flash(_("结构检查发现 %(n)d 个错误，请核对。", n=version.error_count), "warning")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


@bp.route("/drafts/<int:draft_id>/publish", methods=["POST"])
@writes
def publish(draft_id: int):
    draft = _load(draft_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_report(draft, publish_form=form, status_code=422)
    now = clock.now()
    opens_at = local_to_utc(form.opens_at.data) if form.opens_at.data else now
    if form.closes_at.data:
        closes_at = local_to_utc(form.closes_at.data)
    elif form.days.data:
        closes_at = add_days(max(opens_at, now), form.days.data)
    else:
        form.days.errors = [_("请填写征求意见天数或截止时间。")]
        return _render_report(draft, publish_form=form, status_code=422)
    try:
        draft_service.publish_draft(draft, opens_at=opens_at, closes_at=closes_at, now=now, by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_report(draft, publish_form=form, status_code=422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    if draft.status_at(now) == DraftStatus.OPEN:
        flash(_("草案已发布，征求意见已开始。"), "success")
    else:
        flash(_("草案已发布，将在设定的开始时间开始征求意见。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


@bp.route("/drafts/<int:draft_id>/extend", methods=["POST"])
@writes
def extend(draft_id: int):
    draft = _load(draft_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        return _render_report(draft, extend_form=form, status_code=422)
    try:
        draft_service.extend_draft(draft, closes_at=local_to_utc(form.closes_at.data), now=clock.now(),
                                   by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return _render_report(draft, extend_form=form, status_code=422)
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    flash(_("截止时间已延长。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


@bp.route("/drafts/<int:draft_id>/close", methods=["POST"])
@writes
def close(draft_id: int):
    draft = _load(draft_id)
    try:
        draft_service.close_draft(draft, now=clock.now(), by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft.id), 303)
    db.session.commit()
    flash(_("征求意见已截止。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


@bp.get("/drafts/<int:draft_id>/edit")
@reads
def edit(draft_id: int):
    """The draft's details and opinion settings (posted to ``save``, on the same address)."""
    draft = _load(draft_id)
    return form_page("staff/edit.html", DraftEditForm(obj=draft), draft=draft)


@bp.post("/drafts/<int:draft_id>/edit")
@writes
def save(draft_id: int):
    draft = _load(draft_id)
    form = DraftEditForm(obj=draft)
    if not form.validate_on_submit():
        return form_page("staff/edit.html", form, draft=draft)
    try:
        draft_service.update_draft_details(
            draft, title=form.title.data, issuing_body=form.issuing_body.data, summary=form.summary.data,
            by=current_user,
        )
        opinion_service.update_opinion_settings(
            draft, allows_anonymous_opinions=form.allows_anonymous_opinions.data,
            moderation_mode=form.moderation_mode.data or "",
            shows_opinions_publicly=form.shows_opinions_publicly.data, by=current_user,
        )
    except ServiceError as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_template("staff/edit.html", draft=draft, form=form), 422
    db.session.commit()
    flash(_("草案信息已保存。"), "success")
    return redirect(url_for("staff.draft", draft_id=draft.id), 303)


@bp.route("/drafts/<int:draft_id>/delete", methods=["POST"])
@writes
def delete(draft_id: int):
    draft = _load(draft_id)
    title = draft.title
    try:
        draft_service.delete_unpublished_draft(draft, by=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("staff.draft", draft_id=draft_id), 303)
    db.session.commit()
    flash(_("已删除草案《%(title)s》。", title=title), "success")
    return redirect(url_for("staff.drafts"), 303)


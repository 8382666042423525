"""Legislative-plan calls on the public blueprint: the calls (征集公告) and their public
tally and proposals, the proposal form (立法项目建议) and its receipt, a published
proposal and its attachments (法规草案建议稿), and the published annual plans
(年度立法计划).

The form works as the opinion form does (``participation.views.opinions``): a one-time
submission token per rendering (a double click stores one proposal), CSRF checked here so
that an expired form gives its text back, the same rate limits, the service's Chinese
field errors on the fields. Attachments come as multipart parts; a body over the
route's limit answers with the form and a message saying how large files may be.
"""
from __future__ import annotations

import logging

from flask import (
    abort, current_app, flash, make_response, redirect, render_template, request, send_file, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from participation import clock, labels, policies, queries
from participation.errors import Conflict, Forbidden, NotFound, ValidationFailed
from participation.extensions import csrf, db, limiter
from participation.forms.proposals import ProposalForm
from participation.models import PlanCall, Proposal, ProposalAttachment, Role
from participation.services import attachments, proposals
from participation.services.opinions import form_submission_token, new_form_token
from participation.unit_of_work import reads, writes
from participation.views import apply_field_errors, load_visible
from participation.views import plan_status
from participation.views.opinions import _account_key, _configured_limit, _is_anonymous, _private
from participation.views.public import bp
from participation.web import security_log

log = logging.getLogger(__name__)

PROPOSALS_PER_PAGE = 20
# The receipt code of the last proposal this browser sent, for the page after the form.
SESSION_RECEIPT_KEY = "proposal_receipt"
# Room for the text fields beside the attachments (four texts at their limit, UTF-8).
TEXT_ALLOWANCE_BYTES = 512 * 1024


def _page_arg() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE)


def _load_call(call_id: int) -> PlanCall:
    """The call if this visitor may see it; an unpublished call is a 404 but for staff."""
    return load_visible(queries.get_call, call_id, lambda call: policies.can_view_plan_call(current_user, call,
                                                                                           clock.now()))


def _load_proposal(proposal_id: int, policy) -> tuple[Proposal, PlanCall]:
    now = clock.now()
    proposal = load_visible(Proposal, proposal_id,
                            lambda p: policy(current_user, p, db.session.get(PlanCall, p.call_id), now))
    return proposal, db.session.get(PlanCall, proposal.call_id)


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


# --- calls --------------------------------------------------------------------------------

@bp.get("/plan-calls")
@reads
def plan_calls():
    """征集公告: the open and scheduled calls, then the past ones, with their public counts."""
    now = clock.now()
    current, past = queries.public_calls(now)
    counts = plan_status.published_counts(c.id for c in current + past)
    return render_template("plans/calls.html", current=current, past=past, counts=counts, now=now,
                           plans=queries.published_plans())


def _tally_rows(call: PlanCall, released: bool) -> dict:
    tally = queries.call_tally(call.id, published_only=True)

    def rows(counter, mapping=None, css="fill-category"):
        return [((labels.label(mapping, key) if mapping else key) or _("未填写"), count, css)
                for key, count in counter.items()]

    return {
        "total": tally.total,
        "sections": [
            (_("按重点领域"), rows(tally.by_area)),
            (_("按提出人类别"), rows(tally.by_category, labels.PROPOSER_CATEGORY)),
            (_("按提交渠道"), rows(tally.by_channel, labels.CHANNEL)),
        ] + ([(_("按处理情况"), rows(tally.by_classification, labels.CLASSIFICATION, "fill-disposition"))]
             if released else []),
    }


@bp.get("/plan-calls/<int:call_id>")
@reads
def plan_call(call_id: int):
    call = _load_call(call_id)
    now = clock.now()
    plan = queries.plan_of_year(call.year)
    released = plan is not None and plan.published_at is not None
    page = db.paginate(queries.proposals_query(call.id, published_only=True), page=_page_arg(),
                       per_page=PROPOSALS_PER_PAGE, error_out=False)
    return render_template(
        "plans/call.html", call=call, status=call.status_at(now).value, refusal=_refusal_name(call, now),
        tally=_tally_rows(call, released), page=page, released=released, plan=plan if released else None,
        statuses=plan_status.proposal_statuses(page.items, _user()), public_name=plan_status.public_name,
        login_url=url_for("auth.login", next=url_for("public.propose", call_id=call.id)),
        manage_url=_staff_url("staff.plan_call", call_id=call.id),
    )


def _staff_url(endpoint: str, **values) -> str | None:
    """The staff page's address for staff (None for others)."""
    if not policies.can_manage_plan_calls(current_user):
        return None
    return url_for(endpoint, **values)


def _refusal_name(call: PlanCall, now) -> str | None:
    refusal = policies.proposal_refusal(current_user, call, now)
    return refusal.value if refusal is not None else None


# --- the proposal form -------------------------------------------------------------------------

def _fixed_identity(user) -> dict | None:
    category = proposals.category_for(user)
    if category is None:
        return None
    detail = ""
    if user.role == Role.DEPUTY.value:
        detail = user.delegation or ""
    elif user.role == Role.OPERATOR.value and user.liaison_point is not None:
        detail = user.liaison_point.name
    return {"category": category.value, "detail": detail}


def _render_form(call: PlanCall, form: ProposalForm, *, status_code: int = 200, refused: str | None = None,
                 needs_sign_in: bool = False, notice: str | None = None):
    now = clock.now()
    user = _user()
    form.area.choices = [("", _("请选择"))] + [(area, area) for area in call.focus_areas or []]
    form_url = url_for("public.propose", call_id=call.id)
    response = make_response(render_template(
        "plans/form.html", call=call, status=call.status_at(now).value, form=form,
        fixed=_fixed_identity(user) if user else None,
        is_deputy=user is not None and user.role == Role.DEPUTY.value, refusal=_refusal_name(call, now),
        refused=refused, needs_sign_in=needs_sign_in, notice=notice, login_url=url_for("auth.login", next=form_url),
        limits={"title": proposals.MAX_TITLE_LENGTH, "text": proposals.MAX_TEXT_LENGTH},
        max_files=attachments.MAX_FILES_PER_PROPOSAL, max_mb=_megabytes(attachments.max_bytes()),
        total_mb=_megabytes(_request_limit()),
    ), status_code)
    return _private(response)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g}"


def _request_limit() -> int:
    limit = attachments.max_bytes() * attachments.MAX_FILES_PER_PROPOSAL + TEXT_ALLOWANCE_BYTES
    if current_app.config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, current_app.config["MAX_CONTENT_LENGTH"])
    return limit


def _form_after_breach(request_limit):
    """Rate-limited: the form again with its text (the 429 kept)."""
    try:
        call = queries.get_call(request.view_args.get("call_id", 0))
        if call is None or not policies.can_view_plan_call(current_user, call, clock.now()):
            return None
        request.max_content_length = _request_limit()
        return _render_form(call, ProposalForm(), status_code=429,
                            notice=_("提交过于频繁，建议尚未保存。请稍等几分钟后再次提交（附件需要重新选择）。"))
    except Exception:  # never let the error page fail: fall back to the plain 429
        log.exception("could not render the rate-limited proposal form")
        return None


@bp.get("/plan-calls/<int:call_id>/propose")
@reads
def propose(call_id: int):
    """The proposal form (posted to ``send_proposal``, on the same address)."""
    call = _load_call(call_id)
    if policies.proposal_refusal(current_user, call, clock.now()) == policies.ProposalRefusal.SIGN_IN_REQUIRED:
        flash(_("该征集需要登录后才能提出建议，请先登录或注册。"), "info")
        return redirect(url_for("auth.login", next=request.path))
    form = ProposalForm(formdata=None)
    form.submission_token.data = new_form_token()
    return _render_form(call, form)


@bp.post("/plan-calls/<int:call_id>/propose")
@limiter.limit(_configured_limit("OPINION_RATE_LIMIT_PER_IP"), on_breach=_form_after_breach)
@limiter.limit(_configured_limit("OPINION_RATE_LIMIT_PER_ACCOUNT"), key_func=_account_key,
               exempt_when=_is_anonymous, on_breach=_form_after_breach)
@csrf.exempt  # checked here, so that an expired form gives its text back
@writes
def send_proposal(call_id: int):
    request.max_content_length = _request_limit()
    call = _load_call(call_id)
    try:
        form = ProposalForm()
        uploads = _uploads()
    except RequestEntityTooLarge:
        return _too_large(call)
    refused = _refuse_form(call, form)
    if refused is not None:
        return refused
    user = _user()
    try:
        stored = proposals.submit_proposal(
            call, _proposal_input(form, user), author=user, now=clock.now(), attachments=uploads,
            submission_token=form_submission_token(form.submission_token.data), channel="web")
    except ValidationFailed as exc:
        db.session.rollback()
        placed = apply_field_errors(form, exc)
        return _render_form(call, form, status_code=422, notice=None if placed else exc.message)
    except Forbidden as exc:
        db.session.rollback()
        return _render_form(call, form, status_code=403, refused=exc.message, needs_sign_in=True)
    except (Conflict, NotFound) as exc:
        db.session.rollback()
        return _render_form(call, form, status_code=409, refused=exc.message)
    db.session.commit()
    session[SESSION_RECEIPT_KEY] = stored.receipt_code
    if not stored.created:
        flash(_("这份表单已经提交过，没有重复保存。下面是这件建议的回执。"), "info")
    return redirect(url_for("public.proposal_submitted"), 303)


def _uploads() -> list[attachments.Upload]:
    """The chosen files (a browser sends an empty part when none is chosen)."""
    uploads = []
    for storage in request.files.getlist("attachment"):
        data = storage.read()
        if storage.filename or data:
            uploads.append(attachments.Upload(storage.filename or "", data))
    return uploads


def _too_large(call: PlanCall):
    """A body over the limit is not read, so the text cannot come back: say why and how
    large the files may be."""
    form = ProposalForm(formdata=None)
    form.submission_token.data = new_form_token()
    return _render_form(call, form, status_code=413, notice=_(
        "提交的内容超过 %(total)s MB 的上限，建议尚未保存。每个附件不超过 %(each)s MB；请压缩或删去较大的附件后重新填写提交。",
        total=_megabytes(_request_limit()), each=_megabytes(attachments.max_bytes())))


def _refuse_form(call: PlanCall, form: ProposalForm):
    """An expired form (CSRF) or a filled honeypot: nothing is stored."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()
        except CSRFError as exc:
            security_log.csrf_failed(exc.description)
            return _render_form(call, form, status_code=400, notice=_(
                "表单已过期或来源无法验证，建议尚未保存。请核对下面的内容（附件需要重新选择），再次提交。"))
    if form.leave_this_blank.data:
        log.info("proposal form honeypot filled from %s", request.remote_addr)
        return _private(make_response(render_template("plans/received.html", call=call)))
    return None


def _proposal_input(form: ProposalForm, user) -> proposals.ProposalInput:
    fixed = proposals.category_for(user)
    return proposals.ProposalInput(
        title=form.title.data or "", necessity=form.necessity.data or "", problems=form.problems.data or "",
        measures=form.measures.data or "", area=form.area.data or "",
        # A fixed category (deputies, operators) is the account's, whatever was posted.
        category=None if fixed else (form.category.data or ""),
        submitter_name=form.submitter_name.data or "", unit=form.unit.data or "", region=form.region.data or "",
        contact=form.contact.data or "", is_name_public=bool(form.is_name_public.data),
        # Only a deputy's form shows the field; a posted value from anyone else is ignored.
        motion_number=(form.motion_number.data or "") if fixed is not None and fixed.value == "deputy" else "",
    )


@bp.get("/proposals/submitted")
@reads
def proposal_submitted():
    """The receipt for the proposal this browser just sent (from the session)."""
    proposal = proposals.find_by_receipt(session.get(SESSION_RECEIPT_KEY))
    if proposal is None:
        return redirect(url_for("public.receipt"))
    call = db.session.get(PlanCall, proposal.call_id)
    return _private(make_response(render_template(
        "plans/submitted.html", proposal=proposal, call=call,
        attachments=queries.attachments_of([proposal.id])[proposal.id])))


# --- a proposal and its attachments -----------------------------------------------------------

@bp.get("/proposals/<int:proposal_id>")
@reads
def proposal(proposal_id: int):
    proposal, call = _load_proposal(proposal_id, policies.can_view_proposal)
    return render_template(
        "plans/proposal.html", proposal=proposal, call=call,
        status=plan_status.proposal_status(proposal, _user()), public_name=plan_status.public_name(proposal),
        attachments=queries.attachments_of([proposal.id])[proposal.id], class_word=plan_status.class_word,
    )


@bp.get("/proposals/<int:proposal_id>/attachments/<int:attachment_id>")
@reads
def proposal_attachment(proposal_id: int, attachment_id: int):
    """法规草案建议稿: always a download (never shown inline), under its uploaded name."""
    proposal, _call = _load_proposal(proposal_id, policies.can_download_proposal_attachment)
    attachment = load_visible(ProposalAttachment, attachment_id, lambda row: row.proposal_id == proposal.id)
    path = attachments.path_of(attachment)
    if not path.is_file():
        log.error("attachment %s of proposal %s: file %s missing", attachment.id, proposal.id, path.name)
        abort(404)
    response = send_file(path, mimetype=attachments.MEDIA_TYPES[attachment.file_format], as_attachment=True,
                         download_name=attachment.original_name, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if proposal.moderation_state != "published":
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the annual plans ----------------------------------------------------------------------

@bp.get("/plans")
@reads
def plans():
    return render_template("plans/plans.html", plans=queries.published_plans())


@bp.get("/plans/<int:year>")
@reads
def plan(year: int):
    """年度立法计划: the projects by class, the proposals behind each, the drafts."""
    plan = load_visible(queries.plan_of_year, year, lambda plan: policies.can_view_plan(current_user, plan))
    return render_template("plans/plan.html", plan=plan, sections=plan_status.plan_sections(plan, _user()),
                           public_name=plan_status.public_name, is_preview=plan.published_at is None)

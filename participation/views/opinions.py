"""Opinion pages on the public blueprint: the submission form and its receipt, the
public receipt lookup, the published opinions on a clause, the tally (意见统计) and a
deputy's record of duty (履职记录).

Rate limits (Flask-Limiter; each a limit string such as "10 per minute; 100 per hour",
read from the app config when the request is checked):

``OPINION_RATE_LIMIT_PER_IP``       opinion form posts per client address
``OPINION_RATE_LIMIT_PER_ACCOUNT``  opinion form posts per signed-in account
``RECEIPT_LOOKUP_RATE_LIMIT``       receipt look-ups per client address

and ``OPINION_MAX_REQUEST_BYTES``, the largest opinion form post (default 256 KiB, never
more than ``MAX_CONTENT_LENGTH``): every field at its length limit fits, form-encoded.

Whatever refuses a submission (the period is over, the sign-in has lapsed, the form
has expired, too many posts, a field too long) answers with the form again and every
word the person typed in it.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from participation import clock, labels, links, policies, queries
from participation.web import security_log
from participation.errors import Conflict, Forbidden, NotFound, ValidationFailed
from participation.extensions import csrf, db, limiter
from participation.forms.opinions import OpinionForm, ReceiptLookupForm
from participation.models import Draft, DraftStatus, ModerationState, Provision, Role
from participation.models.provisions import COMMENTABLE_KINDS
from participation.services import feedback, proposals
from participation.services import opinions as service
from participation.tally.compute import compute_tally, heat_legend, heat_level
from participation.views import apply_field_errors, load_visible, require
from participation.views import my_feedback, plan_status
from participation.views.common import render_error
from participation.unit_of_work import reads, writes
from participation.views.public import _load_visible, bp

log = logging.getLogger(__name__)

DEFAULT_RATE_LIMITS = {
    # A liaison point's office or a mobile network may put many people behind one address.
    "OPINION_RATE_LIMIT_PER_IP": "30 per minute; 300 per hour",
    # Writing an opinion takes longer than six seconds; a deputy going through a draft
    # clause by clause stays well below the hourly figure.
    "OPINION_RATE_LIMIT_PER_ACCOUNT": "10 per minute; 120 per hour",
    # Receipt codes carry 60 random bits; this keeps guessing pointless.
    "RECEIPT_LOOKUP_RATE_LIMIT": "20 per minute; 200 per hour",
}
# Every field at its limit (13,350 characters), each character a 4-byte one written as
# %XX%XX%XX%XX, is about 160 KB.
DEFAULT_MAX_REQUEST_BYTES = 256 * 1024
PUBLIC_PAGE_SIZE = 20
DUTY_PER_PAGE = 30
# The receipt code of the last opinion this browser sent, for the page after the form.
SESSION_RECEIPT_KEY = "opinion_receipt"
MAX_CLAUSE_KEY_LENGTH = 80
STANCES = tuple(labels.STANCE)


def _configured_limit(name: str):
    return lambda: current_app.config.get(name) or DEFAULT_RATE_LIMITS[name]


def _account_key() -> str:
    return f"account:{current_user.id}"


def _is_anonymous() -> bool:
    return not current_user.is_authenticated


def _private(response, *, noindex: bool = True):
    """Pages with a receipt code or typed text: not stored by caches, not indexed."""
    response.headers["Cache-Control"] = "no-store"
    if noindex:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _limit_request_size() -> None:
    """Refuse (413) an opinion post larger than any real one before its body is read."""
    config = current_app.config
    limit = config.get("OPINION_MAX_REQUEST_BYTES") or DEFAULT_MAX_REQUEST_BYTES
    if config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, config["MAX_CONTENT_LENGTH"])
    request.max_content_length = limit


def _not_found(message: str):
    return make_response(render_template("errors/error.html", status=404, message=message), 404)


# --- the opinion form -----------------------------------------------------------------

class _TargetMissing(Exception):
    def __init__(self, message: str):
        self.message = message


def _target(draft: Draft, key: str) -> Provision | None:
    """The clause the form is about (None: the whole draft)."""
    key = (key or "").strip()
    if len(key) > MAX_CLAUSE_KEY_LENGTH:
        raise _TargetMissing(_("草案中没有这个条款。"))
    try:
        return service.commentable_provision(draft, key or None)
    except NotFound as exc:
        raise _TargetMissing(exc.message) from None


def _fixed_identity(user) -> dict | None:
    """For deputies and liaison-point operators: the category their account fixes and
    what is shown with it (delegation, liaison point)."""
    category = service.category_for(user)
    if category is None:
        return None
    detail = ""
    if user.role == Role.DEPUTY.value:
        detail = user.delegation or ""
    elif user.role == Role.OPERATOR.value and user.liaison_point is not None:
        detail = user.liaison_point.name
    return {"category": category.value, "detail": detail}


def _render_form(draft: Draft, target: Provision | None, form: OpinionForm, *, status_code: int = 200,
                 refused: str | None = None, needs_sign_in: bool = False, notice: str | None = None):
    """The form page. ``refused``: the submission cannot be accepted now; the typed text
    is shown read-only with copy buttons. ``notice``: it can be sent again as it is."""
    now = clock.now()
    status = draft.status_at(now)
    version = draft.current_version
    user = current_user if current_user.is_authenticated else None
    form_url = url_for("public.new_opinion", draft_id=draft.id, provision=target.key if target else None)
    response = make_response(render_template(
        "opinions/form.html",
        draft=draft, version=version, status=status.value, target=target,
        target_tree=queries.provision_subtree(target) if target is not None else None,
        citation=queries.clause_citation(version.id, target.key) if target is not None else "",
        form=form, fixed=_fixed_identity(user) if user else None,
        accepting=status == DraftStatus.OPEN, refused=refused, needs_sign_in=needs_sign_in, notice=notice,
        login_url=url_for("auth.login", next=form_url),
        limits={"body": service.MAX_BODY_LENGTH, "proposed_text": service.MAX_PROPOSED_TEXT_LENGTH,
                "reason": service.MAX_REASON_LENGTH},
        honeypot=form.leave_this_blank,
    ), status_code)
    return _private(response)


def _form_after_breach(request_limit):
    """Flask-Limiter's on_breach: answer a rate-limited post with the form and its
    text rather than a bare error page (the 429 is kept)."""
    try:
        _limit_request_size()
        draft = queries.get_draft(request.view_args.get("draft_id", 0))
        if draft is None or draft.current_version is None or not policies.can_view_draft(
                current_user, draft, clock.now()):
            return None
        form = OpinionForm(meta={"csrf": False})
        target = _target(draft, form.provision.data or "")
        return _render_form(draft, target, form, status_code=429,
                            notice=_("提交过于频繁，意见尚未保存。请稍等几分钟后再次点击“提交意见”，您填写的内容都在下面。"))
    except Exception:  # never let the error page fail: fall back to the plain 429
        log.exception("could not render the rate-limited opinion form")
        return None


@bp.errorhandler(429)
def _too_many_requests(exc):
    response = getattr(exc, "response", None)
    if response is not None:
        return response
    return render_error(429)


@bp.get("/drafts/<int:draft_id>/opinions/new")
@reads
def new_opinion(draft_id: int):
    """The opinion form (posted to ``send_opinion``, on the same address)."""
    draft = _load_visible(draft_id)
    try:
        target = _target(draft, request.args.get("provision", ""))
    except _TargetMissing as exc:
        return _not_found(exc.message)
    if policies.comment_refusal(current_user, draft, clock.now()) == policies.CommentRefusal.SIGN_IN_REQUIRED:
        flash(_("该草案需要登录后才能发表意见，请先登录或注册。"), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    form = OpinionForm(formdata=None)
    form.provision.data = target.key if target is not None else ""
    form.submission_token.data = service.new_form_token()
    return _render_form(draft, target, form)


@bp.post("/drafts/<int:draft_id>/opinions/new")
@limiter.limit(_configured_limit("OPINION_RATE_LIMIT_PER_IP"), on_breach=_form_after_breach)
@limiter.limit(_configured_limit("OPINION_RATE_LIMIT_PER_ACCOUNT"), key_func=_account_key,
               exempt_when=_is_anonymous, on_breach=_form_after_breach)
@csrf.exempt  # checked here, so that an expired form gives its text back
@writes
def send_opinion(draft_id: int):
    _limit_request_size()
    draft = _load_visible(draft_id)
    form = OpinionForm()
    try:
        target = _target(draft, form.provision.data or "")
    except _TargetMissing as exc:
        return _not_found(exc.message)
    refused = _refuse_form(draft, target, form)
    if refused is not None:
        return refused
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        stored = service.submit_opinion(
            draft, _opinion_input(form, target, user), author=user, now=clock.now(),
            submission_token=service.form_submission_token(form.submission_token.data))
    except ValidationFailed as exc:
        db.session.rollback()
        placed = apply_field_errors(form, exc)
        return _render_form(draft, target, form, status_code=422, notice=None if placed else exc.message)
    except Forbidden as exc:
        db.session.rollback()
        return _render_form(draft, target, form, status_code=403, refused=exc.message, needs_sign_in=True)
    except (Conflict, NotFound) as exc:
        db.session.rollback()
        return _render_form(draft, target, form, status_code=409, refused=exc.message)
    db.session.commit()
    session[SESSION_RECEIPT_KEY] = stored.receipt_code
    if not stored.created:
        flash(_("这份表单已经提交过，没有重复保存。下面是这条意见的回执。"), "info")
    return redirect(url_for("public.opinion_submitted"), 303)


def _refuse_form(draft: Draft, target: Provision | None, form: OpinionForm):
    """The answer to a post that is not to be stored: an expired form (CSRF), or the
    honeypot filled in; None for a post to go on with."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()
        except CSRFError as exc:
            security_log.csrf_failed(exc.description)
            # Refused (nothing is stored); the text comes back in a fresh form to send again.
            return _render_form(draft, target, form, status_code=400,
                                notice=_("表单已过期或来源无法验证，意见尚未保存。请核对下面的内容，再次点击“提交意见”。"))
    if form.leave_this_blank.data:
        # The honeypot: only robots fill a field nobody can see. They get the same
        # thanks as anyone, and nothing is stored.
        log.info("opinion form honeypot filled from %s", request.remote_addr)
        return _private(make_response(render_template("opinions/received.html", draft=draft)))
    return None


def _opinion_input(form: OpinionForm, target: Provision | None, user) -> service.OpinionInput:
    return service.OpinionInput(
        body=form.body.data or "", stance=form.stance.data or "",
        provision_key=target.key if target is not None else None,
        proposed_text=form.proposed_text.data or "", reason=form.reason.data or "",
        # A fixed category (deputies, operators) is the account's, whatever was posted.
        category=None if service.category_for(user) else (form.category.data or ""),
        region=form.region.data or "", submitter_name=form.submitter_name.data or "",
        is_name_public=bool(form.is_name_public.data), contact=form.contact.data or "",
    )


@bp.get("/opinions/submitted")
@reads
def opinion_submitted():
    """The receipt for the opinion this browser just sent (from the session, so the
    code never sits in an address bar or a history entry)."""
    opinion = service.find_by_receipt(session.get(SESSION_RECEIPT_KEY))
    if opinion is None:
        return redirect(url_for("public.receipt"))
    draft = db.session.get(Draft, opinion.draft_id)
    user = current_user if current_user.is_authenticated else None
    return _private(make_response(render_template(
        "opinions/submitted.html", opinion=opinion, draft=draft,
        citation=queries.clause_citation(opinion.version_id, opinion.provision_key),
        show_duty_link=user is not None and policies.can_view_duty_record(user, user),
    )))


# --- receipt look-up ------------------------------------------------------------------

@bp.route("/receipt")
@limiter.limit(_configured_limit("RECEIPT_LOOKUP_RATE_LIMIT"), exempt_when=lambda: not request.args.get("code"))
@reads
def receipt():
    """Anyone with a receipt code sees where the opinion stands, and nothing personal:
    not the name, contact, region or text (the code may have been passed on)."""
    form = ReceiptLookupForm(request.args)
    raw = (request.args.get("code") or "").strip()[:100]
    result = error = None
    status_code = 200
    if raw:
        code = service.normalize_receipt_code(raw)
        opinion = service.find_by_receipt(code) if code else None
        if code is None:
            error = _("回执码格式不正确：应为 12 位字母和数字，例如 ABCD-EFGH-JKMN（短横线和大小写不影响）。")
            status_code = 422
        elif opinion is None and (proposal := proposals.find_by_receipt(code)) is not None:
            form.code.data = code
            # A proposal's receipt (立法项目建议): its own status block.
            result = {"code": code, "proposal": plan_status.proposal_status(proposal, current_user)}
        elif opinion is None:
            error = _("没有找到回执码 %(code)s 对应的意见或建议，请核对后重新输入。", code=code)
            status_code = 404
        else:
            form.code.data = code
            draft = db.session.get(Draft, opinion.draft_id)
            result = {
                "code": opinion.receipt_code, "draft": draft, "state": opinion.moderation_state,
                "stance": opinion.stance, "created_at": opinion.created_at,
                "moderated_at": opinion.moderated_at, "provision_key": opinion.provision_key,
                "citation": queries.clause_citation(opinion.version_id, opinion.provision_key),
                "draft_visible": policies.can_view_draft(current_user, draft, clock.now()),
                "disposition": feedback.released_disposition(opinion, draft),
                "report_url": links.feedback_report_url(draft.id),
            }
    response = make_response(render_template("opinions/receipt.html", form=form, result=result, error=error,
                                             states=ModerationState), status_code)
    return _private(response)


# --- published opinions ---------------------------------------------------------------

def _listing_response(draft: Draft, *, target: Provision | None, whole_draft_only: bool, endpoint_args: dict):
    now = clock.now()
    if not policies.can_list_published_opinions(current_user, draft, now):
        abort(404)
    version = draft.current_version
    provision_ids = queries.subtree_ids(target) if target is not None else None
    after = queries.OpinionCursor.decode(request.args.get("after"))
    page = queries.published_opinions_page(draft.id, version.id, provision_ids=provision_ids,
                                           whole_draft_only=whole_draft_only, after=after, limit=PUBLIC_PAGE_SIZE)
    more_url = (url_for(request.endpoint, **endpoint_args, after=page.next_cursor.encode())
                if page.next_cursor else None)
    context = {"draft": draft, "page": page, "more_url": more_url, "target": target, "after": after,
               "whole_draft_only": whole_draft_only}
    if request.args.get("fragment") == "1":
        response = make_response(render_template("opinions/_listing_fragment.html", **context))
        response.headers["X-Robots-Tag"] = "noindex"
        return response
    status = draft.status_at(now)
    return render_template(
        "opinions/list.html", **context, version=version, status=status.value,
        total=queries.published_count(draft.id, version.id, provision_ids=provision_ids,
                                      whole_draft_only=whole_draft_only),
        citation=queries.clause_citation(version.id, target.key) if target is not None else "",
        target_tree=queries.provision_subtree(target) if target is not None else None,
        can_comment=status == DraftStatus.OPEN,
        is_preview=not draft.shows_opinions_publicly,
        first_url=url_for(request.endpoint, **endpoint_args),
    )


@bp.get("/drafts/<int:draft_id>/provisions/<key>/opinions")
@reads
def clause_opinions(draft_id: int, key: str):
    """The published opinions on a clause, its paragraphs and items included; 20 at a
    time, newest first, with "加载更多"."""
    draft = _load_visible(draft_id)
    target = queries.find_provision(draft.current_version.id, key) if len(key) <= MAX_CLAUSE_KEY_LENGTH else None
    if target is None or target.kind not in COMMENTABLE_KINDS:
        abort(404)
    return _listing_response(draft, target=target, whole_draft_only=False,
                             endpoint_args={"draft_id": draft.id, "key": target.key})


@bp.get("/drafts/<int:draft_id>/opinions")
@reads
def draft_opinions(draft_id: int):
    """Every published opinion on a draft (``?scope=general``: only 总体意见)."""
    draft = _load_visible(draft_id)
    whole = request.args.get("scope") == "general"
    return _listing_response(draft, target=None, whole_draft_only=whole,
                             endpoint_args={"draft_id": draft.id, "scope": "general" if whole else None})


# --- tally ----------------------------------------------------------------------------

def _article_number(key: str) -> str:
    """The short label of a heat-map cell: art.12 → 12, art.10-1 → 10-1."""
    return key.removeprefix("art.")


def _heat_groups(clauses) -> list[dict]:
    """The table of contents as groups of article cells: one group per division that
    holds articles directly (节, else 章 …), in document order."""
    groups: list[dict] = []
    trail: list = []  # the open structural nodes, outermost first
    current = None
    for clause in clauses:
        if clause.kind in queries.STRUCTURAL_KINDS:
            while trail and trail[-1].depth >= clause.depth:
                trail.pop()
            trail.append(clause)
            current = None
            continue
        if clause.kind not in ("article", "preamble", "annex"):
            continue
        if clause.depth == 0:
            trail = []
        if current is None or current["owner"] is not (trail[-1] if trail else None):
            owner = trail[-1] if trail else None
            current = {"owner": owner, "titles": [_title(node) for node in trail], "cells": []}
            groups.append(current)
        current["cells"].append(clause)
    return groups


def _title(clause) -> str:
    if clause.heading and clause.heading != clause.label:
        return f"{clause.label}\u3000{clause.heading}"
    return clause.label


def _stance_rows(counter) -> list[tuple[str, int, str]]:
    return [(labels.label(labels.STANCE, stance), counter.get(stance, 0), f"fill-{stance}") for stance in STANCES]


def _category_rows(counter) -> list[tuple[str, int, str]]:
    """The categories that occur, in the order of the labels."""
    return [(labels.label(labels.SUBMITTER_CATEGORY, category), counter[category], "fill-category")
            for category in labels.SUBMITTER_CATEGORY if counter.get(category)]


def _point_rows(counter, names: dict[int, str]) -> list[tuple[str, int, str]]:
    """按联系点: the points that sent opinions, most first."""
    return [(names.get(point, str(point)), count, "fill-category")
            for point, count in sorted(counter.items(), key=lambda item: (-item[1], names.get(item[0], "")))]


def _disposition_rows(counter) -> list[tuple[str, int, str]]:
    return [(labels.label(labels.DISPOSITION, disposition), counter.get(disposition, 0), "fill-disposition")
            for disposition in labels.DISPOSITION]


def _tally_page(result, version_id: int, outline):
    """(the division shown, its clauses, each division's opinions for its link) of a
    paged outline; (None, every clause, {}) otherwise."""
    if not outline.is_paged:
        return None, result.provisions, {}
    page = outline.page(request.args.get("division", "")) or outline.pages[0]
    positions = queries.provision_positions(version_id)

    def within(division, clause) -> bool:
        position = positions[clause.key]
        return division.start <= position and (division.end is None or position < division.end)

    # Each division's opinions, for its link: the articles (and preamble, annexes) in it.
    counted = [c for c in result.provisions if c.kind in ("article", "preamble", "annex")]
    page_totals = {division.key: sum(c.total for c in counted if within(division, c)) for division in outline.pages}
    return page, [c for c in result.provisions if within(page, c)], page_totals


@bp.get("/drafts/<int:draft_id>/tally")
@reads
def tally(draft_id: int):
    """意见统计. Everyone who may read the draft sees the counts the API gives them: the
    public, published opinions only (by stance, category, liaison point, distinct
    submitters), so that unreviewed ones do not move the public numbers; staff, every
    opinion received (pending ones included, hidden ones not) with the pending and hidden
    columns. The numbers are those of ``compute_tally``, unchanged."""
    draft = _load_visible(draft_id)
    now = clock.now()
    require(policies.can_view_tally(current_user, draft, now))
    version = draft.current_version
    staff = policies.can_view_tally_details(current_user)
    result = compute_tally(draft.id, version.id, published_only=not staff)
    outline = queries.draft_outline(version.id)
    page, clauses, page_totals = _tally_page(result, version.id, outline)
    articles = [c for c in result.provisions if c.kind == "article"]
    maximum = max((c.total for c in articles), default=0)
    by_key = result.by_key()
    focus = by_key.get(request.args.get("clause", "")) if request.args.get("clause") else None
    status = draft.status_at(now)
    rows = [c for c in clauses if c.kind in queries.STRUCTURAL_KINDS or c.kind in ("article", "preamble", "annex")
            or c.total or c.hidden]
    return render_template(
        "opinions/tally.html",
        draft=draft, version=version, status=status.value, tally=result, outline=outline, page=page,
        groups=_heat_groups(clauses), rows=rows, maximum=maximum, legend=heat_legend(maximum),
        page_totals=page_totals, page_maximum=max(page_totals.values(), default=0),
        heat_level=heat_level, article_number=_article_number,
        top=result.most_discussed(10), focus=focus, staff=staff, stances=STANCES,
        stance_rows=_stance_rows, category_rows=_category_rows, disposition_rows=_disposition_rows,
        point_rows=_point_rows, point_names=queries.liaison_point_names(result.overall.by_liaison_point),
        dispositions=list(labels.DISPOSITION) if policies.can_view_tally_dispositions(current_user, draft) else [],
        can_list=policies.can_list_published_opinions(current_user, draft, now) and status != DraftStatus.DRAFT,
        can_moderate=policies.can_moderate_opinions(current_user),
    )


# --- record of duty ---------------------------------------------------------------------

def _page_arg() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE)


def _render_duty_record(target, *, own: bool):
    page = db.paginate(queries.duty_record_query(target.id), page=_page_arg(), per_page=DUTY_PER_PAGE,
                       error_out=False)
    response = make_response(render_template(
        "opinions/duty.html", target=target, own=own, page=page, rows=my_feedback.opinion_rows(page.items),
        summary=queries.duty_record_summary(target.id),
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/duty")
@reads
def my_duty_record():
    """履职记录: the signed-in deputy's own opinions."""
    require(current_user.is_authenticated)
    user = current_user._get_current_object()
    require(policies.can_view_duty_record(user, user))
    return _render_duty_record(user, own=True)


@bp.get("/admin/users/<int:user_id>/duty")
@reads
def user_duty_record(user_id: int):
    """A deputy's record of duty, for staff (from the account's admin page)."""
    require(policies.can_list_accounts(current_user))
    target = load_visible(queries.get_user, user_id, lambda target: policies.can_view_duty_record(current_user, target))
    return _render_duty_record(target, own=current_user.id == target.id)

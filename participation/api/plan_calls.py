"""立法计划项目建议征集 through the API: the calls (``GET /plan-calls``, ``GET
/plan-calls/<id>``), sending a proposal (``POST /plan-calls/<id>/proposals``, with an
optional ``Idempotency-Key`` as for opinions), the staff listing of a call's proposals
with every field (``GET /plan-calls/<id>/proposals``) and classifying one (``PATCH
/proposals/<id>``).

The same services as the pages (``services.proposals``, ``services.classifications``);
bodies are read strictly: a field the endpoint does not take is refused with a 422
naming it. The documentation of these operations is ``participation.api.plan_docs``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, tuple_

from participation import clock, policies, queries
from participation.api.auth import current_api_holder, current_api_user, require, token_required
from participation.api.blueprint import api, token_limited_routes
from participation.api.dispositions import FieldErrors, refuse_unknown_fields
from participation.api.errors import json_response
from participation.api.opinions import MAX_ID, decode_cursor, encode_cursor, submission_rate_limit
from participation.api.params import QueryArgs, idempotency_key, json_body
from participation.api.serializers import timestamp
from participation.errors import Conflict, Forbidden, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import Classification, ModerationState, PlanCall, Proposal, ProposerCategory
from participation.services import attachments as attachment_files
from participation.services import classifications
from participation.services import proposals as service
from participation.text import is_storable_text
from participation.unit_of_work import reads, writes

MAX_PER_PAGE = 50
PROPOSAL_FIELDS = ("title", "necessity", "problems", "measures", "area", "proposer", "publish_name",
                   "motion_number", "attachments")
PROPOSER_FIELDS = ("category", "name", "unit", "region", "contact")
ATTACHMENT_FIELDS = ("filename", "content_base64")
PATCH_FIELDS = ("classification", "reason", "note")
# The service's field names → the names of the API body.
API_FIELD_NAMES = {
    "category": "proposer.category", "submitter_name": "proposer.name", "unit": "proposer.unit",
    "region": "proposer.region", "contact": "proposer.contact", "idempotency_key": "Idempotency-Key",
    "attachment": "attachments",
}
RECEIPT_STATUS = {
    ModerationState.PENDING.value: "received",
    ModerationState.PUBLISHED.value: "published",
    ModerationState.HIDDEN.value: "hidden",
}
LIST_FILTERS = {
    "classification": [c.value for c in Classification],
    "moderation_state": [s.value for s in ModerationState],
    "category": [c.value for c in ProposerCategory],
    "channel": ["web", "api", "batch"],
}


def max_submission_bytes() -> int:
    """Every text field at its limit, and the attachments in base64 (4/3 of their size)."""
    files = attachment_files.MAX_FILES_PER_PROPOSAL * (attachment_files.max_bytes() * 4 // 3 + 1024)
    return 256 * 1024 + files


def _call(call_id: int) -> PlanCall:
    """A call the caller may see; an unpublished one is "not found" to others."""
    call = queries.get_call(call_id) if 0 < call_id <= MAX_ID else None
    if call is None or not policies.can_view_plan_call(current_api_user(), call, clock.now()):
        raise NotFound(_("征集公告不存在。"))
    return call


def call_summary(call: PlanCall, now) -> dict:
    period = f"{timestamp(call.opens_at)}/{timestamp(call.closes_at)}" if call.opens_at and call.closes_at else None
    return {
        "id": call.id, "title": call.title, "year": call.year, "status": call.status_at(now).value,
        "focus_areas": list(call.focus_areas or []), "opens_at": timestamp(call.opens_at),
        "closes_at": timestamp(call.closes_at), "period": period,
        "allows_anonymous_proposals": bool(call.allows_anonymous_proposals),
        "moderation_mode": call.moderation_mode, "published_at": timestamp(call.published_at),
    }


def _classification_public(call: PlanCall) -> bool:
    plan = queries.plan_of_year(call.year)
    return plan is not None and plan.published_at is not None


def call_detail(call: PlanCall, now, *, staff: bool) -> dict:
    tally = queries.call_tally(call.id, published_only=not staff)
    by_classification = tally.by_classification if staff or _classification_public(call) else None
    return {
        **call_summary(call, now), "announcement": call.announcement or "",
        "tally": {"total": tally.total, "by_area": tally.by_area, "by_category": tally.by_category,
                  "by_channel": tally.by_channel, "by_classification": by_classification},
    }


# --- GET /plan-calls, GET /plan-calls/<id> ---------------------------------------------------

@api.get("/plan-calls")
@reads
def list_plan_calls():
    user, now = current_api_user(), clock.now()
    calls = [call for call in queries.all_calls() if policies.can_view_plan_call(user, call, now)]
    return json_response({"items": [call_summary(call, now) for call in calls], "total": len(calls)})


@api.get("/plan-calls/<int:call_id>")
@reads
def get_plan_call(call_id: int):
    call = _call(call_id)
    return json_response(call_detail(call, clock.now(), staff=policies.can_manage_plan_calls(current_api_user())))


# --- POST /plan-calls/<id>/proposals ------------------------------------------------------------

proposal_submissions = token_limited_routes("proposal_submissions", submission_rate_limit)


@proposal_submissions.post("/plan-calls/<int:call_id>/proposals")
@token_required
@writes
def create_proposal(call_id: int):
    request.max_content_length = min(max_submission_bytes(), current_app.config.get("MAX_CONTENT_LENGTH")
                                     or max_submission_bytes())
    holder, now = current_api_holder(), clock.now()
    key = idempotency_key()
    call = _call(call_id)
    data, uploads = parse_proposal(json_body())
    token = f"api:{holder.id}:{key}" if key else None
    digests = tuple(hashlib.sha256(upload.data).hexdigest() for upload in uploads)
    try:
        stored = service.submit_proposal(
            call, data, author=holder, now=now, attachments=uploads, submission_token=token,
            fingerprint=service.request_fingerprint(call.id, data, digests) if token else None, channel="api")
    except (ValidationFailed, Conflict, NotFound, Forbidden) as exc:  # IdempotencyKeyConflict included
        db.session.rollback()
        exc.fields = {API_FIELD_NAMES.get(name, name): messages for name, messages in exc.fields.items()}
        raise
    db.session.commit()
    body = {"id": stored.id, "receipt": stored.receipt_code, "status": RECEIPT_STATUS[stored.moderation_state]}
    return json_response(body, 201 if stored.created else 200,
                         headers={"Location": url_for("api.get_receipt", code=stored.receipt_code)})


def _text(container: dict, name: str, path: str, errors: FieldErrors, *, required: bool = False) -> str:
    value = container.get(name)
    if value is None:
        if required:
            errors.add(path, _("缺少此字段。") if name not in container else _("不能为 null。"))
        return ""
    if not isinstance(value, str):
        errors.add(path, _("必须是字符串。"))
        return ""
    if not is_storable_text(value):
        errors.add(path, _("含有无效的字符（不成对的代理项）。"))
        return ""
    return value


def _object(payload: dict, name: str, errors: FieldErrors) -> dict:
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(name, _("必须是对象。"))
        return {}
    return value


def parse_proposal(payload: dict) -> tuple[service.ProposalInput, list[attachment_files.Upload]]:
    """The JSON body → the service's input and the attached files, or ValidationFailed
    naming every field at fault (unknown fields, types, base64). Lengths, choices and the
    rules between fields are the service's, which the web form shares."""
    errors = FieldErrors()
    refuse_unknown_fields(payload, PROPOSAL_FIELDS, errors)
    proposer = _object(payload, "proposer", errors)
    refuse_unknown_fields(proposer, PROPOSER_FIELDS, errors, "proposer.")
    texts = {name: _text(payload, name, name, errors, required=name in ("title", "necessity"))
             for name in ("title", "necessity", "problems", "measures", "area", "motion_number")}
    people = {name: _text(proposer, name, f"proposer.{name}", errors) for name in PROPOSER_FIELDS}
    publish_name = payload.get("publish_name", False)
    if publish_name is None:
        publish_name = False
    if not isinstance(publish_name, bool):
        errors.add("publish_name", _("必须是 true 或 false。"))
        publish_name = False
    uploads = _attachments(payload.get("attachments"), errors)
    errors.raise_if_any()
    data = service.ProposalInput(
        title=texts["title"], necessity=texts["necessity"], problems=texts["problems"], measures=texts["measures"],
        area=texts["area"], category=people["category"] or None, submitter_name=people["name"], unit=people["unit"],
        region=people["region"], contact=people["contact"], is_name_public=publish_name,
        motion_number=texts["motion_number"])
    return data, uploads


def _attachments(raw, errors: FieldErrors) -> list[attachment_files.Upload]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > attachment_files.MAX_FILES_PER_PROPOSAL:
        errors.add("attachments", _("必须是至多 %(count)d 个对象的数组。", count=attachment_files.MAX_FILES_PER_PROPOSAL))
        return []
    uploads = []
    for index, item in enumerate(raw):
        path = f"attachments[{index}]"
        if not isinstance(item, dict):
            errors.add(path, _("必须是对象。"))
            continue
        refuse_unknown_fields(item, ATTACHMENT_FIELDS, errors, f"{path}.")
        filename = _text(item, "filename", f"{path}.filename", errors, required=True)
        content = _text(item, "content_base64", f"{path}.content_base64", errors, required=True)
        try:
            data = base64.b64decode(content.encode("ascii"), validate=True) if content.isascii() else None
        except (binascii.Error, ValueError):
            data = None
        if data is None or (content and not data):
            errors.add(f"{path}.content_base64", _("不是有效的 base64。"))
            continue
        uploads.append(attachment_files.Upload(filename=filename, data=data))
    return uploads


# --- GET /plan-calls/<id>/proposals (staff) -------------------------------------------------------

def staff_proposal(proposal: Proposal, attachments=()) -> dict:
    """A proposal as staff see it: every field, contact and internal note included
    (never given to anyone else)."""
    return {
        "id": proposal.id, "call_id": proposal.call_id, "title": proposal.title, "necessity": proposal.necessity,
        "problems": proposal.problems, "measures": proposal.measures, "area": proposal.area,
        "proposer": {"category": proposal.category, "name": proposal.submitter_name, "unit": proposal.unit,
                     "region": proposal.region, "contact": proposal.contact},
        "publish_name": proposal.is_name_public, "motion_number": proposal.motion_number,
        "channel": proposal.channel, "author_id": proposal.author_id, "liaison_point_id": proposal.liaison_point_id,
        "batch_id": proposal.batch_id, "batch_row": proposal.batch_row,
        "represented_count": proposal.represented_count, "moderation_state": proposal.moderation_state,
        "hidden_reason": proposal.hidden_reason, "assignee_id": proposal.assignee_id,
        "group_id": proposal.group_id, "project_id": proposal.project_id,
        "classification": proposal.classification, "reason": proposal.classification_reason,
        "note": proposal.classification_note, "classified_at": timestamp(proposal.classified_at),
        "receipt": proposal.receipt_code, "submitted_at": timestamp(proposal.created_at),
        "attachments": [{"id": a.id, "filename": a.original_name, "format": a.file_format, "size": a.size}
                        for a in attachments],
    }


@api.get("/plan-calls/<int:call_id>/proposals")
@token_required
@reads
def list_call_proposals(call_id: int):
    require(policies.can_manage_plan_calls(current_api_user()))
    args = QueryArgs()
    per_page = args.integer("per_page", default=20, minimum=1, maximum=MAX_PER_PAGE)
    after = decode_cursor(args)
    chosen = {name: args.choice(name, choices, default="") for name, choices in LIST_FILTERS.items()}
    area = args.values.get("area", "")
    if len(area) > 50 or not is_storable_text(area):
        args.add_error("area", _("不能超过 %(limit)d 个字。", limit=50))
        area = ""
    args.check()
    call = _call(call_id)
    filters = queries.ProposalFilters(area=area, **chosen)
    query = queries.proposals_query(call.id, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if after is not None:
        query = query.where(tuple_(Proposal.created_at, Proposal.id) > tuple_(after.created_at, after.id))
    items = db.session.scalars(query.limit(per_page + 1)).all()
    more = len(items) > per_page
    items = items[:per_page]
    files = queries.attachments_of([p.id for p in items])
    next_cursor = encode_cursor(queries.OpinionCursor(items[-1].created_at, items[-1].id)) if more else None
    return json_response({"items": [staff_proposal(p, files[p.id]) for p in items], "total": total,
                          "per_page": per_page, "next_cursor": next_cursor})


# --- PATCH /proposals/<id> (staff) ---------------------------------------------------------------

@api.patch("/proposals/<int:proposal_id>")
@token_required
@writes
def classify_proposal(proposal_id: int):
    user = current_api_user()
    require(policies.can_manage_plan_calls(user))
    proposal = db.session.get(Proposal, proposal_id) if 0 < proposal_id <= MAX_ID else None
    if proposal is None:
        raise NotFound(_("建议不存在。"))
    payload, errors = json_body(), FieldErrors()
    refuse_unknown_fields(payload, PATCH_FIELDS, errors)
    value = _text(payload, "classification", "classification", errors, required=True)
    reason = _text(payload, "reason", "reason", errors)
    # An omitted note keeps the one staff wrote before.
    note = _text(payload, "note", "note", errors) if "note" in payload else proposal.classification_note
    errors.raise_if_any()
    classifications.classify(proposal, classifications.ClassificationInput(value, reason, note), by=user,
                             now=clock.now())
    db.session.commit()
    return json_response(staff_proposal(proposal, queries.attachments_of([proposal.id])[proposal.id]))

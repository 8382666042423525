"""The two calls every channel (web preview, web confirm, API multipart, API JSON, the
demo) makes: ``check`` reads what a point sent and checks every row against the
draft's current version; ``store`` stores the checked batch, or nothing, in the
caller's transaction (the caller commits once).

``store`` refuses, in this order: a source that could not be read at all; then it
answers a repeated request with the batch stored the first time (same file or JSON rows
for the same point and draft, or the same idempotency key) without looking at the rows
again; then it asks ``policies.batch_refusal`` whether the draft takes the batch now;
then any row error refuses the whole batch. Only then is an uploaded file kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from participation import policies
from participation.batches import proposal_rows, storing, uploads
from participation.batches.checking import Activity, PreviewTally, check_rows, preview_tally
from participation.batches.citations import VersionClauses
from participation.batches.reading import ParsedUpload, json_digest, read_upload, rows_from_json
from participation.batches.vocabulary import OPINIONS
from participation.batches.rows import BatchRejected, CleanRow, RowError, RowInput
from participation.errors import Conflict, NotFound, ServiceError, ValidationFailed
from participation.models import Batch, BatchSource, Draft, LiaisonPoint, PlanCall, User
from participation.services import audit


@dataclass(frozen=True)
class FileSource:
    """An uploaded table (.xlsx or CSV) as received."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class JsonSource:
    """The API's ``rows``, as decoded from the request's JSON (not yet known to be a list)."""

    items: object


@dataclass
class BatchCheck:
    """What ``check`` found: the rows as sent, the rows that passed, every error (by row
    and column, in the template's order) and the display names of the columns."""

    point: LiaisonPoint
    draft: Draft | None                      # the target of a batch of opinions
    source: FileSource | JsonSource
    rows: list[RowInput]
    clean: list[CleanRow]
    errors: list[RowError]
    info: storing.SourceInfo | None = None   # None when ``refused``
    upload: ParsedUpload | None = None       # a file read (its headers, sheet, encoding)
    refused: BatchRejected | None = None     # the source could not be read at all
    clauses: VersionClauses | None = None    # None: the draft has no version to check against
    call: PlanCall | None = None             # the target of a batch of proposals

    @property
    def target(self) -> Draft | PlanCall:
        return self.call if self.call is not None else self.draft

    @property
    def kind(self) -> str:
        """``opinions`` or ``proposals``: what the rows are."""
        return "proposals" if self.call is not None else "opinions"

    @property
    def names(self) -> dict[str, str]:
        """Each field's column as the sender named it (the JSON field for JSON rows)."""
        return self.upload.names if self.upload is not None else {}

    def tally(self) -> PreviewTally | None:
        """What storing adds to the draft's tally; None while any row is wrong (and for
        proposals, which the preview counts by itself)."""
        if self.errors or self.clauses is None or self.call is not None:
            return None
        return preview_tally(self.clean, self.clauses)

    def existing(self) -> Batch | None:
        """The batch already stored from this same source for the point and draft."""
        if self.info is None:
            return None
        return storing.find_existing(self.point, self.target, self.info.digest)


def check(source: FileSource | JsonSource, target: Draft | PlanCall, point: LiaisonPoint) -> BatchCheck:
    """Read ``source`` and check every row against ``target``: a draft's current version
    (rows of opinions), or a legislative-plan call (rows of proposals,
    ``proposal_rows``). Never raises for what was sent: a source that cannot be read is
    ``refused`` (its errors listed), row errors are listed."""
    proposals = isinstance(target, PlanCall)
    draft, call = (None, target) if proposals else (target, None)
    upload = None
    try:
        if isinstance(source, FileSource):
            upload = read_upload(source.data, source.filename, proposal_rows.LAYOUT if proposals else OPINIONS)
            rows, problems = upload.rows, upload.problems
            info = storing.SourceInfo(format=upload.format, digest=upload.digest, encoding=upload.encoding,
                                      filename=upload.filename)
        else:
            rows, problems = (proposal_rows.rows_from_json if proposals else rows_from_json)(source.items)
            info = storing.SourceInfo(format=BatchSource.JSON.value, digest=json_digest(source.items))
    except BatchRejected as exc:
        return BatchCheck(point, draft, source, rows=[], clean=[], errors=list(exc.errors), refused=exc, call=call)
    names = upload.names if upload else None
    letters = upload.letters if upload else None
    if proposals:
        clean, errors = check_rows(rows, None, names=names, letters=letters, problems=problems,
                                   validate=lambda rows, **kw: proposal_rows.validate_rows(rows, call, **kw),
                                   empty=_("表格中没有建议：表头下面至少要有一行建议。"), fields=proposal_rows.FIELDS)
        return BatchCheck(point, None, source, rows=rows, clean=clean, errors=errors, info=info, upload=upload,
                          call=call)
    version = draft.current_version
    if version is None:
        return BatchCheck(point, draft, source, rows=rows, clean=[], errors=[], info=info, upload=upload)
    clauses = VersionClauses(version.id)
    clean, errors = check_rows(rows, clauses, names=names, letters=letters, problems=problems)
    return BatchCheck(point, draft, source, rows=rows, clean=clean, errors=errors, info=info, upload=upload,
                      clauses=clauses)


def store(check: BatchCheck, activity: Activity, entered_by: User, now: datetime, *,
          idempotency_key: str | None = None) -> tuple[Batch, bool]:
    """Store the checked batch and its rows as opinions, or nothing; returns (batch,
    created). Raises BatchRejected (422), Conflict (409), ValidationFailed (422: a late
    batch without its reason), IdempotencyKeyConflict (422) or NotFound. Whether
    ``entered_by`` may submit for the point at all is the caller's check
    (``policies.can_submit_batch``)."""
    if check.refused is not None:
        raise check.refused
    point, target, info = check.point, check.target, check.info
    existing = storing.stored_before(point, target, info.digest, idempotency_key)
    if existing is not None:
        return existing, False
    refusal = acceptance_error(entered_by, point, target, now, late_reason=activity.late_reason)
    if refusal is not None:
        raise refusal
    if check.call is None and check.clauses is None:
        raise NotFound(_("草案没有可用的文本版本。"))
    if check.errors:
        raise BatchRejected(check.errors)
    if isinstance(check.source, FileSource):
        info.stored_file = uploads.keep_file(check.source.data, info.format)
    if check.call is not None:
        late_reason = activity.late_reason if policies.is_late_call_batch(target, now) else ""
        batch, created = storing.insert_proposal_batch(
            point, target, activity, check.clean, source=info, entered_by=entered_by, late_reason=late_reason,
            now=now, idempotency_key=idempotency_key)
    else:
        late_reason = activity.late_reason if policies.is_late_batch(target, now) else ""
        batch, created = storing.insert_batch(
            point, target, check.clauses.version_id, activity, check.clean, source=info, entered_by=entered_by,
            late_reason=late_reason, now=now, idempotency_key=idempotency_key)
    if created and batch.is_entered_by_staff:
        # Staff entering a batch on a point's behalf act for someone else: on the record.
        audit.record("liaison_point.batch_on_behalf", actor=entered_by, object_type="liaison_point",
                     object_id=point.id, draft_id=batch.draft_id, now=now, count=batch.row_count,
                     new={"batch_id": batch.id, "plan_call_id": batch.plan_call_id,
                          "source_filename": batch.source_filename, "late_reason": late_reason})
    return batch, created


def acceptance_error(user: User, point: LiaisonPoint, target: Draft | PlanCall, now: datetime, *,
                     late_reason: str) -> ServiceError | None:
    """The error to answer when ``policies.batch_refusal`` (or, for a call,
    ``policies.plan_call_batch_refusal``) refuses the batch, else None."""
    if isinstance(target, PlanCall):
        refusal = policies.plan_call_batch_refusal(user, point, target, now, late_reason=late_reason)
        return call_refusal_error(refusal) if refusal is not None else None
    refusal = policies.batch_refusal(user, point, target, now, late_reason=late_reason)
    return refusal_error(refusal) if refusal is not None else None


def call_refusal_error(refusal: policies.BatchRefusal) -> ServiceError:
    if refusal == policies.BatchRefusal.POINT_INACTIVE:
        return refusal_error(refusal)
    if refusal == policies.BatchRefusal.LATE_REASON_MISSING:
        message = _("该征集已经截止。代为录入逾期报送的建议时，请填写逾期原因。")
        return ValidationFailed(message, fields={"late_reason": [message]})
    if refusal == policies.BatchRefusal.CLOSED:
        return Conflict(_("该征集已经截止，不能再报送。如有逾期送达的建议，请联系法工委工作人员代为录入。"))
    if refusal == policies.BatchRefusal.SCHEDULED:
        return Conflict(_("该征集尚未开始。"))
    return Conflict(_("该征集尚未发布。"))


def refusal_error(refusal: policies.BatchRefusal) -> ServiceError:
    if refusal == policies.BatchRefusal.POINT_INACTIVE:
        return Conflict(_("该联系点已停用，不能再报送意见。"))
    if refusal == policies.BatchRefusal.LATE_REASON_MISSING:
        message = _("该草案的征求意见期已经结束。代为录入逾期报送的意见时，请填写逾期原因。")
        return ValidationFailed(message, fields={"late_reason": [message]})
    if refusal == policies.BatchRefusal.CLOSED:
        return Conflict(_("该草案的征求意见期已经结束，不能再报送。如有在期限内收集、逾期送达的意见，请联系法工委工作人员代为录入。"))
    if refusal == policies.BatchRefusal.FEEDBACK:
        return Conflict(_("该草案已发布意见采纳情况反馈，不再接收意见。"))
    if refusal == policies.BatchRefusal.SCHEDULED:
        return Conflict(_("该草案尚未开始征求意见。"))
    return Conflict(_("该草案尚未发布。"))

"""Staff record what became of opinions (处理情况), on the staff blueprint: one opinion
(from its page or its row in the list), and a bulk selection — the ticked rows or every
opinion the list's filter matches — through a confirmation page that shows the exact
count before anything changes.

The confirmation carries a form token drawn when the page was shown: it is the bulk
change's idempotency key, so submitting it twice applies it once."""
from __future__ import annotations

import re
import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from participation import clock, labels, policies, queries
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.forms.dispositions import BulkDispositionForm, DispositionForm
from participation.models import Opinion
from participation.services import dispositions as service
from participation.services.dispositions import DispositionInput
from participation.unit_of_work import writes
from participation.views import apply_field_errors, require, safe_next_url
from participation.views.moderation import (
    load_draft, load_opinion, filter_form, opinion_filters, picked_reason, render_detail, render_opinion_list,
)
from participation.views.staff import bp

# Ticks come from one page of the list; more than this is not a form people filled in.
MAX_TICKED = 1000
FILTER_PREFIX = "f"
_FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


@bp.route("/opinions/<int:opinion_id>/disposition", methods=["POST"])
@writes
def dispose_opinion(opinion_id: int):
    require(policies.can_dispose_opinions(current_user))
    opinion = load_opinion(opinion_id)
    form = DispositionForm()
    if not form.validate_on_submit():
        return render_detail(opinion, dispose_form=form, status_code=400)
    data = DispositionInput(form.disposition.data or "",
                            picked_reason(opinion.draft_id, form.reason.data, form.template.data), form.note.data or "")
    try:
        changed = service.record_disposition(opinion, data, by=current_user._get_current_object(), now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        if not apply_field_errors(form, exc):
            flash(exc.message, "error")
        return render_detail(opinion, dispose_form=form, status_code=422)
    db.session.commit()
    label = labels.label(labels.DISPOSITION, opinion.disposition)
    if changed:
        flash(_("意见 %(code)s 的处理情况已保存：%(label)s。", code=opinion.receipt_code, label=label), "success")
    else:
        flash(_("意见 %(code)s 的处理情况没有变化。", code=opinion.receipt_code), "info")
    back = safe_next_url(form.next.data, url_for("staff.opinion_detail", opinion_id=opinion.id))
    return redirect(back, 303)


def _ticked_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("ids")[:MAX_TICKED]:
        value = value.strip()
        if value.isdigit() and 0 < int(value) <= queries.MAX_ID:
            ids.append(int(value))
    return sorted(set(ids))


class _Bulk:
    """A posted bulk disposition, read and checked: the filter, the selection, the
    disposition and its reason, and how many opinions it selects."""

    def __init__(self, draft):
        self.draft = draft
        # The list's filter travels with the bulk form under the prefix "f-" (its
        # "disposition" filter is not the disposition to set).
        self.filter_form = filter_form(request.form, prefix=FILTER_PREFIX)
        self.filters = opinion_filters(self.filter_form)
        self.form = BulkDispositionForm()
        self.ids = _ticked_ids()
        self.by_filter = self.form.scope.data == "filter"
        reason = picked_reason(draft.id, self.form.reason.data, self.form.template.data)
        self.data = DispositionInput(self.form.disposition.data or "", reason)
        self.count = 0

    def selection(self):
        """SELECT of the chosen opinion ids (restricted to the draft by the service too)."""
        query = queries.staff_opinion_ids(self.draft.id, self.filters)
        return query if self.by_filter else query.where(Opinion.id.in_(self.ids))

    def describe(self) -> dict:
        return {"filter": self.filters.describe()} if self.by_filter else {"ids": self.ids}

    def check(self) -> bool:
        """Count the selection and check the input; errors go on the form."""
        if not self.form.validate_on_submit():
            return False
        try:
            self.data = service.check(self.data)
        except ValidationFailed as exc:
            apply_field_errors(self.form, exc)
        if not self.by_filter and not self.ids:
            self.form.scope.errors = [_("请先勾选要处理的意见，或选择“符合筛选条件的全部意见”。")]
        else:
            self.count = db.session.scalar(
                select(func.count()).select_from(Opinion).where(Opinion.id.in_(self.selection()),
                                                                Opinion.draft_id == self.draft.id)) or 0
            if self.count == 0:
                self.form.scope.errors = [_("没有符合条件的意见。")]
        return not self.form.errors

    def list_page(self):
        """The opinion list again (with the bulk form's errors), its filter unprefixed."""
        plain = filter_form(MultiDict({field.short_name: field.data or "" for field in self.filter_form}))
        return render_opinion_list(self.draft, plain, bulk_form=self.form, status_code=422)

    def list_url(self) -> str:
        args = self.filters.as_args()
        if "text" in args:
            args["q"] = args.pop("text")
        return url_for("staff.draft_opinions", draft_id=self.draft.id, **args)


@bp.route("/drafts/<int:draft_id>/dispositions/preview", methods=["POST"])
@writes
def preview_bulk_disposition(draft_id: int):
    """The confirmation page: what will change, and how many opinions (nothing written)."""
    require(policies.can_dispose_opinions(current_user))
    bulk = _Bulk(load_draft(draft_id))
    if not bulk.check():
        return bulk.list_page()
    return render_template(
        "staff/dispose_confirm.html", draft=bulk.draft, bulk=bulk, form_token=secrets.token_hex(16),
        disposition_label=labels.label(labels.DISPOSITION, bulk.data.disposition), list_url=bulk.list_url(),
        filter_fields=[(field.label.text, _shown(field)) for field in bulk.filter_form if _shown(field)],
        hidden_filters=[(field.name, field.data) for field in bulk.filter_form if field.data],
    )


def _shown(field) -> str:
    """A filter's value as the list shows it (the label of a chosen option)."""
    if not field.data:
        return ""
    for choice in getattr(field, "choices", None) or ():
        value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
        if str(value) == str(field.data):
            return str(label)
    return str(field.data)


@bp.route("/drafts/<int:draft_id>/dispositions", methods=["POST"])
@writes
def apply_bulk_disposition(draft_id: int):
    require(policies.can_dispose_opinions(current_user))
    bulk = _Bulk(load_draft(draft_id))
    token = bulk.form.form_token.data or ""
    if not _FORM_TOKEN.fullmatch(token):
        flash(_("确认页面已失效，请重新选择后再确认。"), "error")
        return redirect(bulk.list_url(), 303)
    if not bulk.check():
        db.session.rollback()
        return bulk.list_page()
    result = service.dispose_selection(
        bulk.draft, bulk.selection(), bulk.data, by=current_user._get_current_object(), now=clock.now(),
        selection=bulk.describe(), idempotency_key=f"web:{current_user.id}:{token}")
    db.session.commit()
    label = labels.label(labels.DISPOSITION, bulk.data.disposition)
    if result.repeated:
        flash(_("这次批量处理已经保存过（%(n)d 条），没有重复处理。", n=result.updated), "info")
    elif result.updated == result.selected:
        flash(_("已将 %(n)d 条意见的处理情况设为“%(label)s”。", n=result.updated, label=label), "success")
    else:
        flash(_("已将 %(n)d 条意见的处理情况设为“%(label)s”（选中 %(selected)d 条，其余原已如此）。",
                n=result.updated, label=label, selected=result.selected), "success")
    return redirect(bulk.list_url(), 303)

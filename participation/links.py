"""Addresses that several pages, the API and the notifications link to, written once."""
from __future__ import annotations

from flask import url_for


def feedback_report_url(draft_id: int, *, external: bool = False) -> str:
    """The public report of a draft (意见采纳情况, ``/drafts/<id>/feedback``)."""
    return url_for("public.feedback_report", draft_id=draft_id, _external=external)


def my_opinions_url(*, external: bool = False) -> str:
    return url_for("account.my_opinions", _external=external)

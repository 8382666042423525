"""Receipts (the look-up page and GET /api/v1/receipts/<code>): the disposition and its
reason appear once the draft's feedback is published, never before, never the note."""
from __future__ import annotations

from tests.feedback.submitters import (  # noqa: F401  (fixtures)
    NOTE, REASON, api_get, assert_has_documented_fields, dispose, publish, staff_member,
)
from tests.opinions.conftest import text


def test_the_receipt_page_says_pending_until_the_feedback_is_published(
        client, open_draft, make_opinion, make_user, dispose, publish):  # noqa: F811
    opinion = make_opinion(open_draft, key="art.2", author=make_user("citizen"))
    dispose(opinion, "partly_adopted")
    page = text(client.get(f"/receipt?code={opinion.receipt_code}"))
    # Recorded but not released: staff may still revise it.
    assert "待处理" in page and "意见采纳情况后" in page
    assert "部分采纳" not in page and REASON not in page and NOTE not in page
    assert f"/drafts/{open_draft.id}/feedback" not in page

    publish(open_draft)
    page = text(client.get(f"/receipt?code={opinion.receipt_code}"))
    assert "部分采纳" in page and REASON in page and NOTE not in page
    assert f'href="/drafts/{open_draft.id}/feedback"' in page


def test_a_published_draft_without_a_recorded_disposition_says_pending(client, open_draft, make_opinion, publish):  # noqa: F811
    opinion = make_opinion(open_draft)
    publish(open_draft)
    page = text(client.get(f"/receipt?code={opinion.receipt_code}"))
    assert "办理结果：待处理" not in page  # released: the step is done, not waiting
    assert "待处理" in page and f"/drafts/{open_draft.id}/feedback" in page


def test_the_receipt_api_gains_the_disposition_once_published(client, api_get, open_draft, make_opinion, dispose, publish):  # noqa: F811
    opinion = make_opinion(open_draft, key="art.1")
    dispose(opinion, "not_adopted", reason="与上位法不一致")
    body = api_get(f"/receipts/{opinion.receipt_code}").get_json()
    assert body["feedback_published"] is False
    assert (body["disposition"], body["disposition_label"], body["reason"], body["feedback_url"]) == (None,) * 4
    assert NOTE not in str(body)

    publish(open_draft)
    body = api_get(f"/receipts/{opinion.receipt_code}").get_json()
    assert body["feedback_published"] is True
    assert (body["disposition"], body["disposition_label"], body["reason"]) == ("not_adopted", "未采纳", "与上位法不一致")
    assert body["feedback_url"].endswith(f"/drafts/{open_draft.id}/feedback")
    assert NOTE not in str(body)
    assert_has_documented_fields(client, body, "Receipt")

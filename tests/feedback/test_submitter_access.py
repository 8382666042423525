"""Access to what submitters hear back: nobody reads another person's 我的意见 or 站内消息
(pages and API; the routes take no account id, and another person's message id is a
404); signed-out visitors are sent to sign in; the internal note (disposition_note)
reaches no receipt, 我的意见, record of duty, batch page, feedback sheet, public page,
public API or search document."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.extensions import db
from participation.models import Notification, Opinion
from participation.services import notifications
from search import documents
from tests.accounts.conftest import redirects_to_login
from tests.batches.conftest import (  # noqa: F401  (fixtures)
    activity, draft, import_file, make_point, operator, point, row, xlsx, zh,
)
from tests.feedback.submitters import (  # noqa: F401  (fixtures)
    NOTE, REASON, api_get, dispose, issue_token, publish, staff_member,
)
from tests.opinions.conftest import text

SIGNED_IN_ONLY = [
    ("GET", "/account/opinions"),
    ("GET", "/account/notifications"),
    ("POST", "/account/notifications/1/read"),
    ("POST", "/account/notifications/read-all"),
]


@pytest.mark.parametrize("method, path", SIGNED_IN_ONLY)
def test_signed_out_visitors_are_sent_to_sign_in(client, method, path):
    response = client.open(path, method=method, data={} if method == "POST" else None)
    assert redirects_to_login(response), (path, response.status_code)


@pytest.fixture
def two_citizens(make_user, open_draft, make_opinion, publish):  # noqa: F811
    """Two citizens who each commented on a draft whose feedback is published: each has
    one opinion and one unread message."""
    alice, bob = make_user("citizen", display_name="甲"), make_user("citizen", display_name="乙")
    opinions = {alice.id: make_opinion(open_draft, author=alice, body="甲的意见"),
                bob.id: make_opinion(open_draft, author=bob, body="乙的意见")}
    publish(open_draft)
    return alice, bob, opinions


@pytest.mark.parametrize("role", ["citizen", "deputy", "operator", "staff", "admin"])
def test_nobody_sees_another_persons_list_or_inbox(client, login, make_user, two_citizens, role):
    alice, _bob, opinions = two_citizens
    viewer = make_user(role)
    login(viewer)
    page = text(client.get("/account/opinions"))
    assert "甲的意见" not in page and opinions[alice.id].receipt_code not in page and "还没有提出过意见" in page
    # The list takes no account: a query string naming someone changes nothing.
    page = text(client.get(f"/account/opinions?user_id={alice.id}&author_id={alice.id}"))
    assert "甲的意见" not in page
    assert "还没有消息" in text(client.get("/account/notifications"))


def test_another_persons_message_is_not_found_and_stays_unread(client, login, two_citizens):
    alice, bob, _opinions = two_citizens
    alices = db.session.scalar(select(Notification).where(Notification.user_id == alice.id))
    login(bob)
    for to in ("report", "opinions", ""):
        assert client.post(f"/account/notifications/{alices.id}/read", data={"to": to}).status_code == 404
    assert client.post("/account/notifications/99999999999/read").status_code == 404
    # 全部标为已读 marks only one's own.
    client.post("/account/notifications/read-all")
    assert notifications.unread_count(alice.id) == 1 and notifications.unread_count(bob.id) == 0
    inbox = text(client.get("/account/notifications"))
    assert inbox.count("data-notification=") == 1 and f'data-notification="{alices.id}"' not in inbox


def test_the_api_lists_only_the_tokens_own_opinions(api_get, issue_token, two_citizens):  # noqa: F811
    alice, bob, opinions = two_citizens
    body = api_get(f"/me/opinions?user_id={alice.id}", issue_token(bob)).get_json()
    assert [item["id"] for item in body["items"]] == [opinions[bob.id].id] and body["total"] == 1


# --- the internal note ----------------------------------------------------------------------

@pytest.fixture
def noted(client, login, make_user, open_draft, make_opinion, dispose, publish):  # noqa: F811
    """A deputy's published opinion, answered with a note, the draft's feedback
    published and its opinions shown publicly."""
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    deputy = make_user("deputy")
    opinion = dispose(make_opinion(open_draft, key="art.1", author=deputy, body="公开的意见"), "adopted")
    publish(open_draft)
    return deputy, opinion


def test_the_note_reaches_no_submitter_page(app, client, login, noted, open_draft):
    deputy, opinion = noted
    login(deputy)
    pages = {
        "receipt": text(client.get(f"/receipt?code={opinion.receipt_code}")),
        "my opinions": text(client.get("/account/opinions")),
        "duty": text(client.get("/account/duty")),
        "clause listing": text(client.get(f"/drafts/{open_draft.id}/provisions/art.1/opinions")),
        "draft": text(client.get(f"/drafts/{open_draft.id}")),
        "inbox": text(client.get("/account/notifications")),
    }
    assert REASON in pages["receipt"] and REASON in pages["my opinions"] and REASON in pages["duty"]
    for name, page in pages.items():
        assert NOTE not in page, name


def test_the_note_reaches_no_public_api_answer(api_get, issue_token, noted, open_draft):  # noqa: F811
    deputy, opinion = noted
    answers = [
        api_get(f"/receipts/{opinion.receipt_code}"),
        api_get("/me/opinions", issue_token(deputy)),
        api_get(f"/drafts/{open_draft.id}/provisions/art.1/opinions"),
        api_get(f"/drafts/{open_draft.id}"),
        api_get(f"/drafts/{open_draft.id}/tally"),
    ]
    assert all(answer.status_code == 200 for answer in answers)
    assert REASON in answers[0].get_data(as_text=True)
    for answer in answers:
        assert NOTE not in answer.get_data(as_text=True), answer.request.path


def test_the_note_reaches_no_batch_page_or_feedback_sheet(client, login, operator, draft, import_file, xlsx,  # noqa: F811
                                                          dispose, publish):  # noqa: F811
    batch, _created = import_file(xlsx([row("第一条", "意见甲")]))
    dispose(db.session.scalar(select(Opinion).where(Opinion.batch_id == batch.id)), "adopted")
    publish(draft)
    login(operator)
    page = text(client.get(f"/batches/{batch.id}"))
    assert REASON in page and NOTE not in page
    sheet = client.get(f"/batches/{batch.id}/feedback.xlsx")
    values = str(list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True)))
    assert REASON in values and NOTE not in values


def test_search_documents_never_carry_the_note(app, open_draft, make_opinion, dispose):  # noqa: F811
    opinion = dispose(make_opinion(open_draft, key="art.1", body="可以搜索的意见"), "adopted")
    assert "disposition_note" not in {column.name for column in documents._OPINION_COLUMNS}
    with db.engine.connect() as connection:
        document = documents.opinion_documents(connection, [opinion.id])[opinion.id]
    assert "可以搜索的意见" in str(document) and NOTE not in str(document)

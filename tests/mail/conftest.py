"""A real SMTP server (aiosmtpd) on a free localhost port for each test that asks for
email, and helpers to read what arrived."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from participation.extensions import db
from tests.opinions.conftest import make_opinion, open_draft  # noqa: F401  (fixtures)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received, parsed (``email.policy.default``: headers decoded)."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        message.raw = raw
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]

    def clear(self) -> None:
        self.messages.clear()


@pytest.fixture
def smtp():
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def app_config(app_config, smtp):
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="noreply@lpp.example",
                      SITE_URL="http://lpp.example", MAIL_TIMEOUT=5)
    return app_config


@pytest.fixture
def no_retry_delay(app):
    """Retries of the mail jobs at once (the backoff itself is the queue's, tested in
    tests/jobs), so that ``run_pending`` runs them all."""
    from participation.jobs import init_app
    from participation.jobs import queue as job_queue

    saved = dict(job_queue._tasks)
    for name, spec in saved.items():
        if name.startswith(("mail.", "notifications.")):
            job_queue._tasks[name] = job_queue.TaskSpec(spec.name, spec.function, spec.retries, 0)
    init_app(app)
    yield
    job_queue._tasks.clear()
    job_queue._tasks.update(saved)


@pytest.fixture
def verified_user(make_user, frozen_now):
    def make(role="citizen", **kwargs):
        user = make_user(role, **kwargs)
        user.email_verified_at = frozen_now.now - timedelta(days=1)
        db.session.commit()
        return user

    return make


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(message) -> list[str]:
    return re.findall(r"https?://[^\s<>\"]+", body_text(message))


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def unsubscribe_url(message) -> str:
    return message["List-Unsubscribe"].strip("<>")


def drain(app) -> int:
    """Run what is queued (and what that queues) until nothing is left; the test's
    session then reads what the jobs committed."""
    from participation import jobs

    db.session.commit()
    total = 0
    while True:
        ran = jobs.run_pending(app)
        total += ran
        if not ran:
            break
    db.session.rollback()
    return total


def open_link(client, url: str, *, expect: int = 200):
    """Open an email link as a person does: GET shows a page with one button (and
    changes nothing), the button POSTs to the same address. Returns the POST's answer."""
    path = path_of(url)
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert f'action="{path}"' in page.get_data(as_text=True)
    response = client.post(path)
    assert response.status_code == expect, response.get_data(as_text=True)[:300]
    return response

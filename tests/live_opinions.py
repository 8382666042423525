"""Opinions submitted through the real server, for the fault tests: gunicorn
(``tests/live_server.py``) serving the test's own database and instance folder with the
search indexer running as a thread of each worker (``SEARCH_INDEXER=thread``, as
``make run`` deploys it), rate limits off; and the helpers those tests share — a
published draft whose opinions are public, citizen tokens to submit with, a staff token
to search with, concurrent submissions, and the "every stored opinion is searchable"
check.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.live_server import Gunicorn, server_env


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (a gunicorn master's workers)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


class Server(Gunicorn):
    """``with Server(database_url, instance_path, log_path) as server:`` — gunicorn with
    ``workers`` workers, serving (every worker started, /healthz answered) on entry."""

    def __init__(self, database_url: str, instance_path, log_path: Path, *, workers: int = 2, threads: int = 4,
                 env: dict | None = None):
        settings = {"SEARCH_INDEXER": "thread", "SEARCH_POLL_SECONDS": "0.2", "SEARCH_STANDBY_SECONDS": "1",
                    "RATELIMIT_ENABLED": "0", **(env or {})}
        super().__init__(server_env(database_url=database_url, instance=instance_path, secret_key="live-server-test",
                                    **settings), log_path, workers=workers, threads=threads,
                         extra_args=("--timeout", "120"))
        self.instance_path = Path(instance_path)

    def __enter__(self) -> "Server":
        super().__enter__()
        try:
            deadline = time.monotonic() + self.start_timeout
            while len(self.worker_pids()) < self.workers:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start its workers:\n" + self.log()[-4000:])
                time.sleep(0.1)
            self.wait_until_serving()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def request(self, method: str, path: str, *, body=None, headers: dict | None = None,
                timeout: float = 60.0) -> tuple[int, dict, dict | None]:
        """(status, headers, JSON body or None); raises OSError on connection errors."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers={**({"Content-Type": "application/json"} if data else {}),
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, answer_headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, dict(error.headers), error.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, answer_headers, parsed


def seed(make_draft, make_user, *, submitters: int) -> dict:
    """A published draft whose opinions are public, ``submitters`` citizen tokens and a
    staff token; everything committed, and the test's session left idle (it must hold
    no lock the server would wait for)."""
    from participation.extensions import db
    from participation.services import accounts

    draft = make_draft(published=True)
    draft.shows_opinions_publicly = True
    db.session.commit()
    tokens = [accounts.issue_api_token(make_user("citizen"), name=f"live{n}")[1] for n in range(submitters)]
    _token, staff = accounts.issue_api_token(make_user("staff"), name="live-staff")
    seeded = {"draft": draft.id, "tokens": tokens, "staff": staff}
    db.session.commit()
    db.session.rollback()
    return seeded


def submission_path(draft_id: int) -> str:
    return f"/api/v1/drafts/{draft_id}/comments"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def stored_opinions() -> list[tuple[int, str, str, str | None]]:
    """(id, receipt, body, submission token) of every stored opinion."""
    from sqlalchemy import select

    from participation.extensions import db
    from participation.models import Opinion

    db.session.rollback()
    rows = db.session.execute(select(Opinion.id, Opinion.receipt_code, Opinion.body, Opinion.submission_token)
                              .order_by(Opinion.id)).all()
    db.session.rollback()  # hold nothing the server would wait for
    return [tuple(row) for row in rows]


def outbox_count() -> int:
    from sqlalchemy import func, select

    from participation.extensions import db
    from search.models import SearchOutboxEntry

    db.session.rollback()
    count = db.session.scalar(select(func.count()).select_from(SearchOutboxEntry))
    db.session.rollback()
    return count


def searchable_opinion_ids(server: Server, q: str, staff: str) -> tuple[set[int], bool]:
    """The ids of every opinion hit for ``q`` (all pages), searched as staff through the
    server; and whether every page said its results were complete."""
    found: set[int] = set()
    complete = True
    page = 1
    while True:
        query = urllib.parse.urlencode({"q": q, "type": "opinion", "per_page": 50, "page": page})
        status, _headers, body = server.request("GET", f"/api/v1/search?{query}", headers=bearer(staff))
        assert status == 200, (status, body)
        complete = complete and body["complete"]
        found.update(hit["id"] for hit in body["hits"] if hit["type"] == "opinion")
        if len(body["hits"]) < 50 or page * 50 >= body["total"]:
            return found, complete
        page += 1


def wait_until_searchable(server: Server, q: str, staff: str, expected: set[int], *,
                          timeout: float = 60.0) -> None:
    """Until a search for ``q`` finds exactly ``expected`` (complete results) and no
    change waits in the outbox; fails with what was missing."""
    deadline = time.monotonic() + timeout
    while True:
        found, complete = searchable_opinion_ids(server, q, staff)
        if found == expected and complete and outbox_count() == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not searchable after {timeout:.0f} s: missing {sorted(expected - found)[:20]}, "
                                 f"unexpected {sorted(found - expected)[:20]}, complete={complete}, "
                                 f"waiting changes={outbox_count()}\n{server.log()[-4000:]}")
        time.sleep(0.3)


def waiting_opinion_ids() -> set[int]:
    """The opinions whose change waits in the search outbox."""
    from sqlalchemy import select

    from participation.extensions import db
    from search.models import ENTITY_OPINION, SearchOutboxEntry

    db.session.rollback()
    ids = set(db.session.scalars(select(SearchOutboxEntry.entity_id)
                                 .where(SearchOutboxEntry.entity == ENTITY_OPINION)))
    db.session.rollback()
    return ids


def wait_until_indexed(server: Server, index_path: Path, *, timeout: float = 60.0) -> None:
    """Until the server's indexer has built the index and emptied the outbox (the
    draft's clauses of a fresh instance)."""
    from search.backend import IndexStore

    deadline = time.monotonic() + timeout
    while IndexStore(index_path).current_name() is None or outbox_count():
        if time.monotonic() > deadline:
            raise AssertionError("the indexer never caught up\n" + server.log()[-4000:])
        time.sleep(0.2)


def submit_concurrently(server: Server, draft_id: int, tokens: list[str], per_client: int, text: str,
                        *, allowed=(201,)) -> list[tuple[int, dict, dict | None]]:
    """Each token submits ``per_client`` opinions in its own thread, all at once;
    every answer (status, headers, body). ``text`` is formatted with the client ``c``
    and the number ``n``."""
    answers: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(tokens))

    def client(c: int, token: str) -> None:
        try:
            barrier.wait()
            for n in range(per_client):
                answers.append(server.request("POST", submission_path(draft_id), headers=bearer(token),
                                              body={"body": text.format(c=c, n=n), "stance": "amend",
                                                    "provision": "art.1"}))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(c, token)) for c, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(status in allowed for status, _h, _b in answers), [(s, b) for s, _h, b in answers if s not in allowed]
    return answers

"""``kill -9`` of gunicorn workers during a burst of opinion submissions through the API.

Concurrent clients submit opinions, each with an ``Idempotency-Key`` of its own, and
retry with the same key when the connection breaks (as the API documentation tells
clients to). Meanwhile workers are killed outright, one at a time, and gunicorn
respawns them. A worker may die before its INSERT, between the COMMIT and the answer,
or in its search indexer thread. Afterwards:

* every request got a 2xx in the end (201, or 200 for a retry whose first attempt was
  stored) and never a 5xx;
* every 2xx receipt is stored exactly once, every key stored once, nothing else stored;
* the search index catches up: every stored opinion is searchable.

tests/batches/test_kill.py does the same for liaison batches.
"""
from __future__ import annotations

import http.client
import os
import random
import signal
import threading
import time
import uuid

import pytest

from tests.live_opinions import (
    Server,
    bearer,
    seed,
    stored_opinions,
    submission_path,
    wait_until_indexed,
    wait_until_searchable,
)

pytestmark = pytest.mark.slow

CLIENTS, PER_CLIENT = 4, 25
PACE = 0.08  # a client waits up to this long between submissions: the burst lasts seconds
MAX_KILLS = 6
QUERY = "垃圾分类"


def _submit_with_retries(server, path: str, token: str, body: dict, key: str, deadline: float) -> dict:
    """POST until an answer comes back, retrying broken connections with the same key;
    the answer and how many attempts it took."""
    attempts = 0
    while True:
        attempts += 1
        try:
            status, _headers, answer = server.request("POST", path, body=body, timeout=30,
                                                      headers={**bearer(token), "Idempotency-Key": key})
            return {"key": key, "status": status, "body": answer, "attempts": attempts}
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1 * attempts)


def test_workers_killed_during_a_burst_of_submissions(app, database_url, tmp_path, make_draft, make_user):
    seeded = seed(make_draft, make_user, submitters=CLIENTS)
    path = submission_path(seeded["draft"])
    results: list[dict] = []
    failures: list[BaseException] = []
    kills: list[int] = []
    rng = random.Random(13)

    with Server(database_url, app.instance_path, tmp_path / "gunicorn.log",
                  env={"SEARCH_STANDBY_SECONDS": "0.5"}) as server:
        wait_until_indexed(server, app.config["SEARCH_INDEX_PATH"])
        deadline = time.monotonic() + 60

        def client(c: int) -> None:
            pace = random.Random(c)
            try:
                for n in range(PER_CLIENT):
                    time.sleep(pace.uniform(0, PACE))
                    body = {"body": f"垃圾分类意见：第{c}组第{n}条，建议增设回收点。", "stance": "amend",
                            "provision": "art.2"}
                    results.append(_submit_with_retries(server, path, seeded["tokens"][c], body,
                                                        f"kill-{c}-{n}-{uuid.uuid4().hex}", deadline))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for thread in threads:
            thread.start()
        # Kill a worker every 0.4 s while the clients run (whichever is alive: a
        # respawned one too, perhaps while it loads the app).
        while any(thread.is_alive() for thread in threads) and len(kills) < MAX_KILLS:
            time.sleep(0.1 if not kills else 0.4)
            workers = server.worker_pids()
            if not workers:
                continue
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                kills.append(victim)
            except ProcessLookupError:
                pass
        for thread in threads:
            thread.join(timeout=90)
        assert not failures, (failures, server.log())
        assert kills, "no worker was killed while the clients ran"
        print(f"{len(kills)} kills, {sum(r['attempts'] > 1 for r in results)} retried, "
              f"{sum(r['status'] == 200 for r in results)} answered 200")

        assert len(results) == CLIENTS * PER_CLIENT
        assert all(result["status"] in (200, 201) for result in results), \
            [result for result in results if result["status"] not in (200, 201)]
        stored = stored_opinions()
        by_receipt = {}
        for opinion_id, receipt, _body, _token in stored:
            by_receipt.setdefault(receipt, []).append(opinion_id)
        for result in results:  # each 2xx receipt stored exactly once, under the id answered
            assert by_receipt.get(result["body"]["receipt"]) == [result["body"]["id"]], result
        assert len(stored) == len(results)  # nothing stored twice, nothing else stored
        tokens = [token for *_rest, token in stored]
        assert len(set(tokens)) == len(tokens)
        assert {token.rsplit(":", 1)[1] for token in tokens} == {result["key"] for result in results}
        assert len({body for _id, _receipt, body, _token in stored}) == len(stored)

        # The indexer threads died with their workers too: the index catches up anyway.
        wait_until_searchable(server, QUERY, seeded["staff"], {row[0] for row in stored})

"""Where a submission's CPU goes, measured in one process without a server.

``bench_submit.py`` measures throughput through gunicorn, where wrk, two workers and (for
PostgreSQL) the database server share two CPUs and every figure moves with the load.
This script calls the WSGI application directly, one request after another, and takes
CPU time (``time.process_time``) per request, best of five rounds:

* ``GET /healthz`` (the benchmark's ceiling) and ``POST /api/v1/drafts/<id>/comments``
  (a bearer token, a clause, the same JSON body as the load test);
* with rate limiting on (as deployed) and off, which shows what Flask-Limiter costs;
* ``--profile``: the share of each package in a submission's CPU (cProfile, CPU clock),
  to see what is left to cut, and the number of Python function calls per submission
  (the same on every run, where times vary by a fifth on a shared machine).

    .venv/bin/python bench/bench_submit_cost.py [--requests 3000] [--backend sqlite|postgresql] [--profile]
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_submit import KEYS, seed  # noqa: E402
from bench.opinion_data import DEFAULT_PG_URL, bench_config, scratch_database  # noqa: E402

ROUNDS = 5


def _environ(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> dict:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
    }
    if body:
        environ.update({"CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"})
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class Client:
    """Calls the WSGI app the way a server does, checking every status."""

    def __init__(self, app, draft_id: int, secrets: list[str]):
        self.app, self.draft_id, self.secrets, self.counter = app, draft_id, secrets, 0

    def _call(self, environ: dict, expected: tuple[str, ...]) -> None:
        statuses = []
        body = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        if not statuses[0].startswith(expected):
            raise SystemExit(f"unexpected answer {statuses[0]} to {environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    def healthz(self) -> dict:
        return _environ("GET", "/healthz")

    def submission(self) -> dict:
        self.counter += 1
        body = json.dumps({
            "provision": KEYS[self.counter % len(KEYS)], "stance": "amend",
            "body": f"建议明确第{self.counter}项的办理时限。", "reason": "便于监督。",
            "submitter": {"category": "citizen", "region": "东城区"},
        }).encode()
        return _environ("POST", f"/api/v1/drafts/{self.draft_id}/comments", body,
                        {"Authorization": "Bearer " + self.secrets[self.counter % len(self.secrets)]})

    def cpu_ms(self, make, requests: int) -> float:
        """CPU milliseconds per request, best of ROUNDS rounds (environs built outside
        the timed loop)."""
        expected = ("201",) if make == self.submission else ("200",)
        best = float("inf")
        for _round in range(ROUNDS):
            environs = [make() for _ in range(requests)]
            started = time.process_time()
            for environ in environs:
                self._call(environ, expected)
            best = min(best, (time.process_time() - started) * 1000 / requests)
        return best

    def profile(self, requests: int) -> tuple[list[tuple[str, float]], float]:
        environs = [self.submission() for _ in range(requests)]
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for environ in environs:
            self._call(environ, ("201",))
        profiler.disable()
        shares: collections.Counter = collections.Counter()
        for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profiler).stats.items():
            if "site-packages/" in filename:
                group = filename.split("site-packages/")[1].split("/")[0]
            elif "/participation/" in filename or "/search/" in filename:
                group = "this project"
            elif filename == "~":
                group = "C functions (" + ("sqlite3/psycopg" if "sqlite3" in function or "psycopg" in function
                                           else "builtins") + ")"
            else:
                group = "standard library"
            shares[group] += own
        total = sum(shares.values())
        # Unlike times, the number of Python function calls is the same on every run,
        # however busy the machine: a steady measure of the work done per request.
        calls = pstats.Stats(profiler).total_calls / requests
        return [(group, 100 * seconds / total) for group, seconds in shares.most_common(12)], calls


def measure(kind: str, args) -> None:
    from app import create_app

    with scratch_database(kind, args.pg_url) as (url, instance):
        draft_id, secrets = seed(url, instance)  # migrates, then an open draft and 50 tokens
        figures = {}
        for limited in (True, False):
            config = bench_config(url, instance)
            config.update({
                "RATELIMIT_ENABLED": limited, "API_RATE_LIMIT": "10000000 per minute",
                "OPINION_API_RATE_LIMIT": "10000000 per minute",
                # As bench_submit.py serves it: outbox rows written, indexing elsewhere.
                "SEARCH_ENABLED": True, "SEARCH_INDEXER": "external",
            })
            app = create_app(config)
            client = Client(app, draft_id, secrets)
            for _ in range(300):  # warm-up: connections, compiled statements, caches
                client._call(client.submission(), ("201",))
                client._call(client.healthz(), ("200",))
            # The first request starts loading jieba's dictionary in a thread (CPU time
            # of this process): let it finish before measuring.
            for thread in threading.enumerate():
                if thread.name == "jieba-warm":
                    thread.join()
            figures[limited] = (client.cpu_ms(client.healthz, args.requests),
                                client.cpu_ms(client.submission, args.requests))
            if limited and args.profile:
                profile = client.profile(args.requests)
            with app.app_context():
                from participation.extensions import db

                db.engine.dispose()
    for limited, (healthz, submission) in figures.items():
        print(f"{kind}, rate limits {'on ' if limited else 'off'}: GET /healthz {healthz:.3f} ms, "
              f"POST comments {submission:.3f} ms of CPU per request (ratio {healthz / submission:.2f})")
    print(f"  Flask-Limiter: {figures[True][0] - figures[False][0]:.3f} ms per healthz (exempt), "
          f"{figures[True][1] - figures[False][1]:.3f} ms per submission")
    if args.profile:
        shares, calls = profile
        print(f"  a submission's CPU by package (cProfile; the profiler inflates Python code more than C;"
              f" {calls:,.0f} Python function calls per submission):")
        for group, share in shares:
            print(f"    {share:5.1f} %  {group}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per round")
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"one process, no server; CPU time per request, best of {ROUNDS} rounds of {args.requests}")
    for kind in args.backend.split(","):
        measure(kind, args)


if __name__ == "__main__":
    main()

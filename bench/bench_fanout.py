"""Notification fan-out: a draft with 100,000 followers publishes its feedback.

In a fresh database (SQLite and PostgreSQL): a small closed draft, 100,000 confirmed
followers — 80,000 accounts (verified addresses) and 20,000 email-only addresses —
inserted with Core INSERTs. Then, through the Flask test client signed in as staff,
``POST /staff/drafts/<id>/feedback/publish`` (the request only enqueues the fan-out:
goal under 1 s); then the ``notifications.fanout`` job run in-process
(``jobs.run_pending``: 80,000 inbox rows, 100,000 ``EmailDelivery`` rows, 500
``mail.deliver`` jobs); then ``--deliver-jobs`` of those delivery jobs (200 messages
each) against a real SMTP server on localhost (aiosmtpd, accepting and discarding).

    .venv/bin/python bench/bench_fanout.py [--followers 100000] [--email-only 20000] [--deliver-jobs 5]
        [--backends sqlite,postgresql] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import DEFAULT_PG_URL, analyze, bench_config, make_draft, scratch_database  # noqa: E402

PASSWORD = "bench-passphrase-2026"


class _Discard:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _insert_followers(draft_id: int, accounts: int, email_only: int, now) -> None:
    from sqlalchemy import insert, select

    from participation.extensions import db
    from participation.models import Follow, User

    chunk = 5000
    for start in range(0, accounts, chunk):
        db.session.execute(insert(User), [
            {"email": f"follower{n}@example.org", "password_hash": "x", "session_nonce": f"n{n}", "role": "citizen",
             "display_name": f"关注者{n}", "email_verified_at": now, "created_at": now}
            for n in range(start, min(start + chunk, accounts))])
    user_ids = db.session.scalars(select(User.id).where(User.email.like("follower%")).order_by(User.id)).all()
    rows = [{"draft_id": draft_id, "user_id": user_id, "confirmed_at": now, "created_at": now} for user_id in user_ids]
    rows += [{"draft_id": draft_id, "email": f"visitor{n}@example.net", "confirmed_at": now, "created_at": now}
             for n in range(email_only)]
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(Follow), rows[start:start + chunk])
    db.session.commit()


def run(kind: str, args) -> dict:
    from aiosmtpd.controller import Controller
    from sqlalchemy import func, select

    from app import create_app
    from participation import clock, jobs
    from participation.extensions import db
    from participation.models import EmailDelivery, Job, Notification, Role
    from participation.services import accounts

    handler = _Discard()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scratch_database(kind, args.database_url) as (url, instance):
            app = create_app(bench_config(url, instance, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                                          WTF_CSRF_ENABLED=False, SITE_URL="http://lpp.example"))
            with app.app_context():
                now = clock.now()
                draft = make_draft(20, now=now - timedelta(days=40), days=30)
                staff = accounts.create_user(email="bench-staff@example.org", password=PASSWORD, role=Role.STAFF,
                                             display_name="工作人员")
                db.session.commit()
                started = time.perf_counter()
                _insert_followers(draft.id, args.followers - args.email_only, args.email_only, now)
                load_seconds = time.perf_counter() - started
                draft_id = draft.id
                db.session.remove()
            analyze(url)

            client = app.test_client()
            response = client.post("/login", data={"email": "bench-staff@example.org", "password": PASSWORD})
            assert response.status_code == 302, response.status_code
            started = time.perf_counter()
            response = client.post(f"/staff/drafts/{draft_id}/feedback/publish", data={})
            request_seconds = time.perf_counter() - started
            assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]

            with app.app_context():
                huey = jobs.queue_of(app)
                started = time.perf_counter()
                message = huey.dequeue()  # the fan-out, the only message so far
                huey.execute(message)
                fanout_seconds = time.perf_counter() - started
                inbox = db.session.scalar(select(func.count()).select_from(Notification))
                deliveries = db.session.scalar(select(func.count()).select_from(EmailDelivery))
                deliver_jobs = db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "mail.deliver"))
                fanout = db.session.scalar(select(Job).where(Job.kind == "notifications.fanout"))
                assert fanout.state == "done", fanout.error
                db.session.remove()
                started = time.perf_counter()
                ran = jobs.run_pending(app, limit=args.deliver_jobs)
                deliver_seconds = time.perf_counter() - started
                sent = db.session.scalar(select(func.count()).select_from(EmailDelivery).where(
                    EmailDelivery.state == "sent"))
                db.session.remove()
                db.engine.dispose()
    finally:
        controller.stop()
    return {"backend": kind, "load_s": load_seconds, "request_s": request_seconds, "fanout_s": fanout_seconds,
            "inbox": inbox, "deliveries": deliveries, "deliver_jobs": deliver_jobs, "ran": ran, "sent": sent,
            "received": handler.count, "deliver_s": deliver_seconds, "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--email-only", type=int, default=20_000)
    parser.add_argument("--deliver-jobs", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the scratch database")
    args = parser.parse_args()
    print(f"feedback published on a draft with {args.followers:,} followers ({args.email_only:,} email-only)")
    for kind in args.backends.split(","):
        r = run(kind.strip(), args)
        per_message = r["deliver_s"] / r["sent"] * 1000 if r["sent"] else float("nan")
        print(f"{r['backend']}: publish request {r['request_s']:.3f} s; fan-out job {r['fanout_s']:.1f} s "
              f"({r['inbox']:,} inbox rows, {r['deliveries']:,} deliveries, {r['deliver_jobs']} delivery jobs); "
              f"{r['ran']} delivery jobs {r['deliver_s']:.1f} s for {r['sent']:,} messages "
              f"({per_message:.1f} ms each, {r['received']:,} received by SMTP)   "
              f"(followers load {r['load_s']:.1f} s; load average {r['load']:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

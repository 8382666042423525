"""Soak test: the platform served by gunicorn under load for minutes (``make soak``).

Not part of CI or ``make test``: it takes minutes and loads the whole machine.

Against a fresh scratch instance — an INSTANCE_PATH of its own in a temporary folder,
the embedded SQLite there by default, or a scratch database created (and dropped
afterwards) on the PostgreSQL server of ``--database-url`` / ``DATABASE_URL`` — with
the demo loaded (``flask --app app demo load``), 20 citizen API tokens, gunicorn with 2
workers (gthread, ``--threads`` each, ``--max-requests 0`` so that no worker is recycled
and a leak cannot hide) and the search indexer running as a thread of each worker
(``SEARCH_INDEXER=thread``, as ``make run``). Rate limits are off for the run
(``RATELIMIT_ENABLED=0``): the load comes from one address and a few tokens, and would
otherwise be refused with 429 by design.

Three phases, each a check:

a. connections: ``--connections`` (200) keep-alive connections, each a client sending
   requests one after another, opened evenly over ``--ramp`` (5 s) and held
   ``--hold`` (30 s): no request waits over ``--max-latency`` (10 s), no 5xx, no
   failed connection;
b. mixed load for ``--minutes`` (10) from ``--clients`` (8) clients: 90 % reads (home,
   draft pages, clause pages, the tally page and API, opinion listings), 9 % searches
   (page and API), 1 % writes (API opinion submissions with an Idempotency-Key). At the
   end: every stored opinion is in the index (the DB's ids equal the index's) and a
   sample of the written ones is found by the search API; every 2xx receipt is stored
   exactly once; each worker's RSS grew less than 20 % from after the warm-up to the
   end; its open file descriptors (``/proc/<pid>/fd``, sockets counted apart) did not
   grow;
c. ``kill -HUP`` of the master (twice) under load from ``--clients`` clients: gunicorn
   replaces its workers gracefully, and no request fails.

A request that fails on a reused keep-alive connection before any byte of the answer
came back is sent again once on a new connection (as browsers and HTTP libraries do
for a connection the server closed while idle); those are counted apart
("reconnects"), and any other failure is an error.

Prints requests/s, latencies (p50/p95/p99/max) per phase and kind, errors, the
workers' RSS and descriptors at the start and end of phase b, and the search backlog;
exits 1 when a check fails.

    .venv/bin/python bench/soak.py [--minutes 10] [--database-url postgresql+psycopg://…]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

VENV_BIN = Path(sys.executable).parent
SUBMITTERS = 20
SEARCH_WORDS = ["养老", "服务", "老年人", "社区", "电动自行车", "充电", "头盔", "停放", "管理", "居家", "补贴",
                "意见", "第十二条", "消防", "家庭医生", "助餐", "护理", "安全", "登记", "责任"]
RSS_GROWTH_LIMIT = 0.20


# --- the load generator ----------------------------------------------------------------------

class Client:
    """One keep-alive connection, its requests one after another."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None
        self.used = False

    def _connect(self) -> None:
        self.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.used = False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, bool]:
        """(status, body, reconnected); raises on a failure that is not a closed idle
        keep-alive connection."""
        reconnected = False
        for attempt in (1, 2):
            if self.connection is None:
                self._connect()
            reused = self.used
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
                self.used = True
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data, reconnected
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not reused or attempt == 2:
                    raise
                reconnected = True
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")


@dataclass
class Sample:
    phase: str
    kind: str
    status: int  # 0: the request failed (no answer)
    seconds: float
    reconnected: bool = False
    error: str = ""
    started: float = 0.0  # time.monotonic()


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    writes: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase_started: dict[str, float] = field(default_factory=dict)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


@dataclass
class Site:
    port: int
    reads: list[str]
    draft_id: int  # open for comments
    clause_keys: list[str]
    tokens: list[str]
    staff: str
    written: int = 0
    written_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_code(self) -> str:
        with self.written_lock:
            self.written += 1
            return f"SK{self.written:06d}{uuid.uuid4().hex[:4].upper()}"


def _one_request(client: Client, site: Site, recorder: Recorder, phase: str, rng: random.Random) -> None:
    roll = rng.random()
    headers: dict = {}
    body = None
    if roll < 0.90:
        kind, method, path = "read", "GET", rng.choice(site.reads)
    elif roll < 0.99:
        kind, method = "search", "GET"
        words = rng.choice(SEARCH_WORDS) if rng.random() < 0.8 else " ".join(rng.sample(SEARCH_WORDS, 2))
        query = urllib.parse.quote(words)
        path = f"/search?q={query}" if rng.random() < 0.5 else f"/api/v1/search?q={query}"
    else:
        kind, method = "write", "POST"
        code = site.next_code()
        key = rng.choice(site.clause_keys + [None])
        payload = {"body": f"压测意见 {code}：建议明确办理时限，并公开办理结果。", "stance": "amend",
                   "provision": key, "reason": "便于监督。"}
        body = json.dumps(payload, ensure_ascii=False).encode()
        idempotency_key = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {rng.choice(site.tokens)}", "Content-Type": "application/json",
                   "Idempotency-Key": idempotency_key}
        path = f"/api/v1/drafts/{site.draft_id}/comments"
    started = time.monotonic()
    try:
        status, data, reconnected = client.request(method, path, body=body, headers=headers)
    except Exception as exc:  # noqa: BLE001 - recorded as a failed request
        recorder.add(Sample(phase, kind, 0, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}",
                            started=started))
        time.sleep(0.05)
        return
    elapsed = time.monotonic() - started
    recorder.add(Sample(phase, kind, status, elapsed, reconnected, started=started))
    if kind == "write" and 200 <= status < 300:
        answer = json.loads(data)
        with recorder.lock:
            recorder.writes.append({"code": code, "id": answer["id"], "receipt": answer["receipt"],
                                    "status": status})


def run_clients(site: Site, recorder: Recorder, phase: str, *, clients: int, duration: float,
                ramp: float = 0.0, seed: int = 1, during=None) -> float:
    """``clients`` threads, each a keep-alive connection sending the mix back to back,
    started evenly over ``ramp`` seconds and all stopped ``duration`` seconds after the
    last one started. ``during(elapsed)`` is called about every 0.2 s from this thread.
    Returns the wall time of the phase."""
    stop = threading.Event()
    started_at = recorder.phase_started[phase] = time.monotonic()

    def loop(n: int) -> None:
        rng = random.Random(seed * 100_003 + n)
        client = Client(site.port)
        time.sleep(ramp * n / max(clients, 1))
        try:
            while not stop.is_set():
                _one_request(client, site, recorder, phase, rng)
        finally:
            client.close()

    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    end = started_at + ramp + duration
    while time.monotonic() < end:
        if during is not None:
            during(time.monotonic() - started_at)
        time.sleep(min(0.2, max(end - time.monotonic(), 0)))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return time.monotonic() - started_at


# --- figures ----------------------------------------------------------------------------------

def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(int(round(share * (len(sorted_values) - 1))), len(sorted_values) - 1)
    return sorted_values[index]


def summarise(recorder: Recorder, phase: str, wall: float) -> dict:
    samples = [s for s in recorder.samples if s.phase == phase]
    print(f"\n== phase {phase}: {len(samples)} requests in {wall:.1f} s = {len(samples) / wall:.1f} req/s")
    print(f"   {'kind':8}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'5xx':>6}"
          f"{'failed':>8}{'other':>7}")
    for kind in ("all", "read", "search", "write"):
        chosen = [s for s in samples if kind == "all" or s.kind == kind]
        if not chosen:
            continue
        times = sorted(s.seconds for s in chosen)
        fives = sum(s.status >= 500 for s in chosen)
        failed = sum(s.status == 0 for s in chosen)
        other = sum(s.status not in (0, 200, 201) and s.status < 500 for s in chosen)
        print(f"   {kind:8}{len(chosen):8d}{percentile(times, .5) * 1000:10.1f}{percentile(times, .95) * 1000:10.1f}"
              f"{percentile(times, .99) * 1000:10.1f}{times[-1] * 1000:10.1f}{fives:6d}{failed:8d}{other:7d}")
    statuses: dict[int, int] = {}
    for s in samples:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    reconnects = sum(s.reconnected for s in samples)
    print(f"   statuses {dict(sorted(statuses.items()))}; keep-alive reconnects {reconnects}")
    errors: dict[str, int] = {}
    for s in samples:
        if s.error:
            errors[s.error[:160]] = errors.get(s.error[:160], 0) + 1
    for error, count in sorted(errors.items(), key=lambda item: -item[1])[:5]:
        print(f"   failed ×{count}: {error}")
    slowest = sorted(samples, key=lambda s: -s.seconds)[:5]
    origin = recorder.phase_started[phase]
    print("   slowest: " + ", ".join(f"{s.kind} sent at +{s.started - origin:.1f} s took {s.seconds:.2f} s"
                                     for s in slowest))
    return {
        "count": len(samples),
        "five_xx": sum(s.status >= 500 for s in samples),
        "failed": sum(s.status == 0 for s in samples),
        "unexpected": sum(s.status not in (0, 200, 201) and s.status < 500 for s in samples),
        "max": max((s.seconds for s in samples), default=0.0),
    }


def worker_stats(pid: int) -> dict:
    rss_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kib = int(line.split()[1])
    targets = []
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(os.readlink(entry))
        except OSError:
            pass
    sockets = sum(target.startswith("socket:") for target in targets)
    # Index segment files: each request thread keeps a searcher on the live generation
    # (search/backend/whoosh/reading.py), so their number follows the segments and
    # merges, bounded by threads × segments; every other descriptor should not move at all.
    index = [t for t in targets if "/search/index-" in t]
    return {"rss_mib": rss_kib / 1024, "fds": len(targets), "sockets": sockets, "index": len(index),
            "deleted": sum(t.endswith("(deleted)") for t in index),
            "files": len(targets) - sockets - len(index),
            "paths": sorted(t for t in targets if not t.startswith(("socket:", "pipe:", "anon_inode:"))
                            and "/search/index-" not in t)}


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return sorted(found)


# --- the instance -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_database(database_url: str | None, instance: Path):
    """The SQLite file in the instance, or a new database on the PostgreSQL server of
    ``database_url`` (dropped afterwards: the database the URL names is never used)."""
    if not database_url:
        yield f"sqlite:///{instance / 'participation.sqlite3'}", "SQLite (embedded, WAL)"
        return
    from bench.opinion_data import empty_postgres_database
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    with empty_postgres_database(database_url) as url:
        yield url, f"PostgreSQL {version} (scratch database)"


def flask(env: dict, *args: str, check: bool = True) -> str:
    result = subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def seed_tokens(env: dict) -> tuple[list[str], str]:
    """Citizen tokens to submit with and a staff token to search with."""
    script = """
import json
from app import create_app
from participation.extensions import db
from participation.models import Role
from participation.services import accounts
app = create_app()
with app.app_context():
    tokens = []
    for n in range(%d):
        user = accounts.create_user(email=f"soak{n}@example.org", password="soak password 1",
                                    role=Role.CITIZEN, display_name=f"压测{n}")
        tokens.append(accounts.issue_api_token(user, name="soak")[1])
    staff = accounts.create_user(email="soak-staff@example.org", password="soak password 1",
                                 role=Role.STAFF, display_name="压测工作人员")
    staff_token = accounts.issue_api_token(staff, name="soak")[1]
    db.session.commit()
    print(json.dumps({"tokens": tokens, "staff": staff_token}))
""" % SUBMITTERS
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError("seeding failed:\n" + result.stderr)
    seeded = json.loads(result.stdout.strip().splitlines()[-1])
    return seeded["tokens"], seeded["staff"]


def database_facts(database_url: str, instance: Path) -> dict:
    """Drafts, their article keys, every opinion's id and receipt (read in a child
    process: this one loads no app)."""
    script = """
import json
from sqlalchemy import create_engine, text
engine = create_engine(%r)
with engine.connect() as c:
    drafts = [row[0] for row in c.execute(text("SELECT id FROM drafts ORDER BY id"))]
    keys = {}
    for draft in drafts:
        version = c.execute(text("SELECT max(id) FROM draft_versions WHERE draft_id = :d"), {"d": draft}).scalar()
        keys[draft] = [row[0] for row in c.execute(text(
            "SELECT key FROM provisions WHERE version_id = :v ORDER BY position"), {"v": version})]
    opinions = [list(row) for row in c.execute(text("SELECT id, receipt_code FROM opinions ORDER BY id"))]
    outbox = c.execute(text("SELECT count(*) FROM search_outbox")).scalar()
print(json.dumps({"drafts": drafts, "keys": keys, "opinions": opinions, "outbox": outbox}))
""" % database_url
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError("reading the database failed:\n" + result.stderr)
    return json.loads(result.stdout)


def index_opinion_ids(index_path: Path) -> set[int]:
    """Every opinion document in the live index generation (read in a child process)."""
    script = """
import json, sys
from search.backend import IndexStore
opened = IndexStore(sys.argv[1]).open()
with opened.index.reader() as reader:
    column = reader.column_reader("doc_id")
    ids = []
    for docnum in reader.all_doc_ids():
        doc_id = column[docnum]
        doc_id = doc_id.decode() if isinstance(doc_id, bytes) else doc_id
        if doc_id.startswith("opinion:"):
            ids.append(int(doc_id.split(":", 1)[1]))
print(json.dumps(ids))
"""
    result = subprocess.run([sys.executable, "-c", script, str(index_path)], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError("reading the index failed:\n" + result.stderr)
    return set(json.loads(result.stdout))


class Server:
    def __init__(self, env: dict, *, workers: int, threads: int, log_path: Path):
        self.port = free_port()
        self.workers_count = workers
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.master = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--max-requests", "0", "--timeout", "60", "--graceful-timeout", "30",
             "--no-control-socket", "app:app"],
            cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def workers(self) -> list[int]:
        return children(self.master.pid)

    def wait_until_serving(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.master.poll() is not None:
                raise RuntimeError("gunicorn exited; see " + str(self.log_path))
            if len(self.workers()) >= self.workers_count:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn is not serving; see " + str(self.log_path))
            time.sleep(0.3)

    def stop(self) -> None:
        if self.master.poll() is None:
            self.master.terminate()
            try:
                self.master.wait(timeout=40)
            except subprocess.TimeoutExpired:
                for pid in self.workers():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.master.kill()
                self.master.wait(timeout=10)
        self._log.close()


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    client = Client(port, timeout=60)
    try:
        status, data, _ = client.request("GET", path, headers=headers)
        return status, data
    finally:
        client.close()


def wait_for_backlog(database_url: str, instance: Path, timeout: float) -> tuple[int, float]:
    """Until the search outbox is empty; (rows left, seconds waited)."""
    started = time.monotonic()
    while True:
        outbox = database_facts(database_url, instance)["outbox"]
        waited = time.monotonic() - started
        if outbox == 0 or waited > timeout:
            return outbox, waited
        time.sleep(1)


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return (f"nproc {os.cpu_count()}, {model}, {memory} RAM, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.2f} at start")


# --- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the mixed load (phase b)")
    parser.add_argument("--connections", type=int, default=200, help="connections of phase a")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds to open them")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds to hold them")
    parser.add_argument("--max-latency", type=float, default=10.0, help="longest acceptable wait in phase a (s)")
    parser.add_argument("--clients", type=int, default=8, help="clients of phases b and c")
    parser.add_argument("--warm-up", type=float, default=None,
                        help="seconds of phase b before the first RSS/fd reading (default: 10%% of it, 20–60 s)")
    parser.add_argument("--hup-seconds", type=float, default=30.0, help="length of phase c (two HUPs in it)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="a PostgreSQL server URL: the soak runs in a scratch database created there "
                             "(default: $DATABASE_URL; none: SQLite in the scratch instance)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch instance folder")
    args = parser.parse_args()
    mixed_seconds = args.minutes * 60
    warm_up = args.warm_up if args.warm_up is not None else min(max(mixed_seconds * 0.1, 20.0), 60.0)

    tmp = Path(tempfile.mkdtemp(prefix="lpp-soak-"))
    instance = tmp / "instance"
    instance.mkdir()
    failures: list[str] = []
    server = None
    try:
        with scratch_database(args.database_url, instance) as (database_url, database_label):
            print(f"machine: {machine()}")
            print(f"database: {database_label}; instance {instance}")
            env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
            env.update({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "soak",
                        "RATELIMIT_ENABLED": "0", "SEARCH_INDEXER": "thread", "PYTHONPATH": str(PROJECT_ROOT),
                        "PUBLIC_URL": "http://127.0.0.1/"})
            flask(env, "db", "upgrade")
            flask(env, "demo", "load")
            tokens, staff = seed_tokens(env)
            server = Server(env, workers=args.workers, threads=args.threads, log_path=tmp / "gunicorn.log")
            server.wait_until_serving()
            print(f"gunicorn: {args.workers} workers × {args.threads} threads (gthread), indexer thread, "
                  f"RATELIMIT_ENABLED=0, port {server.port}, log {tmp / 'gunicorn.log'}")
            left, waited = wait_for_backlog(database_url, instance, 120)
            print(f"initial index built in {waited:.1f} s (outbox {left})")

            facts = database_facts(database_url, instance)
            reads = ["/", "/drafts"]
            open_draft, clause_keys = None, []
            for draft in facts["drafts"]:
                if get(server.port, f"/drafts/{draft}")[0] != 200:
                    continue
                articles = [key for key in facts["keys"][str(draft)] if re.fullmatch(r"art\.\d+", key)]
                candidates = [f"/drafts/{draft}", f"/drafts/{draft}/tally", f"/api/v1/drafts/{draft}/tally",
                              f"/drafts/{draft}/opinions"]
                for key in articles[:12]:
                    candidates += [f"/drafts/{draft}/provisions/{key}",
                                   f"/drafts/{draft}/provisions/{key}/opinions",
                                   f"/api/v1/drafts/{draft}/provisions/{key}/opinions"]
                reads += [path for path in candidates if get(server.port, path)[0] == 200]
                status, data = get(server.port, f"/api/v1/drafts/{draft}")
                if open_draft is None and status == 200 and json.loads(data).get("status") == "open":
                    open_draft, clause_keys = draft, articles
            if open_draft is None:
                raise RuntimeError("the demo has no draft open for comments")
            print(f"{len(reads)} read URLs over drafts {facts['drafts']}; writes to draft {open_draft}")
            site = Site(server.port, reads, open_draft, clause_keys, tokens, staff)
            recorder = Recorder()

            # a. connections
            wall = run_clients(site, recorder, "a", clients=args.connections, duration=args.hold, ramp=args.ramp)
            result = summarise(recorder, "a", wall)
            if result["five_xx"] or result["failed"]:
                failures.append(f"a: {result['five_xx']} 5xx, {result['failed']} failed requests")
            if result["max"] > args.max_latency:
                failures.append(f"a: a request waited {result['max']:.1f} s (limit {args.max_latency:.0f} s)")
            if result["unexpected"]:
                failures.append(f"a: {result['unexpected']} unexpected 4xx answers")

            # b. mixed load
            readings: dict[str, dict] = {}

            def read_workers(label: str) -> None:
                readings[label] = {pid: worker_stats(pid) for pid in server.workers()}

            index_samples: dict[int, list[tuple[float, int]]] = {}

            def during_b(elapsed: float) -> None:
                if "warm" not in readings and elapsed >= warm_up:
                    read_workers("warm")
                if elapsed >= warm_up and elapsed >= getattr(during_b, "next", 0):
                    during_b.next = elapsed + 15
                    for pid in server.workers():
                        try:
                            index_samples.setdefault(pid, []).append((elapsed, worker_stats(pid)["index"]))
                        except OSError:
                            pass

            wall = run_clients(site, recorder, "b", clients=args.clients, duration=mixed_seconds, seed=2,
                               during=during_b)
            read_workers("end")
            result = summarise(recorder, "b", wall)
            if result["five_xx"] or result["failed"] or result["unexpected"]:
                failures.append(f"b: {result['five_xx']} 5xx, {result['failed']} failed, "
                                f"{result['unexpected']} unexpected answers")
            print(f"   workers after {warm_up:.0f} s of warm-up → at the end:")
            for pid in sorted(set(readings.get("warm", {})) | set(readings["end"])):
                warm, end = readings.get("warm", {}).get(pid), readings["end"].get(pid)
                if warm is None or end is None:
                    failures.append(f"b: worker {pid} was not there at both readings (restarted?)")
                    continue
                growth = end["rss_mib"] / warm["rss_mib"] - 1
                samples = [count for _t, count in index_samples.get(pid, [])]
                print(f"   worker {pid}: RSS {warm['rss_mib']:.1f} → {end['rss_mib']:.1f} MiB ({growth:+.1%}); "
                      f"fds {warm['fds']} → {end['fds']}: other files {warm['files']} → {end['files']}, "
                      f"sockets {warm['sockets']} → {end['sockets']}, index segment files {warm['index']} → "
                      f"{end['index']} ({end['deleted']} of them deleted; every 15 s: min {min(samples, default=0)}, "
                      f"max {max(samples, default=0)})")
                if growth >= RSS_GROWTH_LIMIT:
                    failures.append(f"b: worker {pid} RSS grew {growth:.1%}")
                if end["files"] > warm["files"] + 2:
                    added = sorted(set(end["paths"]) - set(warm["paths"]))
                    failures.append(f"b: worker {pid} open files {warm['files']} → {end['files']}: {added[:10]}")
                if end["sockets"] > warm["sockets"] + args.clients:
                    failures.append(f"b: worker {pid} sockets {warm['sockets']} → {end['sockets']}")
                # Segment files follow the merges: a leak is a climb past what the
                # first half of the run reached, by more than a few per thread.
                first_half = [count for t, count in index_samples.get(pid, []) if t <= warm_up + mixed_seconds / 2]
                ceiling = max(first_half + [warm["index"]]) + 4 * args.threads
                if end["index"] > ceiling:
                    failures.append(f"b: worker {pid} index segment files climbed to {end['index']} "
                                    f"(first half at most {ceiling - 4 * args.threads})")

            # c. HUP under load
            old_workers = server.workers()
            hups: list[float] = []

            def during_c(elapsed: float) -> None:
                due = (args.hup_seconds * 0.2, args.hup_seconds * 0.55)
                if len(hups) < len(due) and elapsed >= due[len(hups)]:
                    os.kill(server.master.pid, signal.SIGHUP)
                    hups.append(elapsed)

            wall = run_clients(site, recorder, "c", clients=args.clients, duration=args.hup_seconds, seed=3,
                               during=during_c)
            result = summarise(recorder, "c", wall)
            new_workers = server.workers()
            print(f"   SIGHUP at {', '.join(f'{t:.1f} s' for t in hups)}; workers {old_workers} → {new_workers}")
            if result["five_xx"] or result["failed"] or result["unexpected"]:
                failures.append(f"c: {result['five_xx']} 5xx, {result['failed']} failed, "
                                f"{result['unexpected']} unexpected answers during the HUPs")
            if len(hups) < 2 or set(new_workers) & set(old_workers):
                failures.append("c: the workers were not replaced by the HUPs")

            # every stored opinion searchable, every 2xx receipt stored once
            left, waited = wait_for_backlog(database_url, instance, 180)
            facts = database_facts(database_url, instance)
            print(f"\n== search: backlog empty {waited:.1f} s after the load (outbox rows left: {left})")
            stored = {opinion_id: receipt for opinion_id, receipt in facts["opinions"]}
            receipts = [receipt for _id, receipt in facts["opinions"]]
            written = recorder.writes
            print(f"   opinions stored {len(stored)} ({len(written)} written by the soak, "
                  f"{sum(w['status'] == 200 for w in written)} answered 200)")
            if len(set(receipts)) != len(receipts):
                failures.append("a receipt is stored twice")
            for write in written:
                if stored.get(write["id"]) != write["receipt"]:
                    failures.append(f"2xx receipt {write['receipt']} (id {write['id']}) is not stored as answered")
                    break
            if left:
                failures.append(f"{left} changes still wait in the search outbox")
            index_path = Path(instance / "search")
            indexed = index_opinion_ids(index_path)
            missing, extra = set(stored) - indexed, indexed - set(stored)
            print(f"   index: {len(indexed)} opinions; missing {len(missing)}, not in the database {len(extra)}")
            if missing or extra:
                failures.append(f"index differs from the database: missing {sorted(missing)[:10]}, "
                                f"extra {sorted(extra)[:10]}")
            sample = random.Random(5).sample(written, min(200, len(written)))
            not_found, incomplete = [], []
            for write in sample:
                # An answer that says it may be incomplete (complete=false: the time
                # budget ran out, as in a worker's first searches) is asked again.
                for _attempt in range(3):
                    status, data = get(server.port, f"/api/v1/search?q={write['code']}&type=opinion",
                                       headers={"Authorization": f"Bearer {staff}"})
                    answer = json.loads(data) if status == 200 else {}
                    if answer.get("complete", True):
                        break
                    incomplete.append((write["code"], answer.get("notices")))
                hits = [hit["id"] for hit in answer.get("hits", [])]
                if hits != [write["id"]]:
                    not_found.append((write["code"], write["id"], status, hits, answer.get("complete"),
                                      answer.get("notices")))
            print(f"   search API: {len(sample) - len(not_found)} of {len(sample)} sampled written opinions found"
                  f"; {len(incomplete)} answers said complete=false and were asked again {incomplete[:3]}")
            if not_found:
                failures.append(f"search API did not find written opinions: {not_found[:5]}")
            print(flask(env, "search", "status", check=False).rstrip())
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    if failures:
        print("SOAK FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("SOAK PASSED: every check held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

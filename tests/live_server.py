"""The app under real gunicorn (and other commands of the project) for tests that need
real processes: started from the project folder, so gunicorn reads ./gunicorn.conf.py as
in production, on a free loopback port, and always stopped by the test (``with``)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.resources import REPO_ROOT

BIN = Path(sys.executable).parent
# Variables of the developer's shell that would change what the test starts.
_DROPPED = ("DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH", "WEB_PROCESSES", "SEARCH_INDEX_PATH", "SEARCH_INDEXER",
            "RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "PROXY_FIX_X_FOR", "GUNICORN_CMD_ARGS",
            "JOBS_QUEUE_URL", "JOBS_QUEUE_NAME", "JOBS_FILES_PATH", "JOBS_EXTRA_TASK_MODULES",
            "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
            "MAIL_DEFAULT_SENDER")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, database_url: str, instance: str | os.PathLike, secret_key: str, **settings: str) -> dict:
    """The environment of a production-like process on the test's database and instance."""
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    env.update({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": secret_key,
                "PYTHONUNBUFFERED": "1"})
    env.update({key: str(value) for key, value in settings.items()})
    return env


class Gunicorn:
    """``with Gunicorn(env, log_path) as server:`` serves the app until the block ends."""

    def __init__(self, env: dict, log_path: Path, *, workers: int = 2, threads: int = 4, start_timeout: float = 60,
                 extra_args: tuple[str, ...] = ()):
        self.env = env
        self.extra_args = extra_args
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.start_timeout = start_timeout
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "Gunicorn":
        self._log = open(self.log_path, "w")
        # No control socket: its default path is one per user, shared by every gunicorn
        # that tests run at the same time.
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--threads", str(self.threads), "--timeout", "60", "--graceful-timeout", "10",
             "--no-control-socket", *self.extra_args, "app:app"],
            cwd=REPO_ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self.wait_until_listening()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def wait_until_listening(self) -> None:
        """Until the master accepts connections (the workers may still be starting: a
        request then waits for one, which is what the tests of a fresh start want)."""
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start:\n" + self.log())
                time.sleep(0.1)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                urllib.request.urlopen(self.base_url + "/healthz", timeout=5)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn is not serving:\n" + self.log())
                time.sleep(0.1)

    def log(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        stop(self.process)
        if self._log is not None:
            self._log.close()


def stop(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it does not end in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def flask_command(*args: str, env: dict, **kwargs) -> subprocess.Popen:
    """``flask --app app ARGS…`` as its own process (the caller stops it with ``stop``)."""
    return subprocess.Popen([str(BIN / "flask"), "--app", "app", *args], cwd=REPO_ROOT, env=env, **kwargs)


class JobConsumer:
    """``with JobConsumer(env, log_path) as consumer:`` runs ``flask jobs consume`` (the
    production consumer) until the block ends; ``consumer.kill()`` stops it as a crash
    would."""

    def __init__(self, env: dict, log_path: Path, *, workers: int = 2):
        self.env, self.log_path, self.workers = env, log_path, workers
        self.process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "JobConsumer":
        self._log = open(self.log_path, "a")
        self.process = flask_command("jobs", "consume", "--workers", str(self.workers), env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: huey's graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()

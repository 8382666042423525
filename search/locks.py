"""Inter-process locks on files, with ``flock``.

``flock`` locks belong to an open file description, so two threads (or two apps in one
test process) that open the file separately exclude each other as two processes do,
and the kernel releases a lock when its process dies, even by SIGKILL: a killed
indexer never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path


class FileLock:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, timeout: float = 0.0, poll: float = 0.05) -> bool:
        """Take the lock, waiting up to ``timeout`` seconds; False when another holder
        kept it. Raises OSError when the lock file cannot be opened or created."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(poll)
                continue
            except OSError:
                os.close(fd)
                raise
            self._fd = fd
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                pass  # the pid is informative only
            return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def is_locked_elsewhere(self) -> bool:
        """Whether someone else holds the lock right now (without keeping it)."""
        if self._fd is not None:
            return False
        if not self.path.exists():
            return False
        if self.acquire():
            self.release()
            return False
        return True

    def __enter__(self):
        if not self.acquire():
            raise TimeoutError(f"lock {self.path} is held by another process")
        return self

    def __exit__(self, *exc):
        self.release()

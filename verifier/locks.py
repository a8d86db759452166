"""One process at a time per batch: an advisory lock file under the data folder.

Two `verifier run`s of the same inputs and settings would resume the same batch and
both process its documents. Each run holds `locks/<key>.lock` with `flock` for its
whole length and writes its pid into it, so a second run can say who holds it. The
kernel drops the lock when the holder exits, however it dies, so there is no stale
lock to clean up.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; runs are not serialised there
    fcntl = None  # type: ignore[assignment]


class BatchBusy(Exception):
    """Another process is running this batch; the message names its pid."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


def batch_key(lineage: str, settings: str) -> str:
    """The lock's name: the batch a run resumes is found by the same lineage and settings."""
    return hashlib.sha256(f"{lineage}\n{settings}".encode()).hexdigest()[:16]


class BatchLock:
    """An exclusive lock on one batch key, held from `acquire` until `release`."""

    def __init__(self, home: Path, key: str) -> None:
        self.path = home / "locks" / f"{key}.lock"
        self._fd: int | None = None

    def acquire(self, wait: bool = False, on_wait: Callable[[int | None], None] | None = None) -> None:
        """Take the lock, or raise BatchBusy; with `wait`, block until the holder finishes."""
        if fcntl is None:  # pragma: no cover
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                if not wait:
                    raise BatchBusy(
                        f"this batch is already running in process {holder if holder else '(unknown pid)'} "
                        f"(lock {self.path}); wait for it to finish, or pass --wait", holder) from None
                if on_wait is not None:
                    on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Let the next run in; the file stays (removing it would race with a waiter)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()


def _holder(fd: int) -> int | None:
    """The pid the holder wrote, if it got that far."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None

"""Reading a file a user named, without hanging on something that is not a file.

`open()` on a named pipe waits for a writer that may never come, and a character device
(a symlink to /dev/zero called `notes.txt`) never ends: a path that looks like a document
can stall a run with no output. Every file a user names (documents, gold files, reports,
aliases, prices, a token file) is opened without blocking and read only when it is a
regular file; anything else is an `OSError` whose `strerror` says what it is, so the
callers' existing one-line messages name it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str | None:
    """None for a regular file, else what the file is ('a named pipe', 'a character device', …)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "a special file")


class NotARegularFile(OSError):
    """A path that is a pipe, a device, a socket or a folder where a file was expected."""

    def __init__(self, path: str | Path, kind: str) -> None:
        super().__init__(f"{kind}, not a regular file")
        self.strerror = f"{kind}, not a regular file"
        self.filename = str(path)
        self.kind = kind


class FileTooLarge(OSError):
    """A regular file over the size its reader accepts; `size` is what it holds."""

    def __init__(self, path: str | Path, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes; the limit is {limit:,}")
        self.strerror = f"{size:,} bytes; the limit is {limit:,}"
        self.filename = str(path)
        self.size = size
        self.limit = limit


def read_regular(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, opened without blocking so a pipe or device is refused, not waited on.

    The kind and size are checked on the open descriptor (no race with a file swapped in
    between), and at most `max_bytes + 1` bytes are ever read, so a file that grows while
    it is read is still refused as too large.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        kind = kind_of(info.st_mode)
        if kind is not None:
            raise NotARegularFile(path, kind)
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileTooLarge(path, info.st_size, max_bytes)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLarge(path, len(data), max_bytes)
    return data


def read_text(path: str | Path) -> str:
    """A regular file's text as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_regular(path).decode("utf-8")

"""Progress on stderr: documents done, calls, tokens, cache hits, elapsed time and ETA.

Shown only when stderr is a terminal and `--quiet` is not given, so logs and pipes stay
clean.
"""

from __future__ import annotations

import sys
from typing import Protocol

from .models import Usage


class Progress(Protocol):
    def start(self, total: int, done: int) -> None: ...
    def document_done(self, usage: Usage) -> None: ...
    def stop(self) -> None: ...


class _Silent:
    def start(self, total: int, done: int) -> None:
        pass

    def document_done(self, usage: Usage) -> None:
        pass

    def stop(self) -> None:
        pass


def silent() -> Progress:
    """No progress display."""
    return _Silent()


class _Bar:
    """A rich progress bar on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("documents"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )
        self._task = self._bar.add_task("documents", total=0, stats="")

    def start(self, total: int, done: int) -> None:
        self._bar.update(self._task, total=total, completed=done)
        self._bar.start()

    def document_done(self, usage: Usage) -> None:
        stats = f"calls {usage.llm_calls} · tokens {usage.total_tokens} · cache hits {usage.cache_hits}"
        self._bar.update(self._task, advance=1, stats=stats)

    def stop(self) -> None:
        self._bar.stop()


def for_terminal(quiet: bool) -> Progress:
    """A bar when stderr is a terminal and not quiet; otherwise nothing."""
    if quiet or not sys.stderr.isatty():
        return silent()
    return _Bar()

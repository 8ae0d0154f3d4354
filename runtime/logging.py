"""structlog set-up: JSON lines (default) or a human console format."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, TextIO


class _SafeStream:
    """Writes to ``stream`` (or to whatever ``sys.stdout`` is at the time) and never raises:
    a broken log pipe must not turn into a failed request.

    With ``flush_interval_s`` > 0 lines are buffered and written by a background thread at
    that interval (and by :func:`flush_logs` at shutdown): a write system call per line cost
    about a tenth of a Check's server time. A process killed with SIGKILL loses at most that
    interval of log lines; decisions are in the ledger regardless.
    """

    def __init__(self, stream: TextIO | None, flush_interval_s: float = 0.0) -> None:
        self._stream = stream
        self._interval = flush_interval_s
        self._pending: list[str] = []
        self._lock = threading.Lock()
        if flush_interval_s > 0:
            threading.Thread(target=self._flush_loop, name="bastion-log-flush",
                             daemon=True).start()

    def write(self, text: str) -> int:
        if self._interval > 0:
            self._pending.append(text)  # list.append is atomic under the GIL
            return len(text)
        return self._write(text)

    def _write(self, text: str) -> int:
        try:
            return (self._stream or sys.stdout).write(text)
        except (OSError, ValueError):
            return 0

    def flush(self) -> None:
        if self._interval > 0:
            return  # the background thread flushes
        self.drain()

    def drain(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            if pending:
                self._write("".join(pending))
            try:
                (self._stream or sys.stdout).flush()
            except (OSError, ValueError):
                pass

    def _flush_loop(self) -> None:
        while True:
            time.sleep(self._interval)
            self.drain()


_current: _SafeStream | None = None


def flush_logs() -> None:
    """Writes out buffered log lines (called on shutdown)."""
    if _current is not None:
        _current.drain()


def configure_logging(fmt: str = "json", level: str = "info", stream: Any = None, *,
                      cache: bool = True, flush_interval_s: float = 0.0) -> None:
    """Configures structlog for the process.

    :param stream: where lines go (default: the process's stdout at the time of writing).
    :param flush_interval_s: buffer lines and write them this often (0: every line).
    :param cache: cache each logger on first use (fast; later reconfiguration does not
        reach loggers already used). Tests that reconfigure pass ``cache=False``.
    """
    import structlog

    global _current
    if _current is not None:
        _current.drain()
    _current = _SafeStream(stream, flush_interval_s)

    renderer: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    else:
        renderer = structlog.processors.JSONRenderer()
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            numeric if isinstance(numeric, int) else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=_current),  # type: ignore[arg-type]
        cache_logger_on_first_use=cache,
    )

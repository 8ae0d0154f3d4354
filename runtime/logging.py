"""structlog set-up: JSON lines (default) or a human console format."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO


class _SafeStream:
    """Writes to ``stream`` (or to whatever ``sys.stdout`` is at the time) and never raises:
    a broken log pipe must not turn into a failed request."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return (self._stream or sys.stdout).write(text)
        except (OSError, ValueError):
            return 0

    def flush(self) -> None:
        try:
            (self._stream or sys.stdout).flush()
        except (OSError, ValueError):
            pass


def configure_logging(fmt: str = "json", level: str = "info", stream: Any = None, *,
                      cache: bool = True) -> None:
    """Configures structlog for the process.

    :param stream: where lines go (default: the process's stdout at the time of writing).
    :param cache: cache each logger on first use (fast; later reconfiguration does not
        reach loggers already used). Tests that reconfigure pass ``cache=False``.
    """
    import structlog

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
        logger_factory=structlog.PrintLoggerFactory(file=_SafeStream(stream)),  # type: ignore[arg-type]
        cache_logger_on_first_use=cache,
    )

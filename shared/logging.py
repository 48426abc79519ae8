"""Logging, configured once: JSON lines when not on a terminal, console otherwise.

Context (article_id, watchlist_id, delivery_id) is bound with structlog's
contextvars, so every line about an article carries its id.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SECRET_KEYS = frozenset({"secret", "token", "password", "authorization", "api_key"})


def _drop_secrets(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "***"
    return event_dict


#: The values ``WATCHFLOOR_LOG_LEVEL`` and ``WATCHFLOOR_LOG_FORMAT`` accept (any case).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("auto", "json", "console")


def check_log_level(level: str) -> str:
    """``level`` upper-cased, or ValueError naming the accepted levels."""
    name = level.strip().upper()
    if name not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LOG_LEVELS)}")
    return name


def check_log_format(fmt: str) -> str:
    """``fmt`` lower-cased, or ValueError naming the accepted formats."""
    name = fmt.strip().lower()
    if name not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: use one of {', '.join(LOG_FORMATS)}")
    return name


def configure_logging(level: str = "INFO", fmt: str = "auto", stream: Any = None) -> None:
    """``fmt``: json, console, or auto (console on a terminal, else JSON lines).
    An unknown level or format is a ValueError (settings check them first)."""
    level, fmt = check_log_level(level), check_log_format(fmt)
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info if use_json else structlog.dev.set_exc_info,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(level)


class _StdlibToStructlog(logging.Handler):
    """Warnings and errors of libraries that log with the standard library
    (uvicorn's "Exception in ASGI application", "Invalid HTTP request
    received") as lines of the configured format: without it they came out
    as plain text, tracebacks over many lines, among the JSON lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {"logger": record.name}
            if record.exc_info:
                fields["exc_info"] = record.exc_info
            structlog.get_logger(record.name).log(record.levelno, record.getMessage(), **fields)
        except Exception:  # noqa: BLE001 - logging must not raise
            self.handleError(record)


def _route_stdlib_logging(level: str) -> None:
    # Warnings and up only: libraries log requests at INFO, URLs and all
    # (a feed's ?token=), and their debug chatter is not ours to pass on.
    threshold = max(logging.WARNING, logging.getLevelNamesMapping()[level])
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _StdlibToStructlog)]
    handler = _StdlibToStructlog(threshold)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > threshold:
        root.setLevel(threshold)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name) if name else structlog.get_logger()


class FastStreamLogger:
    """Adapter: FastStream calls ``logger.log(level, msg, extra=..., exc_info=...)``."""

    def __init__(self, name: str = "faststream", level: int = logging.INFO) -> None:
        self._log = structlog.get_logger(name)
        self._level = level

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        if level < self._level:
            return
        extra = kwargs.pop("extra", None) or {}
        exc_info = kwargs.pop("exc_info", None)
        fields = {k: v for k, v in extra.items() if v not in ("", None)}
        if exc_info:
            fields["exc_info"] = exc_info
        self._log.log(level, msg % args if args else msg, **fields)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging API name
        return level >= self._level

    def __getattr__(self, name: str) -> Any:
        level = logging.getLevelNamesMapping().get(name.upper())
        if level is None:
            raise AttributeError(name)
        return lambda msg, *a, **kw: self.log(level, msg, *a, **kw)

"""Structured logs: structlog for our own lines, and stdlib logging (uvicorn, SQLAlchemy,
Dramatiq) routed through the same processors, so every line has one shape: JSON in
production, readable key=value in development. Context bound with
`structlog.contextvars` (the request id, an outbox id) appears on every line, ours or a
library's, logged while it is bound."""

import logging
import sys
from collections.abc import Callable
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor

from bookwell.core.config import Settings
from bookwell.observability.direct_lines import HANDLER_NAME, DirectLoggerFactory
from bookwell.observability.fast_line import FORMATTER_PREFIX, remember_chain

LogFormat = Literal["json", "console"]

# Loggers that bring their own handlers (uvicorn configures them when it starts): made to
# propagate to the root handler instead, so their lines are formatted like ours.
LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged (pytest swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def log_format(settings: Settings) -> LogFormat:
    if settings.log_format is not None:
        return settings.log_format
    # Console lines are for a person at a terminal (and cost several times a JSON line to
    # render); logs going to a file, a pipe or a collector are JSON.
    if settings.environment == "production" or not sys.stderr.isatty():
        return "json"
    return "console"


def shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_noise,
    ]


def _drop_noise(logger: object, method: str, event: EventDict) -> EventDict:
    """Not extras: uvicorn's ANSI-coloured copy of its message, and the `message` another
    handler's formatter (pytest's) may have set on the record first."""
    event.pop("color_message", None)
    event.pop("message", None)
    return event


def _orjson(event: dict, default: Callable[[Any], Any], **_: Any) -> str:
    """structlog's JSON lines through orjson: a request's line costs a third of json.dumps'."""
    return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()


def build_formatter(fmt: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_orjson)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    # Tracebacks as text in both formats, so that redaction sees them too; then no credential
    # reaches the output (observability/redaction.py).
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[*FORMATTER_PREFIX, renderer],
    )


def configure_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Idempotent: replaces the handler it installed before (and a plain basicConfig
    one), and leaves other handlers (pytest's) alone."""
    processors: list[Processor] = [
        structlog.stdlib.filter_by_level,
        *shared_processors(),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ]
    structlog.configure(
        processors=processors,
        logger_factory=DirectLoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    remember_chain(processors)
    handler = _Stderr()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(build_formatter(log_format(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    if verbose:
        root.setLevel(logging.DEBUG)
    elif root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    route_library_loggers()


def route_library_loggers() -> None:
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True

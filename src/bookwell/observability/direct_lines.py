"""Our own info and debug lines written without a stdlib LogRecord when nothing but our
handler would see one (issue 18: the per-operation line is on every request, and the
record, its caller lookup and the formatter's copy of it cost more than rendering it).

The line is the one the handler would write: the handler's own formatter's processors
(redaction, rendering) on the same event, to the same stream, under the handler's lock.
Whenever anything else could observe the record (another handler such as pytest's caplog,
a filter, a level, Sentry's hook on `Logger.callHandlers`, a custom record factory),
and for warnings and errors, the line goes through stdlib logging as before."""

import logging
from typing import Any

import structlog

HANDLER_NAME = "bookwell"  # observability/logging.py's handler

_STDLIB_CALL_HANDLERS = logging.Logger.callHandlers


class DirectLoggerFactory:
    """structlog's stdlib logger factory, its loggers wrapped."""

    def __init__(self) -> None:
        self._stdlib = structlog.stdlib.LoggerFactory(ignore_frame_names=[__name__])

    def __call__(self, *args: Any) -> "DirectOrStdlibLogger":
        return DirectOrStdlibLogger(self._stdlib(*args))


class DirectOrStdlibLogger:
    """A stdlib logger (every attribute is its), whose `info` and `debug` take the short
    way when they may."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)

    def info(self, event: Any, *args: Any, **kwargs: Any) -> None:
        self._line(logging.INFO, "info", event, args, kwargs)

    def debug(self, event: Any, *args: Any, **kwargs: Any) -> None:
        self._line(logging.DEBUG, "debug", event, args, kwargs)

    def _line(
        self, level: int, method: str, event: Any, args: tuple, kwargs: dict[str, Any]
    ) -> None:
        handler = sole_handler(self._logger, level)
        formatter = handler.formatter if handler is not None else None
        if (
            handler is None
            or args
            or not isinstance(event, dict)
            or not isinstance(formatter, structlog.stdlib.ProcessorFormatter)
            or formatter.logger is not None
            or kwargs.keys() - {"extra"}
        ):
            getattr(self._logger, method)(event, *args, **kwargs)
            return
        rendered: Any = {**event, "_record": None, "_from_structlog": True}
        for processor in formatter.processors:
            rendered = processor(self, method, rendered)
        write_line(handler, rendered)


def sole_handler(logger: logging.Logger, level: int) -> logging.StreamHandler | None:
    """Our handler, when it is the only thing a record of this logger would reach."""
    if (
        logging.Logger.callHandlers is not _STDLIB_CALL_HANDLERS
        or logging.getLogRecordFactory() is not logging.LogRecord
        or logger.disabled
        or not logger.isEnabledFor(level)
    ):
        return None
    found: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or handler.get_name() != HANDLER_NAME:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if not isinstance(found, logging.StreamHandler) or found.filters or level < found.level:
        return None
    return found


def write_line(handler: logging.StreamHandler, line: Any) -> None:
    handler.acquire()
    try:
        stream = handler.stream
        stream.write(f"{line}{handler.terminator}")
        handler.flush()
    except RecursionError:
        raise
    except Exception:
        handler.handleError(logging.makeLogRecord({"msg": line}))
    finally:
        handler.release()

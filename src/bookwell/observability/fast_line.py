"""One info line built by a single function instead of structlog's processor chain and
then the handler formatter's (issue 18: the per-operation line of every request).

It is taken only when both chains are exactly the ones observability/logging.py
configures, and only our handler would see the line (direct_lines.sole_handler); then each
processor's effect is known, and is reproduced here in the same order, so the line has the
same keys in the same order and the same values, rendered by the handler's own renderer.
Otherwise `info_line` answers False and the caller logs the ordinary way.

Redaction walks every value the ordinary chain would except those the caller vouches for
(`trusted`: values the server chose, such as an outcome or a duration) and the ones set
here (event, logger, level, timestamp): every client-influenced value, and every value
bound with structlog.contextvars, is redacted as redact_credentials would."""

import contextvars
import datetime
import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

import structlog
from structlog.contextvars import STRUCTLOG_KEY_PREFIX

from bookwell.observability.direct_lines import DirectLoggerFactory, sole_handler, write_line
from bookwell.observability.redaction import redact_credentials, redact_field

_PREFIX_LENGTH = len(STRUCTLOG_KEY_PREFIX)
# The formatter's processors before its renderer (observability/logging.py).
FORMATTER_PREFIX = (
    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
    structlog.processors.format_exc_info,
    redact_credentials,
)
# Keys some processor of either chain reads or turns into something else: with any of them
# bound, the line goes the ordinary way.
_SPECIAL = frozenset(
    {"_record", "_from_structlog", "stack_info", "exc_info", "color_message", "message"}
)

_chain: tuple[Any, ...] | None = None  # the structlog processors configure_logging set


def remember_chain(processors: Sequence[Any]) -> None:
    """The chain configure_logging set, when it is the one info_line reproduces."""
    global _chain
    _chain = tuple(processors) if _reproduced(processors) else None


def _reproduced(chain: Sequence[Any]) -> bool:
    stdlib = structlog.stdlib
    if len(chain) != 9:
        return False
    stamper, adder, noise, stack = chain[4], chain[5], chain[6], chain[7]
    return (
        (chain[0], chain[1], chain[2], chain[3], chain[8])
        == (
            stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            stdlib.add_logger_name,
            stdlib.add_log_level,
            stdlib.ProcessorFormatter.wrap_for_formatter,
        )
        and type(stamper) is structlog.processors.TimeStamper
        and (stamper.fmt, stamper.utc, stamper.key) == ("iso", True, "timestamp")
        and type(adder) is stdlib.ExtraAdder
        and type(stack) is structlog.processors.StackInfoRenderer
        # logging.py's, which only drops these two keys (and info_line leaves them to it)
        and getattr(noise, "__module__", None) == "bookwell.observability.logging"
        and getattr(noise, "__name__", None) == "_drop_noise"
    )


def info_line(
    logger: logging.Logger, event: str, fields: dict[str, Any], trusted: Collection[str]
) -> bool:
    """`structlog.get_logger(logger.name).info(event, **fields)` when it can be sure it
    writes the same line: True when it wrote it."""
    handler = sole_handler(logger, logging.INFO)
    if handler is None or _chain is None:
        return False
    formatter = handler.formatter
    if not isinstance(formatter, structlog.stdlib.ProcessorFormatter):
        return False
    processors = formatter.processors
    if (
        formatter.logger is not None
        or len(processors) != 4
        or tuple(processors[:3]) != FORMATTER_PREFIX
    ):
        return False
    config = structlog.get_config()
    if (
        tuple(config["processors"]) != _chain
        or config["wrapper_class"] is not structlog.stdlib.BoundLogger
        or config["context_class"] is not dict
        or type(config["logger_factory"]) is not DirectLoggerFactory
    ):
        return False
    line = {
        key: value if key in trusted else redact_field(key, value) for key, value in fields.items()
    }
    line["event"] = redact_field("event", event)
    # merge_contextvars, in its order (a Context iterates in its own order, not binding's).
    context = contextvars.copy_context()
    for var in context:
        name = var.name
        if name.startswith(STRUCTLOG_KEY_PREFIX) and context[var] is not Ellipsis:
            key = name[_PREFIX_LENGTH:]
            if key not in line:
                line[key] = redact_field(key, context[var])
    if not _SPECIAL.isdisjoint(line):
        return False
    line["logger"] = logger.name
    line["level"] = "info"
    line["timestamp"] = iso_utc(time.time_ns())
    write_line(handler, processors[3](logger, "info", line))
    return True


_second: tuple[int, str] = (-1, "")


def iso_utc(ns: int) -> str:
    """`datetime.now(UTC).isoformat().replace("+00:00", "Z")` (TimeStamper's
    "iso" in UTC) for the clock reading `ns` (datetime.now floors the same clock to
    microseconds), the date and time of each second formatted once."""
    global _second
    seconds, micros = divmod(ns // 1000, 1_000_000)
    if _second[0] != seconds:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        _second = (seconds, moment.isoformat()[:-6])  # without "+00:00"
    prefix = _second[1]
    return f"{prefix}.{micros:06d}Z" if micros else f"{prefix}Z"

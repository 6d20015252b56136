"""The operation's line built in one function is, byte for byte, the line structlog's chain
and our handler's formatter write, redaction included; and it is not taken when anything
else could see the line."""

import datetime
import logging
import re

import pytest
import structlog
from structlog.contextvars import bound_contextvars

from bookwell.core.config import Settings
from bookwell.observability import fast_line
from bookwell.observability.fast_line import info_line, iso_utc
from bookwell.observability.logging import configure_logging
from bookwell.observability.redaction import REDACTED

from .test_direct_lines import only_our_handler  # noqa: F401 (a fixture)

JWT = "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"
FIELDS = {
    "operation_name": f"Availability?token=abcdef123 {JWT}",
    "operation_type": "query",
    "duration_ms": 1.5,
    "outcome": "ok",
    "user_error_codes": ["UNAVAILABLE", f"Bearer {JWT}"],
}
TRUSTED = frozenset({"operation_type", "duration_ms", "outcome"})


def without_time(line: str) -> tuple[str, str]:
    """The line without its timestamp (the last field), and the timestamp."""
    head, _, stamp = line.rpartition(',"timestamp":"')
    return head, stamp


def log_both(capsys, bound: dict) -> tuple[str, str]:
    fast, slow = logging.getLogger("tests.fast.line"), logging.getLogger("tests.fast.line.")
    slow.addFilter(lambda record: True)  # the ordinary route
    capsys.readouterr()
    with bound_contextvars(**bound):
        assert info_line(fast, "graphql request", dict(FIELDS), TRUSTED)
        structlog.get_logger("tests.fast.line.").info("graphql request", **FIELDS)
    [direct, ordinary] = capsys.readouterr().err.splitlines()
    return direct, ordinary.replace("tests.fast.line.", "tests.fast.line")


@pytest.mark.parametrize(
    "bound",
    [
        {"request_id": "r-1"},
        {"request_id": JWT, "password": "hunter2", "outbox_id": 7, "_private": "?key=x"},
        {"operation_name": "bound", "logger": "bound", "level": "bound"},
        {},
    ],
)
def test_the_line_is_the_ordinary_line(only_our_handler, capsys, bound):  # noqa: F811
    only_our_handler()
    direct, ordinary = log_both(capsys, bound)
    (direct_head, direct_stamp), (ordinary_head, ordinary_stamp) = map(
        without_time, (direct, ordinary)
    )
    assert direct_head == ordinary_head
    for stamp in (direct_stamp, ordinary_stamp):
        assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z"}', stamp)
    assert "abcdef123" not in direct and JWT not in direct and "hunter2" not in direct
    assert direct.count(REDACTED) == ordinary.count(REDACTED) >= 3


def test_not_taken_when_another_handler_listens(only_our_handler, caplog):  # noqa: F811
    only_our_handler().addHandler(caplog.handler)
    assert not info_line(logging.getLogger("tests.fast.caplog"), "x", {}, ())


def test_not_taken_when_the_structlog_chain_is_not_ours(only_our_handler):  # noqa: F811
    only_our_handler()
    with structlog.testing.capture_logs():
        assert not info_line(logging.getLogger("tests.fast.captured"), "x", {}, ())
    assert info_line(logging.getLogger("tests.fast.captured"), "x", {}, ())


def test_not_taken_for_keys_a_processor_reads(only_our_handler, capsys):  # noqa: F811
    only_our_handler()
    with bound_contextvars(stack_info=True):
        assert not info_line(logging.getLogger("tests.fast.stack"), "x", {}, ())


@pytest.mark.parametrize(
    "micros", [0, 1, 999_999, 1_700_000_000_000_000, 1_700_000_000_123_456, 1_799_999_999_999_999]
)
def test_the_timestamp_is_timestampers(micros):
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    expected = (epoch + datetime.timedelta(microseconds=micros)).isoformat()
    for extra_ns in (0, 999):
        assert iso_utc(micros * 1000 + extra_ns) == expected.replace("+00:00", "Z")


def test_the_console_line_is_the_ordinary_line(settings: Settings, monkeypatch, capsys):
    # Handlers of this test's own: the root logger gets its JSON handler back afterwards.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    configure_logging(settings.model_copy(update={"log_format": "console"}))
    direct, ordinary = log_both(capsys, {"request_id": JWT})
    assert direct.split(" ", 1)[1] == ordinary.split(" ", 1)[1]
    assert JWT not in direct and "request_id=[REDACTED]" in direct


def test_not_taken_for_a_chain_it_does_not_reproduce(only_our_handler, monkeypatch):  # noqa: F811
    only_our_handler()
    chain = structlog.get_config()["processors"]
    extra = [*chain[:-1], structlog.processors.add_log_level, chain[-1]]
    monkeypatch.setattr(fast_line, "_chain", None)  # configure_logging sets it again below
    fast_line.remember_chain(extra)
    structlog.configure(processors=extra)
    try:
        assert not info_line(logging.getLogger("tests.fast.other"), "x", {}, ())
    finally:
        structlog.configure(processors=chain)
    fast_line.remember_chain(chain)
    assert info_line(logging.getLogger("tests.fast.other"), "x", {}, ())

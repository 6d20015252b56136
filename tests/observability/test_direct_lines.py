"""Our info lines skip the stdlib LogRecord only when nothing but our handler would see it,
and then write the very line stdlib logging would have written."""

import json
import logging

import pytest
import structlog
from structlog.contextvars import bound_contextvars

from bookwell.core.config import Settings
from bookwell.observability.logging import configure_logging


@pytest.fixture
def only_our_handler(settings: Settings, monkeypatch):
    """Logs configured as JSON; call it in the test (pytest adds its capture handlers to the
    root logger for each phase) to take every other handler off the root logger."""
    configure_logging(settings.model_copy(update={"log_format": "json"}))
    root = logging.getLogger()

    def only_ours() -> logging.Logger:
        ours = [handler for handler in root.handlers if handler.get_name() == "bookwell"]
        monkeypatch.setattr(root, "handlers", ours)
        return root

    return only_ours


def one_line(capsys) -> dict:
    [line] = capsys.readouterr().err.splitlines()
    return json.loads(line)


def log_one(logger_name: str) -> None:
    log = structlog.get_logger(logger_name)
    with bound_contextvars(request_id="r-1"):
        log.info(
            "graphql request",
            operation_name="Availability",
            duration_ms=1.5,
            link="/calendar.ics?token=abcdef123",
            password="hunter2",
        )


def test_the_direct_line_is_the_stdlib_line(only_our_handler, capsys, monkeypatch):
    only_our_handler()
    capsys.readouterr()
    log_one("tests.direct.fast")
    direct = one_line(capsys)

    # A filter on the logger could drop the record: the line goes through stdlib logging.
    logging.getLogger("tests.direct.slow").addFilter(lambda record: True)
    log_one("tests.direct.slow")
    through_stdlib = one_line(capsys)

    assert direct.pop("timestamp") and through_stdlib.pop("timestamp")
    assert direct.pop("logger") == "tests.direct.fast"
    assert through_stdlib.pop("logger") == "tests.direct.slow"
    assert direct == through_stdlib
    assert direct == {
        "event": "graphql request",
        "operation_name": "Availability",
        "duration_ms": 1.5,
        "link": "/calendar.ics?token=[REDACTED]",
        "password": "[REDACTED]",
        "request_id": "r-1",
        "level": "info",
    }


def test_no_log_record_is_made_when_only_our_handler_listens(only_our_handler, capsys, monkeypatch):
    def no_record(*args, **kwargs):
        raise AssertionError("a LogRecord was made")

    only_our_handler()
    monkeypatch.setattr(logging.Logger, "makeRecord", no_record)
    capsys.readouterr()
    log_one("tests.direct.norecord")
    assert one_line(capsys)["event"] == "graphql request"


def test_another_handler_still_gets_the_record(only_our_handler, capsys, caplog):
    only_our_handler().addHandler(caplog.handler)
    capsys.readouterr()
    log_one("tests.direct.caplog")
    assert one_line(capsys)["event"] == "graphql request"
    [record] = [r for r in caplog.records if r.name == "tests.direct.caplog"]
    assert record.levelno == logging.INFO


def test_a_level_above_info_writes_nothing(only_our_handler, capsys):
    only_our_handler()
    logging.getLogger("tests.direct.quiet").setLevel(logging.WARNING)
    capsys.readouterr()
    log_one("tests.direct.quiet")
    assert capsys.readouterr().err == ""

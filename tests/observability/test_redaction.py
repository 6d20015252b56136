"""Log redaction (observability/redaction.py): the quick check that lets most strings skip
the substitutions must never let a credential through."""

import pytest

from bookwell.observability.redaction import REDACTED, redact_credentials, redact_text

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("text", "kept", "hidden"),
    [
        (
            "GET /reports/?access_token=abc123def HTTP/1.1",
            "GET /reports/?access_token=",
            "abc123def",
        ),
        ("GET /feed.ics?TOKEN=Secret99", "GET /feed.ics?TOKEN=", "Secret99"),
        ("x;Password=hunter22", "x;Password=", "hunter22"),
        ("Authorization: BEARER abcdef123456", "BEARER ", "abcdef123456"),
        ("basic\tdXNlcjpwYXNz", "basic\t", "dXNlcjpwYXNz"),
        (f"token={JWT}", "token=", JWT),
        (f"sent {JWT} here", "sent ", JWT),
    ],
)
def test_credentials_are_hidden(text: str, kept: str, hidden: str) -> None:
    redacted = redact_text(text)
    assert hidden not in redacted
    assert kept in redacted and REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        "graphql request",
        "Availability",
        "2026-12-07T10:13:08.601023Z",
        "a token of esteem",
        "?page=2",
    ],
)
def test_plain_text_is_kept(text: str) -> None:
    assert redact_text(text) == text


def test_a_line_keeps_its_plain_fields_and_hides_credential_keys() -> None:
    event = {"event": "graphql request", "outcome": "ok", "password": "x", "duration_ms": 1.5}
    assert redact_credentials(None, "info", dict(event)) == {**event, "password": REDACTED}

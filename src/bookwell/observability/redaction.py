"""Credentials out of every log line: a structlog processor, run last before rendering, on
our lines and on those of the libraries routed through the same handler (uvicorn's access
and error logs, SQLAlchemy, Dramatiq), tracebacks included.

Hidden: the values of credential-like query parameters (`?access_token=` of report links,
the calendar feed's `?token=`, `key`, `password`, ...), the credential after `Bearer`/`Basic`
(an Authorization header written anywhere), anything shaped like a JWT, and the value of
any key that names a credential (`authorization`, `cookie`, `token`, `password`, ...) in a
line's fields, at any depth."""

import re
from typing import Any

from structlog.typing import EventDict

REDACTED = "[REDACTED]"

CREDENTIAL_NAMES = (
    "access_token|token|refresh_token|id_token|key|api_key|apikey|secret|client_secret|"
    "password|passwd|signature|sig|auth|authorization|session|code"
)
# `name=value` in a query string (after ?, & or ;), any case; the value ends where the
# parameter, the path or the quoted request line does.
QUERY_CREDENTIAL = re.compile(rf"(?i)([?&;](?:{CREDENTIAL_NAMES})=)[^&;#\s\"'<>]*")
SCHEME_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}")
JWT_SHAPE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
CREDENTIAL_KEY = re.compile(
    r"(?i)^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|"
    r"(access_|refresh_|id_|api_|feed_)?token|password|passwd|secret|secret_key|api_key)$"
)

# What each of the three above must start with (a superset): most of a line's strings hold
# none of it and skip the substitutions, a third of a request's log line (issue 18).
MAY_HOLD_CREDENTIAL = re.compile(
    rf"(?i)[?&;](?:{CREDENTIAL_NAMES})=|\b(?:bearer|basic|token)\s|eyJ"
)


def redact_text(text: str) -> str:
    if MAY_HOLD_CREDENTIAL.search(text) is None:
        return text
    text = QUERY_CREDENTIAL.sub(rf"\1{REDACTED}", text)
    text = SCHEME_CREDENTIAL.sub(rf"\1\2{REDACTED}", text)
    return JWT_SHAPE.sub(REDACTED, text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_item(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    return value


def redact_item(key: Any, value: Any) -> Any:
    if isinstance(key, str) and CREDENTIAL_KEY.match(key) and value is not None:
        return REDACTED
    return redact_value(value)


def redact_field(key: str, value: Any) -> Any:
    """A line's top-level field as redact_credentials leaves it."""
    if key.startswith("_"):  # structlog's record and flags
        return value
    if key == "event":
        return redact_value(value)
    return redact_item(key, value)


def redact_credentials(logger: object, method: str, event: EventDict) -> EventDict:
    for key, value in list(event.items()):
        event[key] = redact_field(key, value)
    return event

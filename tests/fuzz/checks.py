"""Schemathesis checks for what a Bookwell answer may show a client."""

import re

import schemathesis
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.graphql.checks import GraphQLServerError

from bookwell.graphql.shared.enums import ErrorCode

# What a Python traceback, a driver or an SQL statement leaves in a message. Our own messages
# are plain sentences; none of these belong in them.
LEAKS = re.compile(
    r"Traceback|sqlalchemy|asyncpg|psycopg|File \"|/src/bookwell|site-packages|Exception"
    r"|\w+Error:|<\w+(\.\w+)* object at 0x|SELECT |INSERT INTO|UPDATE \w+ SET|DELETE FROM"
    r"|violates|constraint",
    re.IGNORECASE,
)
# Errors raised while executing carry one of these; anything else is a failure the schema's
# error masking answered "Unexpected error." (INTERNAL_ERROR) or an error it let through.
PUBLIC_CODES = frozenset(code.value for code in ErrorCode)


@schemathesis.check
def no_leaked_internals(ctx: CheckContext, response: Response, case: Case) -> None:
    """No body, whatever its status, shows a traceback, a driver, a path or SQL."""
    text = response.content.decode("utf-8", errors="replace")
    found = LEAKS.search(text)
    if found:
        raise AssertionError(f"The answer leaks {found.group(0)!r}: {text[:2000]}")


@schemathesis.check
def only_public_errors(ctx: CheckContext, response: Response, case: Case) -> None:
    """Schemathesis' `not_a_server_error` (no 5xx, a JSON GraphQL answer, no error raised in
    a resolver), where an error raised on purpose with a public code is an answer, not a
    server failure: NOT_FOUND, FORBIDDEN... are how the schema refuses."""
    try:
        schemathesis.checks.not_a_server_error(ctx, response, case)
    except GraphQLServerError as failure:
        codes = [(error.get("extensions") or {}).get("code") for error in failure.errors]
        if not all(code in PUBLIC_CODES for code in codes):
            raise

"""Schemathesis fuzzes every Query and Mutation field of the real app, in-process over ASGI,
against a seeded database: anonymously and as each role. No answer is a 5xx or non-JSON,
none leaks internals (tracebacks, drivers, paths, SQL), and an error raised while executing
always carries a public code: never "Unexpected error." (tests/fuzz/checks.py).

Deterministic (derandomize) and bounded (EXAMPLES per field, mode and caller)."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.graphql import nodes
from schemathesis.python import asgi
from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS

from bookwell.app import create_app
from bookwell.core.pagination import encode_cursor
from bookwell.models import Role
from bookwell.services.listings.stays import today_in
from tests.fuzz.checks import no_leaked_internals, only_public_errors
from tests.fuzz.seed import Seeded, seed

EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 3}
CHECKS = [
    only_public_errors,
    schemathesis.checks.response_schema_conformance,  # a JSON object, as GraphQL answers
    schemathesis.checks.negative_data_rejection,  # an invalid query is refused
    no_leaked_internals,
]
CALLERS = [None, Role.GUEST, Role.ADMIN]  # ADMIN: every host path, on every listing


@pytest.fixture
async def seeded(db) -> Seeded:
    return await seed(db)


@pytest.fixture
def app(settings, seeded):
    """Served by Schemathesis' ASGI client, which runs the lifespan in its own thread and
    event loop; stopped before the database is dropped."""
    application = create_app(settings.model_copy(update={"rate_limits": False}))
    yield application
    asgi.shutdown_lifespans()


@pytest.fixture
def scalars(seeded) -> Iterator[None]:
    """IDs are mostly the seeded rows' (else every lookup is NOT_FOUND at once), dates and
    times mostly bookable ones or the calendar's ends, integers mostly small (else `first`,
    `nights` and `quantity` are refused before any work); the rest is anything allowed."""
    today = today_in("UTC")
    ids = st.sampled_from([str(id_) for id_ in seeded.ids]) | st.uuids().map(str) | st.text()
    bookable = st.dates(min_value=today - timedelta(days=3), max_value=today + timedelta(days=60))
    # First (what Hypothesis tries early), the ends of the calendar: where date arithmetic
    # overflows.
    dates = st.sampled_from([date.min, date.max]) | bookable | st.dates()
    instants = st.builds(
        datetime.combine, dates, st.times(), st.sampled_from([UTC, timezone(timedelta(hours=-9))])
    )
    saved = dict(CUSTOM_SCALARS)
    CUSTOM_SCALARS["ID"] = ids.map(nodes.String)
    CUSTOM_SCALARS["Int"] = (st.integers(1, 12) | st.integers(-(2**31), 2**31 - 1)).map(nodes.Int)
    CUSTOM_SCALARS["Date"] = dates.map(date.isoformat).map(nodes.String)
    CUSTOM_SCALARS["DateTime"] = instants.map(datetime.isoformat).map(nodes.String)
    # A file comes in a multipart request, never in JSON: what arrives in its place is text.
    CUSTOM_SCALARS["Upload"] = st.text().map(nodes.String)
    yield
    CUSTOM_SCALARS.clear()
    CUSTOM_SCALARS.update(saved)


def config(seeded: Seeded) -> SchemathesisConfig:
    """`after` is mostly a real cursor (one of a seeded row) or "" (none), as a fuzzed string
    is refused before any work; `first` and the rest come from `scalars`."""
    cursors = ["", *(encode_cursor(id_) for id_ in seeded.ids)]
    return SchemathesisConfig.from_dict(
        {
            "dictionaries": {"cursors": {"values": cursors}},
            "parameters": {"*.*.after": {"dictionary": "cursors", "probability": 0.8}},
        }
    )


@pytest.mark.parametrize("caller", CALLERS, ids=lambda role: role or "anonymous")
def test_fuzzing_finds_no_server_errors_nor_leaks(app, seeded, scalars, caller):
    schema = schemathesis.graphql.from_asgi("/graphql", app, config=config(seeded))
    headers = {"Authorization": f"Bearer {seeded.tokens[caller]}"} if caller else {}
    operations = [schema[root][field] for root in ("Query", "Mutation") for field in schema[root]]
    assert {"Query.report", "Mutation.importCalendar"} <= {op.label for op in operations}
    failures = []
    with asgi.get_client(app) as client:
        for operation in operations:
            for mode, examples in EXAMPLES.items():
                try:
                    fuzz(operation, mode, examples, client, headers)
                except (Exception, BaseExceptionGroup) as error:
                    failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)


def fuzz(operation, mode: GenerationMode, examples: int, client, headers) -> None:
    # No feedback: Schemathesis' constants harvested from the schema would take the place of
    # the seeded ids (tests/fuzz/seed.py) in most cases.
    strategy = operation.as_strategy(generation_mode=mode, feedback=NO_FEEDBACK)

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,  # the same cases on every run: CI is deterministic
        database=None,  # nothing to replay between runs when every run is the same
        deadline=None,  # each example is a real request to PostgreSQL: no per-example timing
        # Generating a mutation's nested inputs and answering it over PostgreSQL is slow by
        # Hypothesis' measure; that is the work, not a badly built strategy. (No need to
        # suppress function_scoped_fixture: @given wraps this inner function, not the test,
        # and the app and database are meant to live across examples.)
        suppress_health_check=[HealthCheck.too_slow],
    )
    def run(case) -> None:
        response = case.call(session=client, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()

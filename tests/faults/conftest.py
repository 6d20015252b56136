"""The fault suite: every test here starts its own processes (PostgreSQL, Redis, API
servers, workers) and breaks them. Not part of the default run; `uv run pytest -m faults`."""

from collections.abc import Iterator

import pytest

from tests.faults.processes import PrivatePostgres


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of the test's own, to stop, freeze and restart."""
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()

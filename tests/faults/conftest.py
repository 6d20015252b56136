"""The fault suite: every test here starts its own processes (PostgreSQL, Redis, API
servers, workers) and breaks them. Not part of the default run; `uv run pytest -m faults`."""

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)

"""The API's connections start with the timeouts of its settings (core/db.py), and without
them when told not to send them (behind PgBouncer)."""

import pytest
from sqlalchemy import text

from bookwell.core.db import Timeouts, connect


@pytest.mark.direct_postgres  # PgBouncer drops these startup parameters
async def test_the_api_connections_start_with_the_server_timeouts(settings, database_url):
    db = connect(database_url, timeouts=Timeouts.of(settings))
    try:
        async with db.read() as session:
            shown = [
                (await session.execute(text(f"SHOW {name}"))).scalar_one()
                for name in (
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                )
            ]
    finally:
        await db.dispose()
    assert shown == ["15s", "5s", "30s"]


def test_server_timeouts_can_be_left_to_the_role(settings):
    assert Timeouts.of(settings).server_settings() == {
        "statement_timeout": "15000",
        "lock_timeout": "5000",
        "idle_in_transaction_session_timeout": "30000",
    }
    unsent = Timeouts.of(settings.model_copy(update={"db_server_timeouts": False}))
    assert unsent.server_settings() == {}
    assert (unsent.pool_seconds, unsent.connect_seconds, unsent.command_seconds) == (
        30.0,  # the tests' settings; the default is 5
        5.0,
        20.0,
    )

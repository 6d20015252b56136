"""Webhook endpoints' secrets are sealed at rest (core/sealed.py): the column holds no secret
in clear, a value opens only with the app's key (or a previous one listed) and on its own
row, a server with another key refuses to sign instead of signing wrong, and migration 0023
seals the rows it finds (its downgrade opens them)."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import text

from bookwell.cli import main
from bookwell.core import migrate
from bookwell.core.config import Settings
from bookwell.core.sealed import SealedSecretError, endpoint_context, webhook_box
from bookwell.services.webhooks import deliveries
from bookwell.workers.webhooks import deliver_webhook
from tests.factories import book, in_days, make_listing
from tests.support.database import admin_execute, plain_url, with_database
from tests.webhooks.helpers import ROTATE, create_endpoint
from tests.webhooks.receiver import running_receiver

HOOK = "http://127.0.0.1:9/hook"
OTHER_KEY = "another-secret-key-that-is-long-enough-for-hs256"


async def stored(db, endpoint_id: str) -> str:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT secret FROM webhook_endpoints WHERE id = :id"), {"id": endpoint_id}
        )
        return found.scalar_one()


def _body(secret: str) -> str:
    return secret.removeprefix("whsec_")


async def test_the_column_holds_no_secret_in_clear(client, db, host_token, settings):
    made = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    endpoint_id, secret = made["endpoint"]["databaseId"], made["secret"]
    assert secret.startswith("whsec_")
    sealed = await stored(db, endpoint_id)
    assert _body(secret) not in sealed and "whsec_" not in sealed
    assert sealed.startswith("v1.")
    box = webhook_box(settings)
    assert box.open(sealed, context=endpoint_context(endpoint_id)) == secret

    rotated = await client(ROTATE, {"id": made["endpoint"]["id"]}, token=host_token)
    new_secret = rotated.data["rotateWebhookSecret"]["secret"]
    resealed = await stored(db, endpoint_id)
    assert new_secret != secret and _body(new_secret) not in resealed
    assert box.open(resealed, context=endpoint_context(endpoint_id)) == new_secret

    async with db.read() as session:  # nowhere else either
        dump = await session.scalar(
            text("SELECT string_agg(t::text, ' ') FROM webhook_endpoints t")
        )
    assert _body(new_secret) not in dump


async def test_a_sealed_secret_opens_only_on_its_own_row_and_with_the_right_key(
    client, db, host_token, settings
):
    first = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    second = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    sealed = await stored(db, first["endpoint"]["databaseId"])
    box = webhook_box(settings)
    with pytest.raises(SealedSecretError, match="not this row's"):
        box.open(sealed, context=endpoint_context(second["endpoint"]["databaseId"]))
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealedSecretError, match="does not open"):
        box.open(tampered, context=endpoint_context(first["endpoint"]["databaseId"]))

    other = webhook_box(settings.model_copy(update={"secret_key": OTHER_KEY}))
    with pytest.raises(SealedSecretError, match="BOOKWELL_SECRET_KEY") as refused:
        other.open(sealed, context=endpoint_context(first["endpoint"]["databaseId"]))
    assert box.key_id in str(refused.value)  # names the key it needs

    # A rotation of the app's key: the old one listed, old values still open.
    rotated = webhook_box(
        settings.model_copy(
            update={"secret_key": OTHER_KEY, "previous_secret_keys": [settings.secret_key]}
        )
    )
    context = endpoint_context(first["endpoint"]["databaseId"])
    assert rotated.open(sealed, context=context) == first["secret"]
    assert not rotated.is_current(sealed)
    assert rotated.is_current(rotated.seal("whsec_x", context=context))


async def test_after_a_key_rotation_reseal_moves_every_secret_to_the_new_key(
    client, db, host_token, settings, database_url, tmp_path
):
    made = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    endpoint_id = made["endpoint"]["databaseId"]
    before = await stored(db, endpoint_id)
    env = {
        "DATABASE_URL": database_url,
        "BOOKWELL_DATA_DIR": str(tmp_path),
        "BOOKWELL_SECRET_KEY": OTHER_KEY,
    }

    def reseal(env: dict[str, str]):
        return CliRunner(env=env).invoke(main, ["webhooks", "reseal"])

    forgotten = await asyncio.to_thread(reseal, env)  # the old key not listed
    assert forgotten.exit_code == 1 and "Nothing changed" in forgotten.output
    assert await stored(db, endpoint_id) == before

    env["BOOKWELL_PREVIOUS_SECRET_KEYS"] = json.dumps([settings.secret_key])
    done = await asyncio.to_thread(reseal, env)
    assert done.exit_code == 0, done.output
    assert "1 endpoint secret(s) sealed again" in done.output
    new_key_only = webhook_box(settings.model_copy(update={"secret_key": OTHER_KEY}))
    resealed = await stored(db, endpoint_id)
    assert new_key_only.is_current(resealed)
    assert new_key_only.open(resealed, context=endpoint_context(endpoint_id)) == made["secret"]
    again = await asyncio.to_thread(reseal, env)
    assert "0 endpoint secret(s)" in again.output


class _NoMail:
    async def send(self, message) -> None:
        raise AssertionError("no mail expected")


async def test_a_server_with_another_key_signs_nothing_and_says_why(
    client, db, host, guest, host_token, settings
):
    listing_id = await make_listing(db, host)
    with running_receiver() as receiver:
        await create_endpoint(client, host_token, receiver.url, ["RESERVATION_CREATED"])
        row = await book(db, guest, listing_id, in_days(10))
        async with db.read() as session:
            outbox_id = await session.scalar(
                text("SELECT id FROM outbox WHERE reservation_id = :id"), {"id": row.id}
            )
        async with db.transaction() as session:
            (delivery_id,) = await deliveries.fan_out(session=session, outbox_id=outbox_id)
        wrong = settings.model_copy(update={"secret_key": OTHER_KEY})
        with pytest.raises(SealedSecretError, match="BOOKWELL_SECRET_KEY"):
            await deliver_webhook(db, _NoMail(), wrong, delivery_id)
        await asyncio.sleep(0.2)
        assert receiver.received == []
        async with db.read() as session:
            status, attempts, due = (
                await session.execute(
                    text(
                        "SELECT status, attempt_count, next_attempt_at <= now() "
                        "FROM webhook_deliveries WHERE id = :id"
                    ),
                    {"id": delivery_id},
                )
            ).one()
        assert (status, attempts, due) == ("PENDING", 0, True)  # nothing leased or recorded
        # With the right key it goes.
        assert await deliver_webhook(db, _NoMail(), settings, delivery_id) is None
        assert len(await asyncio.to_thread(receiver.wait_for, 1)) == 1


@pytest.fixture
async def scratch(server_url: str) -> AsyncIterator[str]:
    name = f"bookwell_seal_{uuid.uuid4().hex[:12]}"
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    yield with_database(server_url, name)
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_migration_seals_existing_secrets_and_its_downgrade_opens_them(
    scratch, monkeypatch
):
    key = "the-migration-test-key-that-is-long-enough"
    monkeypatch.setenv("BOOKWELL_SECRET_KEY", key)
    await asyncio.to_thread(migrate.upgrade, scratch, "0022_book")
    owner, endpoint_id, secret = uuid.uuid4(), uuid.uuid4(), "whsec_" + "Q" * 43 + "="
    conn = await asyncpg.connect(plain_url(scratch))
    try:
        await conn.execute(
            "INSERT INTO users (id, email, name, role) VALUES ($1, 'h@example.com', 'H', 'HOST')",
            owner,
        )
        await conn.execute(
            "INSERT INTO webhook_endpoints (id, owner_id, url, secret, events)"
            " VALUES ($1, $2, 'https://example.com/hook', $3, ARRAY['reservation.created'])",
            endpoint_id,
            owner,
            secret,
        )
        select = "SELECT secret FROM webhook_endpoints WHERE id = $1"

        await asyncio.to_thread(migrate.upgrade, scratch, "0023_sealed_secrets")
        sealed = await conn.fetchval(select, endpoint_id)
        assert sealed.startswith("v1.") and "Q" * 20 not in sealed
        box = webhook_box(Settings(secret_key=key))
        assert box.open(sealed, context=endpoint_context(endpoint_id)) == secret

        config = migrate.alembic_config(scratch)
        await asyncio.to_thread(command.downgrade, config, "0022_book")
        assert await conn.fetchval(select, endpoint_id) == secret
    finally:
        await conn.close()

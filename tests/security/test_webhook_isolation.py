"""Host isolation of webhooks: host A neither sees, changes nor registers for host B's
endpoints, listings or deliveries, and A's endpoints hear nothing of B's bookings."""

from sqlalchemy import text

from bookwell.core.ids import global_id
from bookwell.models import Role
from bookwell.services.webhooks import deliveries
from bookwell.services.webhooks.endpoints import create_endpoint as register
from tests.factories import book, in_days, make_listing, make_token, make_user
from tests.webhooks.helpers import (
    BOX,
    DELETE,
    REPLAY,
    ROTATE,
    UPDATE,
    create_endpoint,
    endpoints,
)

HOOK = "http://127.0.0.1:9/hook"
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def _outbox_id(db, reservation_id) -> int:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT id FROM outbox WHERE reservation_id = :id AND event = :event"),
            {"id": reservation_id, "event": "reservation.created"},
        )
        return found.scalar_one()


async def test_a_host_cannot_see_or_touch_another_hosts_endpoint(client, db, host, host_token):
    other = await make_user(db, Role.HOST, "Otto Other")
    other_token = await make_token(db, other)
    theirs = await create_endpoint(client, other_token, HOOK, ["RESERVATION_CREATED"])
    their_id = theirs["endpoint"]["id"]

    assert (await endpoints(client, host_token))["totalCount"] == 0
    assert (await client(NODE, {"id": their_id}, token=host_token)).data["node"] is None
    for mutation, field, variables in (
        (UPDATE, "updateWebhookEndpoint", {"input": {"id": their_id, "enabled": False}}),
        (ROTATE, "rotateWebhookSecret", {"id": their_id}),
        (DELETE, "deleteWebhookEndpoint", {"id": their_id}),
    ):
        answer = (await client(mutation, variables, token=host_token)).data[field]
        assert [e["code"] for e in answer["errors"]] == ["NOT_FOUND"], field
    listed = await endpoints(client, other_token)
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["enabled"] is True


async def test_a_host_cannot_register_for_another_hosts_listing(client, db, host_token):
    other = await make_user(db, Role.HOST, "Otto Other")
    their_listing = await make_listing(db, other)
    made = await create_endpoint(
        client, host_token, HOOK, ["RESERVATION_CREATED"], listingIds=[str(their_listing)]
    )
    assert made["endpoint"] is None
    assert [(e["code"], e["field"]) for e in made["errors"]] == [
        ("NOT_FOUND", ["input", "listingIds"])
    ]


async def test_events_reach_only_the_listing_owners_endpoints_and_global_ones(
    client, db, host, guest, host_token
):
    other = await make_user(db, Role.HOST, "Otto Other")
    admin = await make_user(db, Role.ADMIN, "Ada Admin")
    their_listing = await make_listing(db, other)
    async with db.transaction() as session:
        mine, _ = await register(
            session=session,
            principal=host,
            url=HOOK,
            events=["reservation.created"],
            listing_ids=None,
            is_global=False,
            box=BOX,
        )
        theirs, _ = await register(
            session=session,
            principal=other,
            url=HOOK,
            events=["reservation.created"],
            listing_ids=None,
            is_global=False,
            box=BOX,
        )
        everyone, _ = await register(
            session=session,
            principal=admin,
            url=HOOK,
            events=["reservation.created"],
            listing_ids=None,
            is_global=True,
            box=BOX,
        )
    row = await book(db, guest, their_listing, in_days(10))
    async with db.transaction() as session:
        made = await deliveries.fan_out(session=session, outbox_id=await _outbox_id(db, row.id))
    async with db.read() as session:
        found = await session.execute(
            text("SELECT endpoint_id FROM webhook_deliveries WHERE id = ANY(:ids)"),
            {"ids": made},
        )
        reached = set(found.scalars())
    assert reached == {theirs.id, everyone.id}
    assert mine.id not in reached

    # Host A sees neither B's delivery by id nor may replay it.
    async with db.read() as session:
        their_delivery = (
            await session.execute(
                text("SELECT id FROM webhook_deliveries WHERE endpoint_id = :id"),
                {"id": theirs.id},
            )
        ).scalar_one()
    delivery_gid = global_id("WebhookDelivery", their_delivery)
    assert (await client(NODE, {"id": delivery_gid}, token=host_token)).data["node"] is None
    answer = (await client(REPLAY, {"id": delivery_gid}, token=host_token)).data
    assert [e["code"] for e in answer["replayWebhookDelivery"]["errors"]] == ["NOT_FOUND"]
    # The admin sees every endpoint.
    admin_token = await make_token(db, admin)
    assert (await endpoints(client, admin_token))["totalCount"] == 3

"""Registering and managing webhook endpoints through GraphQL."""

from bookwell.models import Role
from tests.factories import make_listing, make_token, make_user
from tests.support.graphql_client import database_id
from tests.webhooks.helpers import (
    DELETE,
    ROTATE,
    UPDATE,
    create_endpoint,
    endpoints,
)

HOOK = "http://127.0.0.1:9/hook"  # loopback: allowed in development and tests


async def test_a_host_registers_an_endpoint_and_sees_its_secret_once(client, host_token):
    made = await create_endpoint(
        client, host_token, HOOK, ["RESERVATION_CREATED", "PAYMENT_RECORDED"]
    )
    assert made["errors"] == []
    endpoint = made["endpoint"]
    assert endpoint["url"] == HOOK
    assert endpoint["events"] == ["RESERVATION_CREATED", "PAYMENT_RECORDED"]
    assert endpoint["enabled"] is True and endpoint["listingIds"] is None
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40

    listed = await endpoints(client, host_token)
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["id"] == endpoint["id"]
    assert "secret" not in listed["edges"][0]["node"]


async def test_rotating_gives_a_new_secret(client, host_token):
    made = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    rotated = (await client(ROTATE, {"id": made["endpoint"]["id"]}, token=host_token)).data
    secret = rotated["rotateWebhookSecret"]["secret"]
    assert secret.startswith("whsec_") and secret != made["secret"]


async def test_update_changes_events_and_disables(client, host_token):
    made = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    changes = {"id": made["endpoint"]["id"], "enabled": False, "events": ["RESERVATION_EXPIRED"]}
    answer = (await client(UPDATE, {"input": changes}, token=host_token)).data
    endpoint = answer["updateWebhookEndpoint"]["endpoint"]
    assert endpoint["enabled"] is False and endpoint["events"] == ["RESERVATION_EXPIRED"]
    assert endpoint["disabledReason"] == "Disabled by its owner."
    again = {"id": made["endpoint"]["id"], "enabled": True}
    answer = (await client(UPDATE, {"input": again}, token=host_token)).data
    endpoint = answer["updateWebhookEndpoint"]["endpoint"]
    assert endpoint["enabled"] is True and endpoint["disabledAt"] is None


async def test_delete_removes_it(client, host_token):
    made = await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    deleted = (await client(DELETE, {"id": made["endpoint"]["id"]}, token=host_token)).data
    assert deleted["deleteWebhookEndpoint"]["errors"] == []
    assert (await endpoints(client, host_token))["totalCount"] == 0


async def test_narrowed_to_own_listings(client, db, host, host_token):
    listing_id = await make_listing(db, host)
    made = await create_endpoint(
        client, host_token, HOOK, ["RESERVATION_CREATED"], listingIds=[str(listing_id)]
    )
    assert made["errors"] == []
    assert [database_id(each) for each in made["endpoint"]["listingIds"]] == [listing_id]


async def test_a_guest_may_not_register(client, guest_token):
    made = await create_endpoint(client, guest_token, HOOK, ["RESERVATION_CREATED"])
    assert made["endpoint"] is None and made["secret"] is None
    assert [error["code"] for error in made["errors"]] == ["FORBIDDEN"]


async def test_only_an_admin_registers_a_global_endpoint(client, db, host_token):
    refused = await create_endpoint(
        client, host_token, HOOK, ["RESERVATION_CREATED"], isGlobal=True
    )
    assert [error["code"] for error in refused["errors"]] == ["FORBIDDEN"]
    admin_token = await make_token(db, await make_user(db, Role.ADMIN, "Ada Admin"))
    made = await create_endpoint(client, admin_token, HOOK, ["RESERVATION_CREATED"], isGlobal=True)
    assert made["errors"] == [] and made["endpoint"]["isGlobal"] is True


async def test_bad_urls_and_no_events_are_refused(client, host_token):
    for url, field in (("ftp://example.com/x", "url"), ("not a url", "url")):
        made = await create_endpoint(client, host_token, url, ["RESERVATION_CREATED"])
        assert [(e["code"], e["field"]) for e in made["errors"]] == [
            ("INVALID_INPUT", ["input", field])
        ], url
    made = await create_endpoint(client, host_token, HOOK, [])
    assert [(e["code"], e["field"]) for e in made["errors"]] == [
        ("INVALID_INPUT", ["input", "events"])
    ]


async def test_the_endpoint_list_pages(client, host_token):
    for _ in range(3):
        await create_endpoint(client, host_token, HOOK, ["RESERVATION_CREATED"])
    first = await endpoints(client, host_token, first=2)
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"] is True
    rest = await endpoints(client, host_token, first=2, after=first["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 1 and rest["pageInfo"]["hasNextPage"] is False

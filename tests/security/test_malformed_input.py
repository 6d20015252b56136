"""Input no well-behaved client sends, which used to answer 500: a lone UTF-16 surrogate in
a JSON string (valid JSON, not valid Unicode: PostgreSQL and every encoder refuse it), JSON
nested past the parser's recursion, bytes that are not UTF-8, URLs httpx cannot parse
(`http://0177.0.0.1`, CR/LF, a broken IPv6 literal); and the database errors such input
caused logged their bound parameters (a registration's email and password hash)."""

import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from bookwell.app import create_app
from bookwell.core.db import Database, connect
from bookwell.core.ids import global_id
from tests.factories import make_listing
from tests.security.odd_urls import ODD_URLS

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { accessToken errors { code field message } }
}"""
CREATE_LISTING = """mutation($input: CreateListingInput!) {
  createListing(input: $input) { listing { id } errors { code field message } }
}"""
IMPORT = """mutation($input: ImportCalendarInput!) {
  importCalendar(input: $input) { created errors { code field message } }
}"""
SURROGATES = ["\\ud800", "a\\udfffb", "\\udc00\\ud800", "\\ud83d"]


def refused_cleanly(response, *, status: int | None = None) -> dict:
    assert response.status_code < 500, response.text
    assert "Unexpected error" not in response.text, response.text
    body = response.json()
    assert body.get("errors") or any(
        isinstance(payload, dict) and payload.get("errors")
        for payload in (body.get("data") or {}).values()
    ), body
    if status is not None:
        assert response.status_code == status, response.text
    return body


def raw_body(query: str, variables_json: str) -> bytes:
    return f'{{"query": {json.dumps(query)}, "variables": {variables_json}}}'.encode()


@pytest.mark.parametrize("surrogate", SURROGATES)
async def test_a_lone_surrogate_in_a_variable_is_bad_input(client, surrogate):
    variables = (
        f'{{"input": {{"email": "ann{surrogate}@example.com", '
        f'"password": "correct horse {surrogate}", "name": "Ann {surrogate}"}}}}'
    )
    response = await client.http.post(
        "/graphql",
        content=raw_body(REGISTER, variables),
        headers={"content-type": "application/json"},
    )
    refused_cleanly(response)


@pytest.mark.parametrize(
    "where",
    ["operationName", "query", "extensions"],
)
async def test_a_lone_surrogate_anywhere_in_the_body_is_bad_input(client, where):
    fields = {"query": '"{ listings { totalCount } }"', "operationName": "null", "extensions": "{}"}
    fields[where] = {
        "operationName": '"\\ud800"',
        "query": '"{ listings(filter: {city: \\"\\ud800\\"}) { totalCount } }"',
        "extensions": '{"persistedQuery": {"version": 1, "sha256Hash": "\\ud800"}}',
    }[where]
    body = "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + "}"
    response = await client.http.post(
        "/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    refused_cleanly(response)


async def test_a_lone_surrogate_over_get_is_bad_input(client):
    query = "query($c: String) { listings(filter: {city: $c}) { totalCount } }"
    response = await client.http.get(
        "/graphql", params={"query": query, "variables": '{"c": "\\ud800"}'}
    )
    refused_cleanly(response)


def test_a_lone_surrogate_over_the_websocket_closes_it_as_bad_input(settings):
    with (
        TestClient(create_app(settings)) as test_client,
        test_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_text(
            '{"id": "1", "type": "subscribe", "payload": {"query": '
            '"subscription($id: ID!) { availabilityChanged(listingId: $id) { freeUnits } }",'
            ' "variables": {"id": "\\ud800"}}}'
        )
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == 4400, message


@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize("container", ["[", '{"a":'])
async def test_json_nested_too_deep_is_400(client, depth, container):
    closing = "]" if container == "[" else "}"
    nested = container * depth + "1" + closing * depth
    body = raw_body("query($c: String) { listings { totalCount } }", f'{{"c": {nested}}}')
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    refused_cleanly(response, status=400)


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ listings { totalCount } }", "x": "\xff\xfe"}',
        b'\xef\xbb\xbf{"query": 1e999999}',
    ],
    ids=["not utf-8", "bom and huge number"],
)
async def test_bytes_that_are_not_json_text_are_400(client, body):
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    refused_cleanly(response, status=400)


@pytest.mark.parametrize("url", ODD_URLS)
async def test_odd_calendar_urls_are_a_typed_error(client, db, host, host_token, url):
    listing = global_id("Listing", await make_listing(db, host))
    answer = await client(IMPORT, {"input": {"listingId": listing, "url": url}}, token=host_token)
    assert answer.status < 500 and "Unexpected error" not in str(answer.body), answer.body
    payload = answer.data["importCalendar"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["input", "url"])
    ], payload


def test_every_engine_hides_bound_parameters_in_errors():
    database = connect("postgresql+asyncpg://u:p@localhost/x")
    assert database.engine.sync_engine.hide_parameters
    assert database.autocommit.sync_engine.hide_parameters


async def test_a_database_error_does_not_carry_its_parameters(db: Database, caplog):
    secret = "$argon2id$v=19$secret-hash"
    with caplog.at_level(logging.DEBUG), pytest.raises(DBAPIError) as raised:
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO users (id, email, name, role, password_hash) "
                    "VALUES (gen_random_uuid(), :email, 'x', 'NOPE', :hash)"
                ),
                {"email": "ann@example.com", "hash": secret},
            )
    assert secret not in str(raised.value) and "ann@example.com" not in str(raised.value)
    assert secret not in caplog.text

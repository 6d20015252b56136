"""Unexpected failures are masked for clients and logged with the request id."""

import logging

import pytest

from bookwell.graphql.engine import execution
from bookwell.services.listings import listings
from tests.factories import make_listing


@pytest.mark.parametrize("path", ["ordinary", "compiled"])
async def test_unexpected_errors_are_masked_and_logged(client, db, host, monkeypatch, caplog, path):
    listing_id = await make_listing(db, host)

    async def broken(*_, **__):
        raise RuntimeError("relation secret_table does not exist: SELECT password FROM ...")

    # The compiled read's failure falls back to the executor, whose resolver fails too.
    if path == "compiled":
        monkeypatch.setattr(execution, "answer", broken)
    else:
        monkeypatch.setattr(execution, "bound_read", lambda *_, **__: None)
    monkeypatch.setattr(listings, "listings_by_ids", broken)
    with caplog.at_level(logging.ERROR, logger="bookwell.errors"):
        answer = await client(
            "query($id: ID!) { listing(id: $id) { title } }", {"id": str(listing_id)}
        )

    assert answer.status == 200
    [error] = answer.errors
    assert error["message"] == "Unexpected error."
    request_id = answer.headers["X-Request-ID"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": request_id}
    assert "secret" not in str(answer.body)
    assert any(request_id in record.getMessage() for record in caplog.records)
    assert any("secret_table" in str(record.exc_info[1]) for record in caplog.records)


async def test_domain_errors_in_queries_keep_their_code(client):
    answer = await client(
        '{ searchAvailability(startDate: "2031-01-04", nights: 0) { totalCount } }'
    )
    assert answer.codes == ["INVALID_DATES"]
    assert answer.errors[0]["extensions"]["field"] == ["nights"]

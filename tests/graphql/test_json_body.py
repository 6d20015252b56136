"""graphql/json_body.py reads the common POST as Strawberry's general parser does, and leaves
every other body to it (which answers the refusals: tests/graphql/test_http_protocol.py)."""

import json

import pytest
import strawberry
from cross_web import HTTPException
from strawberry.asgi import GraphQL
from strawberry.http.parse_content_type import parse_content_type

from bookwell.graphql.json_body import is_json, plain_request


@strawberry.type
class Query:
    ok: bool = True


class PostedBody:
    """What Strawberry's parse_http_body reads of a request."""

    method = "POST"
    headers: dict[str, str] = {}
    query_params: dict[str, str] = {}

    def __init__(self, body: bytes):
        self.body = body
        self.content_type = "application/json"

    async def get_body(self) -> bytes:
        return self.body


BODIES = [
    {"query": "{ ok }"},
    {"query": "{ ok }", "variables": None, "operationName": None, "extensions": None},
    {"query": "query Q($a: Int) { ok }", "variables": {"a": 1}, "operationName": "Q"},
    {"query": "{ ok }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}},
    {"query": "{ ok }", "operationName": 7},  # refused later, by check_operation_name
    {"query": "{ ok }", "documentId": "abc", "other": [1, 2]},
    {"query": None, "documentId": "abc"},
    {"documentId": "abc"},
    {},
    {"query": 5},
    {"query": "{ ok }", "variables": [1]},
    {"query": "{ ok }", "variables": "{}"},
    {"query": "{ ok }", "extensions": "x"},
    [{"query": "{ ok }"}],
    [],
]


@pytest.mark.parametrize("body", BODIES, ids=[json.dumps(b)[:40] for b in BODIES])
async def test_the_plain_case_is_read_as_strawberry_reads_it(body):
    view = GraphQL(strawberry.Schema(Query))
    try:
        general = await view.parse_http_body(PostedBody(json.dumps(body).encode()))
    except HTTPException:
        general = None
    fast = plain_request(body)
    if fast is not None:  # else: the general parser answers it, as before
        assert fast == general


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        'application/json; charset="utf-8"',
        "Application/JSON",
        "application/graphql-response+json",
        "application/jsonx",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ],
)
def test_a_json_body_is_told_by_strawberrys_own_rule(content_type):
    media_type, _ = parse_content_type(content_type)
    assert is_json(content_type) is ("application/json" in media_type)
    assert is_json("application/json; charset=utf-8")

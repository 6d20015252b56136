"""The common POST /graphql, read without Strawberry's general parser (issue 18): a JSON
object whose `query` is a string and whose `variables` and `extensions` are objects or null.
Anything else (GET, multipart, a batch, a `documentId` without `query`, a malformed field,
an unusual content type) returns None, and the view parses it the general way, which
answers its refusals."""

from functools import lru_cache
from typing import Any

from starlette.requests import ClientDisconnect, Request
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type


@lru_cache(maxsize=64)
def is_json(content_type: str) -> bool:
    """Strawberry's own test of a JSON body: its media type contains application/json. The
    header's parsing (the email package's) is what costs; a client sends one value."""
    media_type, _ = parse_content_type(content_type)
    return "application/json" in media_type


def plain_request(data: Any) -> GraphQLRequestData | None:
    """`data`, a decoded body, as Strawberry would read it, when it is the plain case."""
    if not isinstance(data, dict):
        return None
    query = data.get("query")
    variables = data.get("variables")
    extensions = data.get("extensions")
    if (
        not isinstance(query, str)
        or not (variables is None or isinstance(variables, dict))
        or not (extensions is None or isinstance(extensions, dict))
    ):
        return None
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=extensions,
        protocol="http",
    )


async def read_body(request: Request) -> bytes:
    """`await request.body()` without its async generator and `aclosing` (a third of the
    plain POST's parsing in a profile): the same messages received the same way (through
    BodyLimits' bounded receive), the same state left on the request (the body kept for
    later readers, the stream consumed, a disconnect noted and raised)."""
    if hasattr(request, "_body"):
        return request._body
    if request._stream_consumed:
        raise RuntimeError("Stream consumed")
    chunks: list[bytes] = []
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.request":
            if chunk := message.get("body", b""):
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            request._is_disconnected = True
            raise ClientDisconnect()
    request._stream_consumed = True
    request._body = body = b"".join(chunks)
    return body

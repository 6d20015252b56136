"""How the GraphQL view answers over HTTP (the GraphQL-over-HTTP specification).

A client that accepts `application/graphql-response+json` gets it, with the specification's
status codes: a request that never reached execution (unparsable, invalid, variables that do
not coerce) is 4xx without a `data` entry, so a client can tell a broken request from a
partial answer. Older clients that accept only `application/json` keep today's answers: 200
with `data: null` and the errors. Either way a refused request answers JSON, never text.

Caching: an anonymous GET of a query that succeeded may be kept by browsers and shared caches
for a few seconds (public data only: a token makes every answer `no-store`).
"""

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def prefers_graphql_response(accept: str | None) -> bool:
    """True when the Accept header takes application/graphql-response+json at least as
    gladly as application/json. No header, or only */*, means application/json (the
    specification's advice while older clients are about)."""
    if not accept:
        return False
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weight, weights.get(media.lower(), 0.0))
    wanted = weights.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= weights.get(JSON, 0.0)


class SubResponse(Response):
    """The headers and status resolvers may set (Strawberry's sub-response), plus what the
    answer's format and caching depend on, read once from the request. Made empty: no
    status (Strawberry's "not set"), no headers, no body."""

    def __init__(self, graphql_response: bool = False, cacheable: bool = False):
        self.status_code = None  # type: ignore[assignment]
        self.background = None
        self.body = b""
        self.raw_headers = []
        self.graphql_response = graphql_response
        self.cacheable = cacheable


def sub_response_for(request: Request) -> SubResponse:
    headers = request.headers
    return SubResponse(
        graphql_response=prefers_graphql_response(headers.get("accept")),
        cacheable=request.method == "GET" and "authorization" not in headers,
    )


def is_request_error(body: Mapping[str, Any]) -> bool:
    """Nothing was executed: no data, and no error belongs to a field (errors raised while
    executing carry a path; parse, validation and variable errors do not)."""
    errors = body.get("errors") or []
    return body.get("data") is None and bool(errors) and all("path" not in e for e in errors)


def shape_answer(body: dict[str, Any], sub_response: SubResponse) -> tuple[dict[str, Any], int]:
    """The body and status of a single operation's answer."""
    status = sub_response.status_code or 200
    if sub_response.graphql_response and is_request_error(body):
        body = {key: value for key, value in body.items() if key != "data"}
        if status == 200:
            status = 400
    return body, status


def content_type(graphql_response: bool) -> str:
    return f"{GRAPHQL_RESPONSE if graphql_response else JSON}; charset=utf-8"


def cache_control(
    sub_response: SubResponse, body: Mapping[str, Any], status: int, max_age: int
) -> str:
    """`max_age` seconds for an anonymous GET that succeeded (0: never), else no-store."""
    if max_age > 0 and sub_response.cacheable and status == 200 and not body.get("errors"):
        return f"public, max-age={max_age}"
    return "no-store"


# What a cached answer depends on besides the URL (GZipMiddleware adds Accept-Encoding).
VARY = "Accept, Authorization"
VARY_HEADER = VARY.encode()


def asks_for_the_ide(method: str, params: Mapping[str, str], accept: str) -> bool:
    """A browser's GET of /graphql opens GraphiQL; a GET that carries an operation (a query,
    or a persisted query's hash in `extensions` or `documentId`) is answered as one."""
    carries_operation = any(name in params for name in ("query", "extensions", "documentId"))
    return method == "GET" and not carries_operation and ("text/html" in accept or "*/*" in accept)


def check_operation_name(name: object) -> None:
    """Strawberry checks `query` and `variables`; a non-string operationName would reach
    graphql-core and fail there."""
    if name is not None and not isinstance(name, str):
        raise HTTPException(
            400, "The GraphQL operation's `operationName` must be a string or null, if provided."
        )


def error_body(message: str, code: str | None = None) -> dict[str, Any]:
    """A request refused before any GraphQL work (not JSON, no query, wrong method)."""
    error: dict[str, Any] = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    return {"errors": [error]}

"""503 SERVICE_UNAVAILABLE answers (issue 16), the same from every place that gives one:
the GraphQL error masking (graphql/extensions.py), load shedding and the last-resort handler
of /graphql (http/graphql_guard.py). Each is counted in /metrics by reason."""

import orjson
from starlette.responses import Response
from starlette.types import Scope

from bookwell.core.errors import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE

UNAVAILABLE_MESSAGE = (
    "The service cannot answer right now (busy, or its database is unavailable); retry shortly."
)
INTERNAL_MESSAGE = "Unexpected error."


def count_unavailable(request: object, reason: str) -> None:
    """Counts one 503 in the app's metrics; `request`: a Starlette request, or None."""
    scope = getattr(request, "scope", None)
    if scope is not None:
        count_in_scope(scope, reason)


def count_in_scope(scope: Scope, reason: str) -> None:
    metrics = getattr(getattr(scope.get("app"), "state", None), "metrics", None)
    if metrics is not None:
        metrics.observe_unavailable(reason)


def graphql_failure(
    request_id: str | None, *, unavailable: bool, graphql_response: bool = False
) -> Response:
    """A /graphql request that failed outside GraphQL execution: JSON in GraphQL's error
    shape with the request id, 503 + Retry-After when retrying helps, else 500."""
    code = SERVICE_UNAVAILABLE if unavailable else "INTERNAL_ERROR"
    error = {
        "message": UNAVAILABLE_MESSAGE if unavailable else INTERNAL_MESSAGE,
        "extensions": {"code": code, "requestId": request_id},
    }
    body: dict[str, object] = {"errors": [error]}
    if not graphql_response:
        body = {"data": None, **body}
    headers = {"Cache-Control": "no-store"}
    if request_id:
        headers["X-Request-ID"] = request_id
    if unavailable:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    media = "application/graphql-response+json" if graphql_response else "application/json"
    return Response(
        orjson.dumps(body),
        status_code=503 if unavailable else 500,
        media_type=f"{media}; charset=utf-8",
        headers=headers,
    )

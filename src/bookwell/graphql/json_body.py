"""The common POST /graphql, read without Strawberry's general parser (issue 18): a JSON
object whose `query` is a string and whose `variables` and `extensions` are objects or null.
Anything else (GET, multipart, a batch, a `documentId` without `query`, a malformed field,
an unusual content type) returns None, and the view parses it the general way, which
answers its refusals."""

from functools import lru_cache
from typing import Any

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

"""A small GraphQL-over-HTTP client for tests."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from bookwell.core.ids import parse_global_id


def database_id(global_id: str) -> uuid.UUID:
    """The UUID (the row's primary key) a global id from an answer names."""
    parsed = parse_global_id(global_id)
    assert parsed is not None and parsed[0] is not None, f"not a global id: {global_id!r}"
    return parsed[1]


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> dict[str, Any]:
        assert self.body.get("errors") is None, self.body
        return self.body["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def codes(self) -> list[str | None]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        return Answer(response.status_code, response.json(), response.headers)

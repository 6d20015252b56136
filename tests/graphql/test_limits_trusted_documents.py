"""Trusted documents: with BOOKWELL_TRUSTED_DOCUMENTS_ONLY, clients send a manifest
document's SHA-256 instead of a query; other queries are refused (but for ADMINs)."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.graphql.limits.trusted_documents import NOT_FOUND, REQUIRED, document_hash
from bookwell.models import Role
from tests.factories import make_token, make_user
from tests.support.lifespan import started
from tests.support.sql_statements import sql_statements

LISTINGS = "query Listings { listings(first: 5) { totalCount edges { node { id } } } }"
OTHER = "{ listings(first: 1) { totalCount } }"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({f"sha256:{document_hash(LISTINGS)}": LISTINGS}))
    return path


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


@pytest.fixture
def only(settings: Settings, manifest: Path) -> Settings:
    return settings.model_copy(
        update={"trusted_documents": manifest, "trusted_documents_only": True}
    )


def listings_total(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["listings"]["totalCount"]


def refusal_code(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body.get("data") is None
    return body["errors"][0]["extensions"]["code"]


async def test_documents_by_id(only):
    hash_ = document_hash(LISTINGS)
    async with serving(only) as (_, http):
        assert listings_total(await http.post("/graphql", json={"documentId": hash_})) == 0
        prefixed = {"documentId": f"sha256:{hash_}"}
        assert listings_total(await http.post("/graphql", json=prefixed)) == 0
        apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash_}}}
        assert listings_total(await http.post("/graphql", json=apollo)) == 0
        json_please = {"Accept": "application/json"}
        by_get = await http.get("/graphql", params={"documentId": hash_}, headers=json_please)
        assert listings_total(by_get) == 0
        # The text of a trusted document is trusted too.
        assert listings_total(await http.post("/graphql", json={"query": LISTINGS})) == 0


async def test_other_queries_are_refused_before_any_resolver(only):
    async with serving(only) as (app, http):
        with sql_statements(app) as statements:
            response = await http.post("/graphql", json={"query": OTHER})
            unknown = await http.post("/graphql", json={"documentId": "ab" * 32})
            swapped = await http.post(
                "/graphql", json={"query": OTHER, "documentId": document_hash(LISTINGS)}
            )
        assert statements == []
        assert refusal_code(response) == REQUIRED
        assert "documentId" in response.json()["errors"][0]["message"]
        assert refusal_code(unknown) == NOT_FOUND
        assert refusal_code(swapped) == REQUIRED


async def test_admins_may_send_any_query(only, db):
    admin = await make_token(db, await make_user(db, Role.ADMIN))
    guest = await make_token(db, await make_user(db, Role.GUEST))
    async with serving(only) as (_, http):
        as_admin = {"Authorization": f"Bearer {admin}"}
        response = await http.post("/graphql", json={"query": OTHER}, headers=as_admin)
        assert listings_total(response) == 0
        as_guest = {"Authorization": f"Bearer {guest}"}
        response = await http.post("/graphql", json={"query": OTHER}, headers=as_guest)
        assert refusal_code(response) == REQUIRED


async def test_without_only_mode_ids_and_queries_both_work(only):
    both = only.model_copy(update={"trusted_documents_only": False})
    async with serving(both) as (_, http):
        response = await http.post("/graphql", json={"documentId": document_hash(LISTINGS)})
        assert listings_total(response) == 0
        assert listings_total(await http.post("/graphql", json={"query": OTHER})) == 0


def test_a_manifest_with_a_wrong_hash_is_refused_at_startup(settings, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"ab" * 32: LISTINGS}))
    with pytest.raises(ValueError, match="not the SHA-256"):
        create_app(settings.model_copy(update={"trusted_documents": path}))

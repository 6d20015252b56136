"""Listing photos through a third-party client: Python gql (AIOHTTPTransport, the GraphQL
multipart request specification) against a live server; then served over HTTP in their
sizes, ordered, described, removed. Bad uploads are typed errors and leave nothing behind."""

import io
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.file_upload import FileVar
from PIL import Image
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.models import Role
from tests.factories import make_listing, make_token, make_user
from tests.support.browser import serving

UPLOAD = gql("""
mutation Upload($listingId: ID!, $file: Upload!, $altText: String!) {
  uploadListingPhoto(listingId: $listingId, file: $file, altText: $altText) {
    photo { id position altText contentType width height byteSize url thumbnailUrl
            sizes { name width height bytes url } }
    errors { code field message }
  }
}""")
PHOTOS = gql("""
query Photos($id: ID!) { listing(id: $id) { photos { id position altText } } }""")
REORDER = gql("""
mutation Reorder($listingId: ID!, $photoIds: [ID!]!) {
  reorderListingPhotos(listingId: $listingId, photoIds: $photoIds) {
    listing { photos { id position } } errors { code field }
  }
}""")
ALT = gql("""
mutation Alt($id: ID!, $altText: String!) {
  updateListingPhoto(id: $id, altText: $altText) { photo { altText } errors { code } }
}""")
REMOVE = gql("""
mutation Remove($id: ID!) {
  removeListingPhoto(id: $id) { listing { photos { id } } errors { code } }
}""")


def image(format: str, size: tuple[int, int] = (1200, 800), noise: bool = False) -> bytes:
    picture = Image.new("RGB", size, (30, 120, 200))
    if noise:
        picture = Image.frombytes("RGB", size, random.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    picture.save(out, format=format)
    return out.getvalue()


def bomb() -> bytes:
    """A few kilobytes of PNG that would decode into 900 million pixels."""
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, format="PNG")
    return out.getvalue()


@asynccontextmanager
async def live(settings) -> AsyncIterator[str]:
    async with serving(create_app(settings)) as base:
        yield base


@asynccontextmanager
async def gql_session(base: str, token: str):
    transport = AIOHTTPTransport(
        url=f"{base}/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    async with Client(transport=transport) as session:
        yield session


async def upload(session, listing_id, data: bytes, name: str, alt: str = "") -> dict:
    request = GraphQLRequest(
        UPLOAD,
        variable_values={
            "listingId": str(listing_id),
            "file": FileVar(io.BytesIO(data), filename=name),
            "altText": alt,
        },
    )
    return (await session.execute(request, upload_files=True))["uploadListingPhoto"]


def stored_files(settings) -> list[Path]:
    root = settings.photo_path
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def fetch(http: httpx.AsyncClient, base: str, url: str) -> httpx.Response:
    return await http.get(base + urlsplit(url).path)


async def test_a_host_uploads_photos_that_are_served_in_their_sizes(db, settings, host):
    token = await make_token(db, host)
    listing_id = await make_listing(db, host, title="Photogenic")
    async with live(settings) as base, gql_session(base, token) as session:
        first = await upload(session, listing_id, image("JPEG"), "front.jpg", "The front")
        assert first["errors"] == [], first
        photo = first["photo"]
        assert (photo["contentType"], photo["width"], photo["height"]) == ("image/jpeg", 1200, 800)
        assert [(s["name"], s["width"], s["height"]) for s in photo["sizes"]] == [
            ("thumbnail", 320, 213),
            ("large", 1200, 800),  # never enlarged
        ]
        async with httpx.AsyncClient() as http:
            thumbnail = await fetch(http, base, photo["thumbnailUrl"])
            assert thumbnail.status_code == 200
            assert thumbnail.headers["content-type"] == "image/jpeg"
            assert "immutable" in thumbnail.headers["cache-control"]
            assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 213)
            assert len(thumbnail.content) == photo["sizes"][0]["bytes"]

            second = await upload(session, listing_id, image("PNG", (500, 900)), "plan.png")
            third = await upload(session, listing_id, image("WEBP", (640, 480)), "garden.webp")
            ids = [p["photo"]["id"] for p in (first, second, third)]
            assert [p["photo"]["position"] for p in (first, second, third)] == [1, 2, 3]
            assert third["photo"]["contentType"] == "image/webp"

            order = [ids[2], ids[0], ids[1]]
            request = GraphQLRequest(
                REORDER, variable_values={"listingId": str(listing_id), "photoIds": order}
            )
            reordered = (await session.execute(request))["reorderListingPhotos"]
            assert [p["id"] for p in reordered["listing"]["photos"]] == order
            incomplete = GraphQLRequest(
                REORDER, variable_values={"listingId": str(listing_id), "photoIds": ids[:2]}
            )
            refused = (await session.execute(incomplete))["reorderListingPhotos"]
            assert refused["errors"] == [{"code": "INVALID_INPUT", "field": ["photoIds"]}]

            alt = GraphQLRequest(ALT, variable_values={"id": ids[1], "altText": "Floor plan"})
            assert (await session.execute(alt))["updateListingPhoto"]["photo"] == {
                "altText": "Floor plan"
            }

            remove = GraphQLRequest(REMOVE, variable_values={"id": ids[0]})
            removed = (await session.execute(remove))["removeListingPhoto"]
            assert [p["id"] for p in removed["listing"]["photos"]] == [ids[2], ids[1]]
            assert (await fetch(http, base, photo["url"])).status_code == 404
            assert len(stored_files(settings)) == 4  # two photos, two sizes each

            # Anyone reads them, in order.
            async with gql_session(base, token) as reader:
                read = GraphQLRequest(PHOTOS, variable_values={"id": str(listing_id)})
                listing = await reader.execute(read)
            assert [p["altText"] for p in listing["listing"]["photos"]] == ["", "Floor plan"]
            node = await http.post(
                f"{base}/graphql",
                json={
                    "query": f'{{ node(id: "{ids[1]}") {{ ... on ListingPhoto {{ altText }} }} }}'
                },
            )
            assert node.json()["data"]["node"] == {"altText": "Floor plan"}

            deleted = await http.post(
                f"{base}/graphql",
                json={
                    "query": "mutation($id: ID!) { deleteListing(id: $id) { errors { code } } }",
                    "variables": {"id": str(listing_id)},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert deleted.json()["data"]["deleteListing"]["errors"] == []
            assert stored_files(settings) == []  # the listing's files went with it


async def test_bad_uploads_are_typed_errors_and_store_nothing(db, settings, host):
    settings.photo_max_bytes = 200_000
    token = await make_token(db, host)
    stranger = await make_token(db, await make_user(db, Role.HOST))
    listing_id = await make_listing(db, host)
    cases = [
        (token, b"just some text, not an image", "notes.jpg", "INVALID_IMAGE"),
        (token, image("GIF", (10, 10)), "anim.gif", "INVALID_IMAGE"),
        (token, image("PNG")[:300], "cut.png", "INVALID_IMAGE"),
        (token, bomb(), "bomb.png", "IMAGE_TOO_LARGE"),
        (token, image("PNG", (600, 600), noise=True), "huge.png", "IMAGE_TOO_LARGE"),
        (stranger, image("JPEG"), "theirs.jpg", "FORBIDDEN"),
    ]
    async with live(settings) as base:
        for who, data, name, code in cases:
            async with gql_session(base, who) as session:
                answer = await upload(session, listing_id, data, name)
            assert answer["photo"] is None
            assert [e["code"] for e in answer["errors"]] == [code], name
        async with gql_session(base, token) as session:
            long_alt = await upload(session, listing_id, image("JPEG"), "ok.jpg", "x" * 501)
            assert long_alt["errors"][0]["field"] == ["altText"]
    assert stored_files(settings) == []
    async with db.transaction() as session:
        count = await session.scalar(text("SELECT count(*) FROM listing_photos"))
    assert count == 0


async def test_a_multipart_request_without_a_token_is_refused_unread(db, settings, host):
    """A form on another site can post multipart/form-data without a preflight; it cannot
    add an Authorization header, so such a request never reaches GraphQL."""
    listing_id = await make_listing(db, host)
    operations = (
        '{"query": "mutation($f: Upload!) { uploadListingPhoto(listingId: \\"'
        + str(listing_id)
        + '\\", file: $f) { errors { code } } }", "variables": {"f": null}}'
    )
    async with live(settings) as base, httpx.AsyncClient() as http:
        answer = await http.post(
            f"{base}/graphql",
            data={"operations": operations, "map": '{"0": ["variables.f"]}'},
            files={"0": ("a.jpg", image("JPEG"), "image/jpeg")},
        )
    assert answer.status_code == 400
    assert "Authorization" in answer.json()["errors"][0]["message"]
    assert stored_files(settings) == []


async def test_only_photo_files_are_served(settings):
    async with live(settings) as base, httpx.AsyncClient() as http:
        for path in (
            "/photos/../../etc/passwd",
            "/photos/listings/x/y/large.txt",
            f"/photos/listings/{uuid.uuid4()}/{uuid.uuid4()}/large.jpg",
        ):
            assert (await http.get(base + path)).status_code == 404


async def test_a_file_sent_as_a_json_value_is_a_typed_error(client, db, host, host_token):
    """Found by the fuzzer: a string where the multipart map puts a file was a server error."""
    listing = await make_listing(db, host)
    answer = await client(
        """mutation($id: ID!) { uploadListingPhoto(listingId: $id, file: "not a file") {
          photo { id } errors { code field } } }""",
        {"id": str(listing)},
        token=host_token,
    )
    payload = answer.data["uploadListingPhoto"]
    assert payload == {"photo": None, "errors": [{"code": "INVALID_IMAGE", "field": ["file"]}]}

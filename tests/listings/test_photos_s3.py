"""Photos in an S3-compatible bucket (BOOKWELL_PHOTO_S3_BUCKET): the same upload, serving
and removal against moto's S3 server, a real HTTP S3 API in a thread (boto3 talks to it
exactly as to AWS or MinIO), with nothing left in the bucket after removal."""

import io
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from bookwell.app import create_app
from tests.factories import make_listing, make_token
from tests.support.lifespan import started
from tests.support.ports import free_port

BUCKET = "bookwell-photos"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def keys(endpoint: str) -> list[str]:
    listed = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 160, 90)).save(out, format="JPEG")
    return out.getvalue()


UPLOAD = (
    '{"query": "mutation($f: Upload!) { uploadListingPhoto(listingId: \\"%s\\", file: $f) '
    '{ photo { id thumbnailUrl } errors { code } } }", "variables": {"f": null}}'
)


async def test_photos_go_to_the_bucket_and_are_served_from_it(db, settings, host, s3_endpoint):
    settings.photo_s3_bucket = BUCKET
    settings.photo_s3_endpoint_url = s3_endpoint
    settings.photo_s3_prefix = "demo"
    token = await make_token(db, host)
    listing_id = await make_listing(db, host)
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        started(create_app(settings)) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        answer = await http.post(
            "/graphql",
            data={"operations": UPLOAD % listing_id, "map": '{"0": ["variables.f"]}'},
            files={"0": ("room.jpg", jpeg(), "image/jpeg")},
            headers=headers,
        )
        payload = answer.json()["data"]["uploadListingPhoto"]
        assert payload["errors"] == []
        stored = keys(s3_endpoint)
        assert len(stored) == 2 and all(
            key.startswith(f"demo/listings/{listing_id}/") for key in stored
        )
        assert not settings.photo_path.exists()  # nothing on disk

        thumbnail = await http.get(urlsplit(payload["photo"]["thumbnailUrl"]).path)
        assert thumbnail.status_code == 200
        assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 240)

        removed = await http.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { removeListingPhoto(id: $id) { errors { code } } }",
                "variables": {"id": payload["photo"]["id"]},
            },
            headers=headers,
        )
        assert removed.json()["data"]["removeListingPhoto"]["errors"] == []
        assert keys(s3_endpoint) == []
        gone = await http.get(urlsplit(payload["photo"]["thumbnailUrl"]).path)
        assert gone.status_code == 404

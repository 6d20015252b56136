"""Photo storage in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...), with boto3 from
the `s3` extra. Chosen by BOOKWELL_PHOTO_S3_BUCKET; credentials come from boto3's usual
chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance role).

boto3 is synchronous and its clients are thread-safe: each call runs in a worker thread.
Files are still served by Bookwell (GET /photos/...), so the bucket may stay private."""

import asyncio
from typing import Any

from bookwell.core.storage_keys import valid_key

MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
    ):
        try:
            import boto3  # type: ignore[import-untyped]
        except ModuleNotFoundError:
            raise RuntimeError(
                "BOOKWELL_PHOTO_S3_BUCKET needs boto3: install bookwell[s3]."
            ) from None
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client: Any = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, key: str) -> str:
        if not valid_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.prefix + key

    async def put(self, key: str, data: bytes) -> None:
        content_type = MIME.get(key.rsplit(".", 1)[-1], "application/octet-stream")
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
        )

    async def read(self, key: str) -> bytes | None:
        try:
            full_key = self._key(key)
        except ValueError:
            return None
        return await asyncio.to_thread(self._read, full_key)

    def _read(self, key: str) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        except self._client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(self._delete_prefix, self._key(prefix.rstrip("/")) + "/")

    def _delete_prefix(self, prefix: str) -> None:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:  # at most 1000 keys a page, as delete_objects takes
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})

"""Trusted documents (persisted queries): clients send the SHA-256 of a document from a
manifest shipped with them instead of its text, as `{"documentId": "<hex>"}` or Apollo's
`extensions.persistedQuery.sha256Hash`. In only-mode any other document is refused,
except from an ADMIN's token (analysts' GraphiQL keeps working)."""

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

REQUIRED = "PERSISTED_QUERY_REQUIRED"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
DOCUMENT_ID = "documentId"  # carried from the body into the operation's extensions


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _normalized(document_id: str) -> str:
    return document_id.removeprefix("sha256:").lower()


def load_manifest(path: Path | None) -> dict[str, str]:
    """{sha256 hex: document}; keys may carry a `sha256:` prefix. A key that is not its
    document's hash is a broken manifest: refuse to start rather than serve it."""
    if path is None:
        return {}
    raw = json.loads(Path(path).read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a trusted documents manifest is a JSON object")
    manifest = {}
    for key, document in raw.items():
        if not isinstance(document, str) or _normalized(key) != document_hash(document):
            raise ValueError(f"{path}: {key!r} is not the SHA-256 of its document")
        manifest[_normalized(key)] = document
    return manifest


def requested_id(extensions: Mapping[str, Any] | None) -> str | None:
    extensions = extensions or {}
    persisted = extensions.get("persistedQuery")
    if isinstance(persisted, Mapping) and isinstance(persisted.get("sha256Hash"), str):
        return persisted["sha256Hash"]
    found = extensions.get(DOCUMENT_ID)
    return found if isinstance(found, str) else None


class DocumentIdRequests:
    """View mixin: a body's top-level `documentId` (GraphQL over HTTP's trusted documents)
    reaches the schema in the operation's extensions; Strawberry reads only `query`."""

    async def parse_http_body(self, request) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)  # type: ignore[misc]
        if not isinstance(data, GraphQLRequestData) or data.query is not None:
            return data
        raw = (
            request.query_params
            if request.method == "GET"
            else self.parse_json(await request.get_body())  # type: ignore[attr-defined]
        )
        document_id = raw.get(DOCUMENT_ID) if isinstance(raw, Mapping) else None
        if isinstance(document_id, str):
            data.extensions = {**(data.extensions or {}), DOCUMENT_ID: document_id}
        return data


class TrustedDocuments(SchemaExtension):
    def __init__(self, manifest: dict[str, str], only: bool):
        super().__init__()
        self.manifest = manifest
        self.only = only

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        wanted = requested_id(context.operation_extensions)
        if wanted is not None:
            document = self.manifest.get(_normalized(wanted))
            if document is None or (context.query and context.query != document):
                self._refuse(NOT_FOUND, "No trusted document has this id.")
            context.query = document
        elif self.only and context.query and not self._trusted(context.query):
            self._refuse(
                REQUIRED,
                "This server runs trusted documents only: send a `documentId` "
                "from the manifest (an ADMIN's token may send any query).",
            )
        yield

    def _trusted(self, query: str) -> bool:
        return document_hash(query) in self.manifest or self._may_send_any_document()

    def _may_send_any_document(self) -> bool:
        principal = getattr(self.execution_context.context, "principal", None)
        return principal is not None and principal.is_admin

    def _refuse(self, code: str, message: str) -> None:
        response = getattr(self.execution_context.context, "response", None)
        if response is not None:
            response.status_code = 400
        raise GraphQLError(message, extensions={"code": code})


def trusted_document_extensions(settings) -> list:
    """None unless configured; the manifest is read once, at startup."""
    if settings.trusted_documents is None and not settings.trusted_documents_only:
        return []
    manifest = load_manifest(settings.trusted_documents)
    return [lambda: TrustedDocuments(manifest, only=settings.trusted_documents_only)]

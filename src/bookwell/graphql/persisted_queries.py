"""Automatic persisted queries, as Apollo Client's persisted-query link speaks them.

The client first sends only `extensions.persistedQuery.sha256Hash`. A server that does not
know the hash answers `PersistedQueryNotFound`, and the client sends the query with its hash
once; the server checks that the hash is the query's and, once the document has parsed and
validated, remembers it for later requests. The memory is per process and bounded in count
and bytes (an LRU): a miss only costs the client one retry.

Trusted documents (graphql/limits/trusted_documents.py) are the stricter form of the same idea; when
a manifest is configured it answers hashes and this extension is not installed, so a client
can never register a document of its own.
"""

from collections import OrderedDict
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from bookwell.graphql.limits.trusted_documents import document_hash

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
# A document larger than this is answered but never remembered (real operations are a few KB).
MAX_DOCUMENT_BYTES = 64 * 1024


class KnownDocuments:
    """sha256 hex -> document text, the most recently used, within `size` documents and
    `max_bytes` of text."""

    def __init__(self, size: int, max_bytes: int = 16 * 1024 * 1024):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    def remember(self, sha256: str, document: str) -> None:
        if len(document) > MAX_DOCUMENT_BYTES or sha256 in self._documents:
            return
        self._documents[sha256] = document
        self.bytes += len(document)
        while len(self._documents) > self.size or self.bytes > self.max_bytes:
            _, dropped = self._documents.popitem(last=False)
            self.bytes -= len(dropped)


class AutomaticPersistedQueries(SchemaExtension):
    def __init__(self, known: KnownDocuments):
        super().__init__()
        self.known = known

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        persisted = (context.operation_extensions or {}).get("persistedQuery")
        to_remember = None
        if persisted is not None:
            context.query, to_remember = self._document(persisted, context.query)
        yield
        # Only a document that parsed and validated is worth keeping: junk is never stored.
        if to_remember and context.graphql_document and not context.pre_execution_errors:
            self.known.remember(*to_remember)

    def _document(self, persisted: object, query: str | None) -> tuple[str, tuple[str, str] | None]:
        """The document to run, and (hash, document) to remember once it validates."""
        wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not wanted:
            raise GraphQLError(
                "Only persistedQuery version 1 with a sha256Hash is supported.",
                extensions={"code": NOT_SUPPORTED},
            )
        wanted = str(wanted).lower()
        if query is None:
            found = self.known.get(wanted)
            if found is None:
                raise GraphQLError(NOT_FOUND_MESSAGE, extensions={"code": NOT_FOUND})
            return found, None
        if document_hash(query) != wanted:
            raise GraphQLError(
                "The persistedQuery sha256Hash is not the SHA-256 of the query.",
                extensions={"code": HASH_MISMATCH},
            )
        return query, (wanted, query)

"""Schema extensions: request limits, caches, and what clients may see of errors."""

import logging
import re
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from bookwell.core.config import Settings
from bookwell.core.errors import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, DomainError
from bookwell.core.unavailable import unavailable_reason
from bookwell.graphql.engine.documents import CachedDocuments, DocumentCache
from bookwell.graphql.extension_pipeline import Pipeline
from bookwell.graphql.limits.cost_checks import QueryCost, max_query_cost_rule
from bookwell.graphql.limits.manage_scope import ManageScope
from bookwell.graphql.limits.rate_limiting import RateLimits
from bookwell.graphql.limits.shape import shape_rules
from bookwell.graphql.limits.trusted_documents import trusted_document_extensions
from bookwell.graphql.persisted_queries import AutomaticPersistedQueries, KnownDocuments
from bookwell.observability.graphql import ObserveOperations
from bookwell.observability.unavailable import UNAVAILABLE_MESSAGE, count_unavailable

log = logging.getLogger("bookwell.errors")

CACHE_SIZE = 1024
SUGGESTION = re.compile(r" Did you mean .*\?$")


class PublicErrors(SchemaExtension):
    """Shows clients what they may see: validation errors, and errors raised on purpose
    (`PublicError`, `DomainError`, with their `code`). Anything else is logged with the
    request id and answered "Unexpected error." with that id."""

    def __init__(self, field_suggestions: bool = True):
        super().__init__()
        self.field_suggestions = field_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            errors = [each for error in result.errors for each in _one_per_mistake(error)]
            result.errors = [self._public(error) for error in errors]

    def _public(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            extensions: dict[str, object] = {"code": original.code.value}
            if original.field:
                extensions["field"] = list(original.field)
            return GraphQLError(
                original.message, error.nodes, path=error.path, extensions=extensions
            )
        # No path: the request itself is wrong (syntax, validation, variable types).
        if original is None or isinstance(original, GraphQLError) or error.path is None:
            if not self.field_suggestions:
                error.message = SUGGESTION.sub("", error.message)
            return error
        request_id = getattr(self.execution_context.context, "request_id", None)
        if (reason := unavailable_reason(original)) is not None:
            return self._unavailable(error, reason, request_id)
        log.error("unexpected error (request %s)", request_id, exc_info=original)
        return GraphQLError(
            "Unexpected error.",
            error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )

    def _unavailable(
        self, error: GraphQLError, reason: str, request_id: str | None
    ) -> GraphQLError:
        """A retryable failure (core/unavailable.py): HTTP 503 with Retry-After, counted."""
        log.warning("service unavailable (request %s): %s", request_id, reason)
        context = self.execution_context.context
        response = getattr(context, "response", None)
        if response is not None and response.status_code != 503:
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            count_unavailable(getattr(context, "request", None), reason)
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            error.nodes,
            path=error.path,
            extensions={"code": SERVICE_UNAVAILABLE, "requestId": request_id},
        )


def _one_per_mistake(error: GraphQLError) -> list[GraphQLError]:
    """DomainErrors (several mistakes in a field's arguments) as one GraphQL error each."""
    original = error.original_error
    if not isinstance(original, DomainError) or len(original.errors) == 1:
        return [error]
    return [
        GraphQLError(each.message, error.nodes, path=error.path, original_error=each)
        for each in original.errors
    ]


class SubscriptionsOverWebsocket(SchemaExtension):
    """A subscription asked over plain HTTP (its text, or a persisted query's) has no stream
    to answer on: refused as a bad request (400) before it runs. Websocket operations have
    no HTTP request in their context."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if request is not None and context.operation_type is OperationType.SUBSCRIPTION:
            response = getattr(context.context, "response", None)
            if response is not None:
                response.status_code = 400
            raise GraphQLError(
                "Subscriptions run over the websocket at /graphql (graphql-transport-ws).",
                extensions={"code": "SUBSCRIPTION_OVER_HTTP"},
            )
        yield


def build_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Per-request factories. Validation rules are built once here: a rule class made per
    request would defeat the validation cache, whose key includes the rules."""
    rules = [
        # Strawberry's QueryDepthLimiter and MaxAliasesLimiter, without their exponential
        # walk of fragments spread in fragments (graphql/limits/shape.py).
        *shape_rules(settings.max_query_depth, settings.max_aliases),
        max_query_cost_rule(settings.max_query_cost),
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    documents = DocumentCache(
        rules,
        max_tokens=settings.max_tokens,
        size=CACHE_SIZE,
        hide_suggestions=not settings.field_suggestions,
    )
    persisted = trusted_document_extensions(settings)
    if not persisted:  # a manifest answers hashes itself; clients then register nothing
        known = KnownDocuments(size=CACHE_SIZE)
        persisted = [lambda: AutomaticPersistedQueries(known)]
    # One extension for Strawberry, which otherwise finds each one's hooks on every request.
    return [
        Pipeline.of(
            [
                # First: its operation hook wraps the others', so it sees the final answer.
                ObserveOperations,
                *persisted,
                lambda: CachedDocuments(documents),
                SubscriptionsOverWebsocket,
                # The cost with the request's variables: before rate limits count anything.
                lambda: QueryCost(settings.max_query_cost),
                # Before the rate limits: what a manage link may not do is not counted either.
                ManageScope,
                RateLimits,
                lambda: PublicErrors(field_suggestions=settings.field_suggestions),
            ]
        )
    ]

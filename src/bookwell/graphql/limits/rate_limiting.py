"""Rate limits on login, booking, creating listings and calendar imports, counted per
operation field (ten aliased `login`s in one request count ten), per client IP and per
signed-in principal, checked after validation and before any resolver runs.

What is guarded is declared on the field itself, in graphql/schema.py:
`strawberry.mutation(..., extensions=[RateLimited("booking")])`. The limiter reads those
declarations from the schema; a new booking mutation is guarded by declaring it, not by
editing this module. The buckets and their limits (settings) are here."""

from collections import Counter as Tally
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry import Schema
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.base import get_object_definition

from bookwell.core.rate_limits import Counter, RateLimiter, login_attempts_at

CODE = "RATE_LIMITED"

Bucket = Literal["login", "booking", "listing", "calendar_import"]


class RateLimited(FieldExtension):
    """Declares a root field rate limited: each time an operation asks for it counts one
    against `bucket`'s limits (per IP and per principal, from settings). Only a declaration:
    it takes no part in resolving (implements neither resolve), RateLimits reads it."""

    def __init__(self, bucket: Bucket):
        self.bucket = bucket


@dataclass(frozen=True)
class Rule:
    name: Bucket
    per_ip: int
    per_principal: int


def rules_from(settings) -> list[Rule]:
    """The buckets, in the order they are checked."""
    return [
        Rule("login", settings.login_limit_per_ip, settings.login_limit_per_principal),
        Rule("booking", settings.booking_limit_per_ip, settings.booking_limit_per_principal),
        Rule("listing", settings.listing_limit_per_ip, settings.listing_limit_per_principal),
        Rule(
            "calendar_import",
            settings.calendar_import_limit_per_ip,
            settings.calendar_import_limit_per_principal,
        ),
    ]


# Per schema, built on first use: {operation type: {root field's GraphQL name: bucket}}.
_guarded: WeakKeyDictionary[Schema, dict[OperationType, dict[str, Bucket]]] = WeakKeyDictionary()


def guarded_fields(schema: Schema) -> dict[OperationType, dict[str, Bucket]]:
    """The root fields declared RateLimited, read from the schema."""
    if (found := _guarded.get(schema)) is None:
        roots = {
            OperationType.QUERY: schema.query,
            OperationType.MUTATION: schema.mutation,
            OperationType.SUBSCRIPTION: schema.subscription,
        }
        found = {}
        for kind, root in roots.items():
            definition = get_object_definition(root) if root is not None else None
            fields = definition.fields if definition is not None else []
            found[kind] = {
                schema.config.name_converter.get_graphql_name(field): extension.bucket
                for field in fields
                for extension in field.extensions
                if isinstance(extension, RateLimited)
            }
        _guarded[schema] = found
    return found


def root_field_counts(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationType | None, Tally[str]]:
    """The operation's type, and how often it asks for each root field (aliases and
    fragments included)."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return None, Tally()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return operation.operation, _count_fields(operation.selection_set, frozenset(), fragments, {})


def _count_fields(
    selection_set: SelectionSetNode,
    visiting: frozenset[str],
    fragments: dict[str, FragmentDefinitionNode],
    fragment_counts: dict[str, Tally[str]],
) -> Tally[str]:
    """Each fragment is counted once and added per spread: spreads of spreads of the same
    fragment must not take exponential time. (A function, not a closure calling itself: that
    would be a reference cycle left behind by every request.)"""
    counts: Tally[str] = Tally()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            counts[selection.name.value] += 1
        elif isinstance(selection, InlineFragmentNode):
            counts.update(
                _count_fields(selection.selection_set, visiting, fragments, fragment_counts)
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting:
                if name not in fragment_counts:
                    fragment_counts[name] = _count_fields(
                        fragments[name].selection_set, visiting | {name}, fragments, fragment_counts
                    )
                counts.update(fragment_counts[name])
    return counts


class RateLimits(SchemaExtension):
    """Reads the limiter, settings, principal and request from the context; without a
    limiter there (tests building a bare context), nothing is limited."""

    async def on_execute(self) -> AsyncIterator[None]:
        refusal = await self._refusal()
        if refusal is not None:
            self.execution_context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    async def _refusal(self) -> GraphQLError | None:
        context = self.execution_context.context
        limiter: RateLimiter | None = getattr(context, "rate_limiter", None)
        document = self.execution_context.graphql_document
        if limiter is None or document is None or not context.settings.rate_limits:
            return None
        kind, counts = root_field_counts(document, self.execution_context.operation_name)
        guarded = guarded_fields(self.execution_context.schema).get(kind, {}) if kind else {}
        settings = context.settings
        request = getattr(context, "request", None)
        ip = request.client.host if request is not None and request.client else "unknown"
        principal = getattr(context, "principal", None)
        for rule in rules_from(settings):
            amount = sum(n for name, n in counts.items() if guarded.get(name) == rule.name)
            if amount == 0:
                continue
            counters = [Counter(f"{rule.name}:ip:{ip}", rule.per_ip)]
            if principal is not None:
                counters.append(
                    Counter(f"{rule.name}:user:{principal.user_id}", rule.per_principal)
                )
            retry_after = await limiter.take(counters, amount, settings.rate_limit_window_seconds)
            if retry_after is not None:
                self._answer_429(context, retry_after)
                return GraphQLError(
                    f"Too many {rule.name} attempts: this operation asks for {amount}; "
                    f"try again in {retry_after} s.",
                    extensions={"code": CODE, "retryAfter": retry_after},
                )
        return None

    @staticmethod
    def _answer_429(context, retry_after: int) -> None:
        _answer_429(context, retry_after)


def _answer_429(context, retry_after: int) -> None:
    response = getattr(context, "response", None)
    if response is not None:
        response.status_code = 429
        response.headers["Retry-After"] = str(retry_after)


async def limit_login_attempts(context, email: str) -> None:
    """Counts one login attempt at this account, from any IP, and raises RATE_LIMITED (HTTP
    429) past `login_limit_per_account` in the window. Called by the login resolver, once
    per login field (aliases count each); the admin's sign-in counts in the same counter
    (core/rate_limits.login_attempts_at), so the limit tells nothing about which accounts
    exist and one account's guesses cannot be spread over the two doors."""
    limiter: RateLimiter | None = getattr(context, "rate_limiter", None)
    settings = context.settings
    if limiter is None or not settings.rate_limits:
        return
    counter = login_attempts_at(email, settings.login_limit_per_account)
    retry_after = await limiter.take([counter], 1, settings.rate_limit_window_seconds)
    if retry_after is not None:
        _answer_429(context, retry_after)
        raise GraphQLError(
            f"Too many login attempts for this account; try again in {retry_after} s.",
            extensions={"code": CODE, "retryAfter": retry_after},
        )

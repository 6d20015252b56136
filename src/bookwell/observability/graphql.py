"""Per GraphQL operation: one log line (name, type, duration, outcome) and its metrics.

Outcomes: "ok"; "user_errors" when a mutation answered `errors: [UserError]` (expected
refusals such as UNAVAILABLE); "error" when the answer has GraphQL errors (bad request,
unauthenticated, unexpected)."""

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

import structlog
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from bookwell.observability.fast_line import info_line
from bookwell.observability.metrics import Metrics

LOGGER_NAME = "bookwell.graphql"
log = structlog.get_logger(LOGGER_NAME)
_stdlib_log = logging.getLogger(LOGGER_NAME)
# Fields of the line whose values the server chose: no client text to redact.
SERVER_FIELDS = frozenset({"operation_type", "duration_ms", "outcome"})

# Root mutations whose answers count as bookings or refusals.
BOOKING_MUTATIONS = frozenset({"createReservation", "bookSlot"})


class ObserveOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._observe(time.perf_counter() - started)

    def _observe(self, seconds: float) -> None:
        context = self.execution_context
        operation = _operation(context)
        kind = operation.operation.value if operation else "unknown"
        name = context.operation_name or (
            operation.name.value if operation and operation.name else None
        )
        result = context.result
        data = result.data if result is not None else None
        user_codes = _user_error_codes(data)
        if result is None or result.errors:
            outcome = "error"
        elif user_codes:
            outcome = "user_errors"
        else:
            outcome = "ok"
        fields: dict[str, Any] = {
            "operation_name": name,
            "operation_type": kind,
            "duration_ms": round(seconds * 1000, 2),
            "outcome": outcome,
        }
        if user_codes:
            fields["user_error_codes"] = sorted(
                {code for codes in user_codes.values() for code in codes}
            )
        if not info_line(_stdlib_log, "graphql request", fields, SERVER_FIELDS):
            log.info("graphql request", **fields)
        metrics = _metrics(context.context)
        if metrics is None:
            return
        metrics.observe_operation(name, kind, outcome, seconds)
        document = context.graphql_document  # not None: there is an operation
        if (
            kind == "mutation"
            and operation is not None
            and document is not None
            and isinstance(data, dict)
        ):
            for key, field in _root_fields(operation, document):
                if field in BOOKING_MUTATIONS and key in data:
                    codes = user_codes.get(key, [])
                    metrics.observe_booking(field, codes[0] if codes else "ok")


def _operation(context: Any) -> OperationDefinitionNode | None:
    document = context.graphql_document
    if document is None:
        return None
    try:
        return get_operation_ast(document, context.operation_name)
    except Exception:
        return None


def _root_fields(
    operation: OperationDefinitionNode, document: DocumentNode
) -> Iterator[tuple[str, str]]:
    """(response key, field name) of each root field: an alias must not hide a booking, nor
    a fragment (`mutation { ...Book }`)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()  # graphql-core merges fields of one response key
    for key, field in _walk(operation.selection_set.selections, fragments, frozenset()):
        if key not in seen:
            seen.add(key)
            yield key, field


def _walk(
    selections: Iterable[SelectionNode],
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> Iterator[tuple[str, str]]:
    """(A function, not a closure calling itself: that would be a reference cycle.)"""
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield (selection.alias or selection.name).value, selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _walk(selection.selection_set.selections, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in visiting:
                selections = fragments[name].selection_set.selections
                yield from _walk(selections, fragments, visiting | {name})


def _user_error_codes(data: object) -> dict[str, list[str]]:
    """Root payloads answering non-empty `errors`: response key -> their codes."""
    found: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return found
    for key, payload in data.items():
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if isinstance(errors, list) and errors:
            found[key] = [
                str(error.get("code") or "UNKNOWN") if isinstance(error, dict) else "UNKNOWN"
                for error in errors
            ]
    return found


def _metrics(context: object) -> Metrics | None:
    request = getattr(context, "request", None)
    app = request.scope.get("app") if request is not None else None
    state = getattr(app, "state", None)
    return getattr(state, "metrics", None)

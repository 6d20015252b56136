"""Rate limits on login and booking, counted per operation field (ten aliased `login`s in
one request count ten), per client IP and per signed-in principal, checked after
validation and before any resolver runs."""

from collections import Counter as Tally
from collections.abc import AsyncIterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from bookwell.core.rate_limits import Counter, RateLimiter

CODE = "RATE_LIMITED"


@dataclass(frozen=True)
class Rule:
    name: str
    fields: frozenset[str]
    per_ip: int
    per_principal: int


def rules_from(settings) -> list[Rule]:
    return [
        Rule(
            "login",
            frozenset({"login", "register"}),
            settings.login_limit_per_ip,
            settings.login_limit_per_principal,
        ),
        Rule(
            "booking",
            frozenset(
                {
                    "createReservation",
                    "bookSlot",
                    "payReservation",
                    "changeReservationDates",
                    "joinWaitlist",
                }
            ),
            settings.booking_limit_per_ip,
            settings.booking_limit_per_principal,
        ),
    ]


def root_field_counts(document: DocumentNode, operation_name: str | None) -> Tally[str]:
    """How often each root field is asked for (aliases and fragments included)."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return Tally()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _count_fields(operation.selection_set, frozenset(), fragments, {})


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
        counts = root_field_counts(document, self.execution_context.operation_name)
        settings = context.settings
        request = getattr(context, "request", None)
        ip = request.client.host if request is not None and request.client else "unknown"
        principal = getattr(context, "principal", None)
        for rule in rules_from(settings):
            amount = sum(counts[name] for name in rule.fields)
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
        response = getattr(context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)

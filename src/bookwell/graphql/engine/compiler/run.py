"""Running a compiled read: the plan of an operation (made once per parsed operation, as
the parse and validation caches are: documents.py), its one statement, and the `data` of the
answer, each root field's JSON as PostgreSQL wrote it (an orjson.Fragment the view sends as
is), for the roots it compiled; the ordinary executor answers the others (execution.py).
None whenever it must answer them all."""

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSchema, OperationDefinitionNode
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.graphql.engine.compiler.parts import Binding, Decline
from bookwell.graphql.engine.compiler.plan import Planner
from bookwell.graphql.engine.compiler.roots import Plan
from bookwell.services.accounts.principal import Principal

PLANS = 256


@dataclass
class Counters:
    """How many operations were planned, answered by a compiled statement (wholly, or
    `partly`: some roots by the ordinary executor), or whose statement answered nothing
    after all (a required root found nothing) (tests and benchmarks read these)."""

    planned: int = 0
    answered: int = 0
    partly: int = 0
    fell_back: int = 0


counters = Counters()


class _Plans:
    """Plans (or None: declined) by operation node identity, the node kept alive beside its
    plan so that no other operation can take its id while the entry exists."""

    def __init__(self, size: int):
        self.size = size
        self._found: OrderedDict[tuple[int, int], tuple[Any, Any, Plan | None]] = OrderedDict()

    def get(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDetails],
    ) -> Plan | None:
        key = (id(schema), id(operation))
        known = self._found.get(key)
        if known is not None and known[0] is schema and known[1] is operation:
            return known[2]
        counters.planned += 1
        try:
            plan: Plan | None = Planner(schema, fragments).operation(operation)
        except Exception:  # Decline, or anything unforeseen: the ordinary path answers
            plan = None
        self._found[key] = (schema, operation, plan)
        if len(self._found) > self.size:
            self._found.popitem(last=False)
        return plan


plans = _Plans(PLANS)


@dataclass(frozen=True, slots=True)
class Bound:
    plan: Plan
    binding: Binding
    db: Database


def bound_read(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDetails],
    variables: VariableValues,
    context: Any,
) -> Bound | None:
    """The plan and this request's values, or None: the ordinary executor answers."""
    settings = getattr(context, "settings", None)
    if not isinstance(settings, Settings) or not settings.compiled_reads:
        return None
    viewer = getattr(context, "principal", None)
    if viewer is None and settings.private_api:
        return None  # the ordinary path refuses it (public_read)
    db = getattr(context, "db", None)
    if not isinstance(db, Database) or not isinstance(viewer, Principal | None):
        return None
    plan = plans.get(schema, operation, fragments)
    if plan is None:
        return None
    try:
        return Bound(plan, plan.bind(variables, viewer), db)
    except Decline:
        return None


@dataclass(frozen=True, slots=True)
class Answered:
    """The compiled roots' values by response key (an orjson.Fragment, or None: null), and
    whether they are every root of the operation."""

    data: dict[str, Any]
    whole: bool


async def answer(bound: Bound) -> Answered:
    """What the statement answers; a required root that found nothing is left out (the
    ordinary executor answers it, with its error)."""
    binding = bound.binding
    text, arguments = bound.plan.statement(binding)
    async with bound.db.raw_read() as connection:
        row = await connection.fetchrow(text, *arguments)
    data: dict[str, Any] = {}
    for index, value in zip(binding.roots, row, strict=True):
        name, root = bound.plan.roots[index]
        if value is not None:
            data[name] = orjson.Fragment(value)
        elif not root.required:
            data[name] = None
    whole = bound.plan.whole and len(data) == len(bound.plan.roots)
    if not data:
        counters.fell_back += 1
    elif not whole:
        counters.partly += 1
    counters.answered += bool(data)
    return Answered(data, whole)

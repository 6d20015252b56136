"""The schema's extensions run as one (graphql/extension_pipeline.py): each step enters its
hooks in the extensions' order and leaves them in reverse, and a refusal leaves the hooks
already entered."""

from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from bookwell.graphql.extension_pipeline import Pipeline


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def recording(calls: list[str]) -> tuple[type[SchemaExtension], type[SchemaExtension]]:
    class First(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            calls.append("first operation")
            try:
                yield
            finally:
                calls.append("first operation done")

        def on_parse(self) -> Iterator[None]:
            calls.append("first parse")
            yield

    class Second(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            calls.append("second operation")
            yield
            calls.append("second operation done")

        def on_validate(self) -> Iterator[None]:
            calls.append(f"second validate {self.execution_context.query}")
            yield

        async def on_execute(self) -> AsyncIterator[None]:
            calls.append("second execute")
            if self.execution_context.variables == {"refuse": True}:
                raise GraphQLError("refused")
            yield
            calls.append("second execute done")

    return First, Second


async def test_hooks_run_in_order_and_unwind_in_reverse() -> None:
    calls: list[str] = []
    schema = strawberry.Schema(query=Query, extensions=[Pipeline.of(recording(calls))])
    calls.clear()  # Pipeline.of built the extensions once, running no hook
    result = await schema.execute("{ hello }")
    assert result.data == {"hello": "world"}
    assert calls == [
        "first operation",
        "second operation",
        "first parse",
        "second validate { hello }",
        "second execute",
        "second execute done",
        "second operation done",
        "first operation done",
    ]


async def test_a_refusal_leaves_the_hooks_entered_before_it() -> None:
    calls: list[str] = []
    schema = strawberry.Schema(query=Query, extensions=[Pipeline.of(recording(calls))])
    calls.clear()
    result = await schema.execute("{ hello }", variable_values={"refuse": True})
    assert result.errors and result.errors[0].message == "refused"
    assert calls[-2:] == ["second execute", "first operation done"]
    assert "second operation done" not in calls  # the exception went through its yield


def test_unsupported_extensions_are_refused_when_built() -> None:
    class AsyncOperation(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            yield

    class Resolves(SchemaExtension):
        def resolve(self, _next, root, info, *args, **kwargs):  # type: ignore[no-untyped-def]
            return _next(root, info, *args, **kwargs)

    for extension in (AsyncOperation, Resolves):
        with pytest.raises(TypeError):
            Pipeline.of([extension])

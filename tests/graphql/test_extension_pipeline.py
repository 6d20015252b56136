"""The schema's extensions run as one (graphql/extension_pipeline.py): each step enters its
hooks in the extensions' order and leaves them in reverse, and a refusal leaves the hooks
already entered; the same under Strawberry's runner and the schema's own (PipelineRunner)."""

from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from bookwell.graphql.extension_pipeline import Pipeline, PipelineRunner, PipelineSchema
from bookwell.graphql.schema import schema as bookwell_schema


class LeanSchema(PipelineSchema, strawberry.Schema):
    pass


SCHEMAS = pytest.mark.parametrize("kind", [strawberry.Schema, LeanSchema])


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


@SCHEMAS
async def test_hooks_run_in_order_and_unwind_in_reverse(kind: type[strawberry.Schema]) -> None:
    calls: list[str] = []
    schema = kind(query=Query, extensions=[Pipeline.of(recording(calls))])
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


@SCHEMAS
async def test_a_refusal_leaves_the_hooks_entered_before_it(kind: type[strawberry.Schema]) -> None:
    calls: list[str] = []
    schema = kind(query=Query, extensions=[Pipeline.of(recording(calls))])
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


@SCHEMAS
def test_an_async_execute_hook_refuses_a_sync_execution(kind: type[strawberry.Schema]) -> None:
    schema = kind(query=Query, extensions=[Pipeline.of(recording([]))])
    result = schema.execute_sync("{ hello }")
    assert result.errors and "failed to complete synchronously" in result.errors[0].message


def test_the_schema_runs_its_pipeline_with_its_own_runner() -> None:
    extensions = bookwell_schema.get_extensions()
    runner = bookwell_schema.create_extensions_runner(None, extensions)  # type: ignore[arg-type]
    assert isinstance(runner, PipelineRunner)


def test_an_exception_is_thrown_into_the_hooks_in_reverse_and_may_be_replaced() -> None:
    calls: list[str] = []

    class Outer(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            try:
                yield
            except KeyError as error:
                calls.append(f"outer saw {error!r}")
                raise

    class Inner(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            try:
                yield
            except ValueError:
                calls.append("inner saw ValueError")
                raise KeyError("replaced") from None

    runner = PipelineRunner(None, Pipeline.of([Outer, Inner])())  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="replaced"), runner.parsing():
        raise ValueError("boom")
    assert calls == ["inner saw ValueError", "outer saw KeyError('replaced')"]


async def test_a_hook_refusing_before_its_yield_leaves_those_entered_before_it() -> None:
    calls: list[str] = []

    class Entered(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            try:
                yield
            except PermissionError:
                calls.append("entered saw the refusal")
                raise

    class Refuses(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            raise PermissionError("no")
            yield

    class NeverEntered(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            calls.append("never")
            yield

    pipeline = Pipeline.of([Entered, Refuses, NeverEntered])()
    runner = PipelineRunner(None, pipeline)  # type: ignore[arg-type]
    with pytest.raises(PermissionError):
        async with runner.executing():
            calls.append("body")
    assert calls == ["entered saw the refusal"]


def test_a_hook_that_does_not_yield_is_an_error() -> None:
    class NoYield(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            return
            yield

    runner = PipelineRunner(None, Pipeline.of([NoYield])())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="didn't yield"), runner.validation():
        pass

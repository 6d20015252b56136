"""The execution engine (src/bookwell/graphql/engine/) overrides graphql-core's executor
internals. An upgrade of graphql-core must fail here, loudly, before it changes answers."""

import inspect
import tomllib
from pathlib import Path

import graphql
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bookwell.graphql.engine import GRAPHQL_CORE_MINOR
from bookwell.graphql.engine.execution import ExecutionContext

ROOT = Path(__file__).resolve().parents[2]

# The executor's methods the engine overrides or calls, with the parameters it passes.
OVERRIDDEN = {
    "execute_field": ["parent_type", "source", "field_details_list", "path", "position_context"],
    "collect_and_execute_subfields": [
        "return_type",
        "field_details_list",
        "path",
        "result",
        "position_context",
    ],
}
CALLED = {
    "collect_subfields": ["return_type", "field_details_list"],
    "complete_value": [
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ],
    "build_resolve_info": ["field_def", "field_nodes", "parent_type", "path"],
    "handle_field_error": ["raw_error", "return_type", "field_details_list", "path"],
}


def _parameters(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def test_the_installed_graphql_core_is_the_minor_the_engine_was_written_for():
    installed = graphql.version_info.major, graphql.version_info.minor
    assert installed == GRAPHQL_CORE_MINOR, (
        f"graphql-core {graphql.__version__} is installed; the execution engine overrides the "
        f"executor internals of {GRAPHQL_CORE_MINOR[0]}.{GRAPHQL_CORE_MINOR[1]}. Read "
        "graphql/engine/execution.py against the new executor, run "
        "tests/graphql/test_execution_paths.py and the bench, then move GRAPHQL_CORE_MINOR and "
        "the pin in pyproject.toml together."
    )


def test_pyproject_pins_graphql_core_to_that_minor():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [spec for spec in project["dependencies"] if spec.startswith("graphql-core")]
    major, minor = GRAPHQL_CORE_MINOR
    assert pins and f"<{major}.{minor + 1}" in pins[0], pins


def test_the_executor_methods_the_engine_overrides_and_calls_keep_their_parameters():
    executor = StrawberryGraphQLCoreExecutionContext
    for name, parameters in {**OVERRIDDEN, **CALLED}.items():
        assert _parameters(getattr(executor, name)) == parameters, name
    for name in OVERRIDDEN:
        assert name in vars(ExecutionContext), f"the engine no longer overrides {name}"
    assert callable(executor.is_awaitable)
    assert _parameters(to_nodes) == ["field_details_list"]
    assert _parameters(get_argument_values)[:5] == [
        "type_def",
        "node",
        "variable_values",
        "fragment_variable_values",
        "hide_suggestions",
    ]


def test_the_executor_still_holds_the_cycle_the_engine_cuts():
    # ExecutionContext.release deletes `async_helpers` (a pair of the executor's own bound
    # methods) so a request's executor is freed at once (tests/http/test_request_garbage.py).
    source = inspect.getsource(graphql.execution.executor)
    assert "async_helpers" in source

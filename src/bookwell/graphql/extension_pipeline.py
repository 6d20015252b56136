"""The schema's extensions as one Strawberry extension (issue 18: the fixed cost of a request).

Strawberry looks for every hook of every extension anew on each request, and wraps each hook
it finds in a new `contextlib` context manager (4 steps x 8 extensions, ~0.1 ms a request).
Here each extension class's hooks are found once: a request builds the extensions, and each
step enters only the hooks that exist, in the extensions' order, and leaves them in reverse,
as Strawberry does. One difference, on purpose: when a hook refuses before its `yield` (a
persisted query not found, a query too costly), the hooks entered before it in that step
are left with that exception at once (Strawberry left them suspended until collected).

Parse, validation and operation hooks must be generators; execution hooks may be async
generators (rate limits ask Redis). Extensions may not resolve fields, stream or add results:
none of ours does, and `Pipeline.of` refuses one that would."""

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import (
    AsyncExitStack,
    ExitStack,
    asynccontextmanager,
    contextmanager,
)
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

Factory = Callable[[], SchemaExtension]
SYNC_STEPS = ("on_operation", "on_parse", "on_validate")
# Hooks a pipeline does not pass on: an extension defining one is refused.
UNSUPPORTED = ("resolve", "get_results", "on_stream_result")


class _Hooks:
    """One extension class's hooks, each made a context manager factory once."""

    def __init__(self, kind: type[SchemaExtension]):
        for name in UNSUPPORTED:
            if getattr(kind, name) is not getattr(SchemaExtension, name):
                raise TypeError(f"{kind.__name__}.{name}: not supported in a Pipeline")
        self.steps: dict[str, tuple[bool, Callable[[Any], Any]]] = {}
        for name in (*SYNC_STEPS, "on_execute"):
            hook = getattr(kind, name)
            if hook is getattr(SchemaExtension, name):
                continue
            if inspect.isasyncgenfunction(hook) and name == "on_execute":
                self.steps[name] = (True, asynccontextmanager(hook))
            elif inspect.isgeneratorfunction(hook):
                self.steps[name] = (False, contextmanager(hook))
            else:
                raise TypeError(f"{kind.__name__}.{name}: must be a generator")


# Per step, the hooks to enter: (the extension's index, whether async, the hook's factory).
Plan = dict[str, list[tuple[int, bool, Callable[[Any], Any]]]]


def _plan(kinds: tuple[type[SchemaExtension], ...], hooks: dict[type, _Hooks]) -> Plan:
    for kind in kinds:
        if kind not in hooks:
            hooks[kind] = _Hooks(kind)
    return {
        step: [
            (index, *hooks[kind].steps[step])
            for index, kind in enumerate(kinds)
            if step in hooks[kind].steps
        ]
        for step in (*SYNC_STEPS, "on_execute")
    }


class Pipeline(SchemaExtension):
    """Made per request by the factory `Pipeline.of(factories)` returns."""

    def __init__(self, extensions: list[SchemaExtension], plan: Plan):
        super().__init__()
        self.extensions = extensions
        self._plan = plan

    @classmethod
    def of(cls, factories: Sequence[Factory]) -> Factory:
        hooks: dict[type, _Hooks] = {}
        plans: dict[tuple[type[SchemaExtension], ...], Plan] = {}

        def build() -> Pipeline:
            extensions = [factory() for factory in factories]
            kinds = tuple(map(type, extensions))
            plan = plans.get(kinds)
            if plan is None:
                plan = plans[kinds] = _plan(kinds, hooks)
            return cls(extensions, plan)

        build()  # refuses an unsupported extension now, not on the first request
        return build

    @property  # type: ignore[override]
    def execution_context(self) -> ExecutionContext:
        return self._execution_context

    @execution_context.setter
    def execution_context(self, context: ExecutionContext) -> None:
        self._execution_context = context
        for extension in self.extensions:
            extension.execution_context = context

    def _enter(self, step: str, stack: ExitStack) -> None:
        extensions = self.extensions
        for index, _is_async, make in self._plan[step]:
            stack.enter_context(make(extensions[index]))

    def _sync_step(self, step: str) -> Iterator[None]:
        with ExitStack() as stack:
            self._enter(step, stack)
            yield

    def on_operation(self) -> Iterator[None]:
        yield from self._sync_step("on_operation")

    def on_parse(self) -> Iterator[None]:
        yield from self._sync_step("on_parse")

    def on_validate(self) -> Iterator[None]:
        yield from self._sync_step("on_validate")

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        async with AsyncExitStack() as stack:
            await self._enter_execute(stack)
            yield

    async def _enter_execute(self, stack: AsyncExitStack) -> None:
        extensions = self.extensions
        for index, is_async, make in self._plan["on_execute"]:
            if is_async:
                await stack.enter_async_context(make(extensions[index]))
            else:
                stack.enter_context(make(extensions[index]))


class _Step:
    """One step of a request (`with`/`async with`, as Strawberry enters its steps), entering
    the pipeline's hooks itself: Strawberry's runner would build a context manager per step
    and look the pipeline's hook up again each time. Never suppresses an exception (nor
    did Strawberry's)."""

    __slots__ = ("_async_stack", "_pipeline", "_stack", "_step")

    def __init__(self, pipeline: Pipeline, step: str):
        self._pipeline = pipeline
        self._step = step

    def __enter__(self) -> None:
        if any(is_async for _index, is_async, _make in self._pipeline._plan[self._step]):
            raise RuntimeError(
                f"SchemaExtension hook {self._pipeline}.on_execute "
                "failed to complete synchronously."
            )
        with ExitStack() as stack:  # a hook refusing leaves those entered before it
            self._pipeline._enter(self._step, stack)
            self._stack = stack.pop_all()

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.__exit__(*exc_info)

    async def __aenter__(self) -> None:
        if self._step != "on_execute":
            return self.__enter__()
        async with AsyncExitStack() as stack:
            await self._pipeline._enter_execute(stack)
            self._async_stack = stack.pop_all()
        return None

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._step != "on_execute":
            return self.__exit__(*exc_info)
        await self._async_stack.__aexit__(*exc_info)
        return None


class PipelineRunner(SchemaExtensionsRunner):
    """Strawberry's runner when the schema's only extension is a Pipeline."""

    def __init__(self, execution_context: ExecutionContext, pipeline: Pipeline):
        super().__init__(execution_context, [pipeline])
        self.pipeline = pipeline

    def operation(self) -> Any:
        return _Step(self.pipeline, "on_operation")

    def parsing(self) -> Any:
        return _Step(self.pipeline, "on_parse")

    def validation(self) -> Any:
        return _Step(self.pipeline, "on_validate")

    def executing(self) -> Any:
        return _Step(self.pipeline, "on_execute")


class PipelineSchema:
    """Mixed into the Schema (before strawberry.Schema): a lean runner for a Pipeline."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        if len(extensions) == 1 and type(extensions[0]) is Pipeline:
            return PipelineRunner(execution_context, extensions[0])
        return super().create_extensions_runner(execution_context, extensions)  # type: ignore[misc]

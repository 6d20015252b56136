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
    AbstractContextManager,
    AsyncExitStack,
    ExitStack,
    asynccontextmanager,
    contextmanager,
)
from typing import Any

from strawberry.extensions import SchemaExtension
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


class Pipeline(SchemaExtension):
    """Made per request by the factory `Pipeline.of(factories)` returns."""

    def __init__(self, extensions: list[SchemaExtension], hooks: dict[type, _Hooks]):
        super().__init__()
        self.extensions = extensions
        self._hooks = hooks

    @classmethod
    def of(cls, factories: Sequence[Factory]) -> Factory:
        hooks: dict[type, _Hooks] = {}

        def build() -> Pipeline:
            extensions = [factory() for factory in factories]
            for extension in extensions:
                if type(extension) not in hooks:
                    hooks[type(extension)] = _Hooks(type(extension))
            return cls(extensions, hooks)

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

    def _entered(self, step: str) -> Iterator[AbstractContextManager[None]]:
        for extension in self.extensions:
            found = self._hooks[type(extension)].steps.get(step)
            if found is not None:
                yield found[1](extension)

    def on_operation(self) -> Iterator[None]:
        with ExitStack() as stack:
            for hook in self._entered("on_operation"):
                stack.enter_context(hook)
            yield

    def on_parse(self) -> Iterator[None]:
        with ExitStack() as stack:
            for hook in self._entered("on_parse"):
                stack.enter_context(hook)
            yield

    def on_validate(self) -> Iterator[None]:
        with ExitStack() as stack:
            for hook in self._entered("on_validate"):
                stack.enter_context(hook)
            yield

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        async with AsyncExitStack() as stack:
            for extension in self.extensions:
                found = self._hooks[type(extension)].steps.get("on_execute")
                if found is None:
                    continue
                is_async, make = found
                if is_async:
                    await stack.enter_async_context(make(extension))
                else:
                    stack.enter_context(make(extension))
            yield

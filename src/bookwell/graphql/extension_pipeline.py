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
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

Factory = Callable[[], SchemaExtension]
SYNC_STEPS = ("on_operation", "on_parse", "on_validate")
# Hooks a pipeline does not pass on: an extension defining one is refused.
UNSUPPORTED = ("resolve", "get_results", "on_stream_result")


def _hooks(kind: type[SchemaExtension]) -> dict[str, tuple[bool, Callable[[Any], Any]]]:
    """One extension class's hooks: step -> (whether an async generator, the function)."""
    for name in UNSUPPORTED:
        if getattr(kind, name) is not getattr(SchemaExtension, name):
            raise TypeError(f"{kind.__name__}.{name}: not supported in a Pipeline")
    steps: dict[str, tuple[bool, Callable[[Any], Any]]] = {}
    for name in (*SYNC_STEPS, "on_execute"):
        hook = getattr(kind, name)
        if hook is getattr(SchemaExtension, name):
            continue
        if inspect.isasyncgenfunction(hook) and name == "on_execute":
            steps[name] = (True, hook)
        elif inspect.isgeneratorfunction(hook):
            steps[name] = (False, hook)
        else:
            raise TypeError(f"{kind.__name__}.{name}: must be a generator")
    return steps


# Per step: whether any hook is async, and the hooks to enter (the extension's index,
# whether async, the hook's function).
Plan = dict[str, tuple[bool, list[tuple[int, bool, Callable[[Any], Any]]]]]


def _plan(kinds: tuple[type[SchemaExtension], ...], hooks: dict[type, dict[str, Any]]) -> Plan:
    for kind in kinds:
        if kind not in hooks:
            hooks[kind] = _hooks(kind)
    plan: Plan = {}
    for step in (*SYNC_STEPS, "on_execute"):
        entries = [
            (index, *hooks[kind][step]) for index, kind in enumerate(kinds) if step in hooks[kind]
        ]
        plan[step] = (any(is_async for _index, is_async, _hook in entries), entries)
    return plan


# A hook is entered and left as contextlib.contextmanager would (next, then next or throw),
# without a context manager object and an ExitStack per hook (issue 18: ~0.4 ms a request).
# As an ExitStack: an exception a hook raises while left replaces the one it was given for
# the hooks left after it; one it swallows is swallowed for them too.


def _left(hook: Any, error: BaseException | None) -> BaseException | None:
    """The exception after leaving one sync hook."""
    try:
        if error is None:
            next(hook)
        else:
            hook.throw(error)
    except StopIteration:
        return None
    except RuntimeError as raised:
        # a StopIteration thrown into a generator comes out a RuntimeError (PEP 479)
        return error if error is not None and raised.__cause__ is error else raised
    except BaseException as raised:
        return raised
    return RuntimeError(
        "generator didn't stop" if error is None else "generator didn't stop after throw()"
    )


async def _left_async(hook: Any, error: BaseException | None) -> BaseException | None:
    try:
        if error is None:
            await hook.__anext__()
        else:
            await hook.athrow(error)
    except StopAsyncIteration:
        return None
    except RuntimeError as raised:
        return error if error is not None and raised.__cause__ is error else raised
    except BaseException as raised:
        return raised
    return RuntimeError(
        "generator didn't stop" if error is None else "generator didn't stop after athrow()"
    )


def _leave(entered: list[Any], error: BaseException | None) -> None:
    """Leaves sync hooks in reverse; raises what is left to raise other than `error`."""
    pending = error
    for hook in reversed(entered):
        pending = _left(hook, pending)
    if pending is not None and pending is not error:
        raise pending


async def _leave_async(entered: list[tuple[bool, Any]], error: BaseException | None) -> None:
    pending = error
    for is_async, hook in reversed(entered):
        pending = await _left_async(hook, pending) if is_async else _left(hook, pending)
    if pending is not None and pending is not error:
        raise pending


class Pipeline(SchemaExtension):
    """Made per request by the factory `Pipeline.of(factories)` returns."""

    def __init__(self, extensions: list[SchemaExtension], plan: Plan):
        super().__init__()
        self.extensions = extensions
        self._plan = plan

    @classmethod
    def of(cls, factories: Sequence[Factory]) -> Factory:
        hooks: dict[type, dict[str, Any]] = {}
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

    def _enter(self, step: str) -> list[Any]:
        """The step's sync hooks entered, in order; when one refuses, those entered before
        it are left with its exception, and it is raised."""
        extensions = self.extensions
        entered: list[Any] = []
        for index, _is_async, hook in self._plan[step][1]:
            generator = hook(extensions[index])
            try:
                next(generator)
            except StopIteration:
                refusal = RuntimeError("generator didn't yield")
                _leave(entered, refusal)
                raise refusal from None
            except BaseException as error:
                _leave(entered, error)
                raise
            entered.append(generator)
        return entered

    async def _enter_execute(self) -> list[tuple[bool, Any]]:
        extensions = self.extensions
        entered: list[tuple[bool, Any]] = []
        for index, is_async, hook in self._plan["on_execute"][1]:
            generator = hook(extensions[index])
            try:
                if is_async:
                    await generator.__anext__()
                else:
                    next(generator)
            except (StopIteration, StopAsyncIteration):
                refusal = RuntimeError("generator didn't yield")
                await _leave_async(entered, refusal)
                raise refusal from None
            except BaseException as error:
                await _leave_async(entered, error)
                raise
            entered.append((is_async, generator))
        return entered

    def _sync_step(self, step: str) -> Iterator[None]:
        entered = self._enter(step)
        try:
            yield
        except BaseException as error:
            _leave(entered, error)
            raise
        _leave(entered, None)

    def on_operation(self) -> Iterator[None]:
        yield from self._sync_step("on_operation")

    def on_parse(self) -> Iterator[None]:
        yield from self._sync_step("on_parse")

    def on_validate(self) -> Iterator[None]:
        yield from self._sync_step("on_validate")

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        entered = await self._enter_execute()
        try:
            yield
        except BaseException as error:
            await _leave_async(entered, error)
            raise
        await _leave_async(entered, None)


class _Step:
    """One step of a request (`with`/`async with`, as Strawberry enters its steps), entering
    the pipeline's hooks itself: Strawberry's runner would build a context manager per step
    and look the pipeline's hook up again each time. Never suppresses an exception (nor
    did Strawberry's)."""

    __slots__ = ("_entered", "_pipeline", "_step")

    def __init__(self, pipeline: Pipeline, step: str):
        self._pipeline = pipeline
        self._step = step

    def __enter__(self) -> None:
        if self._pipeline._plan[self._step][0]:
            raise RuntimeError(
                f"SchemaExtension hook {self._pipeline}.on_execute "
                "failed to complete synchronously."
            )
        self._entered: Any = self._pipeline._enter(self._step)

    def __exit__(self, _type: Any, error: BaseException | None, _traceback: Any) -> None:
        _leave(self._entered, error)

    async def __aenter__(self) -> None:
        if self._step != "on_execute":
            return self.__enter__()
        self._entered = await self._pipeline._enter_execute()
        return None

    async def __aexit__(self, _type: Any, error: BaseException | None, _traceback: Any) -> None:
        if self._step != "on_execute":
            return _leave(self._entered, error)
        return await _leave_async(self._entered, error)


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

"""A compiled operation: its roots, the binders a request runs on them (made once), and the
SQL texts of the variants seen (plan.py makes it; run.py runs it)."""

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

from graphql.execution.values import VariableValues

from bookwell.graphql.engine.compiler.parts import Binder, Binding, Const, Decline, Part
from bookwell.graphql.engine.compiler.sql import concat, positional
from bookwell.services.accounts.principal import Principal

# Different SQL texts kept per plan (a kind of page, of filter, of viewer each).
STATEMENTS_PER_PLAN = 64


@dataclass(frozen=True)
class Root:
    part: Part
    # A null answer (nothing found) sends the operation to the ordinary path, for its error.
    required: bool = False


@dataclass
class Plan:
    """The compiled roots by response key, in the document's order (the others are the
    ordinary executor's)."""

    roots: tuple[tuple[str, Root], ...]
    # Whether these are all the operation's roots (none is the ordinary executor's).
    whole: bool = True
    _statements: dict[tuple[Hashable, ...], tuple[str, tuple[str, ...]]] = field(
        default_factory=dict
    )
    # Per root: its index, its parts' binders in order, and whether it asks the database.
    _binders: tuple[tuple[int, tuple[Binder, ...], bool], ...] = field(init=False)

    def __post_init__(self) -> None:
        self._binders = tuple(
            (index, tuple(root.part.binders()), queried(root))
            for index, (_, root) in enumerate(self.roots)
        )

    def bind(self, variables: VariableValues, viewer: Principal | None) -> Binding:
        """This request's values; a root whose arguments the compiler cannot take (a bad
        cursor, a manage link's viewer) is left out of `binding.roots`, for the ordinary
        executor. Decline when none is left."""
        binding = Binding(variables, viewer)
        queried = False
        for index, binders, asks in self._binders:
            variants = len(binding.variants)
            try:
                for bind in binders:
                    bind(binding)
            except Decline:
                del binding.variants[variants:]  # its parameters go unused
                continue
            binding.roots.append(index)
            queried = queried or asks
        if not queried:
            raise Decline  # a statement for a __typename alone is not worth its round trip
        return binding

    def statement(self, binding: Binding) -> tuple[str, list]:
        """The SQL text for the binding's roots and variants (made once each) and its
        arguments: a column per root in `binding.roots`."""
        variants = (tuple(binding.roots), *binding.variants)
        found = self._statements.get(variants)
        if found is None:
            found = positional(self._render(binding.roots, iter(binding.variants)))
            if len(self._statements) < STATEMENTS_PER_PLAN:
                self._statements[variants] = found
        text, names = found
        return text, [binding.params[name] for name in names]

    def _render(self, roots: list[int], variants: Iterator[Hashable]) -> str:
        columns = [
            f'{concat(self.roots[index][1].part.pieces(variants))} AS "{index}"' for index in roots
        ]
        return "SELECT " + ", ".join(columns)


def queried(root: Root) -> bool:
    return not isinstance(root.part, Const)

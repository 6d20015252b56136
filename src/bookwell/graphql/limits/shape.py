"""Depth and alias limits, as Strawberry's QueryDepthLimiter and MaxAliasesLimiter (same
rules, same messages), but costing each fragment once: theirs walk a fragment again at
every spread, so a 4 KB document of fragments that each spread the next one twice keeps a
worker busy for hours (2^n walks) before any limit answers."""

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


class _Measure:
    """The deepest chain of fields and the number of aliases under a selection set, each
    fragment measured once (a cycle counts nothing: NoFragmentCycles reports it)."""

    def __init__(self, document: DocumentNode):
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, tuple[int, int]] = {}

    def of(self, selection_set: SelectionSetNode | None, visiting: frozenset[str]):
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner_depth, inner_aliases = self.of(selection.selection_set, visiting)
                aliases += inner_aliases + (1 if selection.alias else 0)
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner_depth)
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_aliases = self.of(selection.selection_set, visiting)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_aliases = self.fragment(selection.name.value, visiting)
                depth, aliases = max(depth, inner_depth), aliases + inner_aliases
        return depth, aliases

    def fragment(self, name: str, visiting: frozenset[str]) -> tuple[int, int]:
        fragment = self.fragments.get(name)
        if fragment is None or name in visiting:
            return 0, 0
        if name not in self.measured:
            self.measured[name] = self.of(fragment.selection_set, visiting | {name})
        return self.measured[name]


def shape_rules(max_depth: int, max_aliases: int) -> list[type[ValidationRule]]:
    """One rule class, built once (the validation cache keys on the rules)."""

    class MaxDepthAndAliases(ValidationRule):
        def __init__(self, context: ValidationContext):
            super().__init__(context)
            measure = _Measure(context.document)
            total_aliases = 0
            for definition in context.document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                depth, aliases = measure.of(definition.selection_set, frozenset())
                total_aliases += aliases
                if depth > max_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    context.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            definition,
                        )
                    )
            if total_aliases > max_aliases:
                context.report_error(
                    GraphQLError(f"{total_aliases} aliases found. Allowed: {max_aliases}")
                )

    return [MaxDepthAndAliases]

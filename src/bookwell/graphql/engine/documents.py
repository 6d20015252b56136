"""Parsing and validation, each done once per query text, for every request that sends it.

In place of Strawberry's MaxTokensLimiter, ParserCache, AddValidationRules and ValidationCache:
the same work in one extension instead of four made per request, and a validation cache keyed
by the parsed document's identity. Strawberry's ValidationCache keys its LRU on the document
itself, and hashing a graphql-core document hashes its whole tree (about 50 nodes for a small
search), on every request; the parse cache hands out the same document object for the same
text, so identity is the right key.
"""

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule


class _Identity:
    """A document as a cache key: equal only to itself, hashed by address (and kept alive by
    the cache, so no other document can take that address while the entry exists)."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode):
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.document is self.document


Rules = tuple[type[ASTValidationRule], ...]


class DocumentCache:
    """One per schema: the parsed documents of the last `size` query texts, and their
    validation errors (none for a valid document). `hide_suggestions`: no "Did you mean
    ...?" in the errors (production)."""

    def __init__(
        self,
        rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        size: int,
        hide_suggestions: bool = False,
    ):
        # Strawberry's own rules (its validate_document adds them, without the option).
        self.rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
        self.hide_suggestions = hide_suggestions
        self.parse: Callable[[str], DocumentNode] = lru_cache(maxsize=size)(
            partial(parse, max_tokens=max_tokens)
        )
        self._validate = lru_cache(maxsize=size)(self._validate_uncached)

    def validate(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        return self._validate(schema, _Identity(document), rules + self.rules)

    def _validate_uncached(
        self, schema: GraphQLSchema, key: _Identity, rules: Rules
    ) -> list[GraphQLError]:
        return validate(schema, key.document, rules, hide_suggestions=self.hide_suggestions)


class CachedDocuments(SchemaExtension):
    def __init__(self, cache: DocumentCache):
        super().__init__()
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            # A syntax error (or too many tokens) raises here, as in Strawberry's ParserCache.
            context.graphql_document = self.cache.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = self.cache.validate(
            context.schema._schema, context.graphql_document, tuple(context.validation_rules)
        )
        yield

"""Parsing and validation are done once per query text (graphql/engine/documents.py)."""

import pytest
from graphql import GraphQLError, specified_rules
from graphql.validation import ValidationRule

from bookwell.core.config import Settings
from bookwell.graphql.engine.documents import DocumentCache
from bookwell.graphql.schema import build_schema


class CountingRule(ValidationRule):
    runs = 0

    def __init__(self, context):
        super().__init__(context)
        CountingRule.runs += 1


@pytest.fixture
def schema():
    return build_schema(Settings(secret_key="k" * 40))._schema


def test_a_text_is_parsed_and_validated_once(schema):
    cache = DocumentCache([CountingRule], max_tokens=100, size=8)
    CountingRule.runs = 0
    document = cache.parse("{ me { id } }")
    assert cache.parse("{ me { id } }") is document
    assert cache.validate(schema, document, ()) == []
    assert cache.validate(schema, document, ()) == []
    assert CountingRule.runs == 1
    # The same query in another text is another document, validated on its own (identity,
    # not a deep hash of the tree, is the key).
    other = cache.parse("{ me { id }}")
    assert other is not document
    cache.validate(schema, other, ())
    assert CountingRule.runs == 2


def test_errors_are_cached_with_the_document(schema):
    cache = DocumentCache([], max_tokens=100, size=8)
    document = cache.parse("{ nothingLikeThis }")
    first = cache.validate(schema, document, tuple(specified_rules))
    assert first and "nothingLikeThis" in first[0].message
    assert cache.validate(schema, document, tuple(specified_rules)) is first


def test_too_many_tokens_is_a_syntax_error():
    cache = DocumentCache([], max_tokens=10, size=8)
    with pytest.raises(GraphQLError, match="more than 10 tokens"):
        cache.parse("{ a b c d e f g h i j k l }")

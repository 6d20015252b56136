from pathlib import Path

from bookwell.graphql.schema import schema

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_is_the_built_schema():
    """schema.graphql is the public contract: regenerate it (`bookwell schema > schema.graphql`)
    only as a deliberate API change."""
    assert SDL.read_text().strip() == schema.as_str().strip()

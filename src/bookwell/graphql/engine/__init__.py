"""The execution fast paths over graphql-core's internals: plain fields without per-field
machinery (execution.py, plain_tree.py), pages written as JSON by PostgreSQL (json_pages.py),
parse and validation cached per document (documents.py), and rows read by column (rows.py).
Before all of them, the compiled read path (compiler/) answers the queries it covers with one
SQL statement.

They override methods of graphql-core's executor that are not its public API, so they are
written for one minor version of it; pyproject.toml pins that minor, and
tests/test_graphql_core_pin.py fails on another one until the overrides are checked."""

GRAPHQL_CORE_MINOR = (3, 3)

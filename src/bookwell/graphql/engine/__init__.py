"""The execution fast paths over graphql-core's internals: plain fields without per-field
machinery (execution.py, plain_tree.py), pages written as JSON by PostgreSQL (json_pages.py),
parse and validation cached per document (documents.py), and rows read by column (rows.py)."""

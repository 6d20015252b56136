"""A host's customers: types and queries."""

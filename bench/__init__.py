"""Bookwell's benchmark: `uv run python -m bench.run` (see bench/README.md)."""

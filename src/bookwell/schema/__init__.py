"""Strawberry types, inputs, enums and errors; `root.py` builds the schema."""

"""The report query and its types."""

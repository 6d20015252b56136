"""The tests' signing key: random for each test process, because a key written in the
repository is published, and production refuses published keys (core/secret_keys.py), while
tests run production settings too."""

import secrets

TEST_SECRET_KEY = secrets.token_urlsafe(32)

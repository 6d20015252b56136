"""What a photo storage key may be: a relative path of lowercase letters, digits, dots,
dashes and slashes, made by the application and checked again by every storage, so that no
key can leave the storage's root."""

import re

_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")


def valid_key(key: str) -> bool:
    return len(key) <= 300 and _KEY.fullmatch(key) is not None and ".." not in key

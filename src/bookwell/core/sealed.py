"""Secrets the app must read back in clear (a webhook endpoint's signing secret), sealed at
rest with AES-256-GCM (`cryptography`).

The key is derived from the app's secret key with HKDF-SHA256, whose `info` names the use and
the derivation's version: no key serves two uses, and a later derivation (v2) can be added
beside this one. A sealed value says how to open it: "v1.<key id>.<base64url(nonce |
ciphertext | tag)>", the key id being a digest of the derived key. `context` (the row's id) is
authenticated with it, so a value copied onto another row does not open.

Rotating the app's secret key: set the new one and list the old one in
BOOKWELL_PREVIOUS_SECRET_KEYS; values sealed under it still open (by their key id) and new ones
are sealed under the new key. A value whose key is neither fails with SealedSecretError, which
names the key it needs.
"""

import base64
import binascii
import hashlib
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bookwell.core.config import Settings
from bookwell.core.db import secret_key

VERSION = "v1"
NONCE_BYTES = 12
WEBHOOK_SECRETS = "webhook endpoint secrets"


class SealedSecretError(Exception):
    """A sealed value that cannot be opened with the keys this process has."""


def _derive(app_secret: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"bookwell {purpose} {VERSION}".encode(),
    )
    return hkdf.derive(app_secret.encode())


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"bookwell key id " + key).hexdigest()[:12]


class SecretBox:
    """Seals with the current key; opens with it or a previous one (by the value's key id)."""

    def __init__(self, app_secret: str, *, purpose: str, previous: Sequence[str] = ()):
        derived = [_derive(each, purpose) for each in (app_secret, *previous)]
        self.key_id = _key_id(derived[0])
        self._current = AESGCM(derived[0])
        self._keys = {_key_id(key): AESGCM(key) for key in reversed(derived)}

    def seal(self, plaintext: str, *, context: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext.encode(), context)
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.key_id}.{body}"

    def open(self, value: str, *, context: bytes) -> str:
        version, _, rest = value.partition(".")
        key_id, _, body = rest.partition(".")
        if version != VERSION or not key_id or not body:
            raise SealedSecretError(f"Not a sealed value of version {VERSION}.")
        key = self._keys.get(key_id)
        if key is None:
            raise SealedSecretError(
                f"Sealed under key {key_id}, which is neither this server's secret key "
                f"({self.key_id}) nor one of BOOKWELL_PREVIOUS_SECRET_KEYS: is "
                "BOOKWELL_SECRET_KEY the one it was stored with?"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise SealedSecretError(
                f"A value sealed under key {key_id} does not open: altered, or not this row's."
            ) from None

    def is_current(self, value: str) -> bool:
        return value.startswith(f"{VERSION}.{self.key_id}.")


def webhook_box(settings: Settings) -> SecretBox:
    """The box of webhook endpoints' secrets, from the app's secret key (core.db.secret_key)."""
    return SecretBox(
        secret_key(settings), purpose=WEBHOOK_SECRETS, previous=settings.previous_secret_keys
    )


def endpoint_context(endpoint_id: object) -> bytes:
    """What a webhook endpoint's sealed secret is bound to: its row's id."""
    return f"webhook_endpoints.secret:{endpoint_id}".encode()

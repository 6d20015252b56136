"""Calendar feed tokens: a listing's feed is public to whoever holds its URL.

The token is an HMAC-SHA256 of the listing id under the app's secret key, so it needs no
table and no lookup, and cannot be guessed for another listing. It changes only with the
secret key: rotating BOOKWELL_SECRET_KEY revokes every feed URL at once.
"""

import base64
import hashlib
import hmac
import uuid

PURPOSE = b"bookwell calendar feed v1:"


def feed_token(key: str, listing_id: uuid.UUID) -> str:
    digest = hmac.new(key.encode(), PURPOSE + str(listing_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def is_feed_token(key: str, listing_id: uuid.UUID, token: str) -> bool:
    """In constant time, whatever `token` holds."""
    expected = feed_token(key, listing_id).encode()
    return hmac.compare_digest(expected, token.encode("utf-8", "replace"))


def feed_path(listing_id: uuid.UUID) -> str:
    return f"/listings/{listing_id}/calendar.ics"


def feed_url(public_url: str, key: str, listing_id: uuid.UUID) -> str:
    return f"{public_url.rstrip('/')}{feed_path(listing_id)}?token={feed_token(key, listing_id)}"

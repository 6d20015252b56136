"""Where composed messages go: an SMTP server, or .eml files in a folder.

`send` raises when a message was not handed over, so the queue retries it.
"""

import asyncio
import os
import re
import tempfile
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bookwell.core.config import Settings

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """smtp://[user:password@]host[:port] upgrades with STARTTLS when the server offers it,
    and insists on it when there is a password to send (`?starttls=off` allows cleartext,
    for a local relay); smtps:// speaks TLS from the start. No user: no authentication."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            # Never echo the URL: it may hold a password.
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://...")
        self._implicit_tls = parts.scheme == "smtps"
        self._hostname = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        # None: STARTTLS when offered. True: fail rather than send a password in cleartext
        # (a stripped STARTTLS offer is how that attack looks).
        cleartext_allowed = "starttls=off" in parts.query.lower()
        self._start_tls = None if self._username is None or cleartext_allowed else True

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self._hostname,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._implicit_tls,
            start_tls=False if self._implicit_tls else self._start_tls,
            timeout=self._timeout,
        )


class FileMailer:
    """Each message as `<timestamp>-<message id>.eml` in `directory`, written whole: a
    reader never sees half a file (written under a temporary name, then renamed)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        ident = _UNSAFE.sub("_", str(message["Message-ID"] or uuid.uuid4().hex)).strip("_.")
        target = self.directory / f"{stamp}-{ident}.eml"
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(message.as_bytes())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


def build_mailer(settings: Settings) -> Mailer:
    """SMTP when SMTP_URL is set, else .eml files under the data directory."""
    if settings.smtp_url is not None:
        return SmtpMailer(settings.smtp_url.get_secret_value())
    return FileMailer(settings.mail_path)

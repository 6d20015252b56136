"""One notice as one email: plain text and HTML alternatives, and the booking's .ics."""

import hashlib
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from bookwell.mail.ics import invite
from bookwell.mail.notice import Notice
from bookwell.mail.render import render

CTE = "quoted-printable"


def message_id(outbox_id: int, email: str) -> str:
    """The same for every attempt at one (event, recipient): a redelivered message can be
    recognised as a duplicate by its Message-ID."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:12]
    return f"<bookwell.{outbox_id}.{digest}@bookwell>"


def compose(notice: Notice, *, sender: str, public_url: str) -> EmailMessage:
    rendered = render(notice, public_url=public_url)
    calendar = invite(notice, organizer=sender)
    recipient = notice.recipient

    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    # A name is free text: one line of it, or the header would break.
    name = " ".join(recipient.name.split())
    message["To"] = Address(display_name=name, addr_spec=recipient.email)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(notice.outbox_id, recipient.email)
    message["Auto-Submitted"] = "auto-generated"
    # Quoted-printable: 7-bit safe for any relay, still readable in a saved .eml file.
    message.set_content(rendered.text, cte=CTE)
    message.add_alternative(rendered.html, subtype="html", cte=CTE)
    message.add_attachment(
        calendar.text,
        subtype="calendar",
        filename="booking.ics",
        params={"method": calendar.method},
        cte=CTE,
    )
    return message

"""Message text from templates: one template per event (templates/events/<event>.j2) with a
`subject` and a `body` block, rendered through a plain-text layout and through an HTML
layout with autoescape. The facts table and every formatted value are prepared here, so
templates only choose words.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from bookwell.mail.formats import day, guests_line, moment, money, place
from bookwell.mail.notice import Notice
from bookwell.mail.period import period_of

_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(notice: Notice, *, public_url: str) -> Rendered:
    context = _context(notice, public_url)
    name = f"events/{notice.event}.j2"
    text = _environment(html=False).get_template(name)
    subject = "".join(text.blocks["subject"](text.new_context(context)))
    return Rendered(
        subject=" ".join(subject.split()),
        text=_tidy(text.render(context)),
        html=_environment(html=True).get_template(name).render(context),
    )


def facts(notice: Notice) -> list[tuple[str, str]]:
    """The booking at a glance, as (label, value) rows below every message."""
    booking = notice.booking
    when = period_of(booking)
    slot = booking.starts_at is not None
    rows = [
        ("Listing", booking.listing_title),
        ("Starts" if slot else "Check-in", moment(when.start, booking.timezone)),
        ("Ends" if slot else "Check-out", moment(when.end, booking.timezone)),
    ]
    if where := place(booking):
        rows.append(("Where", where))
    if booking.party_size:
        rows.append(("Party", str(booking.party_size)))
    if booking.quantity > 1:
        rows.append(("Units", str(booking.quantity)))
    if booking.adults is not None:
        rows.append(("Guests", guests_line(booking.adults, booking.children or 0)))
    rows.append(("Guest", booking.guest_name))
    if notice.role == "guest":
        rows.append(("Host", booking.host.name))
    rows.extend(
        (line.description, money(line.amount, booking.currency)) for line in booking.price_lines
    )
    rows.append(("Total", money(booking.total, booking.currency)))
    if booking.refunded:
        rows.append(("Refunded", money(booking.refunded, booking.currency)))
    if booking.special_requests:
        rows.append(("Special requests", booking.special_requests))
    rows.append(("Status", booking.status.capitalize()))
    rows.append(("Reference", str(booking.reservation_id)))
    return rows


def _context(notice: Notice, public_url: str) -> dict[str, Any]:
    booking = notice.booking
    expires_at = booking.expires_at
    return {
        "notice": notice,
        "role": notice.role,
        "recipient": notice.recipient,
        "booking": booking,
        "data": notice.data,
        "title": booking.listing_title,
        "slot": booking.starts_at is not None,
        "start": moment(period_of(booking).start, booking.timezone),
        "deadline": moment(expires_at, booking.timezone) if expires_at else None,
        "refund": money(booking.refunded, booking.currency) if booking.refunded else None,
        "paid": money(booking.paid, booking.currency) if booking.paid else None,
        "no_show_refund_percent": booking.no_show_refund_percent,
        "facts": facts(notice),
        "public_url": public_url.rstrip("/"),
    }


@cache
def _environment(*, html: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("bookwell.mail", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals["layout"] = "layout.html.j2" if html else "layout.txt.j2"
    environment.filters["day"] = day
    environment.filters["paragraphs"] = _html_paragraphs if html else _text_paragraphs
    return environment


def _split_paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by blank lines; the lines within one are joined."""
    return [" ".join(part.split()) for part in _BLANK_LINE.split(text.strip()) if part.strip()]


def _text_paragraphs(text: str) -> str:
    return "\n\n".join(_split_paragraphs(text))


def _html_paragraphs(html: str) -> Markup:
    # The body block was rendered with autoescape, so its pieces are as safe as the whole.
    safe = escape(html)
    return Markup("\n").join(Markup("<p>%s</p>") % Markup(part) for part in _split_paragraphs(safe))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"

"""Every event reads right in both parts, with times in the listing's zone and an .ics."""

from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage

import icalendar
import pytest

from bookwell.mail import compose, message_id
from bookwell.services.notifications.outbox import NOT_EMAILED, Event
from tests.notifications.notices import BERLIN_STAY, NEW_YORK_TABLE, PUBLIC_URL, SENDER, notice

CHECK_IN = "Sat 5 Dec 2026, 15:00 (Europe/Berlin)"
CHECK_OUT = "Tue 8 Dec 2026, 11:00 (Europe/Berlin)"
DEADLINE = "Tue 1 Dec 2026, 13:00 (Europe/Berlin)"
TABLE_START = "Sat 5 Dec 2026, 19:30 (America/New_York)"

EMAILED = [event for event in Event if event not in NOT_EMAILED]


def mail(*args, **kwargs) -> EmailMessage:
    return compose(notice(*args, **kwargs), sender=SENDER, public_url=PUBLIC_URL)


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def calendar_of(message: EmailMessage) -> tuple[EmailMessage, icalendar.Calendar]:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, icalendar.Calendar.from_ical(part.get_content())


@pytest.mark.parametrize("role", ["guest", "host"])
@pytest.mark.parametrize("event", EMAILED)
def test_every_event_renders_both_parts_with_the_stays_facts(event, role):
    message = mail(event.value, role, data={"waiting_for": "payment", "by": "guest"})

    assert message.get_content_type() == "multipart/mixed"
    assert message["To"].addresses[0].addr_spec == (
        "hannah@example.com" if role == "host" else "gus@example.com"
    )
    assert message["From"] == SENDER
    assert "Loft by the Spree" in message["Subject"]
    for body in (text_of(message), html_of(message)):
        assert "Loft by the Spree" in body
        assert CHECK_IN in body and CHECK_OUT in body
        assert "360.00 EUR" in body
        assert "Berlin, DE" in body
        assert "None" not in body
    assert html_of(message).lstrip().startswith("<!DOCTYPE html>")
    part, calendar = calendar_of(message)
    assert part.get_filename() == "booking.ics"
    assert len(calendar.walk("VEVENT")) == 1


@pytest.mark.parametrize("event", EMAILED)
def test_a_slot_shows_its_own_times_in_its_zone(event):
    message = mail(event.value, booking=NEW_YORK_TABLE, data={"waiting_for": "payment"})
    text = text_of(message)
    assert TABLE_START in text
    assert "None" not in text and "None" not in message["Subject"]
    assert "Ends:      Sat 5 Dec 2026, 21:30 (America/New_York)" in text
    assert "Party:     4" in text
    assert "Check-in" not in text
    [vevent] = calendar_of(message)[1].walk("VEVENT")
    assert vevent.decoded("dtstart") == datetime(2026, 12, 6, 0, 30, tzinfo=UTC)
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert vevent.decoded("dtend") == datetime(2026, 12, 6, 2, 30, tzinfo=UTC)


def test_the_calendar_entry_is_the_stay_in_the_listings_zone():
    part, calendar = calendar_of(mail("reservation.confirmed", status="CONFIRMED"))

    assert part.get_params(header="content-type")[-1] == ("method", "REQUEST")
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{BERLIN_STAY.reservation_id}@bookwell"
    assert vevent["SEQUENCE"] == 7
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    start, end = vevent.decoded("dtstart"), vevent.decoded("dtend")
    assert (start.isoformat(), str(start.tzinfo)) == ("2026-12-05T15:00:00+01:00", "Europe/Berlin")
    assert end.isoformat() == "2026-12-08T11:00:00+01:00"
    assert str(vevent["SUMMARY"]) == "Loft by the Spree"
    assert str(vevent["LOCATION"]) == "Berlin, DE"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_a_later_event_updates_the_same_entry_and_a_cancellation_cancels_it():
    first = calendar_of(mail("reservation.created", outbox_id=3))[1]
    part, last = calendar_of(mail("reservation.cancelled", outbox_id=9, status="CANCELLED"))

    [created], [cancelled] = first.walk("VEVENT"), last.walk("VEVENT")
    assert created["UID"] == cancelled["UID"]
    assert cancelled["SEQUENCE"] > created["SEQUENCE"]
    assert str(created["STATUS"]) == "TENTATIVE"
    assert (last["METHOD"], str(cancelled["STATUS"])) == ("CANCEL", "CANCELLED")
    assert part.get_params(header="content-type")[-1] == ("method", "CANCEL")
    assert calendar_of(mail("reservation.expired", status="EXPIRED"))[1]["METHOD"] == "CANCEL"


def test_the_guest_is_asked_to_pay_before_the_hold_ends():
    message = mail("reservation.created", "guest")
    assert message["Subject"] == "Booking received: Loft by the Spree"
    assert f"held for you until {DEADLINE}: pay before then" in text_of(message)


def test_the_host_hears_of_a_booking_or_of_a_request():
    assert mail("reservation.created", "host")["Subject"] == "New booking: Loft by the Spree"
    request = mail("reservation.created", "host", instant_book=False)
    assert request["Subject"] == "New booking request: Loft by the Spree"
    assert "Gus Guest asked to book Loft by the Spree" in text_of(request)
    assert "we will ask you to approve it" in text_of(request)


def test_the_host_is_told_to_approve_by_the_deadline():
    message = mail("reservation.awaiting_approval", "host")
    assert f"Approve or decline it before {DEADLINE}" in text_of(message)
    expiring = mail("hold.expiring", "host", data={"waiting_for": "host"})
    assert expiring["Subject"] == f"Approve by {DEADLINE}: Loft by the Spree"


def test_the_guest_is_warned_to_pay_by_the_deadline():
    message = mail("hold.expiring", "guest", data={"waiting_for": "payment"})
    assert message["Subject"] == f"Pay by {DEADLINE}: Loft by the Spree"
    assert f"ends at {DEADLINE}" in text_of(message)


def test_a_change_shows_old_and_new():
    data = {"old_start_date": "2026-12-03", "old_end_date": "2026-12-05", "old_quantity": 2}
    text = text_of(mail("reservation.changed", "host", data=data))
    assert "Dates: Thu 3 Dec 2026 to Sat 5 Dec 2026 → Sat 5 Dec 2026 to Tue 8 Dec 2026." in text
    assert "Units: 2 → 1." in text


def test_a_cancellation_says_who_why_and_the_refund():
    data = {"by": "host", "reason": "Burst pipe"}
    changes = {"status": "CANCELLED", "refunded": Decimal("120"), "expires_at": None}
    guest = mail("reservation.cancelled", "guest", data=data, **changes)
    host = mail("reservation.cancelled", "host", data=data, **changes)

    assert guest["Subject"] == "Booking cancelled: Loft by the Spree"
    for body in (text_of(guest), html_of(guest)):
        assert "The host cancelled your booking" in body
        assert "Reason: Burst pipe" in body
        assert "You were refunded 120.00 EUR." in body
    assert "You cancelled the booking" in text_of(host)
    assert "The guest was refunded 120.00 EUR." in text_of(host)
    by_guest = text_of(mail("reservation.cancelled", "host", data={"by": "guest"}))
    assert "Gus Guest cancelled the booking" in by_guest
    assert "refunded" not in by_guest.lower()


def test_an_expired_request_mentions_the_refund():
    refunded = text_of(mail("reservation.expired", refunded=Decimal("360.00")))
    assert "The host did not answer" in refunded and "refunded 360.00 EUR" in refunded
    assert "ran out before it was paid" in text_of(mail("reservation.expired"))
    # Paid, the refund not yet through (the sweep refunds after the expiry commits).
    pending = text_of(mail("reservation.expired", paid=Decimal("360.00")))
    assert "You paid 360.00 EUR: a full refund is on its way." in pending
    host = text_of(mail("reservation.expired", role="host"))
    assert "has expired" in host and "Those dates are free again." in host


def test_the_host_hears_of_payment_and_of_waitlist_holds():
    paid = text_of(mail("reservation.confirmed", role="host", paid=Decimal("360.00")))
    assert "paid 360.00 EUR, and the booking for Loft by the Spree is confirmed" in paid
    offered = mail("waitlist.offered", role="host")
    assert offered["Subject"] == "Waitlist hold: Loft by the Spree"
    assert "who was on the waitlist" in text_of(offered)


def test_completion_invites_a_review_and_a_reminder_names_the_start():
    completed = mail("reservation.completed", status="COMPLETED")
    assert "review" in text_of(completed)
    assert f'href="{PUBLIC_URL}"' in html_of(completed)
    reminder = mail("reservation.reminder", booking=NEW_YORK_TABLE)
    assert reminder["Subject"] == f"Reminder: Corner Bistro, {TABLE_START}"


def test_a_waitlist_offer_names_how_long_the_hold_lasts():
    message = mail("waitlist.offered")
    assert message["Subject"] == "A place opened up: Loft by the Spree"
    assert f"We placed a hold for you until {DEADLINE}" in text_of(message)


def test_html_escapes_a_hostile_title_and_headers_stay_one_line():
    hostile = '<script>alert("x")</script> & Co\nBcc: victim@example.com'
    message = mail("reservation.confirmed", listing_title=hostile, guest_name="<b>Eve</b>")

    html = html_of(message)
    assert "<script>" not in html and "<b>Eve</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    assert '<script>alert("x")</script> & Co' in text_of(message)
    assert message["Subject"] == (
        'Booking confirmed: <script>alert("x")</script> & Co Bcc: victim@example.com'
    )
    assert message["Bcc"] is None


def test_the_message_id_names_the_event_and_the_recipient():
    first = mail("reservation.created", "guest")["Message-ID"]
    assert first == mail("reservation.created", "guest")["Message-ID"]
    assert first == message_id(7, "GUS@example.com ")
    assert first.startswith("<bookwell.7.") and first.endswith("@bookwell>")
    assert first != mail("reservation.created", "host")["Message-ID"]
    assert first != mail("reservation.created", "guest", outbox_id=8)["Message-ID"]

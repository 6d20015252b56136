"""Mail leaves through a real SMTP server, or lands as .eml files a mail reader opens."""

import email
import email.policy
import re

import aiosmtplib
import pytest

from bookwell.core.config import Settings
from bookwell.mail import FileMailer, SmtpMailer, build_mailer, compose
from tests.notifications.notices import PUBLIC_URL, SENDER, notice
from tests.support.smtp_sink import free_port


def message(event: str = "reservation.confirmed", role: str = "guest", outbox_id: int = 7):
    return compose(notice(event, role, outbox_id=outbox_id), sender=SENDER, public_url=PUBLIC_URL)


def assert_whole(received) -> None:
    """Both alternatives and the calendar survived the trip."""
    assert received["Subject"] == "Booking confirmed: Loft by the Spree"
    assert received["Message-ID"] == message()["Message-ID"]
    assert "Sat 5 Dec 2026, 15:00 (Europe/Berlin)" in received.get_body(("plain",)).get_content()
    assert "Loft by the Spree" in received.get_body(("html",)).get_content()
    [calendar] = received.iter_attachments()
    assert calendar.get_content_type() == "text/calendar"
    assert "DTSTART;TZID=Europe/Berlin:20261205T150000" in calendar.get_content()


async def test_smtp_delivers_to_a_real_server(smtp_sink):
    mailer = SmtpMailer(smtp_sink.url)
    await mailer.send(message())
    await mailer.send(message("reservation.created", "host", outbox_id=8))

    received = await smtp_sink.wait_for(lambda messages: len(messages) == 2)
    assert_whole(received[0])
    assert received[1]["To"] == "Hannah Host <hannah@example.com>"


async def test_smtp_raises_when_the_server_is_away_so_the_queue_retries():
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(aiosmtplib.SMTPException):
        await mailer.send(message())


async def test_smtp_with_a_user_fails_against_a_server_that_cannot_authenticate(smtp_sink):
    mailer = SmtpMailer(smtp_sink.url.replace("smtp://", "smtp://user:p%40ss@"))
    with pytest.raises(aiosmtplib.SMTPException):
        await mailer.send(message())
    assert smtp_sink.messages == []


async def test_a_password_never_goes_out_without_starttls(smtp_sink):
    # The test server offers no STARTTLS, as a server whose offer was stripped would not.
    mailer = SmtpMailer(smtp_sink.url.replace("smtp://", "smtp://user:secret@"))
    with pytest.raises(aiosmtplib.SMTPException) as refused:
        await mailer.send(message())
    assert "STARTTLS extension not supported" in str(refused.value)
    # Opting out (a local relay) gets as far as the login, which this server refuses.
    cleartext = SmtpMailer(
        smtp_sink.url.replace("smtp://", "smtp://user:secret@") + "?starttls=off"
    )
    with pytest.raises(aiosmtplib.SMTPException) as refused:
        await cleartext.send(message())
    assert "STARTTLS extension not supported" not in str(refused.value)
    assert smtp_sink.messages == []


def test_a_bad_smtp_url_is_refused_without_showing_the_password():
    for url in ("http://user:hunter2@mail.example", "smtp://user:hunter2@"):
        with pytest.raises(ValueError) as refused:
            SmtpMailer(url)
        assert "hunter2" not in str(refused.value)


async def test_files_are_written_whole_and_read_back(tmp_path):
    folder = tmp_path / "not" / "yet" / "there"
    mailer = FileMailer(folder)
    await mailer.send(message())
    await mailer.send(message())  # a redelivery is a second file, not a lost one

    files = sorted(folder.iterdir())
    assert len(files) == 2
    for path in files:
        assert re.fullmatch(r"\d{8}T\d{12}Z-bookwell\.7\.[0-9a-f]{12}_bookwell\.eml", path.name)
        assert_whole(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))


def test_smtp_url_chooses_smtp_else_files(tmp_path):
    smtp = build_mailer(Settings(data_dir=tmp_path, SMTP_URL="smtp://mail.example:2525"))
    assert isinstance(smtp, SmtpMailer)
    files = build_mailer(Settings(data_dir=tmp_path, SMTP_URL=None))
    assert isinstance(files, FileMailer) and files.directory == tmp_path / "mail"
    chosen = build_mailer(Settings(data_dir=tmp_path, SMTP_URL=None, mail_dir=tmp_path / "out"))
    assert chosen.directory == tmp_path / "out"

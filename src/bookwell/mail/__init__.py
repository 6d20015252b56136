"""Email: what a notification says (notice), how it reads (render, ics), the message
(compose), and where it goes (mailers)."""

from bookwell.mail.compose import compose, message_id
from bookwell.mail.mailers import FileMailer, Mailer, SmtpMailer, build_mailer
from bookwell.mail.notice import Booking, Notice, Person

__all__ = [
    "Booking",
    "FileMailer",
    "Mailer",
    "Notice",
    "Person",
    "SmtpMailer",
    "build_mailer",
    "compose",
    "message_id",
]

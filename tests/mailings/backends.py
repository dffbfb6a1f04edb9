"""Email backends that fail the way real SMTP sending fails, for the outbox's tests."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class SendsThenDies(EmailBackend):
    """The SMTP server accepts the message, then the process is killed before it records that."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise SystemExit("killed after the SMTP server accepted the message")


class Refuses(EmailBackend):
    """The SMTP server refuses the recipient."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such mailbox")})

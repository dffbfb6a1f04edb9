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


class RefusesSome(EmailBackend):
    """The SMTP server refuses the addresses that start with "refused", and takes the rest."""

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("refused"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such mailbox")})
        return super().send_messages(messages)


class DiesOnTheSecond(EmailBackend):
    """The process is killed just after the SMTP server accepted the connection's second message."""

    def send_messages(self, messages):
        self.accepted = getattr(self, "accepted", 0) + len(messages)
        super().send_messages(messages)
        if self.accepted >= 2:
            raise SystemExit("killed after the SMTP server accepted the second message")

"""Deliver one outbox message over SMTP."""

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app

from matcher.models import OutboxMessage, utcnow
from matcher.plain_text import single_line


def build_email(message: OutboxMessage) -> EmailMessage:
    """Turn an outbox row into a MIME message with its stable Message-ID."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_email
    # A name stored before line breaks were refused must not make the header unsendable.
    email["Subject"] = single_line(message.subject)
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at or utcnow())
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def smtp_configured() -> bool:
    """Tell whether mail leaves the outbox at all (no SMTP_HOST: it stays readable there)."""
    return bool(current_app.config.get("SMTP_HOST"))


def deliver(message: OutboxMessage) -> None:
    """Send over SMTP using the SMTP_* settings; raise on failure."""
    config = current_app.config
    with smtplib.SMTP(
        config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
    ) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(build_email(message))

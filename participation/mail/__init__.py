"""Email: the second channel of the notifications, plus the two messages that go to an
address before it may receive anything else (the verification of an account's address,
the confirmation of an email-only follow).

Standard library only (``smtplib``, ``email.message``), configured by the Flask-Mail
names (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``,
``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``). Email is off — nothing
is written or queued — until ``MAIL_SERVER`` is set.

- ``tokens``: the signed links (unsubscribe, confirm, verify);
- ``messages``: building a message (Chinese subject, text and HTML, List-Unsubscribe)
  and sending it over one SMTP connection;
- ``channel``: what the notifications hand to email (``EmailDelivery`` rows and delivery
  jobs in batches);
- ``tasks``: the jobs (delivery, fan-out to followers, the five-minute scan).
"""
from __future__ import annotations

from flask import current_app


def is_enabled(app=None) -> bool:
    return bool((app or current_app).config.get("MAIL_SERVER"))

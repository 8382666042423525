"""Building and sending messages: a Chinese subject (RFC 2047 encoded by
``email.message``), a plain-text body with an HTML alternative, and in every
notification the unsubscribe link (in the body and as ``List-Unsubscribe`` with
``List-Unsubscribe-Post``, RFC 8058, so mail clients offer it in one click)."""
from __future__ import annotations

import smtplib
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, has_request_context
from markupsafe import escape


@contextmanager
def external_urls():
    """``url_for(..., _external=True)`` outside a request (jobs) builds links on
    ``SITE_URL``, the address the site is reached at."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context("/", base_url=current_app.config["SITE_URL"]):
        yield


def build(*, to: str, subject: str, paragraphs: list[str], links: list[tuple[str, str]],
          unsubscribe_url: str | None = None, footer: str = "") -> EmailMessage:
    """A message of ``paragraphs`` and ``links`` ((label, url) pairs), as text and HTML."""
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((config["SITE_NAME"], config["MAIL_DEFAULT_SENDER"]))
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or None)
    text_lines = [*paragraphs, ""]
    text_lines += [f"{label}：{url}" for label, url in links]
    html = [f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs]
    html += [f'<p><a href="{escape(url)}">{escape(label)}</a></p>' for label, url in links]
    if footer or unsubscribe_url:
        text_lines += ["", "--", footer]
        html.append(f'<hr><p style="color:#666;font-size:90%">{escape(footer)}</p>')
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        from flask_babel import gettext as _

        label = _("退订")
        text_lines.append(f"{label}：{unsubscribe_url}")
        html.append(f'<p style="color:#666;font-size:90%"><a href="{escape(unsubscribe_url)}">{escape(label)}</a></p>')
    message.set_content("\n".join(text_lines).strip() + "\n")
    message.add_alternative(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>'
        + "".join(html) + "</body></html>", subtype="html")
    return message


@contextmanager
def connection():
    """One SMTP connection (SSL, or STARTTLS when ``MAIL_USE_TLS``), logged in when a
    user name is set; its ``send_message`` raises ``smtplib.SMTPException`` or
    ``OSError`` when the server is down or refuses."""
    config = current_app.config
    server, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config.get("MAIL_TIMEOUT", 30)
    smtp = (smtplib.SMTP_SSL(server, port, timeout=timeout) if config.get("MAIL_USE_SSL")
            else smtplib.SMTP(server, port, timeout=timeout))
    try:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

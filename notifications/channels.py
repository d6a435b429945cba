"""Senders: e-mail through Django's mail backend (SMTP in production), SMS through a pluggable
sender chosen by ``SMS_BACKEND`` (``console``, ``file`` or ``http``)."""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from notifications.types import PermanentDeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)


def email_send(*, connection: BaseEmailBackend, to: str, subject: str, text: str, html: str, reference: str) -> str:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        connection=connection,
        # A stable Message-ID per delivery lets mail systems recognise a re-sent copy.
        headers={"Message-ID": f"<{reference}@{settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN}>"},
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        # 4xx (greylisting, mailbox busy) is temporary; only a 5xx for every recipient is final.
        codes = [code for code, _message in error.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from error
        raise TransientDeliveryError(f"recipient deferred: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentDeliveryError(f"SMTP {error.smtp_code}") from error
        raise TransientDeliveryError(f"SMTP {error.smtp_code}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise TransientDeliveryError(f"{type(error).__name__}: {error}") from error
    return reference


def email_connection_open() -> BaseEmailBackend:
    """An open connection to the mail server, or TransientDeliveryError when it is unreachable."""
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        raise TransientDeliveryError(f"mail server unreachable: {type(error).__name__}: {error}") from error
    return connection


def email_connection_close(connection: BaseEmailBackend, *, failed: bool = False) -> None:
    """Close a connection to the mail server without ever raising. After a failure the server
    may not answer a polite QUIT (each read waits ``EMAIL_TIMEOUT``): the socket is just closed."""
    smtp = getattr(connection, "connection", None)
    if failed and isinstance(smtp, smtplib.SMTP):
        with contextlib.suppress(OSError):
            smtp.close()
        connection.connection = None  # type: ignore[attr-defined]
        return
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


class SmsSender(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> str:
        """Send one SMS; return the provider's reference. Raise Permanent/TransientDeliveryError."""
        ...


class ConsoleSmsSender:
    """Development: the SMS goes to the log."""

    def send(self, *, to: str, text: str, reference: str) -> str:
        logger.info("sms", extra={"to": to, "text": text, "reference": reference})
        return f"console-{reference}"


class FileSmsSender:
    """Development and tests: each SMS is a JSON line appended to ``SMS_FILE_PATH``."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def send(self, *, to: str, text: str, reference: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "text": text, "reference": reference, "at": timezone.now().isoformat()})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return f"file-{reference}"


class HttpGatewaySmsSender:
    """An SMS gateway with a JSON API: POST {"to", "text", "reference"} with a bearer token;
    it answers 2xx with {"id": …}. 4xx (but 408 and 429) is permanent; the rest is retried."""

    def __init__(self, url: str, token: str, sender_id: str, timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.sender_id = sender_id
        self.timeout = timeout

    def send(self, *, to: str, text: str, reference: str) -> str:
        body = json.dumps({"to": to, "from": self.sender_id, "text": text, "reference": reference}).encode()
        request = urllib.request.Request(  # noqa: S310 — the gateway URL comes from settings
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload: Any = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500 and error.code not in (408, 429):
                raise PermanentDeliveryError(f"gateway refused: HTTP {error.code}") from error
            raise TransientDeliveryError(f"gateway unavailable: HTTP {error.code}") from error
        except (TimeoutError, urllib.error.URLError, OSError, ValueError) as error:
            raise TransientDeliveryError(f"gateway unreachable: {error}") from error
        return str(payload.get("id", "")) if isinstance(payload, dict) else ""


def sms_sender() -> SmsSender:
    backend = settings.SMS_BACKEND
    if backend == "console":
        return ConsoleSmsSender()
    if backend == "file":
        return FileSmsSender(settings.SMS_FILE_PATH)
    if backend == "http":
        return HttpGatewaySmsSender(settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN, settings.SMS_SENDER_ID)
    raise ValueError(f"SMS_BACKEND must be console, file or http, not {backend!r}")

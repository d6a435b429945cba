"""Glue between identity and django-allauth / django-axes."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.signals import email_changed
from allauth.core import context as allauth_context
from axes.signals import user_locked_out
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation

from identity import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # New accounts start in the language the person signed up in.
        user.preferred_language = translation.get_language() or "fr"
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (an address to confirm, a password reset, its notices) are rendered
        here, in the request's language, and sent from the outbox by a worker: a mail server
        that does not answer never holds the request, and a failed send is retried."""
        request = allauth_context.request
        values = {"request": request, "email": email, "current_site": get_current_site(request)}
        values.update(context)
        message = self.render_mail(template_prefix, email, values)
        html = ""
        if isinstance(message, EmailMultiAlternatives):
            html = next((str(content) for content, kind in message.alternatives if kind == "text/html"), "")
        text = str(message.body)
        if message.content_subtype == "html":  # allauth found only an HTML template
            text, html = "", text
        services.account_email_send(address=email, subject=message.subject, text=text, html=html, now=timezone.now())


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """allauth authenticates with ``email``; its login form posts ``login``."""
    if credentials:
        for key in ("email", "username", "login"):
            if credentials.get(key):
                return str(credentials[key]).strip().lower()
    return str(request.POST.get("login", "")).strip().lower()


@receiver(user_locked_out, dispatch_uid="identity-sign-in-locked")
def _locked_out(*, username: str | None = None, **_kwargs: Any) -> None:
    """django-axes stopped sign-in to an account from an address: identity tells its owner."""
    if username:
        services.sign_in_lock_tell(address=username, now=timezone.now())


@receiver(email_changed, dispatch_uid="identity-sign-in-address-changed")
def _email_changed(*, user: Any, from_email_address: Any, to_email_address: Any, **_kwargs: Any) -> None:
    """allauth changed the sign-in address (its new one verified): identity tells who must know."""
    services.sign_in_address_changed(
        user_id=user.pk,
        old_address=from_email_address.email if from_email_address is not None else "",
        new_address=to_email_address.email,
        now=timezone.now(),
    )

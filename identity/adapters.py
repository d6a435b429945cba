"""Glue between identity and django-allauth / django-axes."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter

# allauth records a sign-in step in the session with this function; its public module
# (allauth.account.authentication) only reads them.
from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import email_changed
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from axes.signals import user_locked_out
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation

from identity import services

_PROVING_TYPES = frozenset({Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN})


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


@receiver(authenticator_added, dispatch_uid="identity-second-factor-added")
def _second_factor_added(*, request: HttpRequest | None, authenticator: Authenticator, **_kwargs: Any) -> None:
    """Setting up an authenticator app means typing a code it showed: the session has just proved
    the second factor, so it reaches the "substantial" level at once (portal.middleware reads the
    session's authentication records), without signing out and in again. Recovery codes prove
    nothing new, so they do not count."""
    if request is None or authenticator.type not in _PROVING_TYPES:
        return
    record_authentication(request, authenticator.user, "mfa", id=authenticator.pk, type=authenticator.type)

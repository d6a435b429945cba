"""Glue between identity and django-allauth / django-axes."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.signals import email_changed
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation

from identity import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        # New accounts start in the language the person signed up in.
        user.preferred_language = translation.get_language() or "fr"
        return super().save_user(request, user, form, commit=commit)


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

"""How a request signs in and finds its account again: allauth's backend (e-mail and password,
django-axes before it), with the session's account read in one prepared query that also brings
what the request's actor context needs (``identity.selectors.account_facts_of``)."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from django.core.exceptions import ValidationError

from identity.models import User
from identity.selectors import signed_in_user


class AuthenticationBackend(AllauthAuthenticationBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = signed_in_user(user_id=pk)
        return user if user is not None and self.user_can_authenticate(user) else None

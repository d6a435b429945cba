"""The request as the portal's pages see it, and the mapping of ``NotFound`` to a 404 page."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse

from core.actor import Actor
from core.errors import NotFound


class PortalRequest(HttpRequest):
    """A request once the portal's middleware (``portal.middleware.ActorMiddleware``) has run.

    ``actor`` says who acts, how surely and in whose file; ``enterprise_roles`` maps the
    signed-in account's enterprises to its role in each; ``must_enrol_mfa`` is true for staff and
    enterprise administrators who have no second factor yet; ``has_second_factor`` says whether
    the account has one set up at all (a page asking for it then says how to set one up). Views
    take this type instead of ``HttpRequest``; the back office reads the actor through ``core.backoffice``.
    """

    actor: Actor
    enterprise_roles: dict[int, str]
    must_enrol_mfa: bool
    has_second_factor: bool


def absolute_url(path: str) -> str:
    """A path of the portal as an address outside it (a provider's return and callback, a letter):
    on ``SITE_URL``."""
    return settings.SITE_URL.rstrip("/") + path


def portal_request(request: HttpRequest) -> PortalRequest:
    """The same request, typed: for code whose signature is given by Django (the admin,
    middleware) and which runs after ``ActorMiddleware``."""
    if not hasattr(request, "actor"):
        raise RuntimeError("the request has no actor: is portal.middleware.ActorMiddleware installed?")
    return cast(PortalRequest, request)


class NotFoundMiddleware:
    """A page whose view let ``NotFound`` through answers the site's 404 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            raise Http404(str(exception.message)) from exception
        return None


class UploadLimit(FileUploadHandler):
    """Stops reading an uploaded file once it passes ``limit`` bytes (the rest is skipped, never
    written to disk); ``too_large`` then says so. Installed by ``upload_limit`` before the body
    is read."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_limit(request: HttpRequest, limit: int) -> UploadLimit:
    """Bound the files of this request's body (call it before reading ``request.POST`` or
    ``FILES``, so in a view exempted from the CSRF middleware that checks the token itself:
    Django's documented way to change upload handlers)."""
    handler = UploadLimit(request, limit)
    request.upload_handlers.insert(0, handler)
    return handler

"""The pages of errors, in the person's language: 404, 500, and 503 while a part does not answer.

An error that says a dependency did not answer (``core.errors.unavailable_part``: the database
refused, lost or timed out a connection; the upload storage failed) answers 503 with
``Retry-After``, saying that nothing sent before is lost and what still works; any other error is
a defect and answers 500. The API answers the same in its error shape. The 500 and 503 pages are
rendered without the request's context (no menu that reads the account, no form), since the
database may be what failed; the language is the one the request was served in.
"""

from __future__ import annotations

import math
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import render
from django.template import loader

from core.api import error_body
from core.errors import RETRY_AFTER_SECONDS, Unavailable, unavailable_part
from core.logging import request_id_var


def _is_api(request: HttpRequest) -> bool:
    """A request to the API (its versions live under /api/v…; /api/ itself is its docs page)."""
    return request.path.startswith("/api/v")


def unavailable_response(request: HttpRequest, part: str) -> HttpResponse:
    """503 for a part that did not answer: a page, or the API's error body."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(error_body("unavailable"), status=503)
    else:
        reason = str(Unavailable.messages.get(part, Unavailable.messages["database"]))
        context = {
            "reason": reason,
            "part": part,
            "retry_minutes": max(1, math.ceil(RETRY_AFTER_SECONDS / 60)),
            "request_id": request_id_var.get(),
            "support_phone": settings.SUPPORT_PHONE,
            "support_hours": settings.SUPPORT_HOURS,
        }
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it while it handles the exception, so ``sys.exc_info()``
    names it (the exception was logged by Django with its traceback)."""
    part = unavailable_part(sys.exc_info()[1])
    if part is not None:
        return unavailable_response(request, part)
    if _is_api(request):
        return JsonResponse(error_body("server_error"), status=500)
    context = {
        "request_id": request_id_var.get(),
        "support_phone": settings.SUPPORT_PHONE,
        "support_hours": settings.SUPPORT_HOURS,
    }
    return HttpResponse(loader.render_to_string("500.html", context), status=500)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the site's page, with its menus (the database answers)."""
    if _is_api(request):
        return JsonResponse(error_body("not_found"), status=404)
    return HttpResponseNotFound(render(request, "404.html").content)

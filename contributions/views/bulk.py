"""Bulk declaration files on the web: the format and its template, sending a file, following
its processing (a page that works without JavaScript, refreshed by a script when it runs), its
anomalies and their CSV export. Representatives of an enterprise only; each reads their own."""

from __future__ import annotations

import csv
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from contributions import bulk, policies
from contributions.models import BulkUpload, Channel
from contributions.types import ANOMALY_MESSAGES, WorkerCategory
from core.http import PortalRequest
from core.periods import Period
from core.sizes import file_size
from core.spreadsheet import Echo
from identity.country_profiles import country_profile

ANOMALIES_PER_PAGE = 100
# Room for the multipart envelope around the file itself.
_ENVELOPE_BYTES = 64 * 1024


def _representative(request: PortalRequest) -> None:
    """Only a representative who declares somewhere sends files; a viewer does not."""
    if not policies.can_send_declaration_files(actor=request.actor):
        raise Http404


def _own(request: PortalRequest, upload_id: int) -> BulkUpload:
    return bulk.upload_get(actor=request.actor, upload_id=upload_id)


@require_GET
def file_format(request: PortalRequest) -> HttpResponse:
    """The documented format (public: payroll software vendors read it without an account)."""
    profile = country_profile()
    return render(
        request,
        "contributions/bulk_format.html",
        {
            "columns": bulk.COLUMNS,
            "categories": WorkerCategory.choices,
            "max_bytes": file_size(settings.BULK_MAX_BYTES),
            "max_lines": settings.BULK_MAX_LINES,
            "max_in_progress": settings.BULK_MAX_IN_PROGRESS,
            "enterprise_example": profile.enterprise_number.example,
            "person_example": profile.person_number.example,
        },
    )


@require_GET
def file_template(request: PortalRequest, kind: str) -> HttpResponse:
    """The empty template (the header row) or a sample of three lines, for the last month that
    has ended (a sample of a month to come would be refused)."""
    if kind not in ("template", "sample"):
        raise Http404
    writer = csv.writer(Echo(), lineterminator="\n")
    rows = [writer.writerow(bulk.COLUMNS)]
    if kind == "sample":
        profile = country_profile()
        employer = profile.enterprise_number.example
        period = str(Period.of(timezone.localdate()).previous())
        for serial, (born, last, first, category, wage, days) in enumerate(
            [
                (datetime.date(1985, 7, 30), "Dupont", "Marie", "employee", "3250.00", "22"),
                (datetime.date(1979, 2, 14), "Janssens", "Pieter", "worker", "2710.45", "20"),
                (datetime.date(2007, 5, 3), "Lambert", "Inès", "apprentice", "1120.00", "18"),
            ],
            start=11,
        ):
            number = profile.person_number.format(profile.synthetic_person_number(born, serial))
            rows.append(writer.writerow([employer, period, number, last, first, category, wage, days]))
    response = HttpResponse("".join(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guichet-declarations-{kind}.csv"'
    return response


@login_required
@never_cache
@csrf_exempt  # checked by _uploads, once the length is known to be acceptable
@require_http_methods(["GET", "POST"])
def uploads(request: PortalRequest) -> HttpResponse:
    """Send a file (one or several employers) and see the files sent.

    A file announced as too large is refused from its length alone: the CSRF check reads the
    whole body to find its token (and Django stores the file on the way), so it comes after."""
    _representative(request)
    if request.method == "POST" and _announced_length(request) > settings.BULK_MAX_BYTES + _ENVELOPE_BYTES:
        return _uploads_page(request, error=bulk.rejection("too_large").message, status=413)
    return _uploads(request)


def _announced_length(request: PortalRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_protect
def _uploads(request: PortalRequest) -> HttpResponse:
    if request.method != "POST":
        return _uploads_page(request)
    received = request.FILES.get("file")
    try:
        if received is None:
            raise bulk.UploadRejected("no_file")
        receipt = bulk.upload_receive(
            actor=request.actor,
            name=received.name or "",
            chunks=received.chunks(),
            size=received.size,
            channel=Channel.FORM,
            now=timezone.now(),
        )
    except bulk.UploadRejected as rejected:
        return _uploads_page(request, error=rejected.message, status=413 if rejected.code == "too_large" else 400)
    if receipt.duplicate:
        messages.info(request, _("This file was already sent: here is what became of it."))
    else:
        messages.success(request, _("File received. It is being checked, line by line."))
    return redirect("contributions:bulk_upload", receipt.upload.pk)


def _uploads_page(request: PortalRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "contributions/bulk_uploads.html",
        {
            "uploads": bulk.upload_list(actor=request.actor),
            "error": error,
            "max_bytes": file_size(settings.BULK_MAX_BYTES),
        },
        status=status,
    )


@login_required
@never_cache
@require_GET
def upload(request: PortalRequest, upload_id: int) -> HttpResponse:
    found = _own(request, upload_id)
    progress = bulk.upload_progress(upload=found)
    finished = found.is_finished
    page = Paginator(bulk.upload_anomalies(upload=found), ANOMALIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "contributions/bulk_upload.html",
        {
            "upload": found,
            "progress": progress,
            "finished": finished,
            "totals": bulk.upload_totals(upload=found),
            "anomalies": [(anomaly, ANOMALY_MESSAGES[anomaly.code]) for anomaly in page.object_list],
            "page": page,
        },
    )


@login_required
@never_cache
@require_GET
def upload_progress(request: PortalRequest, upload_id: int) -> JsonResponse:
    """What the page's script reads to move the progress bar."""
    found = _own(request, upload_id)
    progress = bulk.upload_progress(upload=found)
    return JsonResponse(
        {
            "status": found.status,
            "status_label": found.get_status_display(),
            "lines_total": progress.lines_total,
            "lines_done": progress.lines_done,
            "percent": progress.percent,
            "errors": progress.errors,
            "warnings": progress.warnings,
            "finished": found.is_finished,
        }
    )


@login_required
@require_GET
def upload_anomalies_csv(request: PortalRequest, upload_id: int) -> StreamingHttpResponse:
    found = _own(request, upload_id)
    response = StreamingHttpResponse(bulk.anomalies_csv(upload=found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guichet-anomalies-{found.pk}.csv"'
    return response

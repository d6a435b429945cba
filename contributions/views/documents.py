"""Verifiable documents: the employer's compliance certificate (issued in the request: one page),
the citizen's contribution statement (asked here, rendered by a worker, downloaded from its
page)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from contributions import certificates, policies, statements
from contributions.record import contribution_record_get
from core.documents import DocumentLimitReached
from core.http import PortalRequest
from identity.selectors import enterprise_names


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def certificate(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """Whether the enterprise is up to date, and why not; when it is, a button issues the
    certificate as a PDF. For those who may see the enterprise's account, its viewers included
    (see ``policies.can_view_account``)."""
    actor = request.actor
    if not policies.can_view_account(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate()):
        raise Http404
    if request.method == "POST":
        try:
            _code, content = certificates.compliance_certificate_issue(
                actor=actor, enterprise_id=enterprise_id, language=translation.get_language(), now=timezone.now()
            )
        except (certificates.CertificateRefused, DocumentLimitReached) as error:
            messages.error(request, str(error.message))
        else:
            # Translators: a file name: no spaces, no accents.
            filename = _("compliance-certificate-%(enterprise)s-%(date)s.pdf") % {
                "enterprise": enterprise_id,
                "date": timezone.localdate().isoformat(),
            }
            return HttpResponse(
                content,
                content_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
    status = certificates.compliance_status(enterprise_id=enterprise_id, today=timezone.localdate())
    return render(
        request,
        "contributions/certificate.html",
        {
            "enterprise_id": enterprise_id,
            "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
            "status": status,
            "may_pay": policies.paying_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate())[0],
            "may_declare": policies.declaring_capacity(
                actor=actor, enterprise_id=enterprise_id, on=timezone.localdate()
            )[0],
            "validity_months": certificates.CERTIFICATE_VALIDITY_MONTHS,
        },
        status=409 if request.method == "POST" else 200,
    )


def _year(value: str) -> int | None:
    """A year chosen in the form: None when left empty (ValueError when not a number)."""
    return int(value) if value.strip() else None


def _intent(value: str) -> uuid.UUID | None:
    """The form's one-time token, or None when it is missing or garbled."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def statement(request: PortalRequest) -> HttpResponse:
    """The contribution statement of the open file: choose the years and ask for it (a worker
    prepares the PDF: the answer is at once, the statement's page follows it), and the
    statements asked recently. For those who may read the contribution record (the person, a
    proxy with the view scope, staff at the counter); 404 for anyone else."""
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    error = ""
    chosen: tuple[int | None, int | None] = (None, None)
    limited = False
    if request.method == "POST":
        try:
            chosen = (_year(request.POST.get("year_from", "")), _year(request.POST.get("year_to", "")))
        except ValueError:
            error = statements.StatementRefused("range_invalid").message
        else:
            try:
                asked = statements.statement_ask(
                    actor=actor,
                    person_id=actor.subject_person_id,
                    year_from=chosen[0],
                    year_to=chosen[1],
                    language=translation.get_language(),
                    intent=_intent(request.POST.get("intent", "")),
                    now=timezone.now(),
                )
            except statements.StatementRefused as refused:
                error = refused.message
            except DocumentLimitReached as refused:
                error, limited = str(refused.message), True
            else:
                if not asked.created:
                    messages.info(request, _("This statement was already asked for: here it is."))
                return redirect("contributions:statement_detail", asked.statement_id)
    found = contribution_record_get(actor=actor, person_id=actor.subject_person_id, now=timezone.now())
    if found is None:
        raise Http404
    years = sorted(row.year for row in found.years)
    return render(
        request,
        "contributions/statement.html",
        {
            "years": years,
            "year_from": chosen[0] if chosen[0] is not None else (years[0] if years else None),
            "year_to": chosen[1] if chosen[1] is not None else (years[-1] if years else None),
            "error": error,
            "intent": uuid.uuid4(),
            "statements": statements.statement_list(actor=actor, person_id=actor.subject_person_id),
            "keep_days": settings.STATEMENT_KEEP_DAYS,
        },
        status=429 if limited else 400 if error else 200,
    )


def _statement(request: PortalRequest, statement_id: int) -> statements.StatementRow:
    found = statements.statement_get(actor=request.actor, statement_id=statement_id)
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
@never_cache
def statement_detail(request: PortalRequest, statement_id: int) -> HttpResponse:
    """A statement asked for: being prepared (a link refreshes the page; a script polls the
    status and reloads it), ready to download, or why it could not be prepared and a button to
    ask again."""
    found = _statement(request, statement_id)
    return render(
        request,
        "contributions/statement_request.html",
        {
            "statement": found,
            "intent": uuid.uuid4(),
            "asked_by_you": found.requested_by_id == request.user.pk,
            "keep_days": settings.STATEMENT_KEEP_DAYS,
        },
    )


@login_required
@require_GET
@never_cache
def statement_status(request: PortalRequest, statement_id: int) -> JsonResponse:
    """What the statement page's script reads until the statement is finished."""
    found = _statement(request, statement_id)
    return JsonResponse({"status": found.status, "status_label": found.status_label, "finished": found.is_finished})


@login_required
@require_GET
@never_cache
def statement_pdf(request: PortalRequest, statement_id: int) -> HttpResponse:
    """The PDF of a ready statement, for those who may read the record at this moment."""
    found = statements.statement_file_get(
        actor=request.actor,
        statement_id=statement_id,
        now=timezone.now(),
    )
    if found is None:
        raise Http404
    return HttpResponse(
        found.content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )

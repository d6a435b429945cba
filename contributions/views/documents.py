"""The employer's verifiable documents: the compliance certificate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from contributions import certificates, services
from identity.selectors import enterprise_names


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def certificate(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    """Whether the enterprise is up to date, and why not; when it is, a button issues the
    certificate as a PDF. For those who may see the enterprise's account."""
    actor = request.actor  # type: ignore[attr-defined]
    allowed, _bureau_id = services.paying_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate())
    if not allowed:
        raise Http404
    if request.method == "POST":
        try:
            _code, content = certificates.compliance_certificate_issue(
                actor=actor, enterprise_id=enterprise_id, language=translation.get_language(), now=timezone.now()
            )
        except services.NotFound:
            raise Http404 from None
        except certificates.CertificateRefused as error:
            messages.error(request, str(error.message))
        else:
            filename = f"compliance-certificate-{enterprise_id}-{timezone.localdate().isoformat()}.pdf"
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
            "validity_months": certificates.CERTIFICATE_VALIDITY_MONTHS,
        },
        status=409 if request.method == "POST" else 200,
    )

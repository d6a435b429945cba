"""The life certificate page of a pensioner living abroad: the year's request, a certificate
sent (by them or a proxy who manages their claims), the remote identity check started (by them
only), their return from the provider and the provider's signed callback. Thin: one domain call
each."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from benefits import selectors, services
from benefits.forms import LifeCertificateForm
from benefits.life.checks import InvalidCheckCallback, check_provider
from benefits.models import LifeCheckStatus
from benefits.types import ClaimRefused, LifeRefused
from benefits.views.claims import _bounded_upload, _upload
from core.http import PortalRequest
from core.sizes import file_size


def _form(data: object = None, files: object = None) -> LifeCertificateForm:
    return LifeCertificateForm(data, files, max_size=file_size(settings.CLAIM_DOCUMENT_MAX_BYTES))


def _page(request: PortalRequest, form: LifeCertificateForm | None = None, status: int = 200) -> HttpResponse:
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    page = selectors.life_page(actor=request.actor, person_id=person_id, now=timezone.now())
    if page is None:
        return render(request, "benefits/life_certificate.html", {"page": None}, status=403)
    return render(
        request,
        "benefits/life_certificate.html",
        {"page": page, "form": form or _form(), "intent": uuid.uuid4()},
        status=status,
    )


@login_required
@require_GET
def life_certificate(request: PortalRequest) -> HttpResponse:
    return _page(request)


@_bounded_upload
@login_required
@require_POST
def life_certificate_send(request: PortalRequest) -> HttpResponse:
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    form = _form(request.POST, request.FILES)
    try:
        upload = _upload(request)
        if upload is None:
            raise LifeRefused("file_required")
        name, size, read = upload
        services.life_certificate_send(
            actor=request.actor, person_id=person_id, name=name, size=size, read=read, now=timezone.now()
        )
    except (LifeRefused, ClaimRefused) as refused:  # ClaimRefused: the upload's size guard
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", str(refused.message))
        return _page(request, form, status=400)
    messages.success(request, _("The certificate is sent: our staff check it, and you are told of the answer."))
    return redirect("benefits:life_certificate")


@login_required
@require_POST
def life_check_start(request: PortalRequest) -> HttpResponse:
    person_id = request.actor.subject_person_id
    if person_id is None:
        return redirect("identity:link_person")
    try:
        intent = uuid.UUID(request.POST.get("intent", ""))
    except ValueError:
        intent = uuid.uuid4()
    try:
        check = services.life_check_start(actor=request.actor, person_id=person_id, intent=intent, now=timezone.now())
    except LifeRefused as refused:
        messages.error(request, refused.message)
        return redirect("benefits:life_certificate")
    if check.status != LifeCheckStatus.PENDING or not check.redirect_url:
        return redirect("benefits:life_check_return", check_id=check.pk)
    return HttpResponseRedirect(check.redirect_url)


@login_required
@require_GET
def life_check_return(request: PortalRequest, check_id: int) -> HttpResponse:
    check = services.life_check_return(actor=request.actor, check_id=check_id, now=timezone.now())
    if check.status == LifeCheckStatus.PASSED:
        messages.success(request, _("Your identity is confirmed: your life certificate for this year is done."))
    elif check.status == LifeCheckStatus.PENDING:
        messages.info(request, _("The identity check is not finished yet: this page shows the answer once it comes."))
    else:
        messages.error(
            request,
            _(
                "The identity check did not confirm your identity. Try again, or send a certificate signed by a local authority."
            ),
        )
    return redirect("benefits:life_certificate")


@csrf_exempt
@require_POST
def life_check_callback(request: PortalRequest, provider: str) -> HttpResponse:
    """The provider's signed server-to-server notice: 200 once recorded, 400 when it does not
    check out."""
    if provider != check_provider().name:
        raise Http404
    try:
        services.life_check_callback(
            provider_name=provider, body=request.body, headers=request.headers, now=timezone.now()
        )
    except InvalidCheckCallback:
        return HttpResponse("invalid callback", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")

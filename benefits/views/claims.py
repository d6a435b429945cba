"""The claimant's pages: start a claim from a scheme's page, fill it in step by step (every step
saved: the draft is resumed from the list of claims, on any device), submit it once, then follow
it — timeline, messages, information asked for, withdrawal, appeal, receipt and decision letters.
Thin: each view makes one domain call and renders; a refusal is shown on its form."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from benefits import services
from benefits.claims import reading
from benefits.claims.filing import MONTHS_BACK, Upload
from benefits.forms import (
    ClaimAboutForm,
    ClaimAppealForm,
    ClaimBankForm,
    ClaimDeclarationForm,
    ClaimDocumentForm,
    ClaimInformationForm,
    ClaimMessageForm,
    ClaimWithdrawForm,
)
from benefits.types import ClaimRefused
from core.errors import DomainError
from core.http import PortalRequest, UploadLimit, upload_limit
from core.sizes import file_size


def _person(request: PortalRequest) -> int | None:
    return request.actor.subject_person_id


def _file(request: PortalRequest, name: str) -> Upload | None:
    uploaded = request.FILES.get(name)
    if uploaded is None:
        return None
    return uploaded.name or "document", uploaded.size or 0, uploaded.read


def _too_large() -> ClaimRefused:
    return ClaimRefused("document_too_large", params={"size": file_size(settings.CLAIM_DOCUMENT_MAX_BYTES)})


def _bounded_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The files of the request are bounded while read: the handler is set before the body is,
    so the CSRF check runs after it (Django's documented way to change upload handlers)."""
    protected = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _LIMITS[request] = upload_limit(request, settings.CLAIM_DOCUMENT_MAX_BYTES)
        return protected(request, *args, **kwargs)

    return wrapper


_LIMITS: weakref.WeakKeyDictionary[HttpRequest, UploadLimit] = weakref.WeakKeyDictionary()


def _upload(request: PortalRequest) -> Upload | None:
    """The request's file, if any (a refusal when it passed the limit)."""
    limit = _LIMITS.get(request)
    if limit is not None and limit.too_large:
        raise _too_large()
    return _file(request, "file")


@login_required
@require_GET
def claims(request: PortalRequest) -> HttpResponse:
    person_id = _person(request)
    if person_id is None:
        return redirect("identity:link_person")
    rows = reading.claim_list(actor=request.actor, person_id=person_id, now=timezone.now())
    if rows is None:
        return render(request, "benefits/claims.html", {"rows": None}, status=403)
    return render(request, "benefits/claims.html", {"rows": rows})


@login_required
@require_POST
def claim_start(request: PortalRequest, slug: str) -> HttpResponse:
    person_id = _person(request)
    if person_id is None:
        return redirect("identity:link_person")
    try:
        claim_id = services.claim_start(actor=request.actor, person_id=person_id, slug=slug, now=timezone.now())
    except ClaimRefused as refused:
        messages.error(request, refused.message)
        return redirect("benefits:scheme", slug=slug)
    return redirect("benefits:claim_step", claim_id=claim_id, step="about")


def _about_form(draft: reading.DraftView, data: Any = None) -> ClaimAboutForm:
    choices = [
        (
            str(option.subject_person_id),
            option.label or _("Yourself"),
        )
        for option in draft.options
    ]
    hint = _("A month between %(first)s and %(last)s.") % {"first": draft.first_month, "last": draft.last_month}
    initial = {
        "subject": str(draft.subject_person_id) if draft.month else (choices[0][0] if len(choices) == 1 else None),
        "month": draft.month or str(draft.first_month.shifted(MONTHS_BACK)),
        "remarks": draft.remarks,
    }
    return ClaimAboutForm(data, initial=initial, choices=choices, monthly=draft.monthly, month_hint=hint)


def _step_context(request: PortalRequest, draft: reading.DraftView, **forms: Any) -> dict[str, Any]:
    return {
        "draft": draft,
        "step_index": draft.step_index,
        "max_size": file_size(settings.CLAIM_DOCUMENT_MAX_BYTES),
        "about_form": forms.get("about_form") or (_about_form(draft) if draft.step == "about" else None),
        "document_form": forms.get("document_form")
        or ClaimDocumentForm(required=draft.documents_required, max_size=file_size(settings.CLAIM_DOCUMENT_MAX_BYTES)),
        "bank_form": forms.get("bank_form")
        or ClaimBankForm(
            initial={"account": "on_file" if draft.account_on_file else "new"},
            on_file=draft.account_on_file,
            may_set=draft.may_set_account,
        ),
        "declaration_form": forms.get("declaration_form") or ClaimDeclarationForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def claim_step(request: PortalRequest, claim_id: int, step: str) -> HttpResponse:
    actor, now = request.actor, timezone.now()
    try:
        draft = reading.claim_draft_get(actor=actor, claim_id=claim_id, step=step, now=now)
    except ClaimRefused:  # filed meanwhile: its page
        return redirect("benefits:claim", claim_id=claim_id)
    if draft.step != step:
        return redirect("benefits:claim_step", claim_id=claim_id, step=draft.step)
    if request.method == "GET":
        return render(request, "benefits/claim_step.html", _step_context(request, draft))
    forms: dict[str, Any] = {}
    form: Any
    try:
        if step == "about":
            form = forms["about_form"] = _about_form(draft, request.POST)
            if not form.is_valid():
                raise _Invalid
            services.claim_about_save(
                actor=actor,
                claim_id=claim_id,
                subject_person_id=int(form.cleaned_data["subject"]),
                month=form.cleaned_data.get("month", ""),
                remarks=form.cleaned_data["remarks"],
                now=now,
            )
            return redirect("benefits:claim_step", claim_id=claim_id, step="documents")
        if step == "documents":
            services.claim_documents_done(actor=actor, claim_id=claim_id, now=now)
            return redirect("benefits:claim_step", claim_id=claim_id, step="bank")
        if step == "bank":
            form = forms["bank_form"] = ClaimBankForm(
                request.POST, on_file=draft.account_on_file, may_set=draft.may_set_account
            )
            if not form.is_valid():
                raise _Invalid
            services.claim_bank_save(
                actor=actor,
                claim_id=claim_id,
                use_account_on_file=form.cleaned_data["account"] == "on_file",
                iban=form.cleaned_data.get("iban", ""),
                holder_name=form.cleaned_data.get("holder", ""),
                now=now,
            )
            return redirect("benefits:claim_step", claim_id=claim_id, step="declaration")
        form = forms["declaration_form"] = ClaimDeclarationForm(request.POST)
        form.is_valid()
        services.claim_submit(
            actor=actor, claim_id=claim_id, declared_on_honour=bool(form.cleaned_data.get("honour")), now=now
        )
    except DomainError as refused:
        if refused.code == "not_a_draft":
            return redirect("benefits:claim", claim_id=claim_id)
        target = next(iter(forms.values()), None)
        if target is None:
            messages.error(request, refused.message)
            return redirect("benefits:claim_step", claim_id=claim_id, step=step)
        target.add_error(None, refused.message)
        draft = reading.claim_draft_get(actor=actor, claim_id=claim_id, step=step, now=now)
        return render(request, "benefits/claim_step.html", _step_context(request, draft, **forms), status=400)
    except _Invalid:
        return render(request, "benefits/claim_step.html", _step_context(request, draft, **forms), status=400)
    messages.success(request, _("Your claim is filed. Its receipt is below; keep it."))
    return redirect("benefits:claim", claim_id=claim_id)


class _Invalid(Exception):
    """A form with errors on its fields: shown again."""


@_bounded_upload
@login_required
@require_POST
def claim_document_add(request: PortalRequest, claim_id: int) -> HttpResponse:
    actor, now = request.actor, timezone.now()
    try:
        draft = reading.claim_draft_get(actor=actor, claim_id=claim_id, step="documents", now=now)
    except ClaimRefused:
        return redirect("benefits:claim", claim_id=claim_id)
    if draft.step != "documents":
        return redirect("benefits:claim_step", claim_id=claim_id, step=draft.step)
    form = ClaimDocumentForm(
        request.POST,
        request.FILES,
        required=draft.documents_required,
        max_size=file_size(settings.CLAIM_DOCUMENT_MAX_BYTES),
    )
    try:
        upload = _upload(request)
        if not form.is_valid() or upload is None:
            raise _Invalid
        name, size, read = upload
        services.claim_document_add(
            actor=actor,
            claim_id=claim_id,
            required_index=form.cleaned_data["which"],
            name=name,
            size=size,
            read=read,
            now=now,
        )
    except DomainError as refused:
        if refused.code == "not_a_draft":
            return redirect("benefits:claim", claim_id=claim_id)
        form.errors.pop("file", None)
        form.add_error(None, refused.message)
        return render(
            request, "benefits/claim_step.html", _step_context(request, draft, document_form=form), status=400
        )
    except _Invalid:
        return render(
            request, "benefits/claim_step.html", _step_context(request, draft, document_form=form), status=400
        )
    messages.success(request, _("Document added."))
    return redirect("benefits:claim_step", claim_id=claim_id, step="documents")


@login_required
@require_POST
def claim_document_remove(request: PortalRequest, claim_id: int, document_id: int) -> HttpResponse:
    try:
        services.claim_document_remove(
            actor=request.actor, claim_id=claim_id, document_id=document_id, now=timezone.now()
        )
    except ClaimRefused:
        return redirect("benefits:claim", claim_id=claim_id)
    messages.success(request, _("Document removed."))
    return redirect("benefits:claim_step", claim_id=claim_id, step="documents")


def _download(found: reading.ClaimFile, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(found.content, content_type=found.content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def claim_document(request: PortalRequest, claim_id: int, document_id: int) -> HttpResponse:
    found = reading.claim_document_get(
        actor=request.actor, claim_id=claim_id, document_id=document_id, now=timezone.now()
    )
    return _download(found)


@login_required
@require_GET
def claim_receipt(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _download(reading.claim_receipt_get(actor=request.actor, claim_id=claim_id, now=timezone.now()))


@login_required
@require_GET
def claim_letter(request: PortalRequest, claim_id: int, decision_id: int) -> HttpResponse:
    found = reading.claim_letter_get(
        actor=request.actor, claim_id=claim_id, decision_id=decision_id, now=timezone.now()
    )
    return _download(found)


def _claim_page(request: PortalRequest, claim_id: int, *, status: int = 200, **forms: Any) -> HttpResponse:
    view = reading.claim_get(actor=request.actor, claim_id=claim_id, now=timezone.now())
    seen = {"seen_status": view.status}
    context = {
        "claim": view,
        "message_form": forms.get("message_form") or ClaimMessageForm(),
        "information_form": forms.get("information_form") or ClaimInformationForm(initial=seen),
        "withdraw_form": forms.get("withdraw_form") or ClaimWithdrawForm(initial=seen),
        "appeal_form": forms.get("appeal_form") or ClaimAppealForm(initial=seen),
    }
    return render(request, "benefits/claim.html", context, status=status)


@login_required
@require_GET
def claim(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, claim_id)


def _act(
    request: PortalRequest, claim_id: int, *, form: Any, name: str, done: str, call: Callable[[dict[str, Any]], None]
) -> HttpResponse:
    """One action of the claim's page: the form valid, the service called; a refusal is shown on
    the form, on the page again."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ClaimRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, done)
            return redirect("benefits:claim", claim_id=claim_id)
    return _claim_page(request, claim_id, status=400, **{name: form})


@login_required
@require_POST
def claim_message(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _act(
        request,
        claim_id,
        form=ClaimMessageForm(request.POST),
        name="message_form",
        done=_("Message sent to the case worker."),
        call=lambda data: services.claim_message_send(
            actor=request.actor, claim_id=claim_id, text=data["text"], now=timezone.now()
        ),
    )


@login_required
@require_POST
def claim_withdraw(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _act(
        request,
        claim_id,
        form=ClaimWithdrawForm(request.POST),
        name="withdraw_form",
        done=_("The claim is withdrawn."),
        call=lambda data: services.claim_withdraw(
            actor=request.actor,
            claim_id=claim_id,
            seen_status=data["seen_status"],
            reason=data["reason"],
            now=timezone.now(),
        ),
    )


@_bounded_upload
@login_required
@require_POST
def claim_information(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _act(
        request,
        claim_id,
        form=ClaimInformationForm(request.POST, request.FILES),
        name="information_form",
        done=_("Sent: the case worker examines it."),
        call=lambda data: services.claim_information_provide(
            actor=request.actor,
            claim_id=claim_id,
            seen_status=data["seen_status"],
            text=data["text"],
            upload=_upload(request),
            now=timezone.now(),
        ),
    )


@_bounded_upload
@login_required
@require_POST
def claim_appeal(request: PortalRequest, claim_id: int) -> HttpResponse:
    return _act(
        request,
        claim_id,
        form=ClaimAppealForm(request.POST, request.FILES),
        name="appeal_form",
        done=_("Your appeal is lodged. A case worker who took no part in the decision examines it."),
        call=lambda data: services.claim_appeal(
            actor=request.actor,
            claim_id=claim_id,
            seen_status=data["seen_status"],
            grounds=data["grounds"],
            upload=_upload(request),
            now=timezone.now(),
        ),
    )

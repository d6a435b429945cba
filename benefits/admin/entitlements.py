"""Entitlements in the back office, read-only: what the grants opened, for the case workers. A
case worker who may suspend benefits suspends one in payment, or resumes one they suspended,
with the buttons of its page (a legal notice to the person each time)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from benefits import services
from benefits.admin.payments import EntitlementAmountInline
from benefits.models import Entitlement, EntitlementState, LifeCertificateRequest, LifeRequestStatus, SuspensionReason
from benefits.types import LifeRefused
from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin, staff_actor
from core.errors import NotFound

# Who suspends and resumes a benefit in payment (the case workers).
SUSPEND_PERMISSION = "benefits.suspend_entitlement"


@admin.register(Entitlement)
class EntitlementAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """What the grants opened, read-only: the sums and monthly amounts the payments pay, those
    replaced by an appeal's decision included (ended)."""

    person_fields = ("person_id",)
    read_detail = "entitlement"
    change_form_template = "admin/benefits/entitlement.html"

    list_display = ["person", "scheme", "amount", "periodicity", "state", "start_on", "end_on", "opened_at", "ended_at"]
    list_filter = ["scheme", "periodicity", "state", "suspension_reason"]
    search_fields = ["claim__reference", "person__last_name", "=person__national_number"]
    list_select_related = ["person"]
    ordering = ["-opened_at"]
    fields = (
        "person",
        "claim_reference",
        "scheme",
        "amount",
        "periodicity",
        "start_on",
        "end_on",
        "iban",
        "opened_at",
        "ended_at",
        "state",
        "suspension_reason",
        "suspended_at",
        "suspended_by",
        "suspension_note",
    )
    readonly_fields = fields
    # The amounts in force over time (the decision's, each indexation).
    inlines = [EntitlementAmountInline]

    @admin.display(description=_("benefit claim"))
    def claim_reference(self, entitlement: Entitlement) -> str:
        return entitlement.claim.reference if entitlement.claim is not None else ""

    def may_suspend(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(SUSPEND_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:entitlement_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name="benefits_entitlement_suspend",
            ),
            path(
                "<int:entitlement_id>/resume/",
                self.admin_site.admin_view(self.resume_view),
                name="benefits_entitlement_resume",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        entitlement = self.get_object(request, object_id)
        context: dict[str, Any] = {}
        if entitlement is not None and self.has_view_permission(request, entitlement):
            context.update(self._suspension_context(request, entitlement))
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _suspension_context(self, request: HttpRequest, entitlement: Entitlement) -> dict[str, Any]:
        may = self.may_suspend(request)
        in_payment = entitlement.state == EntitlementState.ACTIVE and entitlement.ended_at is None
        suspended = entitlement.state == EntitlementState.SUSPENDED
        context: dict[str, Any] = {
            "may_suspend": may and in_payment,
            "may_resume": may and suspended and entitlement.suspension_reason == SuspensionReason.STAFF,
            "life_suspended": suspended and entitlement.suspension_reason == SuspensionReason.LIFE_CERTIFICATE,
        }
        if context["life_suspended"]:
            # The request still open that suspended it, for the case worker to follow.
            open_request = (
                LifeCertificateRequest.objects.filter(person_id=entitlement.person_id)
                .exclude(status=LifeRequestStatus.CONFIRMED)
                .order_by("-year")
                .first()
            )
            if open_request is not None and request.user.has_perm("benefits.view_lifecertificaterequest"):
                context["life_request"] = open_request
                context["life_request_url"] = reverse(
                    "admin:benefits_lifecertificaterequest_change", args=[open_request.pk]
                )
        return context

    def suspend_view(self, request: HttpRequest, entitlement_id: int) -> HttpResponse:
        return self._step(request, entitlement_id, suspend=True)

    def resume_view(self, request: HttpRequest, entitlement_id: int) -> HttpResponse:
        return self._step(request, entitlement_id, suspend=False)

    def _step(self, request: HttpRequest, entitlement_id: int, *, suspend: bool) -> HttpResponse:
        if not self.may_suspend(request):
            raise PermissionDenied
        back = reverse("admin:benefits_entitlement_change", args=[entitlement_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        try:
            if suspend:
                services.entitlement_suspend(
                    entitlement_id=entitlement_id,
                    user_id=staff_actor(request).signed_in_user_id,
                    note=request.POST.get("note", ""),
                    now=timezone.now(),
                )
                done = gettext("Benefit suspended: the runs do not pay it until it is resumed; the person is told.")
            elif services.entitlement_resume(
                entitlement_id=entitlement_id, user_id=staff_actor(request).signed_in_user_id, now=timezone.now()
            ):
                done = gettext("Benefit resumed: the next run pays it, with the months not paid; the person is told.")
            else:
                done = gettext(
                    "Your suspension is lifted, but the benefit stays suspended: the person's life certificate is"
                    " missing. It resumes when one is accepted."
                )
        except LifeRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(back)
        except NotFound:
            raise Http404 from None
        self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(back)

"""Life certificates of the pensioners abroad in the back office, for the case workers.

- Requests: each person's yearly request, read-only (the campaign owns them), with the
  certificates sent and the identity checks started. The letters to post — for those nobody
  could tell on the portal — are printed as one PDF, from a selection (an action) or all those
  waiting (the list's button); printing clears their flag.
- Certificates: the work queue, those to check first (oldest first). A certificate's page shows
  the document (an image inline, any file to download: each read recorded in the person's trail)
  and the buttons that accept or refuse it — four eyes: the service refuses one's own.
- Remote identity checks: read-only, for support.

Each button calls one service of ``benefits.services``; a refusal is shown and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, QuerySet, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from benefits import services
from benefits.models import (
    CertificateReview,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    RefusalReason,
)
from benefits.types import LifeRefused
from benefits.wording import day
from core.audit import access_record, access_record_many
from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin, ShownWithParent, staff_actor
from core.errors import NotFound
from core.types import AccessPurpose

# Who prints the letters to post, and who checks the certificates (the case workers).
PRINT_PERMISSION = "benefits.print_lifeletters"
REVIEW_PERMISSION = "benefits.review_lifecertificate"

# The letters printed at once: a PDF the mailroom's printer takes in one go.
LETTERS_AT_ONCE = 500

# The detail recorded in the person's trail (core.audit's FIXED_DETAILS).
READ_DETAIL = "life certificate"


def _who(user: Any) -> str:
    if user is None:
        return "—"
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name != user.email else str(user.email)


def _attachment(content: bytes, *, content_type: str, filename: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # Shown in the page (an image) or downloaded (any file); never a disposition left out.
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class CertificateInline(ShownWithParent):
    """The certificates sent for the request, each linked to its page (the work queue's)."""

    model = LifeCertificate
    verbose_name = _("certificate sent")
    verbose_name_plural = _("certificates sent")
    fields = ("uploaded_at", "filename", "review", "refusal_reason", "reviewed_at")
    readonly_fields = fields
    ordering = ("uploaded_at", "pk")
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[LifeCertificate]:
        return super().get_queryset(request).defer("content")


class CheckInline(ShownWithParent):
    """The remote identity checks started for the request."""

    model = LifeCheck
    fields = ("provider", "status", "started_at", "settled_at")
    readonly_fields = fields
    ordering = ("started_at", "pk")


# --- Requests --------------------------------------------------------------------------------


class SuspendedFilter(admin.SimpleListFilter):
    title = _("benefits suspended")
    parameter_name = "suspended"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[LifeCertificateRequest]
    ) -> QuerySet[LifeCertificateRequest]:
        if self.value() == "yes":
            return queryset.filter(suspended_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(suspended_at__isnull=True)
        return queryset


_REQUEST_FIELDS: tuple[str, ...] = (
    "reference",
    "person_named",
    "year",
    "status",
    "asked_at",
    "due_on",
    "reminders",
    "reminded_at",
    "suspended_at",
    "by_post",
    "letter_due",
    "letters_printed_at",
    "confirmed_at",
    "confirmed_by",
)


@admin.register(LifeCertificateRequest)
class LifeCertificateRequestAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """The yearly requests, read-only, the latest year first and the soonest due first; the
    letters to post printed from here."""

    person_fields = ("person_id",)
    read_detail = READ_DETAIL
    change_list_template = "admin/benefits/life_request_list.html"
    empty_value_display = "—"
    list_display = [
        "reference",
        "person_named",
        "year",
        "status",
        "asked_at",
        "due_on",
        "reminders",
        "suspended_at",
        "by_post",
        "letter_due",
        "confirmed_at",
        "confirmed_by",
    ]
    list_filter = ["status", "year", "by_post", "letter_due", SuspendedFilter]
    search_fields = ["=reference", "person__last_name", "=person__national_number"]
    list_select_related = ["person"]
    ordering = ["-year", "due_on", "pk"]
    fields = _REQUEST_FIELDS
    readonly_fields = _REQUEST_FIELDS
    inlines = [CertificateInline, CheckInline]
    actions = ["print_letters"]

    # The model's field has no label of its own to translate.
    @admin.display(description=_("person"), ordering="person__last_name")
    def person_named(self, row: LifeCertificateRequest) -> str:
        return str(row.person)

    def has_print_letters_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(PRINT_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "letters/",
                self.admin_site.admin_view(self.letters_view),
                name="benefits_lifecertificaterequest_letters",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context: dict[str, Any] = {}
        if self.has_print_letters_permission(request):
            context["letters_due"] = LifeCertificateRequest.objects.filter(letter_due=True).count()
            context["letters_at_once"] = LETTERS_AT_ONCE
        return super().changelist_view(request, {**context, **(extra_context or {})})

    @admin.action(description=_("Print the letters to post"), permissions=["print_letters"])
    def print_letters(self, request: HttpRequest, queryset: QuerySet[LifeCertificateRequest]) -> HttpResponse | None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: LETTERS_AT_ONCE + 1])
        if len(ids) > LETTERS_AT_ONCE:
            self.message_user(
                request,
                gettext("Select at most %(count)s requests: their letters are printed at once.")
                % {"count": LETTERS_AT_ONCE},
                messages.ERROR,
            )
            return None
        return self._letters(request, ids)

    def letters_view(self, request: HttpRequest) -> HttpResponse:
        """Every letter waiting to be posted (the oldest requests first, at most a batch)."""
        if not self.has_print_letters_permission(request):
            raise PermissionDenied
        back = reverse("admin:benefits_lifecertificaterequest_changelist")
        if request.method != "POST":
            return HttpResponseRedirect(back)
        ids = list(
            LifeCertificateRequest.objects.filter(letter_due=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:LETTERS_AT_ONCE]
        )
        if not ids:
            self.message_user(request, gettext("No letter is waiting to be posted."), messages.WARNING)
            return HttpResponseRedirect(back)
        return self._letters(request, ids)

    def _letters(self, request: HttpRequest, ids: list[int]) -> HttpResponse:
        """The letters as one PDF to download; no longer due once it is made. Each person's
        name, address and request read by the member of staff: recorded in their trail."""
        now = timezone.now()
        content, person_ids = services.life_letters_print(request_ids=ids, now=now)
        access_record_many(
            actor=staff_actor(request),
            subject_person_ids=person_ids,
            purpose=AccessPurpose.STAFF_CLAIM_VIEW,
            now=now,
            detail=READ_DETAIL,
        )
        return _attachment(
            content, content_type="application/pdf", filename=f"life-certificate-letters-{now:%Y-%m-%d-%H%M}.pdf"
        )


# --- Certificates: the work queue --------------------------------------------------------------


class RefusalForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why it is refused"), choices=[("", "—"), *RefusalReason.choices])


_CERTIFICATE_FIELDS: tuple[str, ...] = (
    "person_named",
    "reference",
    "due_on",
    "request_status",
    "filename",
    "content_type",
    "size",
    "uploaded_at",
    "sender",
    "review",
    "refusal_reason",
    "reviewed_at",
    "reviewer",
)


@admin.register(LifeCertificate)
class LifeCertificateAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """The certificates sent, those to check first (oldest first), then the others (newest
    first). Read-only: a certificate is checked with its page's buttons."""

    # The person, and who sent it (the person, or a proxy who manages their claims).
    person_fields = ("request.person_id", "uploaded_by.person_id")
    read_detail = READ_DETAIL
    change_form_template = "admin/benefits/life_certificate.html"
    empty_value_display = "—"
    list_display = ["person_named", "reference", "due_on", "uploaded_at", "sender", "review", "reviewer"]
    list_filter = ["review"]
    search_fields = ["=request__reference", "request__person__last_name", "=request__person__national_number"]
    list_select_related = ["request__person", "uploaded_by", "reviewed_by"]
    fields = _CERTIFICATE_FIELDS
    readonly_fields = _CERTIFICATE_FIELDS
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[LifeCertificate]:
        return super().get_queryset(request).defer("content")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {"title": gettext("Life certificates: those to check first, the oldest first")}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        pending = CertificateReview.PENDING
        return [
            Case(When(review=pending, then=0), default=1),
            Case(When(review=pending, then=F("uploaded_at"))).asc(nulls_last=True),
            "-uploaded_at",
            "pk",
        ]

    @admin.display(description=_("person"), ordering="request__person__last_name")
    def person_named(self, certificate: LifeCertificate) -> str:
        return str(certificate.request.person)

    @admin.display(description=_("reference"), ordering="request__reference")
    def reference(self, certificate: LifeCertificate) -> str:
        return certificate.request.reference

    @admin.display(description=_("answer due by"), ordering="request__due_on")
    def due_on(self, certificate: LifeCertificate) -> str:
        return day(certificate.request.due_on)

    @admin.display(description=_("status of the request"))
    def request_status(self, certificate: LifeCertificate) -> str:
        return str(certificate.request.get_status_display())

    @admin.display(description=_("sent by"), ordering="uploaded_by__last_name")
    def sender(self, certificate: LifeCertificate) -> str:
        # The pensioner's own account, or a proxy's, or a member of staff at the counter.
        if certificate.uploaded_by.person_id == certificate.request.person_id:
            return gettext("the person")
        return _who(certificate.uploaded_by)

    @admin.display(description=_("checked by"), ordering="reviewed_by__last_name")
    def reviewer(self, certificate: LifeCertificate) -> str:
        return _who(certificate.reviewed_by)

    def may_review(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(REVIEW_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:certificate_id>/document/",
                self.admin_site.admin_view(self.document_view),
                name="benefits_lifecertificate_document",
            ),
            path(
                "<int:certificate_id>/accept/",
                self.admin_site.admin_view(self.accept_view),
                name="benefits_lifecertificate_accept",
            ),
            path(
                "<int:certificate_id>/refuse/",
                self.admin_site.admin_view(self.refuse_view),
                name="benefits_lifecertificate_refuse",
            ),
            *super().get_urls(),
        ]

    # --- A certificate's page -----------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # read-only: a certificate is checked with the buttons
        certificate = self.get_object(request, object_id)
        context: dict[str, Any] = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if certificate is not None and self.has_view_permission(request, certificate):
            context.update(self._certificate_context(request, certificate))
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _certificate_context(self, request: HttpRequest, certificate: LifeCertificate) -> dict[str, Any]:
        pending = certificate.review == CertificateReview.PENDING
        may_review = self.may_review(request)
        own = certificate.uploaded_by_id == request.user.pk
        return {
            "title": gettext("Life certificate %(reference)s") % {"reference": certificate.request.reference},
            "document_url": reverse("admin:benefits_lifecertificate_document", args=[certificate.pk]),
            "is_image": certificate.content_type.startswith("image/"),
            "request_url": reverse("admin:benefits_lifecertificaterequest_change", args=[certificate.request_id]),
            "may_decide": may_review and pending and not own,
            "four_eyes": may_review and pending and own,
            "refusal_form": RefusalForm(auto_id="id_refusal_%s"),
        }

    def document_view(self, request: HttpRequest, certificate_id: int) -> HttpResponse:
        """The certificate as sent (an image may be shown in the page), its read recorded in
        the person's trail."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        certificate = LifeCertificate.objects.select_related("request").filter(pk=certificate_id).first()
        if certificate is None:
            raise Http404
        access_record(
            actor=staff_actor(request),
            subject_person_id=certificate.request.person_id,
            purpose=AccessPurpose.STAFF_CLAIM_VIEW,
            now=timezone.now(),
            detail=READ_DETAIL,
        )
        inline = request.GET.get("inline") == "1" and certificate.content_type.startswith("image/")
        return _attachment(
            bytes(certificate.content),
            content_type=certificate.content_type,
            filename=certificate.filename,
            inline=inline,
        )

    def accept_view(self, request: HttpRequest, certificate_id: int) -> HttpResponse:
        return self._review(request, certificate_id, accept=True)

    def refuse_view(self, request: HttpRequest, certificate_id: int) -> HttpResponse:
        return self._review(request, certificate_id, accept=False)

    def _review(self, request: HttpRequest, certificate_id: int, *, accept: bool) -> HttpResponse:
        if not self.may_review(request) or request.user.pk is None:
            raise PermissionDenied
        back = reverse("admin:benefits_lifecertificate_change", args=[certificate_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        reason = ""
        if not accept:
            form = RefusalForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.life_certificate_review(
                staff_user_id=int(request.user.pk),
                certificate_id=certificate_id,
                accept=accept,
                reason=reason,
                now=timezone.now(),
            )
        except LifeRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(back)
        except NotFound:
            raise Http404 from None
        done = (
            gettext("Certificate accepted: the year is confirmed, and the benefits it suspended are paid again.")
            if accept
            else gettext("Certificate refused: the person is told why, and may send another.")
        )
        self.message_user(request, done, messages.SUCCESS)
        queue = reverse("admin:benefits_lifecertificate_changelist") + "?review__exact=" + CertificateReview.PENDING
        return HttpResponseRedirect(queue)


# --- Remote identity checks --------------------------------------------------------------------

_CHECK_FIELDS: tuple[str, ...] = (
    "person_named",
    "reference",
    "provider",
    "provider_check_id",
    "status",
    "started_at",
    "settled_at",
)


@admin.register(LifeCheck)
class LifeCheckAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """The remote identity checks the pensioners started, newest first, read-only: for support
    (a check that never settled, a provider's id to quote)."""

    person_fields = ("request.person_id",)
    read_detail = READ_DETAIL
    empty_value_display = "—"
    list_display = ["person_named", "reference", "provider", "status", "started_at", "settled_at"]
    list_filter = ["status", "provider"]
    search_fields = [
        "=request__reference",
        "=provider_check_id",
        "request__person__last_name",
        "=request__person__national_number",
    ]
    list_select_related = ["request__person"]
    ordering = ["-started_at", "-pk"]
    fields = _CHECK_FIELDS
    readonly_fields = _CHECK_FIELDS
    actions = None

    @admin.display(description=_("person"), ordering="request__person__last_name")
    def person_named(self, check: LifeCheck) -> str:
        return str(check.request.person)

    @admin.display(description=_("reference"), ordering="request__reference")
    def reference(self, check: LifeCheck) -> str:
        return check.request.reference

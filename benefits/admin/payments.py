"""Finance's back office of the benefits in payment.

- Payment runs: the months, with their status, payments and total, and the buttons that prepare
  this month's or next month's run. A run's page is read-only: who prepared it (or the
  scheduler), checked, approved and exported it and when; its totals per benefit and per bank;
  the entitlements it does not pay, counted by reason; its bank files, each to download. Its
  buttons send it for approval and approve it — four eyes: the service refuses whoever prepared
  or checked it. Only finance officers who may approve runs press them or download a file.
- Bank answers: the ``pain.002`` reports and ``camt.029`` resolutions imported; "add" is the
  upload page.
- Recall files: the ``camt.055`` cancellation requests of transfers to people reported dead
  before their payment date, each to download and send, with what the bank answered.
- Sums to recover: read-only, for follow-up, each read recorded in the person's trail.
- The amounts in force over time, read-only, on an entitlement's page (``EntitlementAmountInline``).

Each button calls one service of ``benefits.services``; a refusal is shown and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from benefits import catalogue, services
from benefits.models import (
    BankAnswer,
    EntitlementAmount,
    Payment,
    PaymentFile,
    PaymentRecall,
    PaymentRun,
    PaymentStatus,
    RecallFile,
    RecallStatus,
    Recovery,
    RecoveryItem,
    RunSkip,
    RunStatus,
    SuspensionReason,
)
from benefits.payments.runs import RunTotal, run_totals
from benefits.payments.wording import scheme_titles
from benefits.types import PaymentRefused
from core.audit import access_record_many
from core.backoffice import NoPersonalDataAdmin, PersonalDataAdmin, ReadOnlyModelAdmin, ShownWithParent, staff_actor
from core.money import amount_text
from core.periods import Period
from core.sizes import file_size
from core.types import AccessPurpose

# Who prepares, checks and approves runs and downloads their files (the Finance role).
APPROVE_PERMISSION = "benefits.approve_paymentrun"

# The runs still open: their payments may change (prepared again, stopped); no file yet.
_OPEN = [RunStatus.PREPARED, RunStatus.SUBMITTED]


def month_label(day: datetime.date) -> str:
    return date_format(day, "YEAR_MONTH_FORMAT")


def _who(user: Any) -> str:
    if user is None:
        return "—"
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name != user.email else str(user.email)


def _user_id(request: HttpRequest) -> int:
    """Who acts (the admin lets only staff signed in with a second factor through)."""
    if request.user.pk is None:
        raise PermissionDenied
    return int(request.user.pk)


def _number(text: str, kind: Any) -> Any:
    """The totals the officer saw, sent back with the button (nothing checked when absent)."""
    try:
        return kind(text) if text else None
    except (ValueError, ArithmeticError):
        return None


def _sent(request: HttpRequest, back: str, text: str, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, text)
    return HttpResponseRedirect(back)


class PrepareForm(forms.Form):
    period = forms.CharField(max_length=7, widget=forms.HiddenInput)

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValueError:
            raise forms.ValidationError(_("Choose a month (YYYY-MM).")) from None


@admin.register(PaymentRun)
class PaymentRunAdmin(NoPersonalDataAdmin, ReadOnlyModelAdmin):
    """The monthly runs, newest first, with what each pays; read-only, its steps are buttons."""

    why = (
        "a month's run: its totals, files and the staff who handled it (a file downloaded is "
        "recorded in the trails of the persons it pays)"
    )
    empty_value_display = "—"
    change_list_template = "admin/benefits/payment_run_list.html"
    change_form_template = "admin/benefits/payment_run.html"
    list_display = ["month", "pay_on", "status", "payments_count", "total", "preparer", "checker", "approver"]
    list_filter = ["status"]
    list_select_related = ["prepared_by", "submitted_by", "approved_by"]
    ordering = ["-period"]
    fields = (
        "month",
        "pay_on",
        "status",
        "preparer",
        "prepared_at",
        "checker",
        "submitted_at",
        "approver",
        "approved_at",
        "exported_at",
    )
    readonly_fields = fields
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentRun]:
        # An open run's figures are its payments (not the stopped ones); a run approved is its
        # files' (planned at the approval). PostgreSQL runs only the subquery a row's CASE takes:
        # the list never adds up the million payments of a month already sent.
        payments = (
            Payment.objects.filter(run=OuterRef("pk")).exclude(status=PaymentStatus.STOPPED).order_by().values("run")
        )
        files = PaymentFile.objects.filter(run=OuterRef("pk")).order_by().values("run")
        return (
            super()
            .get_queryset(request)
            .annotate(
                payments_count=Case(
                    When(status__in=_OPEN, then=Subquery(payments.annotate(n=Count("pk")).values("n")[:1])),
                    default=Subquery(files.annotate(n=Sum("transactions")).values("n")[:1]),
                    output_field=BigIntegerField(),
                ),
                payments_total=Case(
                    When(status__in=_OPEN, then=Subquery(payments.annotate(n=Sum("amount")).values("n")[:1])),
                    default=Subquery(files.annotate(n=Sum("total")).values("n")[:1]),
                    output_field=DecimalField(max_digits=16, decimal_places=2),
                ),
            )
        )

    @admin.display(description=_("month"), ordering="period")
    def month(self, run: PaymentRun) -> str:
        return month_label(run.period)

    @admin.display(description=_("payments"))
    def payments_count(self, run: PaymentRun) -> int:
        return getattr(run, "payments_count", None) or 0

    @admin.display(description=_("total paid (€)"))
    def total(self, run: PaymentRun) -> str:
        return amount_text(getattr(run, "payments_total", None) or Decimal("0.00"))

    @admin.display(description=_("prepared by"))
    def preparer(self, run: PaymentRun) -> str:
        return _who(run.prepared_by) if run.prepared_by_id else gettext("the scheduler")

    @admin.display(description=_("checked by"))
    def checker(self, run: PaymentRun) -> str:
        return _who(run.submitted_by)

    @admin.display(description=_("approved by"))
    def approver(self, run: PaymentRun) -> str:
        return _who(run.approved_by)

    def may_act(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(APPROVE_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path("prepare/", self.admin_site.admin_view(self.prepare_view), name="benefits_paymentrun_prepare"),
            path(
                "<int:run_id>/submit/", self.admin_site.admin_view(self.submit_view), name="benefits_paymentrun_submit"
            ),
            path(
                "<int:run_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="benefits_paymentrun_approve",
            ),
            path(
                "<int:run_id>/files/<int:file_id>/",
                self.admin_site.admin_view(self.file_view),
                name="benefits_paymentrun_file",
            ),
            *super().get_urls(),
        ]

    # --- The list ---------------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context: dict[str, Any] = {"prepare_buttons": self._prepare_buttons(request)}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def _prepare_buttons(self, request: HttpRequest) -> list[dict[str, str]]:
        """This month's and next month's: those not yet checked (the service still decides)."""
        if not self.may_act(request):
            return []
        this_month = Period.of(timezone.localdate())
        months = [this_month, this_month.next()]
        closed = set(
            PaymentRun.objects.filter(period__in=[month.first_day for month in months])
            .exclude(status=RunStatus.PREPARED)
            .values_list("period", flat=True)
        )
        return [
            {
                "period": str(month),
                "label": gettext("Prepare the run of %(month)s") % {"month": month_label(month.first_day)},
            }
            for month in months
            if month.first_day not in closed
        ]

    # --- A run's page -----------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        run = self.get_object(request, object_id)
        context: dict[str, Any] = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if run is not None and self.has_view_permission(request, run):
            context.update(self._run_context(request, run))
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def _run_context(self, request: HttpRequest, run: PaymentRun) -> dict[str, Any]:
        per_scheme, per_bank, skips = run_totals(run_id=run.pk)
        titles = scheme_titles()
        stopped = run.payments.filter(status=PaymentStatus.STOPPED).aggregate(count=Count("pk"), amount=Sum("amount"))
        may_act, me = self.may_act(request), request.user.pk
        mine = me in (run.prepared_by_id, run.submitted_by_id)
        return {
            "title": gettext("Payment run of %(month)s") % {"month": month_label(run.period)},
            "per_scheme": [(titles.get(line.key, line.key), line) for line in per_scheme],
            "per_bank": per_bank,
            "overall": _overall(per_scheme),
            "stopped": stopped if stopped["count"] else None,
            "skips": [(_skip_label(reason), _skip_detail(reason, detail), count) for reason, detail, count in skips],
            "skipped": sum(count for _reason, _detail, count in skips),
            "files": list(run.files.defer("content").order_by("sequence")),
            "may_download": may_act,
            "may_submit": may_act and run.status == RunStatus.PREPARED,
            "may_approve": may_act and run.status == RunStatus.SUBMITTED and not mine,
            "four_eyes": may_act and run.status == RunStatus.SUBMITTED and mine,
        }

    def _step(self, request: HttpRequest, run_id: int, step: str) -> HttpResponse:
        if not self.may_act(request):
            raise PermissionDenied
        back = reverse("admin:benefits_paymentrun_change", args=[run_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        if not PaymentRun.objects.filter(pk=run_id).exists():
            raise Http404
        try:
            if step == "submit":
                services.payment_run_submit(
                    run_id=run_id,
                    user_id=_user_id(request),
                    now=timezone.now(),
                    seen_payments=_number(request.POST.get("seen_payments", ""), int),
                    seen_amount=_number(request.POST.get("seen_amount", ""), Decimal),
                )
                done = gettext("Run checked and sent for approval: another finance officer approves it.")
            else:
                files = services.payment_run_approve(run_id=run_id, user_id=_user_id(request), now=timezone.now())
                done = ngettext(
                    "Run approved: its bank file is being written.",
                    "Run approved: its %(files)s bank files are being written.",
                    files,
                ) % {"files": files}
        except PaymentRefused as refused:
            return _sent(request, back, refused.message, messages.ERROR)
        return _sent(request, back, done)

    def submit_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        return self._step(request, run_id, "submit")

    def approve_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        return self._step(request, run_id, "approve")

    def prepare_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_act(request):
            raise PermissionDenied
        back = reverse("admin:benefits_paymentrun_changelist")
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = PrepareForm(request.POST)
        if not form.is_valid():
            return _sent(request, back, " ".join(str(error) for error in form.errors.get("period", [])), messages.ERROR)
        period: Period = form.cleaned_data["period"]
        try:
            prepared = services.payment_run_prepare(period=period, user_id=_user_id(request), now=timezone.now())
        except PaymentRefused as refused:
            return _sent(request, back, refused.message, messages.ERROR)
        done = gettext(
            "Run of %(month)s prepared. Payments added: %(payments)s; entitlements not paid: %(skips)s;"
            " sums to recover netted: %(recoveries)s."
        ) % {
            "month": month_label(period.first_day),
            "payments": prepared.payments_created,
            "skips": prepared.skips_created,
            "recoveries": prepared.recoveries,
        }
        return _sent(request, reverse("admin:benefits_paymentrun_change", args=[prepared.run_id]), done)

    def file_view(self, request: HttpRequest, run_id: int, file_id: int) -> HttpResponse:
        """A bank file as written (the same bytes on every download), its payees' accounts read:
        recorded in their trails."""
        if not self.may_act(request):
            raise PermissionDenied
        payment_file = PaymentFile.objects.filter(pk=file_id, run_id=run_id, content__isnull=False).first()
        if payment_file is None or payment_file.content is None:
            raise Http404
        payees = (
            Payment.objects.filter(
                run_id=run_id, pk__gte=payment_file.first_payment_id, pk__lte=payment_file.last_payment_id
            )
            .exclude(status=PaymentStatus.STOPPED)
            .values_list("person_id", flat=True)
        )
        access_record_many(
            actor=staff_actor(request),
            subject_person_ids=list(payees),
            purpose=AccessPurpose.BANK_ACCOUNT_VIEW,
            now=timezone.now(),
        )
        response = HttpResponse(bytes(payment_file.content), content_type="application/xml")
        response["Content-Disposition"] = content_disposition_header(True, f"{payment_file.message_id}.xml")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def _overall(lines: Iterable[RunTotal]) -> RunTotal:
    found = list(lines)
    zero = Decimal("0.00")
    return RunTotal(
        key="",
        payments=sum(line.payments for line in found),
        gross=sum((line.gross for line in found), zero),
        arrears=sum((line.arrears for line in found), zero),
        recovered=sum((line.recovered for line in found), zero),
        amount=sum((line.amount for line in found), zero),
    )


def _skip_label(reason: str) -> str:
    return str(RunSkip.Reason(reason).label) if reason in RunSkip.Reason.values else reason


def _skip_detail(reason: str, detail: str) -> str:
    # A suspension's detail is its reason.
    if reason == RunSkip.Reason.SUSPENDED and detail in SuspensionReason.values:
        return str(SuspensionReason(detail).label)
    return detail


# --- The bank's answers ------------------------------------------------------------------------


class BankAnswerUploadForm(forms.Form):
    report = forms.FileField(label=_("Bank answer (pain.002 or camt.029 XML file)"))


_ANSWER_FIELDS: tuple[str, ...] = (
    "message_id",
    "imported_at",
    "importer",
    "paid",
    "rejected",
    "cancelled",
    "not_cancelled",
    "unknown",
)


@admin.register(BankAnswer)
class BankAnswerAdmin(NoPersonalDataAdmin):
    """The bank's answers imported, newest first; "add" is the upload page (through the service)."""

    why = "the bank's answers to the payment files: counts, and the staff member who imported each"
    list_display = list(_ANSWER_FIELDS)
    list_select_related = ["imported_by"]
    search_fields = ["=message_id"]
    ordering = ["-imported_at", "-pk"]
    fields = _ANSWER_FIELDS
    readonly_fields = _ANSWER_FIELDS
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[BankAnswer]:
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("imported by"))
    def importer(self, answer: BankAnswer) -> str:
        return _who(answer.imported_by)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BankAnswerUploadForm(request.POST, request.FILES) if request.method == "POST" else BankAnswerUploadForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["report"]
            try:
                # Refused before reading it: the upload handler already keeps large files on disk.
                if upload.size is not None and upload.size > settings.BANK_STATEMENT_MAX_BYTES:
                    raise PaymentRefused(
                        "answer_too_large", params={"size": file_size(settings.BANK_STATEMENT_MAX_BYTES)}
                    )
                imported = services.bank_answer_import(
                    content=upload.read(), user_id=_user_id(request), now=timezone.now()
                )
            except PaymentRefused as refused:
                form.add_error("report", refused.message)
            else:
                done = gettext(
                    "Bank answer imported. Paid: %(paid)s; rejected: %(rejected)s; recalls cancelled: %(cancelled)s;"
                    " recalls refused (asked of the estate): %(not_cancelled)s; not ours or already answered:"
                    " %(unknown)s."
                ) % {
                    "paid": imported.paid,
                    "rejected": imported.rejected,
                    "cancelled": imported.cancelled,
                    "not_cancelled": imported.not_cancelled,
                    "unknown": imported.unknown,
                }
                return _sent(request, reverse("admin:benefits_bankanswer_changelist"), done)
        return TemplateResponse(
            request,
            "admin/benefits/bank_answer_import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import a bank answer"),
                "opts": self.model._meta,
                "form": form,
                "max_size": file_size(settings.BANK_STATEMENT_MAX_BYTES),
            },
        )


# --- Transfers recalled ------------------------------------------------------------------------


class PaymentRecallInline(ShownWithParent):
    model = PaymentRecall
    fields = ("end_to_end_id", "run_month", "amount", "status", "answered_at", "answer_code")
    readonly_fields = fields
    verbose_name_plural = _("transfers recalled")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentRecall]:
        return super().get_queryset(request).select_related("payment__run").order_by("payment__end_to_end_id")

    @admin.display(description=_("end-to-end id"))
    def end_to_end_id(self, recall: PaymentRecall) -> str:
        return recall.payment.end_to_end_id

    @admin.display(description=_("month"))
    def run_month(self, recall: PaymentRecall) -> str:
        return month_label(recall.payment.run.period)

    @admin.display(description=_("amount"))
    def amount(self, recall: PaymentRecall) -> str:
        return amount_text(recall.payment.amount)


@admin.register(RecallFile)
class RecallFileAdmin(NoPersonalDataAdmin, ReadOnlyModelAdmin):
    """The recall files, newest first: each to download (finance officers who approve runs) and
    send to the bank, with each transfer's answer."""

    why = "the recall files sent to the bank: ids, counts, totals, the transfers by end-to-end id and amount"
    change_form_template = "admin/benefits/recall_file.html"
    list_display = ["message_id", "written_at", "recalls", "total_text", "open_recalls"]
    ordering = ["-written_at", "-pk"]
    fields = ("message_id", "written_at", "recalls", "total_text", "sha256")
    readonly_fields = fields
    inlines = [PaymentRecallInline]
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecallFile]:
        return (
            super()
            .get_queryset(request)
            .defer("content")
            .annotate(open_count=Count("items", filter=Q(items__status=RecallStatus.REQUESTED)))
        )

    @admin.display(description=_("total"))
    def total_text(self, recall_file: RecallFile) -> str:
        return amount_text(recall_file.total)

    @admin.display(description=_("not answered yet"), ordering="open_count")
    def open_recalls(self, recall_file: Any) -> int:
        return int(recall_file.open_count)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:file_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="benefits_recallfile_download",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"may_download": request.user.has_perm(APPROVE_PERMISSION)}
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def download_view(self, request: HttpRequest, file_id: int) -> HttpResponse:
        """The file as written: the same bytes on every download."""
        if not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        recall_file = RecallFile.objects.filter(pk=file_id).first()
        if recall_file is None:
            raise Http404
        response = HttpResponse(bytes(recall_file.content), content_type="application/xml")
        response["Content-Disposition"] = content_disposition_header(True, f"{recall_file.message_id}.xml")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Sums to recover ---------------------------------------------------------------------------


class RecoveryItemInline(ShownWithParent):
    """What each payment recovered of the sum."""

    model = RecoveryItem
    verbose_name = _("amount netted from a payment")
    verbose_name_plural = _("amounts netted from payments")
    fields = ("run_month", "end_to_end_id", "amount")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecoveryItem]:
        return super().get_queryset(request).select_related("payment__run").order_by("payment__run__period", "pk")

    @admin.display(description=_("run"))
    def run_month(self, item: RecoveryItem) -> str:
        return month_label(item.payment.run.period)

    @admin.display(description=_("end-to-end id"))
    def end_to_end_id(self, item: RecoveryItem) -> str:
        return item.payment.end_to_end_id


class OutstandingFilter(admin.SimpleListFilter):
    title = _("outstanding")
    parameter_name = "outstanding"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("still to recover")), ("no", _("recovered"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Recovery]) -> QuerySet[Recovery]:
        if self.value() == "yes":
            return queryset.filter(outstanding__gt=0)
        if self.value() == "no":
            return queryset.filter(outstanding=0)
        return queryset


_RECOVERY_FIELDS: tuple[str, ...] = (
    "person_named",
    "benefit",
    "kind",
    "reason",
    "amount",
    "outstanding",
    "reference",
    "created_at",
)


@admin.register(Recovery)
class RecoveryAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """Sums paid and not due, for follow-up: what is still to recover first."""

    person_fields = ("person_id",)
    read_detail = "payments"
    list_display = ["person_named", "benefit", "kind", "reason", "amount", "outstanding", "created_at"]
    list_filter = [OutstandingFilter, "kind"]
    list_select_related = ["person", "entitlement"]
    search_fields = ["person__last_name", "=person__national_number", "=reference"]
    fields = _RECOVERY_FIELDS
    readonly_fields = _RECOVERY_FIELDS
    inlines = [RecoveryItemInline]
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recovery]:
        return super().get_queryset(request).defer("letter")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [Case(When(outstanding__gt=0, then=0), default=1), "-created_at", "-pk"]

    # The model's field has no label of its own to translate.
    @admin.display(description=_("person"), ordering="person__last_name")
    def person_named(self, recovery: Recovery) -> str:
        return str(recovery.person)

    @admin.display(description=_("benefit"), ordering="entitlement__scheme")
    def benefit(self, recovery: Recovery) -> str:
        return _benefit_title(recovery.entitlement.scheme)


def _benefit_title(scheme: str) -> str:
    # The statutory benefits' titles (no query a row); a composed one is shown by its code.
    described = catalogue.BY_CODE.get(scheme)
    return str(described.title) if described is not None else scheme


# --- The amounts in force, on an entitlement's page ---------------------------------------------


class EntitlementAmountInline(ShownWithParent):
    """The entitlement's monthly amount from each day: the decision's, then each indexation."""

    model = EntitlementAmount
    fields = ("since", "amount", "reason", "rate_percent", "reference", "recorded_at")
    readonly_fields = fields
    ordering = ("since",)

    @admin.display(description=_("rate (%)"))
    def rate_percent(self, amount: EntitlementAmount) -> str:
        return "—" if amount.rate is None else f"{(amount.rate * 100).normalize():f}"

"""The employer's account: balance, what each period owes and whether it is paid, the entries
with their running balance (a statement, also as CSV), and online payment."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from contributions import account as account_selectors
from contributions import payments, policies, refunds, transfers
from contributions.forms import RefundRequestForm
from contributions.models import EntryKind, PaymentStatus
from contributions.types import PaymentError, PeriodPaymentStatus, RefundError
from core.caching import fragments
from core.http import PortalRequest
from core.spreadsheet import Echo, neutralised
from core.templatetags.guichet import money
from identity.selectors import enterprise_names


def _paying(request: PortalRequest, enterprise_id: int) -> None:
    allowed, _bureau = policies.paying_capacity(
        actor=request.actor,
        enterprise_id=enterprise_id,
        on=timezone.localdate(),
    )
    if not allowed:
        raise Http404


def _reading(request: PortalRequest, enterprise_id: int) -> None:
    if not policies.can_view_account(actor=request.actor, enterprise_id=enterprise_id, on=timezone.localdate()):
        raise Http404


# The account's tables are rendered once per version of the account, year shown and language,
# and read back from the cache; the version changes with every entry and allocation.
_TABLES_SECONDS = 3600


@login_required
@require_GET
def account(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """The account for those who may see it; the payment form and the payments' pages only for
    those who may pay (a viewer reads the balance, the periods and the statement)."""
    today = timezone.localdate()
    may_pay, _bureau = policies.paying_capacity(actor=request.actor, enterprise_id=enterprise_id, on=today)
    if not may_pay:  # whoever may pay may read: the reading rule is asked only of the others
        _reading(request, enterprise_id)
    try:
        chosen = int(request.GET["year"]) if request.GET.get("year") else None
    except ValueError:
        raise Http404 from None
    if chosen is not None and not 1900 <= chosen <= today.year + 1:
        raise Http404
    source = account_selectors.account_overview_source(enterprise_id=enterprise_id, today=today, year=chosen)

    def tables() -> dict[str, str]:
        overview = source.load()
        summary = overview.summary
        open_debts = [row for row in overview.periods if row.status != PeriodPaymentStatus.PAID]
        status_labels = dict(PeriodPaymentStatus.choices)
        context = {
            "enterprise_id": enterprise_id,
            "summary": summary,
            "open_debts": [(row, _debt_label(row.kind), status_labels[row.status]) for row in open_debts],
            "open_owed": sum((row.owed for row in open_debts), Decimal("0.00")),
            "open_settled": sum((row.settled for row in open_debts), Decimal("0.00")),
            "open_left": sum((row.outstanding for row in open_debts), Decimal("0.00")),
            "entries": [(entry, _entry_label(entry)) for entry in overview.entries],
            "year": chosen if chosen is not None else (overview.years[0] if overview.years else today.year),
            "years": overview.years,
            "suggested_amount": summary.balance if summary.balance > 0 else None,
            **_transfer(summary),
        }
        return {
            name: render_to_string(f"contributions/account/{name}.html", context)
            for name in ("summary", "transfer", "pay_fields", "statement")
        }

    # For those who may pay: the refund requests and, for the enterprise's administrators when
    # it has credit, the refund form (the credit shown is sent back with the request, asked again
    # if it changed meanwhile). Read from the cached overview; the role is asked only then.
    overview = source.load() if may_pay else None
    credit = overview.summary.credit if overview is not None else Decimal("0.00")
    if credit > 0 and not policies.can_request_refund(actor=request.actor, enterprise_id=enterprise_id, on=today):
        credit = Decimal("0.00")
    return render(
        request,
        "contributions/account.html",
        {
            "enterprise_id": enterprise_id,
            "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
            "payments": account_selectors.payment_list(enterprise_id=enterprise_id),
            "refunds": overview.refunds if overview is not None else [],
            "refund_credit": credit if credit > 0 else None,
            "refund_form": RefundRequestForm() if credit > 0 else None,
            "may_pay": may_pay,
            "intent": uuid.uuid4(),
            # The institution's account is in the key: a new one is shown at once, not in an hour.
            **fragments(f"{source.key}:tables:{settings.INSTITUTION_IBAN}", tables, seconds=_TABLES_SECONDS),
        },
    )


def _transfer(summary: account_selectors.AccountSummary) -> dict[str, object]:
    """The institution's account, and when something is owed, the transfer of the whole balance
    with the reference of the debit due first (settled first, then the oldest) and its QR code."""
    owed = summary.balance > 0 and summary.first_due_reference
    details = transfers.transfer_details(
        amount=summary.balance if owed else Decimal("0.00"), reference=summary.first_due_reference
    )
    qr_code = ""
    if owed:
        qr_code = transfers.transfer_qr_svg(
            details,
            title=_("QR code of a transfer of %(amount)s € to %(iban)s, reference %(reference)s")
            % {"amount": money(details.amount), "iban": details.iban_display, "reference": details.reference},
        )
    return {"transfer": details, "transfer_owed": bool(owed), "transfer_qr": mark_safe(qr_code)}  # noqa: S308 — segno's SVG, text escaped


def _debt_label(kind: str) -> str:
    return {
        account_selectors.DebtKind.CONTRIBUTIONS: _("Contributions"),
        account_selectors.DebtKind.PENALTY: _("Late-filing penalty"),
        account_selectors.DebtKind.INTEREST: _("Late-payment interest"),
        account_selectors.DebtKind.REFUND: _("Refund of a credit"),
    }.get(kind, kind)


def _entry_label(entry: account_selectors.EntryRow) -> str:
    """What the statement calls an entry: its kind, or for an interest entry that corrects the
    interest of its period (a debt posted or corrected late, or money received in it allocated
    later), that it catches that month up or corrects it."""
    if entry.is_interest_correction:
        if entry.amount > 0:
            return _("late-payment interest caught up for an earlier month")
        return _("correction of late-payment interest")
    return str(dict(EntryKind.choices).get(entry.kind, entry.kind))


@login_required
@require_POST
def pay(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """Create the payment (once per form, whatever the number of clicks) and send the payer to
    the provider's page."""
    _paying(request, enterprise_id)
    try:
        intent = uuid.UUID(request.POST.get("intent", ""))
    except ValueError:
        messages.error(request, _("The form has expired: try again."))
        return redirect("contributions:account", enterprise_id=enterprise_id)
    try:
        payment = payments.payment_start(
            actor=request.actor,
            enterprise_id=enterprise_id,
            amount=request.POST.get("amount", ""),
            payment_reference=request.POST.get("payment_reference", ""),
            intent=intent,
            now=timezone.now(),
        )
    except PaymentError as error:
        messages.error(request, str(error.message))
        return redirect("contributions:account", enterprise_id=enterprise_id)
    if payment.status != PaymentStatus.PENDING or not payment.redirect_url:
        return redirect("contributions:payment", enterprise_id=enterprise_id, payment_id=payment.pk)
    return HttpResponseRedirect(payment.redirect_url)


@login_required
@require_POST
def refund(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """Ask for the enterprise's credit to be paid back (its administrators only)."""
    if not policies.can_request_refund(actor=request.actor, enterprise_id=enterprise_id, on=timezone.localdate()):
        raise Http404
    form = RefundRequestForm(request.POST)
    if form.is_valid():
        try:
            refunds.refund_request(
                actor=request.actor,
                enterprise_id=enterprise_id,
                iban=form.cleaned_data["iban"],
                holder_name=form.cleaned_data["holder_name"],
                seen_credit=request.POST.get("credit", ""),
                now=timezone.now(),
            )
        except RefundError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request, _("Your refund request is sent: the institution pays it back or tells you why not.")
            )
    else:
        messages.error(request, _("Enter the IBAN and the account holder's name."))
    return redirect(reverse("contributions:account", args=[enterprise_id]) + "#refund")


@login_required
@require_GET
def payment(request: PortalRequest, enterprise_id: int, payment_id: int) -> HttpResponse:
    """Where the provider sends the payer back: the status, asked to the provider if the
    callback has not arrived yet."""
    _paying(request, enterprise_id)
    try:
        found = account_selectors.payment_get(enterprise_id=enterprise_id, payment_id=payment_id)
    except LookupError:
        raise Http404 from None
    found = payments.payment_refresh(payment=found, now=timezone.now())
    return render(
        request,
        "contributions/payment.html",
        {"enterprise_id": enterprise_id, "payment": found},
    )


@csrf_exempt
@require_POST
def payment_callback(request: PortalRequest, provider: str) -> HttpResponse:
    """The provider's signed server-to-server notice. Answers 200 once recorded (the provider
    stops retrying), 400 when the signature or content does not check out."""
    if provider != payments.payment_provider().name:
        raise Http404
    try:
        payments.payment_callback(
            provider_name=provider, body=request.body, headers=request.headers, now=timezone.now()
        )
    except payments.InvalidCallback:
        return HttpResponse("invalid callback", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_GET
def statement_csv(request: PortalRequest, enterprise_id: int) -> StreamingHttpResponse:
    """The whole account as CSV (date, kind, period, reference, amount, balance)."""
    _reading(request, enterprise_id)
    rows = account_selectors.account_entries(enterprise_id=enterprise_id)
    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(
            [_("Date"), _("Entry"), _("Period"), _("Payment reference"), _("Amount (€)"), _("Balance (€)")]
        )
        for row in rows:
            yield writer.writerow(
                [
                    row.booked_on.isoformat(),
                    neutralised(_entry_label(row)),
                    row.period,
                    neutralised(row.payment_reference),
                    f"{row.amount:.2f}",
                    f"{row.balance:.2f}",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    # Translators: a file name: no spaces, no accents.
    filename = _("account-statement-%(enterprise)s.csv") % {"enterprise": enterprise_id}
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

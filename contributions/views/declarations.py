"""Contributions pages: the public table of rates (no sign-in needed), the employment register."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contributions import account, documents, policies, services
from contributions.certificates import missing_declarations
from contributions.computation import RateTable
from contributions.declarations import declaration_submit
from contributions.forms import HireForm, TerminationForm
from contributions.ledger import declaration_total
from contributions.reads import declaration_get, declaration_in_force_with_lines, declaration_list
from contributions.selectors import active_employees, employment_list_for_enterprise, rates_for_period
from contributions.types import ANOMALY_MESSAGES, Branch, EmploymentError, LineInput, WorkerCategory
from core.http import PortalRequest
from core.periods import Period
from identity.selectors import enterprise_names, person_names, person_national_numbers


def _percent(rate: Decimal) -> str:
    """0.07500 → "7.5" in English, "7,5" in French (the template adds the percent sign)."""
    return formats.number_format((rate * 100).normalize())


@require_GET
def rates(request: PortalRequest) -> HttpResponse:
    current = Period.of(timezone.localdate())
    error = False
    try:
        period = Period.parse(request.GET["period"]) if request.GET.get("period") else current
    except ValueError:
        period, error = current, True
    in_force = rates_for_period(period=period)
    table = RateTable(in_force)
    branch_labels = dict(Branch.choices)
    branch_order = {branch: index for index, branch in enumerate(Branch.values)}
    categories = [
        (
            label,
            [
                {
                    "branch": branch_labels[rate.branch],
                    "employee_percent": _percent(rate.employee_rate),
                    "employer_percent": _percent(rate.employer_rate),
                    "ceiling": rate.monthly_ceiling,
                    "since": rate.valid_from,
                }
                for rate in sorted(in_force, key=lambda rate: branch_order[rate.branch])
                if rate.worker_category == code
            ],
        )
        for code, label in WorkerCategory.choices
        if table.has_category(code)
    ]
    return render(
        request,
        "contributions/rates.html",
        {"period": period, "categories": categories, "period_error": error},
        status=400 if error else 200,
    )


def _capacity(request: PortalRequest, enterprise_id: int) -> int | None:
    actor = request.actor
    allowed, bureau_id = policies.declaring_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate())
    if not allowed:
        raise Http404
    return bureau_id


def _reading(request: PortalRequest, enterprise_id: int) -> None:
    if not policies.can_view_declarations(actor=request.actor, enterprise_id=enterprise_id, on=timezone.localdate()):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def employees(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """The enterprise's employment register: declare hires and terminations, cancel a mistake."""
    _capacity(request, enterprise_id)
    actor = request.actor
    form = HireForm(request.POST or None, today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            services.employment_hire(
                actor=actor,
                enterprise_id=enterprise_id,
                national_number=form.cleaned_data["national_number"],
                worker_category=form.cleaned_data["worker_category"],
                start_date=form.cleaned_data["start_date"],
                now=timezone.now(),
            )
        except EmploymentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The hire is declared."))
            return redirect("contributions:employees", enterprise_id=enterprise_id)
    return render(
        request,
        "contributions/employees.html",
        {
            "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
            "enterprise_id": enterprise_id,
            "rows": employment_list_for_enterprise(enterprise_id=enterprise_id),
            "form": form,
            "termination_form": TerminationForm(),
            "today": timezone.localdate(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def employee_action(request: PortalRequest, enterprise_id: int, employment_id: int, action: str) -> HttpResponse:
    _capacity(request, enterprise_id)
    actor = request.actor
    try:
        if action == "terminate":
            form = TerminationForm(request.POST)
            if not form.is_valid():
                raise EmploymentError("end_date")
            late = services.employment_terminate(
                actor=actor,
                employment_id=employment_id,
                end_date=form.cleaned_data["end_date"],
                now=timezone.now(),
                enterprise_id=enterprise_id,
            )
            messages.success(request, _("The end of the employment is declared."))
            if late:
                messages.warning(request, _("This termination is late: it must be declared by the next working day."))
        elif action == "cancel":
            services.employment_cancel(
                actor=actor, employment_id=employment_id, now=timezone.now(), enterprise_id=enterprise_id
            )
            messages.success(request, _("The hire is cancelled."))
        else:
            raise Http404
    except EmploymentError as error:
        messages.error(request, str(error.message))
    return redirect("contributions:employees", enterprise_id=enterprise_id)


@login_required
@require_http_methods(["GET", "POST"])
def declarations(request: PortalRequest, enterprise_id: int) -> HttpResponse:
    """File the monthly declaration by form: the lines are prefilled with the employees of the
    period; the answer lists every anomaly by line, or leads to the receipt. A viewer sees the
    declarations sent, without the form (and may not send it)."""
    actor = request.actor
    may_declare, _bureau_id = policies.declaring_capacity(
        actor=actor, enterprise_id=enterprise_id, on=timezone.localdate()
    )
    if not may_declare:
        _reading(request, enterprise_id)
        if request.method == "POST":
            raise Http404
        return render(
            request,
            "contributions/declarations.html",
            {
                "enterprise_id": enterprise_id,
                "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
                "may_declare": False,
                "history": declaration_list(enterprise_id=enterprise_id),
            },
        )
    today = timezone.localdate()
    default_period = Period.of(today).previous()
    raw_period = request.POST.get("period") or request.GET.get("period") or str(default_period)
    try:
        period = Period.parse(raw_period)
    except ValueError:
        period = default_period
    result = None
    posted_lines: list[LineInput] = []
    if request.method == "POST":
        numbers = request.POST.getlist("national_number")
        categories = request.POST.getlist("worker_category")
        wages = request.POST.getlist("gross_wage")
        days = request.POST.getlist("days_worked")
        posted_lines = [
            LineInput(national_number=n, worker_category=c, gross_wage=w, days_worked=d)
            for n, c, w, d in zip(numbers, categories, wages, days, strict=False)
        ]
        result = declaration_submit(
            actor=actor,
            enterprise_id=enterprise_id,
            period=raw_period,
            lines=posted_lines,
            replace=request.POST.get("replace") == "1",
            channel="form",
            now=timezone.now(),
        )
        if result.accepted:
            messages.success(
                request, _("The declaration is accepted. Reference: %(reference)s") % {"reference": result.reference}
            )
            return redirect(
                "contributions:declaration", enterprise_id=enterprise_id, declaration_id=result.declaration_id
            )
    # A month already declared: its replacement starts from the declaration in force, so that
    # the employer changes only what differs.
    in_force = (
        None if posted_lines else declaration_in_force_with_lines(enterprise_id=enterprise_id, period=str(period))
    )
    if posted_lines:
        rows = [
            {
                "national_number": line.national_number,
                "worker_category": line.worker_category,
                "gross_wage": line.gross_wage,
                "days_worked": line.days_worked,
                "name": "",
            }
            for line in posted_lines
        ]
    elif in_force is not None:
        declared_ids = [line.person_id for line in in_force[1]]
        numbers_by_person = person_national_numbers(person_ids=declared_ids)
        names = person_names(person_ids=declared_ids)
        rows = [
            {
                "national_number": numbers_by_person.get(line.person_id, ""),
                "worker_category": line.worker_category,
                "gross_wage": str(line.gross_wage),
                "days_worked": str(line.days_worked),
                "name": names.get(line.person_id, ""),
            }
            for line in in_force[1]
        ]
    else:
        employees = active_employees(enterprise_id=enterprise_id, period=period)
        numbers_by_person = person_national_numbers(person_ids=[row.person_id for row in employees])
        rows = [
            {
                "national_number": numbers_by_person.get(row.person_id, ""),
                "worker_category": row.worker_category,
                "gross_wage": "",
                "days_worked": "",
                "name": row.person_name,
            }
            for row in employees
        ]
    errors_by_line: dict[int | None, list[str]] = {}
    if result is not None:
        for anomaly in result.errors:
            errors_by_line.setdefault(anomaly.line_number, []).append(anomaly.message)
    return render(
        request,
        "contributions/declarations.html",
        {
            "enterprise_id": enterprise_id,
            "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
            "period": period,
            "rows": [
                {**row, "number": index, "errors": errors_by_line.get(index, [])}
                for index, row in enumerate(rows, start=1)
            ],
            "general_errors": errors_by_line.get(None, []),
            "result": result,
            "categories": WorkerCategory.choices,
            "may_declare": True,
            "history": declaration_list(enterprise_id=enterprise_id),
            # The same rule as the compliance certificate's refusal (two queries, whatever the months).
            "missing_periods": missing_declarations(enterprise_id=enterprise_id, today=today),
            "replacing": in_force[0] if in_force is not None else None,
            "replace_checked": request.POST.get("replace") == "1" if posted_lines else in_force is not None,
        },
        status=400 if result is not None else 200,
    )


@login_required
@require_GET
def declaration(request: PortalRequest, enterprise_id: int, declaration_id: int) -> HttpResponse:
    """The receipt: reference, totals per branch, and the warnings kept with the declaration."""
    _reading(request, enterprise_id)
    try:
        found, lines, warnings = declaration_get(enterprise_id=enterprise_id, declaration_id=declaration_id)
    except LookupError:
        raise Http404 from None
    branch_labels = dict(Branch.choices)
    names = person_names(person_ids=[line.person_id for line in lines])
    return render(
        request,
        "contributions/receipt.html",
        {
            "declaration": found,
            "payment": account.declaration_payment(
                enterprise_id=enterprise_id, declaration_id=found.pk, period=found.period
            ),
            "total_due": declaration_total(found.totals),
            "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
            "totals": [
                (branch_labels.get(branch, branch), Decimal(amounts[0]), Decimal(amounts[1]))
                for branch, amounts in found.totals.items()
            ],
            "lines": [(line, names.get(line.person_id, "")) for line in lines],
            "warnings": [(w.line_number, str(ANOMALY_MESSAGES.get(w.code, w.code)), w.code) for w in warnings],
        },
    )


@login_required
@require_GET
@never_cache
def declaration_receipt_pdf(request: PortalRequest, enterprise_id: int, declaration_id: int) -> HttpResponse:
    """The receipt as a PDF to keep, in the language of the page."""
    _reading(request, enterprise_id)
    try:
        document = documents.declaration_receipt_pdf(
            enterprise_id=enterprise_id, declaration_id=declaration_id, language=translation.get_language()
        )
    except LookupError:
        raise Http404 from None
    return HttpResponse(
        document.content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )

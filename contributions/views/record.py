"""The person's contribution record: month by month, per employer, whether it was declared and
paid."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from contributions.discrepancies import discrepancy_case_get, discrepancy_report
from contributions.record import contribution_record_get, contribution_record_source_get
from contributions.types import DiscrepancyError, RecordReport, RecordStatus
from core.caching import fragments
from core.http import PortalRequest

# The record's tables are rendered once per version of the record, year shown and language, and
# read back from the cache (their thousands of template nodes were most of the page's time); the
# version changes with every row the record is computed from, the person's reports included.
_TABLES_SECONDS = 3600

# Where a reported month stands, on the record: (status, outcome) → words.
_REPORT_STATES = {
    ("open", ""): gettext_lazy("Reported: being handled"),
    ("awaiting_employer", "employer_asked"): gettext_lazy("Reported: the employer is asked to correct it"),
    ("correction_received", "employer_asked"): gettext_lazy("Reported: the correction is being checked"),
    ("closed", "corrected"): gettext_lazy("Reported: corrected"),
    ("closed", "not_founded"): gettext_lazy("Reported: not founded"),
}


def report_state(report: RecordReport) -> str:
    """Where a reported month stands, in the active language."""
    return str(_REPORT_STATES.get((report.status, report.outcome), gettext_lazy("Reported: handled")))


@login_required
@require_GET
def record(request: PortalRequest) -> HttpResponse:
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    source = contribution_record_source_get(actor=actor, person_id=actor.subject_person_id, now=timezone.now())
    if source is None:
        raise Http404
    try:
        chosen = int(request.GET["year"]) if request.GET.get("year") else None
    except ValueError:
        raise Http404 from None

    def tables() -> dict[str, str]:
        found = source.load()
        years = [row.year for row in found.years]
        year = chosen if chosen is not None else (years[0] if years else timezone.localdate().year)
        labels = dict(RecordStatus.choices)
        context = {
            "about_someone_else": about_someone_else,
            "record": found,
            "year": year,
            "months": [
                (month, labels[month.status], *_report_of(found.reports.get((month.enterprise_id, month.period))))
                for month in found.of_year(year)
            ],
        }
        return {"tables": render_to_string("contributions/record_tables.html", context)}

    # A proxy reads the principal's record: the tables speak of "their" contributions, not
    # "yours" (no name in the piece: the key says only which of the two wordings it holds).
    about_someone_else = actor.acts_for_someone_else
    wording = "theirs" if about_someone_else else "yours"
    pieces = fragments(f"{source.key}:tables:{chosen}:{wording}", tables, seconds=_TABLES_SECONDS)
    return render(request, "contributions/record.html", pieces)


def _report_of(report: RecordReport | None) -> tuple[RecordReport | None, str]:
    return report, report_state(report) if report is not None else ""


@login_required
@require_GET
def case(request: PortalRequest, report_id: int) -> HttpResponse:
    """A reported problem: what was reported, each step and its reason, what happens next."""
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    found = discrepancy_case_get(actor=actor, report_id=report_id, now=timezone.now())
    if found is None:
        raise Http404
    return render(request, "contributions/record_case.html", {"case": found})


@login_required
@require_http_methods(["GET", "POST"])
def report(request: PortalRequest) -> HttpResponse:
    """Report that a month of the record is wrong: staff open a case and the employer is told."""
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    found = contribution_record_get(actor=actor, person_id=actor.subject_person_id, now=timezone.now())
    if found is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    period, enterprise = source.get("period", ""), source.get("enterprise", "")
    month = next((m for m in found.months if m.period == period and str(m.enterprise_id) == enterprise), None)
    if month is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            discrepancy_report(
                actor=actor,
                person_id=actor.subject_person_id,
                enterprise_id=month.enterprise_id,
                period=month.period,
                message=request.POST.get("message", ""),
                now=timezone.now(),
            )
        except DiscrepancyError as refused:
            error = str(refused.message)
        else:
            messages.success(
                request,
                _("Thank you: your report is recorded. The institution's staff follow it up and the employer is told."),
            )
            return redirect(f"{reverse('contributions:record')}?{urlencode({'year': month.period[:4]})}")
    return render(
        request,
        "contributions/report.html",
        {
            "month": month,
            "status_labels": dict(RecordStatus.choices),
            "error": error,
            "message": source.get("message", ""),
        },
        status=400 if error else 200,
    )

"""The benefits' pages: the schemes and who is entitled (public), "am I entitled?" from one's own
file, and the pension simulator. Thin: each view makes one domain call and renders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from benefits.forms import PensionAssumptionsForm
from benefits.selectors import (
    ESTIMATE_DISCLAIMER,
    pension_estimate_source,
    scheme_list,
    scheme_page_get,
)
from core.caching import fragments
from core.errors import NotFound
from core.http import PortalRequest
from core.periods import Period

_RESULTS_SECONDS = 3600


def _month_asked(request: PortalRequest) -> tuple[Period, str, bool]:
    """(the month asked for, as typed, whether it was wrong): this month when none or wrong."""
    current = Period.of(timezone.localdate())
    typed = request.GET.get("month", "").strip()
    if not typed:
        return current, str(current), False
    try:
        month = Period.parse(typed)
    except ValueError:
        return current, typed[:7], True
    if not 1990 <= month.year <= current.year + 50:
        return current, typed[:7], True
    return month, typed, False


@require_GET
def schemes(request: PortalRequest) -> HttpResponse:
    month = Period.of(timezone.localdate())
    return render(request, "benefits/schemes.html", {"schemes": scheme_list(month=month), "month": month})


@require_GET
def scheme(request: PortalRequest, slug: str) -> HttpResponse:
    month, typed, wrong = _month_asked(request)
    try:
        info, answers = scheme_page_get(actor=request.actor, slug=slug, month=month, now=timezone.now())
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "benefits/scheme.html",
        {"scheme": info, "typed_month": typed, "month_error": wrong, "answers": answers},
    )


@login_required
@require_GET
def simulator(request: PortalRequest) -> HttpResponse:
    actor = request.actor
    if actor.subject_person_id is None:
        return redirect("identity:link_person")
    current = Period.of(timezone.localdate())
    form = PensionAssumptionsForm(request.GET or None, current=current)
    # Wrong assumptions are said next to their fields; the defaults are estimated below them.
    assumptions = form.assumptions() if form.is_bound and form.is_valid() else None
    source = pension_estimate_source(
        actor=actor, person_id=actor.subject_person_id, assumptions=assumptions, now=timezone.now()
    )
    if source is None:
        raise Http404
    estimate = source.load()
    if not form.is_bound:
        form = PensionAssumptionsForm(
            initial={
                "retirement": str(estimate.assumptions.retirement),
                "wage": f"{estimate.assumptions.future_yearly_wage:.2f}",
            },
            current=current,
        )
    # The results (the estimate, its computation and the months after it) are rendered once per
    # estimate and language: the key names the record's version, the assumptions and the day.
    pieces = fragments(
        f"{source.key}:results",
        lambda: {"results": render_to_string("benefits/simulator_results.html", {"estimate": estimate})},
        seconds=_RESULTS_SECONDS,
    )
    return render(request, "benefits/simulator.html", {"form": form, "disclaimer": ESTIMATE_DISCLAIMER, **pieces})

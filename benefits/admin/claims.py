"""Case work on benefit claims in the back office.

The list is the case workers' work queues (unassigned, mine, waiting for the claimant, past the
deadline, appeals, proposals to approve), oldest deadline first. A claim's page is read-only: the
claim, the claim computed now by the engine with each condition in words, the corrections, the
timeline, the documents and the decisions. Every change is a form of that page posted to one
sub-view that calls one service of ``benefits.claims.casework`` with the status the case worker
saw; a refusal is shown and changes nothing. Drafts are the claimant's: staff never see them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from benefits.admin import case_actions, case_page
from benefits.admin.casework_forms import (
    AppealProposalForm,
    AssignForm,
    CorrectionForm,
    InformationRequestForm,
    MessageForm,
    ProposalForm,
    ReturnForm,
    SeenForm,
)
from benefits.claims import casework
from benefits.models import Claim, ClaimDocument, ClaimStatus, Decision, DecisionState
from benefits.models.claims import TO_WORK_ON
from benefits.types import ClaimRefused
from core.audit import access_record
from core.backoffice import PersonalDataAdmin, staff_actor
from core.errors import NotFound
from core.types import AccessPurpose
from identity.selectors import staff_with_permission

QUEUE_LABELS = {
    "unassigned": _("Unassigned"),
    "mine": _("Assigned to me"),
    "waiting": _("Waiting for the claimant"),
    "late": _("Past the deadline"),
    "appeals": _("Appeals"),
    "to_approve": _("To approve (proposed by someone else)"),
}


class QueueFilter(admin.SimpleListFilter):
    """The work queues, each with the number of claims it holds today (one query)."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        counts = casework.queue_counts(user_id=request.user.pk or 0, today=timezone.localdate())
        return [
            (name, gettext("%(queue)s (%(count)s)") % {"queue": QUEUE_LABELS[name], "count": counts[name]})
            for name in casework.QUEUES
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        if self.value() not in casework.QUEUES:
            return queryset
        return queryset.filter(
            casework.queue_condition(str(self.value()), user_id=request.user.pk or 0, today=timezone.localdate())
        )


class StatusFilter(admin.SimpleListFilter):
    """The states staff see (a draft is the claimant's own)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in ClaimStatus.choices if value != ClaimStatus.DRAFT]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        return queryset.filter(status=self.value()) if self.value() else queryset


# The forms of the case page in the order shown: (heading, button).
FORM_WORDS = {
    "approve": (_("Approve the proposal"), _("Approve")),
    "return": (_("Send the proposal back"), _("Send back")),
    "review": (_("Start the examination"), _("Start")),
    "correct": (_("Record a corrected input"), _("Record the correction")),
    "propose": (_("Propose a decision"), _("Propose")),
    "appeal_propose": (_("Propose the decision on the appeal"), _("Propose")),
    "request_information": (_("Request information from the claimant"), _("Send the request")),
    "message": (_("Write to the claimant"), _("Send the message")),
    "assign_me": (_("Assign to me"), _("Assign to me")),
    "assign": (_("Assign to a case worker"), _("Assign")),
}

_CASE_FIELDS = (
    "reference",
    "person",
    "benefit",
    "subject_label",
    "month",
    "status",
    "assigned_to",
    "due_on",
    "information_due_on",
    "submitted_at",
    "submitted_by",
    "remarks",
    "iban",
    "account_holder",
    "declared_on_honour_at",
    "decided_at",
    "appeal_until",
)


@admin.register(Claim)
class ClaimAdmin(PersonalDataAdmin):
    """The claims staff work on (never a draft). Nothing is added, edited or deleted here: each
    change is a service called by a form of the case page."""

    person_fields = ("person_id", "subject_person_id")
    read_detail = "claim"
    change_form_template = "admin/benefits/claim_case.html"

    list_display = ["reference", "benefit", "person", "status", "worker", "deadline", "submitted_at"]
    list_filter = [QueueFilter, StatusFilter]
    search_fields = ["=reference", "person__last_name", "=person__national_number"]
    list_select_related = ["person", "assigned_to", "composed_scheme"]
    readonly_fields = _CASE_FIELDS
    fields = _CASE_FIELDS
    actions = None

    def persons_shown(self, rows: Any) -> list[int]:
        # The subject is 0 when the claim is about the claimant.
        return [person_id for person_id in super().persons_shown(rows) if person_id]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return super().get_queryset(request).exclude(status=ClaimStatus.DRAFT).defer("receipt_pdf")

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The oldest deadline first; claims without one (withdrawn before) last.
        return [F("due_on").asc(nulls_last=True), "submitted_at", "pk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("benefit"), ordering="scheme")
    def benefit(self, claim: Claim) -> str:
        return case_page.scheme_title(claim)

    @admin.display(description=_("Case worker"), ordering="assigned_to__last_name")
    def worker(self, claim: Claim) -> str:
        return claim.assigned_to.get_full_name() if claim.assigned_to else "—"

    @admin.display(description=_("to decide by"), ordering="due_on")
    def deadline(self, claim: Claim) -> str:
        if claim.due_on is None:
            return "—"
        shown = case_page.day(claim.due_on)
        if claim.status in TO_WORK_ON and claim.due_on < timezone.localdate():
            return format_html("<strong>{} ({})</strong>", shown, gettext("late"))
        return shown

    @admin.display(description=_("remarks of the claimant"))
    def remarks(self, claim: Claim) -> str:
        return str(claim.answers.get("remarks", "")) or "—"

    def get_urls(self) -> list[Any]:
        own = [
            path(
                f"<int:claim_id>/{name}/",
                self.admin_site.admin_view(self._action_view(name)),
                name=f"benefits_claim_{name.replace('-', '_')}",
            )
            for name in case_actions.ACTIONS
        ]
        return [
            *own,
            path(
                "<int:claim_id>/documents/<int:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="benefits_claim_document",
            ),
            path(
                "<int:claim_id>/decisions/<int:decision_id>/letter/",
                self.admin_site.admin_view(self.letter_view),
                name="benefits_claim_letter",
            ),
            *super().get_urls(),
        ]

    # --- The case page ------------------------------------------------------------------------

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # the fields are read-only: changes go through the forms' services
        claim = self.get_object(request, object_id)
        context: dict[str, Any] = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        family: list[int] = []
        if claim is not None:
            context.update(self._case_context(request, claim))
            family = [member.person_id for member in context["computation"].members]
        response = super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})
        if claim is not None and response.status_code == 200:
            self._record_family(request, claim, family)
        return response

    def _record_family(self, request: HttpRequest, claim: Claim, family: list[int]) -> None:
        """The other members of the family whose data the computation showed (a spouse, the
        other children): each read recorded in their trail too."""
        shown = set(self.persons_shown([claim]))
        actor, now = staff_actor(request), timezone.now()
        for person_id in dict.fromkeys(family):
            if person_id not in shown:
                access_record(
                    actor=actor,
                    subject_person_id=person_id,
                    purpose=AccessPurpose.STAFF_REGISTRY_VIEW,
                    now=now,
                    detail="claim of a family member",
                )

    def _case_context(self, request: HttpRequest, claim: Claim) -> dict[str, Any]:
        computation, _result = case_page.computation_view(claim, today=timezone.localdate())
        decisions = case_page.decisions_view(claim)
        context: dict[str, Any] = {
            "title": gettext("Claim %(reference)s") % {"reference": claim.reference},
            "computation": computation,
            "corrections": case_page.corrections_view(claim, computation.members),
            "timeline": case_page.timeline_view(claim),
            "documents": list(
                claim.documents.filter(removed_at__isnull=True)
                .defer("content")
                .select_related("uploaded_by")
                .order_by("uploaded_at", "id")
            ),
            "decisions": decisions,
            "forms": self._forms(request, claim, computation, decisions) if self.has_change_permission(request) else [],
        }
        return context

    def _forms(
        self,
        request: HttpRequest,
        claim: Claim,
        computation: case_page.ComputationView,
        decisions: list[case_page.DecisionRow],
    ) -> list[dict[str, Any]]:
        """The forms that make sense for the claim's status and the viewer (the services still
        decide): each with its address."""
        me, status, today = request.user.pk, claim.status, timezone.localdate()
        mine = claim.assigned_to_id == me
        seen = {"seen_status": status}
        found: dict[str, forms.Form] = {}
        if status not in (ClaimStatus.WITHDRAWN, ClaimStatus.APPEAL_DECIDED):
            workers = [
                (worker.user_id, f"{worker.full_name} <{worker.email}>" if worker.full_name else worker.email)
                for worker in staff_with_permission(permission=casework.CASE_WORKER_PERMISSION)
            ]
            found["assign"] = AssignForm(initial={**seen, "to_user": claim.assigned_to_id or me}, workers=workers)
            if not mine:
                found["assign_me"] = AssignForm(initial={**seen, "to_user": me})
                found["assign_me"].fields["to_user"].widget = forms.HiddenInput()
        # The date given to the claimant passed without an answer: the examination resumes.
        overdue = status == ClaimStatus.INFORMATION_REQUESTED and (claim.information_due_on or today) < today
        startable = status in (ClaimStatus.SUBMITTED, ClaimStatus.INFORMATION_PROVIDED) or overdue
        if startable and claim.assigned_to_id in (None, me):
            found["review"] = SeenForm(initial=seen)
        if status == ClaimStatus.IN_REVIEW and mine:
            found["request_information"] = InformationRequestForm(
                initial={**seen, "due_on": today + datetime.timedelta(days=15)}
            )
            found["propose"] = ProposalForm(initial=seen)
        if status in (ClaimStatus.IN_REVIEW, ClaimStatus.APPEALED) and mine and computation.members:
            found["correct"] = CorrectionForm(initial=seen, members=computation.member_choices)
        if status != ClaimStatus.WITHDRAWN:
            found["message"] = MessageForm(initial=seen)
        pending = next((one for one in decisions if one.state_code == DecisionState.PROPOSED), None)
        if status in (ClaimStatus.PROPOSED, ClaimStatus.APPEAL_PROPOSED) and pending and pending.proposed_by_id != me:
            found["approve"] = SeenForm(initial=seen)
            found["return"] = ReturnForm(initial=seen)
        appeal_open = status == ClaimStatus.APPEALED and claim.assigned_to_id in (None, me)
        if appeal_open and me not in case_page.first_deciders(claim):
            found["appeal_propose"] = AppealProposalForm(initial=seen)
        shown = []
        for name, (heading, button) in FORM_WORDS.items():
            form = found.get(name)
            if form is None:
                continue
            form.auto_id = f"id_{name}_%s"  # one page holds them all: ids of their own
            action = "assign" if name == "assign_me" else name
            shown.append(
                {
                    "anchor": f"act-{name.replace('_', '-')}",
                    "heading": heading,
                    "button": button,
                    "form": form,
                    "url": reverse(f"admin:benefits_claim_{action}", args=[claim.pk]),
                }
            )
        return shown

    # --- The forms' sub-views -----------------------------------------------------------------

    def _action_view(self, name: str) -> Callable[[HttpRequest, int], HttpResponse]:
        action = case_actions.ACTIONS[name]

        def view(request: HttpRequest, claim_id: int) -> HttpResponse:
            if not self.has_change_permission(request):
                raise PermissionDenied
            back = reverse("admin:benefits_claim_change", args=[claim_id])
            if request.method != "POST":
                return HttpResponseRedirect(back)
            form = action.form(request.POST)
            if not form.is_valid():
                for field, errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    for error in errors:
                        self.message_user(request, f"{label}: {error}" if label else str(error), messages.ERROR)
                return HttpResponseRedirect(back)
            data = form.cleaned_data
            try:
                result = action.call(
                    data,
                    actor=staff_actor(request),
                    claim_id=claim_id,
                    seen_status=data["seen_status"],
                    now=timezone.now(),
                )
            except ClaimRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
                return HttpResponseRedirect(back)
            except NotFound:
                raise Http404 from None
            self.message_user(request, action.done(result), messages.SUCCESS)
            return HttpResponseRedirect(back)

        return view

    # --- Files ------------------------------------------------------------------------------

    def _claim_for_file(self, request: HttpRequest, claim_id: int) -> Claim:
        if not self.has_view_permission(request):
            raise PermissionDenied
        claim = self.get_queryset(request).filter(pk=claim_id).first()
        if claim is None:
            raise Http404
        return claim

    @staticmethod
    def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def document_view(self, request: HttpRequest, claim_id: int, document_id: int) -> HttpResponse:
        """A document of the claim, as a download (never shown in the page), its read recorded
        in the claimant's trail."""
        claim = self._claim_for_file(request, claim_id)
        document = ClaimDocument.objects.filter(pk=document_id, claim=claim, removed_at__isnull=True).first()
        if document is None:
            raise Http404
        access_record(
            actor=staff_actor(request),
            subject_person_id=claim.person_id,
            purpose=AccessPurpose.STAFF_CLAIM_VIEW,
            now=timezone.now(),
            detail="claim document",
        )
        return self._attachment(bytes(document.content), content_type=document.content_type, filename=document.filename)

    def letter_view(self, request: HttpRequest, claim_id: int, decision_id: int) -> HttpResponse:
        """The letter of a final decision, as sent to the claimant, its read recorded."""
        claim = self._claim_for_file(request, claim_id)
        decision = Decision.objects.filter(
            pk=decision_id, claim=claim, state=DecisionState.FINAL, letter__isnull=False
        ).first()
        if decision is None or decision.letter is None:
            raise Http404
        access_record(
            actor=staff_actor(request),
            subject_person_id=claim.person_id,
            purpose=AccessPurpose.STAFF_CLAIM_VIEW,
            now=timezone.now(),
            detail="claim decision letter",
        )
        return self._attachment(
            bytes(decision.letter), content_type="application/pdf", filename=f"{claim.reference}-{decision.pk}.pdf"
        )

"""The back office of life events in.

- Civil registry partners: created here (the key and the signing secret are shown once, on the
  page that follows), revoked by an action; read-only otherwise.
- Attribution rules: supervisors switch each rule on or off and choose its verification.
- Benefits proposed: the case workers' verification queue (confirm, or withdraw with a reason).
- Life events: every event received, newest first, filtered by state, kind, partner and the
  clerk who imported it; each page shows its data, who imported it (a batch file), why it failed
  or whom it waits for. Events failed or waiting are sent back to be applied by an action (once
  the registry is corrected). Persons shown are recorded in their trails. Registry clerks
  import a batch file of events in a partner's name (its report on the page: the lines stored,
  sent before, and rejected with their errors).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, QuerySet, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from benefits import catalogue, services
from benefits.attribution.batch import COLUMNS
from benefits.attribution.proposals import proposal_explain
from benefits.claims.computation import conditions_of
from benefits.models import (
    AttributionRule,
    DryRunState,
    LifeEvent,
    LifeEventKind,
    Periodicity,
    Proposal,
    ProposalStatus,
    ProposalTrigger,
    RegistryPartner,
)
from benefits.payments.wording import scheme_titles
from benefits.types import PartnerRefused, ProposalRefused
from benefits.wording import reasons
from core.backoffice import NoPersonalDataAdmin, PersonalDataAdmin, ReadOnlyModelAdmin
from core.errors import NotFound
from core.sizes import file_size

RETRY_PERMISSION = "benefits.retry_lifeevent"
VERIFY_PERMISSION = "benefits.verify_proposal"


class EventsFileForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=RegistryPartner.objects.filter(revoked_at__isnull=True),
        help_text=_("The file is imported in the partner's name: the kinds of events it may send, its event ids."),
    )
    events = forms.FileField(label=_("File of events (CSV)"))


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    scopes = forms.MultipleChoiceField(
        label=_("Events it may send"), choices=LifeEventKind.choices, widget=forms.CheckboxSelectMultiple
    )


@admin.register(RegistryPartner)
class RegistryPartnerAdmin(NoPersonalDataAdmin, ReadOnlyModelAdmin):
    why = "the civil registry partners: names, key prefixes, scopes, who created and revoked them"
    list_display = ["name", "key_prefix", "scopes", "created_at", "revoked_at"]
    fields = ("name", "key_prefix", "scopes", "created_at", "registered_by", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("benefits.add_registrypartner"))

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("benefits.change_registrypartner"))

    @admin.action(description=_("Revoke the partners' keys"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[RegistryPartner]) -> None:
        now = timezone.now()
        for partner_id in queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True):
            services.partner_revoke(partner_id=partner_id, now=now)
        self.message_user(request, gettext("The keys are revoked: their requests are refused."), messages.SUCCESS)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PartnerForm(request.POST) if request.method == "POST" else PartnerForm()
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Add a civil registry partner"),
            "opts": self.model._meta,
            "form": form,
        }
        if form.is_bound and form.is_valid():
            try:
                partner_id, key, secret = services.partner_create(
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    user_id=request.user.pk,
                    now=timezone.now(),
                )
            except PartnerRefused as refused:
                form.add_error("name", refused.message)
            else:
                context.update({"created": RegistryPartner.objects.get(pk=partner_id), "key": key, "secret": secret})
        response = TemplateResponse(request, "admin/benefits/registry_partner_add.html", context)
        response["Cache-Control"] = "no-store"
        return response


class EventStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(LifeEvent._meta.get_field("state").choices or [])

    def queryset(self, request: HttpRequest, queryset: QuerySet[LifeEvent]) -> QuerySet[LifeEvent]:
        return queryset.filter(state=self.value()) if self.value() else queryset


@admin.register(LifeEvent)
class LifeEventAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    person_fields = ("person_id",)
    read_detail = "life event"
    list_display = ["received_at", "partner", "partner_event_id", "kind", "occurred_on", "state", "failure_code"]
    list_filter = [EventStateFilter, "kind", "partner", ("imported_by", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["partner"]
    search_fields = ["=partner_event_id"]
    ordering = ["-received_at", "-pk"]
    fields = (
        "partner",
        "partner_event_id",
        "kind",
        "occurred_on",
        "corrects",
        "data",
        "received_at",
        "imported_by",
        "state",
        "waiting_for",
        "failure_code",
        "failure_detail",
        "attempts",
        "applied_at",
        "person",
    )
    readonly_fields = fields
    actions = ["retry"]
    change_list_template = "admin/benefits/life_event_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[LifeEvent]:
        return super().get_queryset(request).select_related("partner", "person", "imported_by")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(RETRY_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="benefits_lifeevent_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {"may_import": self.has_retry_permission(request)}
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """A batch file of events imported in a partner's name (registry clerks, who retry events
        too); its report shown on the page."""
        if not self.has_retry_permission(request):
            raise PermissionDenied
        form = EventsFileForm(request.POST, request.FILES) if request.method == "POST" else EventsFileForm()
        report = None
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["events"]
            try:
                # Refused before reading it: the upload handler already keeps large files on disk.
                if upload.size is not None and upload.size > settings.LIFE_EVENTS_FILE_MAX_BYTES:
                    raise PartnerRefused(
                        "file_too_large", params={"limit": file_size(settings.LIFE_EVENTS_FILE_MAX_BYTES)}
                    )
                report = services.life_events_file_import(
                    partner_id=form.cleaned_data["partner"].pk,
                    content=upload.read(),
                    user_id=request.user.pk,
                    now=timezone.now(),
                )
            except PartnerRefused as refused:
                form.add_error("events", refused.message)
        response = TemplateResponse(
            request,
            "admin/benefits/life_event_import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import a file of life events"),
                "opts": self.model._meta,
                "form": form,
                "report": report,
                "partner": form.cleaned_data.get("partner") if report is not None else None,
                "columns": COLUMNS,
                "max_size": file_size(settings.LIFE_EVENTS_FILE_MAX_BYTES),
                "max_lines": formats.number_format(settings.LIFE_EVENTS_FILE_MAX_LINES, force_grouping=True),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Apply the selected events again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[LifeEvent]) -> None:
        count = services.life_event_retry(
            event_ids=queryset.values_list("pk", flat=True), user_id=int(request.user.pk or 0), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)s event sent back to be applied (only failed or waiting ones are).",
                "%(count)s events sent back to be applied (only failed or waiting ones are).",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


# --- Rules --------------------------------------------------------------------------------------


class RuleForm(forms.ModelForm):
    class Meta:
        model = AttributionRule
        fields = ("enabled", "auto_verify", "sample_share")


@admin.register(AttributionRule)
class AttributionRuleAdmin(NoPersonalDataAdmin):
    """The rules of proactive attribution: supervisors switch each on or off and choose how its
    proposals are verified (through the service: who changed it and when is kept)."""

    why = "the rules of proactive attribution: triggers, benefits, switches, who changed them"
    form = RuleForm
    list_display = ["trigger", "benefit", "enabled", "auto_verify", "sample", "changed_at", "changer"]
    list_select_related = ["changed_by"]
    fields = ("trigger", "benefit", "enabled", "auto_verify", "sample_share", "changed_at", "changer")
    readonly_fields = ("trigger", "benefit", "changed_at", "changer")
    actions = None

    @admin.display(description=_("benefit"))
    def benefit(self, rule: AttributionRule) -> str:
        return scheme_titles().get(rule.scheme, rule.scheme)

    @admin.display(description=_("changed by"))
    def changer(self, rule: AttributionRule) -> str:
        return str(rule.changed_by) if rule.changed_by is not None else self.get_empty_value_display()

    @admin.display(description=_("share still verified by a case worker"), ordering="sample_share")
    def sample(self, rule: AttributionRule) -> str:
        """A share as people read it, in their language: "10 %", "2,5 %"."""
        percent = rule.sample_share * 100
        return gettext("%(percent)s%%") % {
            "percent": formats.number_format(percent, decimal_pos=0 if percent == percent.to_integral_value() else 1)
        }

    @staticmethod
    def named(rule: AttributionRule) -> str:
        """The rule as staff name it: its benefit and what triggers it ("Birth grant (a birth)")."""
        return f"{scheme_titles().get(rule.scheme, rule.scheme)} ({rule.get_trigger_display()})"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    change_form_template = "admin/benefits/attribution_rule.html"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:rule_id>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="benefits_attributionrule_dry_run",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        rule = self.get_object(request, object_id)
        context = {
            "subtitle": self.named(rule) if rule is not None else None,
            "rule_name": self.named(rule) if rule is not None else "",
            "may_dry_run": rule is not None,
            "event_rule": rule is not None and rule.trigger != ProposalTrigger.PENSION_AGE,
            "dry_run_months": settings.ATTRIBUTION_DRY_RUN_MONTHS,
        }
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def dry_run_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        """The rule's dry run over the whole registry, writing nothing: how many proposals and
        what total amount it would create, per benefit and month (a life event's rule: over the
        registry's events of the last ATTRIBUTION_DRY_RUN_MONTHS months). A supervisor asks for
        it (POST: queued for a worker, the page never waits); the page shows the last result and
        the runs asked before, with who asked."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rule = AttributionRule.objects.filter(pk=rule_id).first()
        if rule is None:
            raise Http404
        may_run = self.has_change_permission(request, rule)
        if request.method == "POST":
            if not may_run:
                raise PermissionDenied
            services.attribution_dry_run_request(rule_id=rule.pk, user_id=int(request.user.pk or 0), now=timezone.now())
            self.message_user(
                request,
                gettext("The dry run is queued: refresh this page in a moment to read its result."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        runs = [
            (run, services.attribution_dry_run_result(run) if run.state == DryRunState.DONE else None)
            for run in services.attribution_dry_runs_of(rule_id=rule.pk)
        ]
        waiting = next((run for run, _result in runs if run.state == DryRunState.QUEUED), None)
        last, result = next(((run, done) for run, done in runs if done is not None), (None, None))
        monthly = catalogue.BY_CODE[rule.scheme].periodicity == Periodicity.MONTHLY
        titles = scheme_titles()
        return TemplateResponse(
            request,
            "admin/benefits/attribution_dry_run.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Dry run: %(rule)s") % {"rule": self.benefit(rule)},
                "opts": self.model._meta,
                "rule": rule,
                "rule_name": self.named(rule),
                "benefit": self.benefit(rule),
                "event_rule": rule.trigger != ProposalTrigger.PENSION_AGE,
                "dry_run_months": settings.ATTRIBUTION_DRY_RUN_MONTHS,
                "amount_title": gettext("Monthly amount in total") if monthly else gettext("Amount in total"),
                "may_run": may_run,
                "waiting": waiting,
                "last": last,
                "result": result,
                "lines": [{"title": titles.get(line.scheme, line.scheme), "line": line} for line in result.lines]
                if result is not None
                else [],
                "runs": [{"run": run, "result": done} for run, done in runs],
            },
        )

    def save_model(self, request: HttpRequest, obj: AttributionRule, form: Any, change: bool) -> None:
        services.attribution_rule_set(
            rule_id=obj.pk,
            enabled=obj.enabled,
            auto_verify=obj.auto_verify,
            sample_share=obj.sample_share,
            user_id=int(request.user.pk or 0),
            now=timezone.now(),
        )


# --- Benefits proposed: the verification queue ---------------------------------------------------


class WithdrawForm(forms.Form):
    note = forms.CharField(label=_("Why it is withdrawn"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


_PROPOSAL_FIELDS: tuple[str, ...] = (
    "reference",
    "person",
    "subject",
    "benefit",
    "trigger",
    "event",
    "month",
    "amount",
    "status",
    "created_at",
    "verified_automatically",
    "sampled",
    "verified_at",
    "verified_by",
    "offered_at",
    "answered_at",
    "note",
    "entitlement",
    "rules_fingerprint",
    "data_version",
)


@admin.register(Proposal)
class ProposalAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    """The benefits proposed without an application: to verify first (the oldest first), then
    every other; a proposal's page shows its computation's conditions, and the buttons that
    confirm it (it is offered to the person) or withdraw it with a reason — never about oneself."""

    person_fields = ("person_id", "subject_id")
    read_detail = "benefit proposed"
    change_form_template = "admin/benefits/proposal.html"
    list_display = ["reference", "benefit", "person", "month", "amount", "status", "sampled", "created_at"]
    list_filter = ["status", "scheme", "trigger", "sampled", "verified_automatically"]
    list_select_related = ["person"]
    search_fields = ["=reference"]
    fields = _PROPOSAL_FIELDS
    readonly_fields = _PROPOSAL_FIELDS
    actions = None

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # The queue first, the oldest first; then the rest, newest first.
        return [Case(When(status=ProposalStatus.TO_VERIFY, then=0), default=1), "created_at"]

    @admin.display(description=_("benefit"))
    def benefit(self, proposal: Proposal) -> str:
        return scheme_titles().get(proposal.scheme, proposal.scheme)

    def may_verify(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(VERIFY_PERMISSION))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:proposal_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="benefits_proposal_verify",
            ),
            path(
                "<int:proposal_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="benefits_proposal_withdraw",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # read-only: a proposal is verified with the buttons
        proposal = self.get_object(request, object_id)
        context: dict[str, Any] = {}
        if proposal is not None and self.has_view_permission(request, proposal):
            computation = proposal.explanation
            summary = bool(computation.get("summary"))
            if summary:
                # Computed in bulk by the pension-age scan: shown computed in full on today's data.
                computed = proposal_explain(proposal, now=timezone.now())
                computation = computed.computation if computed is not None else {"conditions": []}
            context = {
                "conditions": reasons(conditions_of(computation)),
                "computed_now": summary,
                "may_decide": self.may_verify(request) and proposal.status == ProposalStatus.TO_VERIFY,
                "withdraw_form": WithdrawForm(auto_id="id_withdraw_%s"),
            }
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def verify_view(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        return self._decide(request, proposal_id, approve=True)

    def withdraw_view(self, request: HttpRequest, proposal_id: int) -> HttpResponse:
        return self._decide(request, proposal_id, approve=False)

    def _decide(self, request: HttpRequest, proposal_id: int, *, approve: bool) -> HttpResponse:
        if not self.may_verify(request) or request.user.pk is None:
            raise PermissionDenied
        back = reverse("admin:benefits_proposal_change", args=[proposal_id])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        note = "" if approve else str(request.POST.get("note", ""))[:500]
        try:
            services.proposal_verify(
                proposal_id=proposal_id, user_id=int(request.user.pk), approve=approve, note=note, now=timezone.now()
            )
        except ProposalRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(back)
        except NotFound:
            raise Http404 from None
        done = (
            gettext("Proposal confirmed: the person is told, and accepts or declines it.")
            if approve
            else gettext("Proposal withdrawn: the reason is kept.")
        )
        self.message_user(request, done, messages.SUCCESS)
        queue = reverse("admin:benefits_proposal_changelist") + "?status__exact=" + ProposalStatus.TO_VERIFY
        return HttpResponseRedirect(queue)

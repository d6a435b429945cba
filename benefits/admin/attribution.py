"""The back office of life events in.

- Civil registry partners: created here (the key and the signing secret are shown once, on the
  page that follows), revoked by an action; read-only otherwise.
- Life events: every event received, newest first, filtered by state, kind and partner; each
  page shows its data, why it failed or whom it waits for. Events failed or waiting are sent back
  to be applied by an action (once the registry is corrected). Persons shown are recorded in
  their trails.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from benefits import services
from benefits.models import LifeEvent, LifeEventKind, RegistryPartner
from benefits.types import PartnerRefused
from core.backoffice import NoPersonalDataAdmin, PersonalDataAdmin, ReadOnlyModelAdmin

RETRY_PERMISSION = "benefits.retry_lifeevent"


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
    list_filter = [EventStateFilter, "kind", "partner"]
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[LifeEvent]:
        return super().get_queryset(request).select_related("partner", "person")

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(RETRY_PERMISSION))

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

"""The staff back office: the Django admin, only for staff signed in with a second factor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import actions
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.actor import LevelOfAssurance

# Who sees the performance indicators: supervisors (a permission of their group), not only
# superusers.
KPIS_PERMISSION = "portal.view_kpis"


@admin.action(permissions=["delete"], description=_("Delete the selected %(verbose_name_plural)s"))
def delete_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    """Django's deletion (with its confirmation page), named so that French agrees with the
    model's gender: Django's « Supprimer les personnes sélectionnés » does not."""
    return actions.delete_selected(modeladmin, request, queryset)


class GuichetAdminSite(admin.AdminSite):
    site_header = _("Guichet — back office")
    site_title = _("Guichet back office")
    index_title = _("Work queues and registries")
    enable_nav_sidebar = False

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.add_action(delete_selected, "delete_selected")

    def has_permission(self, request: HttpRequest) -> bool:
        actor = getattr(request, "actor", None)
        return bool(
            request.user.is_active
            and request.user.is_staff
            and actor is not None
            and actor.has_level(LevelOfAssurance.SUBSTANTIAL)
        )

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One login path for everybody (allauth, with axes); staff then prove a second factor."""
        next_url = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated:
            if not request.user.is_staff:
                raise PermissionDenied
            return HttpResponseRedirect(reverse("mfa_reauthenticate") + "?" + urlencode({"next": next_url}))
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_url}))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("indicators/", self.admin_view(self.kpis), name="kpis"), *super().get_urls()]

    def kpis(self, request: HttpRequest) -> HttpResponse:
        """The performance indicators: aggregates only, so reading them records nothing in
        anyone's trail."""
        # Imported here: this module is loaded with the list of apps, before their models.
        from benefits.selectors import scheme_titles
        from portal.kpis import ATTRIBUTION_DAYS, kpi_figures

        if not request.user.has_perm(KPIS_PERMISSION):
            raise PermissionDenied
        figures = kpi_figures(now=timezone.now())
        titles = scheme_titles()
        return TemplateResponse(
            request,
            "admin/kpis.html",
            {
                **self.each_context(request),
                "title": _("Performance indicators"),
                "figures": figures,
                "attribution_days": ATTRIBUTION_DAYS,
                "attribution": [
                    {"title": titles.get(outcome.scheme, outcome.scheme), "outcome": outcome}
                    for outcome in figures.attribution
                ],
            },
        )


class GuichetAdminConfig(AdminConfig):
    default_site = "portal.admin_site.GuichetAdminSite"

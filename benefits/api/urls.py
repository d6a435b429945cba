from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from benefits.api import schema, views

urlpatterns = [
    re_path(r"^civil-registry/events/?$", views.LifeEventsApi.as_view(), name="api_life_events"),
    # The partners' own schema (the payroll software's is /api/v1/schema/).
    path(
        "civil-registry/schema/",
        SpectacularAPIView.as_view(api_version="v1", urlconf="benefits.api.schema", custom_settings=schema.SETTINGS),
        name="api_partner_schema",
    ),
]

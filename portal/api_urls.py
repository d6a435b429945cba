"""The payroll software's API, as its OpenAPI schema and documentation page describe it (the
civil registry's partner API has its own schema: benefits.api.schema)."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("contributions.api.urls"))]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from portal import views

handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("dashboard/", views.dashboard, name="dashboard"),
        path("my-file/accesses/", views.access_log, name="access_log"),
        path("enterprises/services/<slug:service>/", views.enterprise_service, name="enterprise_service"),
        path("language/", views.language_set, name="language_set"),
        path("api/", views.api_docs, name="api_docs"),
        path("verify/", views.verify, name="verify"),
        path("status/", views.status, name="status"),
        path("counter/open/<int:person_id>/", views.assisted_start, name="assisted_start"),
        path("counter/close/", views.assisted_stop, name="assisted_stop"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("identity.urls")),
    path("", include("notifications.urls")),
    path("", include("mandates.urls")),
    path("", include("contributions.urls")),
    path("", include("benefits.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(api_version="v1", urlconf="portal.api_urls"), name="api_schema"),
    path("api/v1/", include("benefits.api.urls")),
    path("api/v1/", include("contributions.api.urls")),
    path("accounts/", include("allauth.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    # Browsers ask for it on every page, whatever the <link rel="icon">.
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # For the operators' Prometheus, with a bearer token; keep /internal/ off the public proxy.
    path("internal/metrics", views.internal_metrics, name="internal_metrics"),
]

if settings.PAYMENT_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox-pay/", include("payment_sandbox.urls")))
if settings.LIFE_CHECK_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox-check/", include("check_sandbox.urls")))

from django.urls import re_path

from contributions.api import uploads, views
from core.api import not_found

urlpatterns = [
    re_path(r"^rates/?$", views.RatesApi.as_view(), name="api_rates"),
    re_path(r"^employers/?$", views.EmployerListApi.as_view(), name="api_employers"),
    re_path(
        r"^employers/(?P<employer_number>[^/]+)/declarations/?$",
        views.DeclarationListApi.as_view(),
        name="api_declarations",
    ),
    re_path(
        r"^employers/(?P<employer_number>[^/]+)/declarations/(?P<reference>[^/]+)/?$",
        views.DeclarationDetailApi.as_view(),
        name="api_declaration",
    ),
    re_path(
        r"^employers/(?P<employer_number>[^/]+)/employments/?$",
        views.EmploymentListApi.as_view(),
        name="api_employments",
    ),
    re_path(
        r"^employers/(?P<employer_number>[^/]+)/employments/(?P<employment_id>[0-9]{1,18})/termination/?$",
        views.EmploymentTerminationApi.as_view(),
        name="api_employment_termination",
    ),
    re_path(
        r"^employers/(?P<employer_number>[^/]+)/employments/(?P<employment_id>[0-9]{1,18})/cancellation/?$",
        views.EmploymentCancellationApi.as_view(),
        name="api_employment_cancellation",
    ),
    re_path(r"^uploads/?$", uploads.UploadListApi.as_view(), name="api_uploads"),
    re_path(r"^uploads/(?P<upload_id>[0-9]{1,18})/?$", uploads.UploadDetailApi.as_view(), name="api_upload"),
    re_path(
        r"^uploads/(?P<upload_id>[0-9]{1,18})/anomalies/?$",
        uploads.UploadAnomalyListApi.as_view(),
        name="api_upload_anomalies",
    ),
    # Anything else under the API answers a 404 in the API's error shape: every path, a line
    # break in it included (``.`` stops at one, and Django would answer its HTML page).
    re_path(r"^[\s\S]*$", not_found),
]

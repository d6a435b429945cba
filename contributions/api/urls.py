from django.urls import path

from contributions.api import views

urlpatterns = [
    path("rates/", views.RatesApi.as_view(), name="api_rates"),
    path("employers/", views.EmployerListApi.as_view(), name="api_employers"),
    path(
        "employers/<str:employer_number>/declarations/",
        views.DeclarationListApi.as_view(),
        name="api_declarations",
    ),
    path(
        "employers/<str:employer_number>/declarations/<str:reference>/",
        views.DeclarationDetailApi.as_view(),
        name="api_declaration",
    ),
    path(
        "employers/<str:employer_number>/employments/",
        views.EmploymentListApi.as_view(),
        name="api_employments",
    ),
    path(
        "employers/<str:employer_number>/employments/<int:employment_id>/termination/",
        views.EmploymentTerminationApi.as_view(),
        name="api_employment_termination",
    ),
    path(
        "employers/<str:employer_number>/employments/<int:employment_id>/cancellation/",
        views.EmploymentCancellationApi.as_view(),
        name="api_employment_cancellation",
    ),
]

from django.urls import path

from check_sandbox import views

app_name = "check_sandbox"

urlpatterns = [
    path("api/checks/", views.api_create, name="api_create"),
    path("api/checks/<uuid:check_id>/", views.api_status, name="api_status"),
    path("check/<uuid:check_id>/", views.hosted_page, name="check"),
]

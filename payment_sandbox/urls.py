from django.urls import path

from payment_sandbox import views

app_name = "payment_sandbox"

urlpatterns = [
    path("api/payments/", views.api_create, name="api_create"),
    path("api/payments/<uuid:payment_id>/", views.api_status, name="api_status"),
    path("pay/<uuid:payment_id>/", views.hosted_page, name="pay"),
]

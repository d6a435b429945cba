from django.urls import path

from contributions import views

app_name = "contributions"

urlpatterns = [
    path("contributions/rates/", views.rates, name="rates"),
]

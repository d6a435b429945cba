from django.urls import path

from benefits import views

app_name = "benefits"

urlpatterns = [
    path("benefits/", views.schemes, name="schemes"),
    path("benefits/<slug:slug>/", views.scheme, name="scheme"),
    path("my-file/pension-estimate/", views.simulator, name="simulator"),
]

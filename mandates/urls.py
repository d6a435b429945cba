from django.urls import path

from mandates import enterprise_views, views

app_name = "mandates"

urlpatterns = [
    path("mandates/", views.mandate_list, name="list"),
    path("mandates/clients/", enterprise_views.clients, name="enterprise_clients"),
    path("mandates/give/", views.grant, name="grant"),
    path("mandates/give-professional/", views.grant_professional, name="grant_professional"),
    path("mandates/ask/", views.request_mandate, name="request"),
    path("mandates/stop-acting/", views.stop_acting, name="stop_acting"),
    path("mandates/<int:mandate_id>/change/", views.change, name="change"),
    path("mandates/<int:mandate_id>/trail/", views.trail, name="trail"),
    path("mandates/<int:mandate_id>/act/", views.act, name="act"),
    path("mandates/<int:mandate_id>/<slug:action>/", views.transition, name="transition"),
    path("enterprises/<int:enterprise_id>/bureaus/", enterprise_views.bureaus, name="enterprise_bureaus"),
    path(
        "enterprises/<int:enterprise_id>/bureaus/<int:mandate_id>/revoke/",
        enterprise_views.bureau_revoke,
        name="enterprise_bureau_revoke",
    ),
]

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.mark_all_read, name="mark_all_read"),
    path("inbox/preferences/", views.preferences, name="preferences"),
    path("inbox/preferences/phone/", views.phone, name="phone"),
    path("inbox/<int:notification_id>/", views.message, name="message"),
    path("inbox/<int:notification_id>/mark/", views.mark, name="mark"),
]

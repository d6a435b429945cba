"""Staff see every notification and its delivery attempts, filter the failed ones, re-send."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.backoffice import PersonalDataAdmin, ReadOnlyModelAdmin
from notifications import services
from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus, Notification


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = readonly_fields = ("channel", "address", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    # A message is the recipient's data (and that of the person it was sent for).
    person_fields = ("recipient.person_id", "on_behalf_of_person_id")
    list_display = ["created_at", "event_type", "category", "importance", "recipient", "read_at"]
    list_filter = ["event_type", "category", "importance", "deliveries__status"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]
    show_full_result_count = False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = readonly_fields = ("at", "outcome", "error")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(PersonalDataAdmin, ReadOnlyModelAdmin):
    # An address and a message: the recipient's data.
    person_fields = ("notification.recipient.person_id", "prepared_email.recipient.person_id")
    list_select_related = ["notification__recipient", "prepared_email__recipient"]
    # A prepared e-mail (allauth's) may carry a secret link, a password reset's: its subject is
    # shown, never its bodies (the model has no admin of its own).
    exclude = ["prepared_email"]
    readonly_fields = ["prepared_email_subject"]
    list_display = ["id", "channel", "address", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["=address", "=notification__id"]
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]
    show_full_result_count = False

    @admin.action(description=_("Re-send the selected failed deliveries"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.deliveries_resend(
            delivery_ids=list(queryset.filter(status=DeliveryStatus.FAILED).values_list("pk", flat=True)),
            now=timezone.now(),
        )
        self.message_user(request, _("%(count)d deliveries queued again.") % {"count": count}, messages.SUCCESS)

    @admin.display(description=_("prepared e-mail"))
    def prepared_email_subject(self, delivery: Delivery) -> str:
        return delivery.prepared_email.subject if delivery.prepared_email is not None else "—"

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.view_delivery")

"""The portal's own measurements, kept for the public status page (``/status/``).

Requests are counted in Redis per online service and minute by the web processes (no database
write per request); a beat task copies the closed minutes here every minute. Another beat task
checks the dependencies every minute and writes one row per minute. Both are pruned after
``STATUS_KEEP_DAYS``. The page reads a few aggregated rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ServiceMinute(models.Model):
    """What one online service (``portal.status.catalogue``) answered during one minute, as
    measured by the web processes: requests, those answered in under a second, server errors."""

    service = models.CharField(_("service"), max_length=20)
    minute = models.DateTimeField(_("minute"))  # its first instant, UTC, seconds zero
    requests = models.PositiveIntegerField(_("requests"))
    fast = models.PositiveIntegerField(_("answered in under 1 s"))
    server_errors = models.PositiveIntegerField(_("server errors"))

    class Meta:
        verbose_name = _("service minute")
        verbose_name_plural = _("service minutes")
        constraints = [
            models.UniqueConstraint(fields=["minute", "service"], name="service_minute_once"),
            models.CheckConstraint(
                condition=Q(fast__lte=F("requests"), server_errors__lte=F("requests")),
                name="service_minute_parts_of_requests",
            ),
        ]
        # The back office's page of figures (KPIs) is a permission of its own (the Supervisor
        # group has it); it needs a model to hang on, and this is the app's.
        permissions = [("view_kpis", _("Can see the performance indicators"))]

    def __str__(self) -> str:
        return f"{self.service} {self.minute:%Y-%m-%d %H:%M}: {self.fast}/{self.requests}"


class DependencyCheck(models.Model):
    """The check of one minute: the database is up when this row could be written; the cache
    (Redis), the broker, and how far behind the background work is (the oldest unfinished work
    that should have started: bulk chunks, statements, deliveries due)."""

    minute = models.DateTimeField(_("minute"), unique=True)
    checked_at = models.DateTimeField(_("checked at"))
    cache_up = models.BooleanField(_("cache reachable"))
    broker_up = models.BooleanField(_("broker reachable"))
    work_waiting = models.PositiveIntegerField(_("work waiting"))
    oldest_work_seconds = models.PositiveIntegerField(_("oldest work waiting (s)"), null=True, blank=True)
    work_on_time = models.BooleanField(_("background work on time"))

    class Meta:
        verbose_name = _("dependency check")
        verbose_name_plural = _("dependency checks")

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}"

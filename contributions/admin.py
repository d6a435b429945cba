"""Staff edit the rates in the back office; every change is in the admin's history."""

from __future__ import annotations

from django.contrib import admin

from contributions.models import ContributionRate


@admin.register(ContributionRate)
class ContributionRateAdmin(admin.ModelAdmin):
    list_display = [
        "worker_category",
        "branch",
        "employee_rate",
        "employer_rate",
        "monthly_ceiling",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["worker_category", "branch"]
    date_hierarchy = "valid_from"

from __future__ import annotations

import uuid

from django.db import models


class SandboxPayment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant_key = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    reference = models.CharField(max_length=35, blank=True)
    description = models.CharField(max_length=200, blank=True)
    return_url = models.URLField(max_length=500)
    callback_url = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    callback_attempts = models.PositiveSmallIntegerField(default=0)
    callback_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant_key", "idempotency_key"], name="sandbox_idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.status}"

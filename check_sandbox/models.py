from __future__ import annotations

import uuid

from django.db import models


class SandboxCheck(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PASSED = "passed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant_key = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=100)
    reference = models.CharField(max_length=35)
    given_name = models.CharField(max_length=150)
    family_name = models.CharField(max_length=150)
    birth_date = models.DateField()
    return_url = models.URLField(max_length=500)
    callback_url = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    callback_attempts = models.PositiveSmallIntegerField(default=0)
    callback_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant_key", "idempotency_key"], name="check_sandbox_idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.reference} {self.status}"

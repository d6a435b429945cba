from django.apps import AppConfig


class PaymentSandboxConfig(AppConfig):
    name = "payment_sandbox"
    verbose_name = "Payment sandbox"
    default_auto_field = "django.db.models.BigAutoField"

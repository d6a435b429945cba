from django.apps import AppConfig


class CheckSandboxConfig(AppConfig):
    name = "check_sandbox"
    verbose_name = "Identity check sandbox"
    default_auto_field = "django.db.models.BigAutoField"

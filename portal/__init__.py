"""portal — the project package (settings, URLs, Celery app) and the one-stop shop itself."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]

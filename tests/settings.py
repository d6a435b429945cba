"""Test settings: the real settings, with a fixed secret and plain static storage.

The database and Redis are the real ones: ``DATABASE_URL``/``REDIS_URL`` when set, else the
embedded servers (see portal/embedded.py).
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:2525")
# Tests share the Redis server with the machine: keep their keys in their own databases.
os.environ.setdefault("REDIS_CACHE_DB", "14")
os.environ.setdefault("REDIS_BROKER_DB", "15")
# The built-in payment provider serves its pages in the tests.
os.environ.setdefault("PAYMENT_SANDBOX_ENABLED", "true")

from portal.settings import *  # noqa: F403

# pytest-django's live_server serves unhashed names.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Password hashing is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "guichet-tests"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The same PostgreSQL backend, with a faster flush after each transactional test (see the module).
DATABASES["default"]["ENGINE"] = "tests.database"  # noqa: F405

"""Test settings: the real settings, with a fixed secret and plain static storage.

The database and Redis are the real ones: ``DATABASE_URL``/``REDIS_URL`` when set, else the
embedded servers (see portal/embedded.py).
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:2525")
# Tests share the Redis server with the machine: keep their keys in their own databases.
os.environ.setdefault("REDIS_CACHE_DB", "14")
os.environ.setdefault("REDIS_BROKER_DB", "15")
# Under pytest-xdist (`make pytest`: PYTEST_XDIST_WORKER=gw0, gw1, …) each worker has its own
# pair, four below the previous one (gw0 14 and 15, gw1 10 and 11): two workers never share a
# cache or a queue, and a second run given 12 and 13 (another checkout on the same machine)
# shares nothing with this one either. The processes a test starts (Celery workers, gunicorn,
# manage.py) inherit the worker's numbers with the marker, and keep them.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER and os.environ.get("GUICHET_TEST_REDIS_WORKER") != _XDIST_WORKER:
    _shift = 4 * int(_XDIST_WORKER.removeprefix("gw"))
    for _name in ("REDIS_CACHE_DB", "REDIS_BROKER_DB"):
        _number = int(os.environ[_name]) - _shift
        if _number < 0:
            raise ImproperlyConfigured(
                f"pytest-xdist worker {_XDIST_WORKER} has no Redis database left below {_name}={os.environ[_name]}:"
                " run fewer workers, or give higher REDIS_CACHE_DB and REDIS_BROKER_DB."
            )
        os.environ[_name] = str(_number)
    os.environ["GUICHET_TEST_REDIS_WORKER"] = _XDIST_WORKER
# The built-in payment provider serves its pages in the tests.
os.environ.setdefault("PAYMENT_SANDBOX_ENABLED", "true")
# And so does the built-in remote identity check provider.
os.environ.setdefault("LIFE_CHECK_SANDBOX_ENABLED", "true")

from portal.settings import *  # noqa: E402, F403

# pytest-django's live_server serves unhashed names.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Password hashing is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "guichet-tests"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The same PostgreSQL backend, with a faster flush after each transactional test (see the module).
DATABASES["default"]["ENGINE"] = "tests.database"  # noqa: F405

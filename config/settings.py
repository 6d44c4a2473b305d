"""Settings for every environment, read strictly from the environment.

No variable set gives the embedded mode that runs on a fresh machine: SQLite (WAL) under var/,
an in-memory channel layer and a Celery broker on the filesystem. DATABASE_URL and REDIS_URL
switch to PostgreSQL and Redis. The README lists every variable.
"""

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_int_list, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = env_choice("DJANGO_ENV", "development", ("development", "production", "test"))
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=ENVIRONMENT == "development")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if PRODUCTION and len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_ENV=production")
    # Embedded mode: one random key per checkout, kept so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DJANGO_APPS = [
    "organizations.apps.TenantAdminConfig",  # django.contrib.admin with the tenant-scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
]
LOCAL_APPS = [
    "organizations",
    "attendance",
    "staff",
    "gamification",
    "bookings",
    "meetings",
    "realtime",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.NotFoundPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.current_organization",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0, minimum=0)
if DATABASE_URL:
    # Persistent connections (DB_CONN_MAX_AGE > 0) suit gunicorn's sync workers; under ASGI every
    # request may run in another thread and they pile up, so the default is 0. Under ASGI use a pool
    # instead (DB_POOL_MAX_SIZE > 0, PostgreSQL only): connections go back to it after each request.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A health check is one more round trip (SELECT 1) at the start of every request that reuses
        # a connection. Without it, after a database restart each worker's first request fails once
        # and the broken connection is then replaced. Off by default, as in Django.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", False)
        # Server-side parameter binding with prepared statements: PostgreSQL plans a statement the
        # fifth time a connection runs it and reuses the plan after (docs/benchmarks.md: a third of
        # its CPU per check-in). Integers are range-checked (config/postgres.py); the safety tests are
        # attendance/tests/test_postgres_binding.py. Off (DB_PREPARED_STATEMENTS=false) behind a
        # connection pooler in transaction mode, which cannot keep a connection's prepared statements.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        if env_bool("DB_PREPARED_STATEMENTS", True):
            _options.update({"server_side_binding": True, "prepare_threshold": 5})
        if DB_POOL_MAX_SIZE:
            if DB_CONN_MAX_AGE:
                raise ImproperlyConfigured("Set DB_POOL_MAX_SIZE or DB_CONN_MAX_AGE, not both (a pool keeps the connections).")
            _options["pool"] = {
                "min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN
                # so two check-ins queue instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file too, not shared-cache memory: there a writer meeting a reader fails at
            # once ("database table is locked") where a file database waits (live-server tests write
            # from the server, the relay and the test at once).
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DB_POOL_MAX_SIZE and not IS_POSTGRES:
    raise ImproperlyConfigured("DB_POOL_MAX_SIZE needs a PostgreSQL DATABASE_URL.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organizations.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Redis, channels, Celery ---------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL}],
                "prefix": env_str("CHANNELS_PREFIX", "attendance"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds primitive values only (sign-in and webhook throttles, webhook replay markers),
# never copies of rows. Keys carry the database's name: two databases sharing one Redis must not
# share entries. A dead or frozen Redis costs a request at most CACHE_TIMEOUT_SECONDS per cache call
# (no retries), then raises: throttles then let the request through (organizations/throttles.py),
# anything else that needs the cache answers 503 `cache_unavailable` (config/api.py).
CACHE_TIMEOUT_SECONDS = 0.25
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"att:{DATABASES['default']['NAME']}",
            "OPTIONS": {"socket_connect_timeout": CACHE_TIMEOUT_SECONDS, "socket_timeout": CACHE_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = CELERY_TASK_ALWAYS_EAGER
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No broadcast (fanout) queues: with one open when the broker connection drops, Celery 5.7 + kombu's
# Redis transport kill the worker (docs/adr-001-outbox.md). Workers also run --without-gossip
# --without-mingle for the same reason; `celery inspect/control` is therefore off.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "default"

# --- REST ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "organizations.authentication.DeviceKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["organizations.permissions.IsOrganizationPrincipal"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.ContractSchema",
    "DEFAULT_PARSER_CLASSES": ["config.api.JSONParser"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Guessing limits (organizations/throttles.py), counted on the shared cache.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "sign_in_username": "10/minute",
    "sign_in_address": "30/minute",
    "webhook_address": "30/minute",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Attendance platform API",
    "DESCRIPTION": "Check-ins, staff clocks, gym doors, class bookings and online classes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: a nullable nested object is `oneOf: [$ref, null]`, which validators and generators read alike.
    "OAS_VERSION": "3.1.0",
    # Several apps have a "kind" or a "method"; name each choice set after its owner.
    "ENUM_NAME_OVERRIDES": {
        "CheckInKindEnum": "attendance.models.Kind",
        "CorrectionKindEnum": "attendance.models.CorrectionKind",
        "DeviceKindEnum": "organizations.models.DeviceKind",
        "ParticipantKindEnum": "meetings.models.ParticipantKind",
        "AccessMethodEnum": "gamification.models.AccessMethod",
        "BookingMethodEnum": "bookings.models.BookingMethod",
        "ClockMethodEnum": "staff.services.CLOCK_METHODS",
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "WaitlistStatusEnum": "bookings.models.WaitlistStatus",
        "AttendanceActionEnum": "attendance.api.serializers.ACTIONS",
    },
}

# --- Product settings ----------------------------------------------------------------------
DEFAULT_ORGANIZATION_SLUG = env_str("DEFAULT_ORGANIZATION_SLUG", "default")
ATTENDANCE_PLUGINS = env_list("ATTENDANCE_PLUGINS", ["attendance.plugins.LoggingPlugin"])
ATTENDANCE_DUPLICATE_SCAN_SECONDS = env_int("ATTENDANCE_DUPLICATE_SCAN_SECONDS", 60, minimum=0)
ATTENDANCE_MILESTONES = env_int_list("ATTENDANCE_MILESTONES", [10, 50, 100, 250, 500, 1000])
ATTENDANCE_AT_RISK_DAYS = env_int("ATTENDANCE_AT_RISK_DAYS", 14, minimum=1)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 5000, minimum=1)

PUSHER_APP_ID = env_str("PUSHER_APP_ID")
PUSHER_KEY = env_str("PUSHER_KEY")
PUSHER_SECRET = env_str("PUSHER_SECRET")
PUSHER_CLUSTER = env_str("PUSHER_CLUSTER")
PUSHER_HOST = env_str("PUSHER_HOST")
PUSHER_PORT = env_int("PUSHER_PORT", 0, minimum=0) or None
PUSHER_SSL = env_bool("PUSHER_SSL", default=not PUSHER_HOST)
PUSHER_PRIVATE_CHANNELS = env_bool("PUSHER_PRIVATE_CHANNELS", False)
PUSHER_TIMEOUT_SECONDS = 5  # the relay's wait for one Pusher answer before it retries (at least once)
PUSHER_ENABLED = bool(PUSHER_APP_ID and PUSHER_KEY and PUSHER_SECRET and (PUSHER_CLUSTER or PUSHER_HOST))
if any((PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET)) and not PUSHER_ENABLED:
    raise ImproperlyConfigured(
        "PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET and PUSHER_CLUSTER (or PUSHER_HOST) must be set together"
    )

GOOGLE_OAUTH_CLIENT_SECRETS_FILE = env_str("GOOGLE_OAUTH_CLIENT_SECRETS_FILE")
GOOGLE_MEET_API_ENDPOINT = env_str("GOOGLE_MEET_API_ENDPOINT")

BIOMETRIC_HASH_KEY = env_str("BIOMETRIC_HASH_KEY") or SECRET_KEY
WEBHOOK_SECRET = env_str("WEBHOOK_SECRET")

# --- Security (production) -----------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden_without_traceback": {"()": "config.logs.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["forbidden_without_traceback"]}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
    # Django's own default handlers would print every django.* record a second time (they propagate to root).
    "loggers": {"django.db.backends": {"level": "INFO"}, "django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# --- Realtime relay (realtime/relay.py, docs/adr-001-outbox.md) ----------------------------
REALTIME_HEARTBEAT_SECONDS = 2.0  # screens show "Live" only while these arrive
REALTIME_POLL_SECONDS = 0.25  # how often the relay looks for new events without a NOTIFY
REALTIME_BACKOFF_MAX_SECONDS = 30.0  # the longest wait between retries while a target is down
REALTIME_KEEP_DELIVERED_SECONDS = 3600  # delivered events are pruned after this
# Run the relay inside the ASGI process: the only way to reach screens on the in-memory channel
# layer (one process). With Redis the relay is its own process (`manage.py relay`).
REALTIME_RELAY_IN_PROCESS = not REDIS_URL

# How far ahead of the server's clock a check-in, check-out or session time may be (a device's clock
# skew); anything later is refused `time_in_future` (attendance.services.common.refuse_future).
ATTENDANCE_CLOCK_SKEW_SECONDS = env_int("ATTENDANCE_CLOCK_SKEW_SECONDS", 120, minimum=0)

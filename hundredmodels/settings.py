"""Settings for hundredmodels, read from environment variables, safe by default.

DJANGO_DEBUG        off unless "1"; `python3 dev.py start` writes it into a local .env.
DJANGO_SECRET_KEY   required when DJANGO_DEBUG is off.
DJANGO_ALLOWED_HOSTS  comma-separated; required when DJANGO_DEBUG is off.
DATABASE_URL        postgres://user:pass@host:port/name or sqlite:///path (dj-database-url);
                    SQLite in db.sqlite3 when unset.
DATABASE_POOL       "1" for psycopg's pool (DATABASE_POOL_MIN, _MAX, _TIMEOUT seconds to wait).
DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT  seconds (PostgreSQL; 0 = none).
REDIS_URL           redis://host:port/db selects the shared Redis cache; local memory otherwise.
EDGE_PURGE_BACKEND  "varnish" (EDGE_PURGE_URLS), "fastly" or "cloudflare": purge the edge on commit.

A local, git-ignored ``.env`` (or the file named by DJANGO_ENV_FILE) is read first with
python-dotenv; variables set in the environment win over it.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(os.environ.get("DJANGO_ENV_FILE") or BASE_DIR / ".env", override=False)


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=()):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or list(default)


def database_from_url(url):
    """A DATABASES entry for a postgres:// or sqlite:/// URL, parsed by dj-database-url.

    PostgreSQL gives up quickly when the server is sick rather than holding a worker until
    gunicorn's 30 s timeout kills it (docs/operations.md): a connect timeout, the pool's wait,
    an optional statement timeout, and connections checked before use (a connection broken while
    the server was down is replaced, not handed to the next request).
    """
    config = dj_database_url.parse(url, conn_health_checks=True)
    options = config.setdefault("OPTIONS", {})
    test_name = options.pop("test_name", None)
    if test_name:
        config["TEST"] = {"NAME": test_name}
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
    elif engine == "django.db.backends.postgresql":
        options.setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")))
        # A server that stops answering on a live connection (a network black hole) is noticed in
        # seconds, not after the operating system's two hours.
        options.setdefault("keepalives", 1)
        options.setdefault("keepalives_idle", 5)
        options.setdefault("keepalives_interval", 2)
        options.setdefault("keepalives_count", 2)
        options.setdefault("tcp_user_timeout", 5000)
        statement_ms = int(float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "0")) * 1000)
        if statement_ms:
            options.setdefault("options", f"-c statement_timeout={statement_ms}")
        if env_bool("DATABASE_POOL", False):
            # psycopg's pool replaces persistent connections: CONN_MAX_AGE must stay 0.
            options["pool"] = {
                "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
                "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
                "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "3")),
                # psycopg's pool retries a lost server with a backoff up to this long, then lets the
                # next request try at once: recovery within seconds of the server's return.
                "reconnect_timeout": float(os.environ.get("DATABASE_POOL_RECONNECT_TIMEOUT", "5")),
            }
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:///, not {url.split(':')[0]}://"
        )
    return config


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-used-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    if len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a long random value when DJANGO_DEBUG is off.")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS to the site's host names when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "import_export",
    "csp",
    "reversion",
    "claims.apps.AxesConfig",  # django-axes, under a translated name
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "claims.apps.TasksDatabaseConfig",  # django-tasks-db, under a translated name
    "claims",
]

MIDDLEWARE = [
    # A database that accepts but never answers costs a request DATABASE_REQUEST_DEADLINE at most,
    # wherever the request meets it (claims/middleware.py).
    "claims.middleware.DatabaseDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Stored public pages are served from here, with the headers the middleware below added when
    # the page was rendered (the content security policy among them); static files pass through.
    "claims.caching.pages.CachedPageMiddleware",
    "claims.middleware.SiteCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "claims.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "claims.middleware.SiteLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The read-only open-data API (claims/api/, docs/api.md): JSON only, no sessions or logins, a rate
# per client address (API_RATE_LIMIT, e.g. "120/minute") answered with 429 and Retry-After.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_RATE_LIMIT", "120/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hundred models open data API",
    "DESCRIPTION": "Read-only: published articles, public claims with their verdicts, evidence and history, tags.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "StanceEnum": "claims.models.EvidenceStance",
    },
}

ROOT_URLCONF = "hundredmodels.urls"
WSGI_APPLICATION = "hundredmodels.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Seconds a request may spend waiting on the database before its connection is cut and the
# reader gets the 503 page (claims/middleware.py); gunicorn.conf.py sets it under its timeout.
DATABASE_REQUEST_DEADLINE = float(os.environ.get("DATABASE_REQUEST_DEADLINE", "0"))
DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{os.environ.get('SQLITE_PATH') or BASE_DIR / 'db.sqlite3'}"
    )
}

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # A Redis that is down is a cache miss, never an error page (claims/caching/backend.py).
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "hundredmodels",
        }
    }
else:
    # Room for every page and every claim's badge of a desk (LocMem keeps 300 entries by default).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files with long cache headers through WhiteNoise;
# development and tests use plain names so that no collectstatic run is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The article shown on the home page.
HOME_ARTICLE_SLUG = os.environ.get("HOME_ARTICLE_SLUG", "hundred-model-war")

# The edge (claims/caching/edge.py): a shared cache in front of the app servers, told which pages
# to drop when a change commits. EDGE_PURGE_BACKEND: "" (none: shared caches keep no page),
# "varnish" (EDGE_PURGE_URLS: each Varnish, comma-separated), "fastly" or "cloudflare" (their
# service or zone id and an API token). EDGE_S_MAXAGE: how long the edge keeps a page it is told
# about (seconds); a purge ends it at once. Pending purges, and each purge's second send 15 s
# after its first: manage.py purge_edge --loop.
EDGE_PURGE_BACKEND = os.environ.get("EDGE_PURGE_BACKEND", "")
EDGE_PURGE_URLS = env_list("EDGE_PURGE_URLS")
EDGE_PURGE_TIMEOUT = float(os.environ.get("EDGE_PURGE_TIMEOUT", "2"))
EDGE_S_MAXAGE = int(os.environ.get("EDGE_S_MAXAGE", str(60 * 60 * 24)))
EDGE_FASTLY_SERVICE = os.environ.get("EDGE_FASTLY_SERVICE", "")
EDGE_FASTLY_TOKEN = os.environ.get("EDGE_FASTLY_TOKEN", "")
EDGE_CLOUDFLARE_ZONE = os.environ.get("EDGE_CLOUDFLARE_ZONE", "")
EDGE_CLOUDFLARE_TOKEN = os.environ.get("EDGE_CLOUDFLARE_TOKEN", "")
if EDGE_PURGE_BACKEND not in ("", "varnish", "fastly", "cloudflare"):
    raise ImproperlyConfigured("EDGE_PURGE_BACKEND is one of: varnish, fastly, cloudflare (or empty).")

# Two-person verdicts: a change to what readers see of a claim waits for another chief editor.
# CLAIMS_SIGN_OFF=0 turns it off for a one-person desk.
CLAIMS_SIGN_OFF = os.environ.get("CLAIMS_SIGN_OFF", "1") != "0"
# A claim page names who checked and who approved its verdict by their display name; a desk that
# prefers to show roles (編集者, 編集長) sets CLAIMS_SHOW_ROLES_NOT_NAMES=1.
CLAIMS_SHOW_ROLES_NOT_NAMES = os.environ.get("CLAIMS_SHOW_ROLES_NOT_NAMES", "0") == "1"

# The publisher named in the Atom feed, the JSON-LD and the share cards (empty: the site's name).
CLAIMS_PUBLISHER_NAME = os.environ.get("CLAIMS_PUBLISHER_NAME", "")
# A font file with Japanese glyphs for the share cards (claims/share_cards.py); empty: found on the machine.
CLAIMS_CARD_FONT = os.environ.get("CLAIMS_CARD_FONT", "")
# Approving or sending back more proposals than this at once runs in the task worker, with a progress page.
CLAIMS_SIGN_OFF_BACKGROUND = int(os.environ.get("CLAIMS_SIGN_OFF_BACKGROUND", "200"))

# Readers' error reports: within how many days the desk answers (the corrections policy says so),
# and how many reports one client may send in an hour.
CLAIMS_REPORT_ANSWER_DAYS = int(os.environ.get("CLAIMS_REPORT_ANSWER_DAYS", "7"))
CLAIMS_REPORTS_PER_HOUR = int(os.environ.get("CLAIMS_REPORTS_PER_HOUR", "5"))
# Searches of the claims list per client (claims/ratelimit.py), and the seconds one search may
# run on PostgreSQL before it is cancelled (claims/search.py).
CLAIMS_SEARCHES_PER_MINUTE = os.environ.get("CLAIMS_SEARCHES_PER_MINUTE", "30/minute")
CLAIMS_SEARCH_TIMEOUT = float(os.environ.get("CLAIMS_SEARCH_TIMEOUT", "2"))

# CSV import: the largest file accepted, in bytes.
CLAIMS_IMPORT_MAX_BYTES = int(os.environ.get("CLAIMS_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Files with at least this many rows are imported by the task worker (manage.py db_worker, which
# dev.py start and dev.py prod run), not in the admin request; the editor gets a progress page.
CLAIMS_IMPORT_BACKGROUND_ROWS = int(os.environ.get("CLAIMS_IMPORT_BACKGROUND_ROWS", "2000"))
# Where uploads wait between the preview and the confirmation (only this app's files are there),
# and after how many hours one that was never confirmed, or whose job never ran, is deleted.
CLAIMS_IMPORT_UPLOAD_DIR = Path(
    os.environ.get("CLAIMS_IMPORT_UPLOAD_DIR", Path(tempfile.gettempdir()) / "hundredmodels-imports")
)
CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS = float(os.environ.get("CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS", "6"))
# Background tasks (django-tasks): queued in the database, run by manage.py db_worker.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Evidence snapshots (claims/archiving.py, docs/archiving.md). Snapshots' WARC files go to the
# default storage: the filesystem under MEDIA_ROOT here; S3-compatible storage by configuring
# STORAGES["default"] with django-storages (never served from MEDIA_URL: readers get the text).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
# host:port pairs the safe fetcher may visit although their addresses are not public (tests,
# an intranet's sources), comma-separated; empty by default.
CLAIMS_FETCH_ALLOW_HOSTS = env_list("CLAIMS_FETCH_ALLOW_HOSTS")
# Archive each source when it is cited (on by default). Off (CLAIMS_ARCHIVE_ON_CITE=0) for a machine
# with no network or a bulk migration: manage.py archive_evidence --missing archives them later.
CLAIMS_ARCHIVE_ON_CITE = env_bool("CLAIMS_ARCHIVE_ON_CITE", True)
# Each fetch of a source: seconds in all (redirects included) and the largest body read, in bytes.
CLAIMS_ARCHIVE_TIMEOUT = float(os.environ.get("CLAIMS_ARCHIVE_TIMEOUT", "15"))
CLAIMS_ARCHIVE_MAX_BYTES = int(os.environ.get("CLAIMS_ARCHIVE_MAX_BYTES", str(5 * 1024 * 1024)))
# Also ask the Internet Archive's Save Page Now for each cited source and keep the Wayback URL
# (off by default; CLAIMS_ARCHIVE_WAYBACK=1 turns it on).
CLAIMS_ARCHIVE_WAYBACK = env_bool("CLAIMS_ARCHIVE_WAYBACK", False)
CLAIMS_ARCHIVE_WAYBACK_ENDPOINT = os.environ.get("CLAIMS_ARCHIVE_WAYBACK_ENDPOINT", "https://web.archive.org/save/")
# A source whose text kept less than this share of its snapshot's (difflib's ratio) has changed.
CLAIMS_DRIFT_MIN_RATIO = float(os.environ.get("CLAIMS_DRIFT_MIN_RATIO", "0.8"))
# Every how many hours the task worker compares every source with its snapshot (0: never; then run
# manage.py check_links from cron). Each archiving task queues the next check when none is queued.
CLAIMS_SOURCE_CHECK_HOURS = float(os.environ.get("CLAIMS_SOURCE_CHECK_HOURS", "0"))
# Tags typed as Japanese is typed: 、 and ， separate tags in the admin as in the CSV (claims/tagging.py).
TAGGIT_TAGS_FROM_STRING = "claims.tagging.tags_from_string"
TAGGIT_STRING_FROM_TAGS = "claims.tagging.string_from_tags"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): public pages load only same-origin scripts and styles and
# carry no inline script or style; JSON-LD data blocks are not scripts and need no allowance.
# The admin gets a policy of its own (claims/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login guessing (django-axes): five failures from one address, or for one user name, lock that
# address or name out for an hour. `manage.py axes_reset_username NAME` unlocks (docs/operations.md).
AUTHENTICATION_BACKENDS = [
    "claims.security.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "claims.security.client_ip"
# Reverse proxies in front of the app that append to X-Forwarded-For (1 behind nginx).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0" if DEBUG else "1"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own console handler (DEBUG only) would print each warning a second time beside the
    # root's: its records go to the root alone. The request log (django.server) keeps its handler.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

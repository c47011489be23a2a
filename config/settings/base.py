"""Linli settings, driven by environment variables (README: "Deploying on PostgreSQL").

LINLI_ENV=production switches on the deploy checks' settings; every secret then must come
from the environment. The embedded default is SQLite; DATABASE_URL selects PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parents[2]
ENV = os.environ.get("LINLI_ENV", "development")
PRODUCTION = ENV == "production"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def required_in_production(name: str, development_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"环境变量 {name} 在生产环境中必须设置 ({name} must be set)")
    return development_default


SECRET_KEY = required_in_production(
    "LINLI_SECRET_KEY", "dev-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz-linli"
)
DEBUG = os.environ.get("LINLI_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = env_list("LINLI_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("LINLI_CSRF_TRUSTED_ORIGINS")

# PII keys: the first key encrypts, all keys decrypt (rotation); the hash key makes blind indexes.
PII_KEYS = env_list("LINLI_PII_KEYS") or (
    [] if PRODUCTION else ["ZGV2LW9ubHktcGlpLWtleS1kby1ub3QtdXNlLWluLXByb2Q="]
)
if PRODUCTION and not PII_KEYS:
    raise ImproperlyConfigured("环境变量 LINLI_PII_KEYS 在生产环境中必须设置")
PII_HASH_KEY = required_in_production("LINLI_PII_HASH_KEY", "dev-only-blind-index-key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "ninja",
    "linli.core",
    "linli.regions",
    "linli.accounts",
    "linli.people",
    "linli.orgs",
    "linli.facilities",
    "linli.workforce",
    "linli.imports",
    "linli.cases",
    "linli.access",
    "linli.indicators",
    "linli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, pre-compressed, end here
    # Pages and JSON compressed for phones on slow links (a grid's list is ~260 KB of HTML);
    # Django pads compressed bodies against BREACH. Inside WhiteNoise, so static is untouched.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "linli.core.middleware.RequestContextMiddleware",
    "linli.core.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "linli.core.context_processors.shell",
                "linli.regions.context_processors.region_switcher",
            ],
        },
    }
]

# --- Database: SQLite (WAL, server settings) by default, PostgreSQL with DATABASE_URL ---
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'linli.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Keep connections: opening one runs the PRAGMAs, and closing the last one checkpoints the
    # WAL with an fsync — per request that cost more than the request (ADR 0078).
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 20}}
    # The hot inserts (a case and its first event, `core.fast_insert`) are prepared on the
    # server after five runs on a connection: planning them cost as much again as running
    # them (ADR 0112). Only server-binding cursors are ever prepared, and Django's own are
    # client-side. Set LINLI_PREPARED_INSERTS=0 behind a pooler in transaction mode that cannot
    # keep prepared statements (PgBouncer before 1.21).
    if os.environ.get("LINLI_PREPARED_INSERTS", "1") == "1":
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "linli.accounts.backends.PhoneCodeBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = int(os.environ.get("LINLI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Many staff share one NAT address on the intranet: lock the account, never the whole office.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# One-time codes for residents: pluggable SMS backend (console prints the code).
SMS_BACKEND = os.environ.get("LINLI_SMS_BACKEND", "linli.accounts.sms.ConsoleSmsBackend")
PHONE_CODE_TTL_SECONDS = 300
PHONE_CODE_MIN_INTERVAL_SECONDS = 60
PHONE_CODE_MAX_PER_HOUR = 5
PHONE_CODE_MAX_ATTEMPTS = 5

# --- I18N: Chinese first, English available ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: everything vendored and served by the platform itself ---
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
# Outside production the files are served straight from static/ and the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# WhiteNoise serves the collected files from the app server (no CDN, no separate file server
# needed on an intranet); hashed names and compression only where collectstatic has run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if ENV != "test"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security ---
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("LINLI_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS += ["security.W021"]  # HSTS preload is the operator's choice

# How many reverse proxies (nginx) stand in front of the app and append X-Forwarded-For.
LINLI_TRUSTED_PROXIES = int(os.environ.get("LINLI_TRUSTED_PROXIES", "0"))
LINLI_DOWNLOAD_DIR = os.environ.get("LINLI_DOWNLOAD_DIR", str(BASE_DIR / "var" / "downloads"))

# --- API ---
LINLI_API_TOKEN_AUTHENTICATOR = "linli.accounts.tokens.api_token_authenticate"
NINJA_PAGINATION_CLASS = "linli.core.api.LinliPagination"
NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

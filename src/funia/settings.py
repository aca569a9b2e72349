"""Django settings, configured from FUNIA_* environment variables.

Packaged mode needs none of them: SQLite under ./var, a secret key generated once and kept
in ./var, DEBUG off. SaaS mode sets FUNIA_DATABASE_URL, FUNIA_SECRET_KEY, FUNIA_ALLOWED_HOSTS
and FUNIA_HTTPS (see docs/operations.md).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FUNIA_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """The configured key, or one generated on first run and kept in var/ (packaged mode)."""
    if key := os.environ.get("FUNIA_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("FUNIA_DEBUG")
ALLOWED_HOSTS = env_list("FUNIA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("FUNIA_CSRF_TRUSTED_ORIGINS", "")
# Where users reach Funia (https://crm.example.com): links in emails and calendar UIDs.
FUNIA_BASE_URL = os.environ.get("FUNIA_BASE_URL", "").rstrip("/")
# Behind a reverse proxy: the header that carries the visitor's address (X-Forwarded-For).
CLIENT_IP_HEADER = os.environ.get("FUNIA_CLIENT_IP_HEADER", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "funia.core",
    "funia.web",
    "funia.customers",
    "funia.imports",
    "funia.search",
    "funia.sales",
    "funia.activities",
    "funia.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "funia.api.middleware.ApiProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "funia.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "funia.core.middleware.TenantMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "funia.urls"
WSGI_APPLICATION = "funia.wsgi.application"
ASGI_APPLICATION = "funia.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "funia.web.context_processors.shell",
            ],
        },
    }
]

# Database: SQLite (WAL) in var/ unless FUNIA_DATABASE_URL says otherwise.
_default_db_url = f"sqlite:///{VAR_DIR / 'funia.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("FUNIA_DATABASE_URL", _default_db_url), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    if not str(DATABASES["default"]["NAME"]).startswith(":"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (per user name and address).
AXES_FAILURE_LIMIT = int(os.environ.get("FUNIA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "funia.core.auth.lockout_username"
AXES_VERBOSE = False

# Internationalisation: English and Bulgarian; the user's setting wins over Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("bg", _("Bulgarian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["funia.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_CURRENCY = "EUR"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Background jobs: Django's Tasks API on the database backend (SKIP LOCKED on PostgreSQL).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Email: console in packaged mode, SMTP through FUNIA_EMAIL_URL (smtp://user:pass@host:587).
DEFAULT_FROM_EMAIL = os.environ.get("FUNIA_DEFAULT_FROM_EMAIL", "Funia <funia@localhost>")
_email_url = os.environ.get("FUNIA_EMAIL_URL", "")
if _email_url:
    from urllib.parse import unquote, urlparse

    _email = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "smtp+tls" or _email.port == 587
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Security headers everywhere; HTTPS-only cookies and HSTS when served over TLS (SaaS).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
if env_bool("FUNIA_HTTPS"):
    SECURE_SSL_REDIRECT = env_bool("FUNIA_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("FUNIA_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Cache (API rate limits): per process by default; share one across processes and machines
# with FUNIA_CACHE_URL=redis://127.0.0.1:6379/0 in SaaS.
if _cache_url := os.environ.get("FUNIA_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }

# Imports: the upload limit, and a helper process that validates the next chunk.
IMPORT_MAX_BYTES = int(os.environ.get("FUNIA_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
IMPORT_HELPER_PROCESS = env_bool("FUNIA_IMPORT_HELPER_PROCESS", True)

# The API's paging limits.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
# Requests per user and organisation (Django cache); answers 429 with Retry-After beyond it.
API_RATE_LIMIT = os.environ.get("FUNIA_API_RATE_LIMIT", "1200/m")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FUNIA_LOG_LEVEL", "WARNING")},
}

"""Precept settings: one file, driven by environment variables.

Everything that differs between a laptop and production comes from the environment
(or a `.env` file beside manage.py; real environment variables win). `.env.example`
lists every variable. With no `DATABASE_URL` the app runs on SQLite with zero set-up.
"""

import ipaddress
from pathlib import Path

import dj_database_url
import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# Fail closed: debug is off unless asked for (`make run` asks for it).
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    # The dev key starts with "django-insecure-" so `check --deploy` refuses it.
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-precept-dev-only")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    # Production refuses to start without its own key and host names.
    try:
        SECRET_KEY = env("DJANGO_SECRET_KEY")
        ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "With DJANGO_DEBUG off, set DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS "
            "(see .env.example). For development, run with DJANGO_DEBUG=1 (make run)."
        ) from exc
    if not SECRET_KEY or not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must not be empty.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.admin_site.PreceptAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "programs",
    "procedures",
    "curriculum",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages go out gzipped (a 50-row page of HTML is 56 KB, 6 KB compressed: issue 10 point
    # 7). Below WhiteNoise, which serves static files compressed already. Django adds random
    # bytes to each response against BREACH, and masks the CSRF token on every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless marked @login_not_required: a view someone
    # forgets to decorate fails closed.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Records the signed-in user on every historical version of an entry.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.NoStoreWhenSignedInMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout answer.
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
                "procedures.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite by default; PostgreSQL (or any engine) from DATABASE_URL. Persistent connections
# matter under load: without them PostgreSQL throughput drops about sixfold.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env.int("DJANGO_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        # Wait for a lock instead of failing with "database is locked"; take the write
        # lock at BEGIN so two writers queue instead of deadlocking.
        "init_command": "PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in after repeated failures (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed sign-ins for one username from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env.int("PRECEPT_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("PRECEPT_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Keep a row per failed sign-in, for the security review (admin: Access failures).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Whose failures count together is decided by the client's address, so a client must not
# be able to choose it. DJANGO_PROXY_COUNT: how many reverse proxies in front of gunicorn
# append to X-Forwarded-For (1 for one nginx). The address that counts is the entry that
# many places from the header's right; what the client wrote to its left never counts.
# 0 (no proxy): the header is ignored and REMOTE_ADDR counts. accounts/client_ip.py reads
# it through django-ipware, and says why axes' own AXES_IPWARE_* reading is left at its
# REMOTE_ADDR-only default: fed nginx's header, it believes the client's entry.
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip_address"
PRECEPT_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0)
# Optional: the proxies' addresses or networks. With them, X-Forwarded-For is believed only
# on a connection from one of them (an app server reachable past the proxy stays safe).
PRECEPT_TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
if PRECEPT_PROXY_COUNT < 0:
    raise ImproperlyConfigured("DJANGO_PROXY_COUNT must be 0 (no proxy) or more.")
if PRECEPT_TRUSTED_PROXIES and not PRECEPT_PROXY_COUNT:
    raise ImproperlyConfigured("DJANGO_TRUSTED_PROXIES needs DJANGO_PROXY_COUNT (1 or more).")
for _proxy in PRECEPT_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {exc}") from exc

# Signed-in sessions end after this much inactivity (IdleTimeoutMiddleware keeps an
# active session alive without writing it on every request).
SESSION_COOKIE_AGE = env.int("PRECEPT_SESSION_IDLE_SECONDS", default=8 * 3600)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
# Front-end libraries come from npm (package.json) into node_modules/ and are served by
# the app itself through WhiteNoise: never a CDN, never copied into the repository.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Precept <precept@localhost>")
# Seconds before a silent mail server counts as down (the task then retries later); without
# it one hung connection would stall the worker for good.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=30)
# Where links in emails point: the address people use to reach Precept. Unset, the
# development server's own address, on the port `make run PORT=...` serves on.
PRECEPT_BASE_URL = (
    env("PRECEPT_BASE_URL", default="")
    or f"http://127.0.0.1:{env.int('PRECEPT_PORT', default=8000)}"
).rstrip("/")
# Reminders (DESIGN §5): a supervisor with more than this many entries waiting, or any
# entry waiting longer than this many days, gets an email from `send_reminders`.
PRECEPT_REMINDER_WAITING = env.int("PRECEPT_REMINDER_WAITING", default=25)
PRECEPT_REMINDER_DAYS = env.int("PRECEPT_REMINDER_DAYS", default=30)

# --- Background tasks -----------------------------------------------------------------
# Email is sent by a task (procedures.mail). PRECEPT_TASKS_BACKEND "database": queued in
# this project's own database (django-tasks-db) and sent by `manage.py db_worker` (README,
# Deploying), so a request never waits for the mail server; the default with debug off.
# "immediate": run at once, in the request, with no worker; development and the tests.
_task_backends = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = env("PRECEPT_TASKS_BACKEND", default="") or ("immediate" if DEBUG else "database")
if _task_backend not in _task_backends:
    raise ImproperlyConfigured(
        f"PRECEPT_TASKS_BACKEND must be one of {', '.join(_task_backends)}, not {_task_backend!r}."
    )
TASKS = {"default": {"BACKEND": _task_backends[_task_backend]}}

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Load balancers probe /healthz over plain HTTP, straight to the app server: answer them
# there rather than redirect to https (SecurityMiddleware matches the path without its "/").
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): everything from this site only, no inline script
# or style, no framing. Pages keep data in json_script blocks and behaviour in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "precept.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

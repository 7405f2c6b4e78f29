"""ISO Tracker settings: one module, driven by environment variables.

Every variable read here is listed in `.env.example` and in the README's table.
SQLite unless DATABASE_URL is set; embedded background jobs unless REDIS_URL is set;
with DEBUG off the app refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean variable; a value that is neither true nor false is an error, not a default."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off ISO Tracker refuses to start without a secret key: "
            "set SECRET_KEY to a long random string (see .env.example), or set DEBUG=true for a local run."
        )
    SECRET_KEY = "insecure-local-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. With DEBUG off list the host names the site is served under, "
        "comma-separated (see .env.example)."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # the widgets' own templates, for the form renderer below
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "agencies",
    "migrations_tracker",
    "inspections",
    "notifications",
    "audit",
    "ops",
]

MIDDLEWARE = [
    # Behind nginx: the client's address from X-Real-IP (throttling and the audit trail need it).
    "iso_tracker.middleware.RealIPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "iso_tracker.middleware.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session expiry, and the second factor for the accounts that have one.
    "iso_tracker.middleware.SessionRulesMiddleware",
    # Ministry staff look at the province they chose on the national dashboard, read only.
    "iso_tracker.middleware.NationalViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Every write (bulk included) and every refused access leaves an audit record.
    "audit.middleware.AuditMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "iso_tracker.urls"
WSGI_APPLICATION = "iso_tracker.wsgi.application"

# Widgets render with the project's templates (TEMPLATES), so that templates/django/forms/widgets/ can
# override Django's own (select.html: every option written in place, not two includes an option).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "notifications.context_processors.unread",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database: SQLite (embedded, no server) unless DATABASE_URL is set.
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'iso_tracker.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tolerate the web process and the embedded worker writing at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # AxesBackend first: it refuses a locked-out login before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Single sign-on with the province's OpenID Connect provider (agencies.sso), off unless OIDC_ENABLED. The
# provider registers this app with the redirect URI SITE_URL/accounts/sso/callback/.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "") or "SSO"
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_CREATE_USER = False  # an identity matches an account DOST made, or nothing
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
if OIDC_ENABLED:
    _missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(_missing)}.")
    AUTHENTICATION_BACKENDS.append("agencies.sso.Backend")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): keyed by user name and address together, so that the many
# secretaries behind one office address do not lock each other out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Password spraying (a few tries at each of many user names) locks the address itself, for every
# user name, after this many failures within the cool-off (agencies.auth.AddressLimitHandler).
# Signing in forgets a user's failures, so an office's secretaries behind one address do not add up.
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
AXES_HANDLER = "agencies.auth.AddressLimitHandler"
# Masked in the form data axes keeps of a failure (a password given again is checked like a sign-in).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "your_password",
    "old_password",
    "new_password",
    "new_password1",
    "new_password2",
]
# The client's address, the same for throttling and the audit trail (see USE_X_REAL_IP).
AXES_CLIENT_IP_CALLABLE = "iso_tracker.middleware.client_ip"
# Set by nginx (deploy/nginx/iso-tracker.conf), which overwrites any X-Real-IP a client sends. The
# header is believed only from TRUSTED_PROXIES (addresses or CIDR networks), so a client that reaches
# gunicorn directly cannot choose its own address.
USE_X_REAL_IP = env_bool("USE_X_REAL_IP", False)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address or network.") from None

# Internationalisation: Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
FORMAT_MODULE_PATH = ["iso_tracker.formats"]
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    # FileSystemStorage that leaves no half-written file when the disk is full (iso_tracker/storage.py)
    "default": {"BACKEND": "iso_tracker.storage.SafeFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ISO Tracker <no-reply@localhost>")
# The address the site is reached at, for the links in e-mails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "sent-mail"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# An invitation's link to choose a password (agencies.invitations) works this long, and once.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 7
# A delivery run holds each reminder for this many seconds, renewed while it works; a run that dies is
# taken over once it ends. Delivery's SMTP timeout is kept below it, so a send never outlives its hold.
REMINDER_LEASE_SECONDS = max(env_int("REMINDER_LEASE_SECONDS", 30), 2)

# Background jobs: Celery with Redis as broker when REDIS_URL is set; otherwise an embedded
# file-system broker under DATA_DIR that the local run's worker reads, so no server is needed.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _queue_dir = Path(os.environ.get("CELERY_QUEUE_DIR", DATA_DIR / "celery-queue"))
    CELERY_BROKER_URL = "filesystem://"
    (_queue_dir / "control").mkdir(parents=True, exist_ok=True)  # kombu expects the folders to exist
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
    }
# The cache (figures per version of the data, agencies/stamps.py; the API's throttles): with CACHE_URL,
# Redis, shared by every process (gunicorn's workers count one user's API calls together, and a figure is
# computed once for all); give it a Redis database of its own (clearing the cache empties that database).
# Unset: each process its own (LocMemCache), enough for one process.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "iso-tracker",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# PDFs and other long renderings go to their own queue, for a worker with concurrency 1.
CELERY_TASK_ROUTES = {"inspections.tasks.render_report_file": {"queue": "reports"}}
# A render stamps its row while it works; one silent this many seconds died and is taken over.
REPORT_RENDER_LEASE_SECONDS = max(env_int("REPORT_RENDER_LEASE_SECONDS", 45), 4)

# Security (production). `manage.py check --deploy --fail-level WARNING` is clean with DEBUG off.
# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after the
# login, whatever the activity (iso_tracker.middleware.SessionRulesMiddleware checks both server-side).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix: the browser keeps these cookies only if Secure, for this host and path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# Content Security Policy (django-csp): only this site's own files; the one script tag of each page
# carries a fresh nonce; no inline styles or handlers; no framing by any other site.
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF, NONCE],
        "style-src": [_SELF, NONCE],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_NONE],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    },
}

# The REST API (issue 18, iso_tracker.api): personal tokens or the session; pages by cursor; JSON only;
# throttled per user (API_RATE) and per address before sign-in (API_ANON_RATE).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "iso_tracker.api.auth.TokenAuthentication",
        "iso_tracker.api.auth.SessionWithoutSecondStep",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["iso_tracker.api.auth.ApiAccess"],
    "DEFAULT_PAGINATION_CLASS": "iso_tracker.api.auth.ByPk",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE", "600/minute"),
        "anon": os.environ.get("API_ANON_RATE", "60/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "iso_tracker.api.base.handle",
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ISO Tracker API",
    "DESCRIPTION": (
        "How state agencies apply their QMS under TCVN ISO 9001: the registry, each agency's QMS, inspections "
        "and findings. Authenticate with a personal token (Authorization: Bearer isot_…), made on your profile "
        "page. Errors are JSON, in Vietnamese or English by Accept-Language."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",  # each resource its own group (tag) in the schema and the docs page
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "iso_tracker.api.schema.error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {},
}

# Optional second factor (TOTP, django-otp) for DOST and leadership accounts.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "ISO Tracker")
# true: DOST and leadership accounts must set up the second factor before anything else.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", False)

# Digitally signed PDFs (PAdES, pyHanko): the annual and national reports, Mẫu 19/20/21.
# The certificate the app signs with ("Sign with the server's certificate"), a PKCS#12 file and its
# password; empty: that button is not offered, documents are signed elsewhere and uploaded.
SIGNING_PKCS12_FILE = os.environ.get("SIGNING_PKCS12_FILE", "")
SIGNING_PKCS12_PASSWORD = os.environ.get("SIGNING_PKCS12_PASSWORD", "")
# Or a key on a PKCS#11 token (a USB token or an HSM the machine has): the module's library, the token's
# label, the label of the key and of its certificate on it, and the user PIN. Used instead of the PKCS#12
# file when SIGNING_PKCS11_MODULE is set.
SIGNING_PKCS11_MODULE = os.environ.get("SIGNING_PKCS11_MODULE", "")
SIGNING_PKCS11_TOKEN = os.environ.get("SIGNING_PKCS11_TOKEN", "")
SIGNING_PKCS11_KEY = os.environ.get("SIGNING_PKCS11_KEY", "")
SIGNING_PKCS11_PIN = os.environ.get("SIGNING_PKCS11_PIN", "")
# A timestamp authority (RFC 3161, over HTTP) that gives the server's signatures their time (PAdES B-T);
# empty: the signing time is the server's clock, as the signature states it.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# The certification authorities whose certificates a signed PDF may chain to (PEM or DER files, comma
# separated; e.g. the root of Vietnam's national public CA and the government's CA). Empty: no uploaded
# signature is trusted, so none is accepted.
SIGNING_TRUST_ROOTS = env_list("SIGNING_TRUST_ROOTS", "")
# Look up revocation (OCSP, CRL) on the network while verifying; off where the servers cannot reach out.
SIGNING_FETCH_REVOCATION = env_bool("SIGNING_FETCH_REVOCATION", False)
# Largest signed PDF accepted for upload (nginx's client_max_body_size must allow it).
SIGNED_PDF_MAX_MB = env_int("SIGNED_PDF_MAX_MB", 10)

# Evidence uploads
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 10)
# Largest .xlsx / .csv the registry and procedure imports open (iso_tracker.spreadsheets).
IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 5)
# A plan (Mẫu 19) of more agencies than this is rendered on the reports queue, not inside the request.
PLAN_PDF_INLINE_MAX = env_int("PLAN_PDF_INLINE_MAX", 300)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# The QMS rules. (The deadline of each transition between editions is data: /qms/transitions/.)
# Caps on consultant spending for a first build, per agency category, in VND (Circular 116/2015/TT-BTC,
# art. 4): 45m for a department or district People's Committee, 33m for a sub-department or district
# office, communes 80% of the district committee's. Central agencies follow their ministry (no cap here).
CONSULTING_CAPS_VND = {
    "provincial_agency": 45_000_000,
    "provincial_unit": 33_000_000,
    "district_pc": 45_000_000,
    "district_office": 33_000_000,
    "commune_pc": 36_000_000,
    "central_agency": None,
}

# Dashboards at national scale: a province with this many agencies or more reads its dashboard from
# figures a job renews (SCHEDULE_DASHBOARDS), never older than DASHBOARD_MAX_AGE_MINUTES.
DASHBOARD_SNAPSHOT_FROM = env_int("DASHBOARD_SNAPSHOT_FROM", 2000)
DASHBOARD_MAX_AGE_MINUTES = env_int("DASHBOARD_MAX_AGE_MINUTES", 5)
# A past date ("as of") is counted once and its figures reused this long (a record entered later with an
# earlier date shows after it).
DASHBOARD_PAST_MAX_AGE_HOURS = env_int("DASHBOARD_PAST_MAX_AGE_HOURS", 24)

# Registry pages
REGISTRY_PAGE_SIZE = env_int("REGISTRY_PAGE_SIZE", 50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

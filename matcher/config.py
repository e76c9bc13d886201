"""Settings read from the environment, with safe defaults."""

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable configuration."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default, *, maximum, kind=int, minimum=1):
    # A typo in a number must stop the start-up with the setting's name, not a bare ValueError;
    # so must a huge one ("inf", or days past what a timedelta holds) that would fail later.
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from None
    if not value >= minimum:  # also refuses a float "nan"
        raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
    if not value <= maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {raw!r}")
    return value


def normalise_database_url(url: str) -> str:
    """Point plain postgresql:// URLs at the psycopg 3 driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _admin_two_factor(demo: bool) -> str:
    # Required everywhere but the demo, whose admin logs in with the printed password.
    default = "optional" if demo else "required"
    value = (os.environ.get("ADMIN_TWO_FACTOR") or default).strip().lower()
    if value not in {"required", "optional"}:
        raise ConfigError(f"ADMIN_TWO_FACTOR must be 'required' or 'optional', not {value!r}")
    return value


def load_config(instance_path: str) -> dict:
    """Build the Flask config mapping from the environment."""
    demo = _flag("CERTMATCH_DEMO")
    testing = _flag("CERTMATCH_TESTING")
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if not (demo or testing):
            raise ConfigError("SECRET_KEY must be set outside demo and testing mode")
        secret_key = "certmatch-demo-secret-key-not-for-production"
    default_db = "sqlite:///" + str(Path(instance_path) / "certmatch.db")
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    secure = base_url.startswith("https://")
    return {
        "SECRET_KEY": secret_key,
        "CERTMATCH_DEMO": demo,
        "TESTING": testing,
        "DATABASE_URL": normalise_database_url(os.environ.get("DATABASE_URL") or default_db),
        # Unset means "the embedded Redis": a private server on a unix socket in instance/.
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "QUEUE_NAMES": ("mail", "default"),
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": _number("SMTP_PORT", 25, maximum=65535),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS"),
        "SMTP_TIMEOUT": _number("SMTP_TIMEOUT", 10.0, kind=float, minimum=0.1, maximum=600),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "CertMatch <no-reply@certmatch.example>",
        "BASE_URL": base_url,
        "PREFERRED_URL_SCHEME": "https" if secure else "http",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SEND_HSTS": secure,
        "RESPONSE_WINDOW_HOURS": _number("RESPONSE_WINDOW_HOURS", 48, maximum=720),
        "RATE_LIMIT_QUOTE": os.environ.get("RATE_LIMIT_QUOTE") or "10 per hour",
        "RATE_LIMIT_LOGIN": os.environ.get("RATE_LIMIT_LOGIN") or "10 per 15 minutes",
        # Per account, whatever the address: guessing from many IPs stops too.
        "RATE_LIMIT_LOGIN_ACCOUNT": os.environ.get("RATE_LIMIT_LOGIN_ACCOUNT") or "20 per hour",
        # How many proxies stand in front (0: none, X-Forwarded-* are ignored as forgeable).
        "TRUSTED_PROXIES": _number("TRUSTED_PROXIES", 0, minimum=0, maximum=10),
        "RATELIMIT_ENABLED": not _flag("CERTMATCH_NO_RATE_LIMIT"),
        "ADMIN_TWO_FACTOR": _admin_two_factor(demo),
        # Whole-request cap: the form has no uploads, and evidence files are capped separately.
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 200 * 1024,
        "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "evidence"),
        "WTF_CSRF_TIME_LIMIT": None,
        # How long an outbox row may wait before the sweeper re-enqueues it, and how often
        # the sweeper runs (lowered in tests that simulate a Redis outage).
        "OUTBOX_SWEEP_AFTER_SECONDS": _number("OUTBOX_SWEEP_AFTER_SECONDS", 60, maximum=86_400),
        "OUTBOX_SWEEP_INTERVAL_SECONDS": _number("OUTBOX_SWEEP_INTERVAL_SECONDS", 30, maximum=3600),
        # A mail refused by SMTP is tried again, an hour apart at most, until this long after
        # it was written; then it is marked failed for an admin to resend.
        "MAIL_RETRY_HOURS": _number("MAIL_RETRY_HOURS", 24, maximum=720),
        # How often cron expires unanswered offers, sends reminders and closes old requests.
        "LIFECYCLE_INTERVAL_SECONDS": _number("LIFECYCLE_INTERVAL_SECONDS", 300, maximum=3600),
        "DUPLICATE_REQUEST_WINDOW_MINUTES": 15,
        "DATA_RETENTION_DAYS": _number("DATA_RETENTION_DAYS", 365, maximum=36_500),
    }

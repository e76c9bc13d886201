"""The business's private links: a random id, signed with SECRET_KEY."""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "certmatch.request-link"


def new_public_id() -> str:
    """Return 128 random bits, URL-safe."""
    return secrets.token_hex(16)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def request_token(public_id: str) -> str:
    """Sign a request's public id into the token used in /r/<token>."""
    return _serializer().dumps(public_id)


def public_id_from_token(token: str) -> str | None:
    """Return the public id a token was signed for, or None when it is not genuine."""
    if len(token) > 200:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 32 else None


def request_url(public_id: str) -> str:
    """The absolute link to a request's page, for mails."""
    return f"{current_app.config['BASE_URL']}/r/{request_token(public_id)}"


def absolute_url(path: str) -> str:
    """Turn an app path into an absolute link for mails."""
    return f"{current_app.config['BASE_URL']}{path}"

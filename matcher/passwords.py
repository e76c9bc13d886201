"""Password rules and hashing: 12 to 128 characters, zxcvbn score 3+, argon2id."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1)
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("certmatch-timing-equaliser-password")


def password_problem(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Return why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    inputs = [part for value in user_inputs if value for part in _input_parts(value)]
    # zxcvbn's cost grows with length; its first 100 characters decide the score well enough.
    result = zxcvbn(password[:100], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        advice = result["feedback"].get("warning") or "It is too easy to guess."
        return f"This password is too weak: {advice.rstrip('.')}. Try a longer passphrase."
    return None


def _input_parts(value: str) -> list[str]:
    parts = [value.lower()]
    if "@" in value:
        local, _, domain = value.lower().partition("@")
        parts += [local, domain.split(".")[0]]
    return parts


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against a stored hash; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with older parameters."""
    return _hasher.check_needs_rehash(password_hash)

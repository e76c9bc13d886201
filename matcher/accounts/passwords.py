"""Password rules and hashing: 12 to 128 characters, zxcvbn score 3+, argon2id."""

import re
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
# zxcvbn raises on anything longer (its own default limit).
ZXCVBN_MAX_LENGTH = 72
_WORD_SEPARATORS = re.compile(r"[^0-9a-z]+")
# zxcvbn keeps the user inputs in a module-level dictionary between setting and reading
# them: two threads checking at once (gunicorn's threaded workers) would judge each other's.
_ZXCVBN_LOCK = threading.Lock()

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
_hasher = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1)
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("certmatch-timing-equaliser-password")


def password_problem(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Return why a password is refused, or None when it is acceptable.

    `user_inputs`: what an attacker knows of the account (its e-mail, the person's or the
    organisation's name); a password made of them is weak however long it is.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    words = known_words(*user_inputs)
    if _made_only_of(_WORD_SEPARATORS.sub("", password.lower()), words):
        return "This password is made of your own e-mail address or name: use unrelated words."
    # zxcvbn refuses longer input (its cost grows with length); the start decides the score.
    with _ZXCVBN_LOCK:
        result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    if result["score"] < MIN_SCORE:
        advice = result["feedback"].get("warning") or "It is too easy to guess."
        return f"This password is too weak: {advice.rstrip('.')}. Try a longer passphrase."
    return None


def known_words(*values: str | None) -> list[str]:
    """The e-mail addresses and names given, with their parts, as zxcvbn's user inputs."""
    words: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        forms = [value]
        if "@" in value:
            local, _, domain = value.rpartition("@")
            labels = domain.split(".")
            # "ann.smith@acme-consulting.example" -> "ann.smith@acme-consulting", "acme-consulting"
            site = ".".join(labels[:-1]) or domain
            forms += [local, domain, site, f"{local}@{site}", *labels]
        forms += _WORD_SEPARATORS.split(value)
        # Each form with its punctuation dropped too: "annsmithacmeconsulting".
        forms += [_WORD_SEPARATORS.sub("", form) for form in list(forms)]
        words += [form for form in forms if len(form) >= 3]
    return list(dict.fromkeys(words))


def _made_only_of(squashed: str, words: list[str]) -> bool:
    # zxcvbn scores "Ann Smith Acme Consulting" strong: its guesses for the spaces outweigh
    # the names. Spelled out from the account's own words and digits, a password is not.
    pieces = {_WORD_SEPARATORS.sub("", word) for word in words} - {""}
    if not pieces or not squashed or squashed.isdigit():
        return False
    ends = {0}  # positions up to which `squashed` is spelled by known pieces and digits
    for start in range(len(squashed)):
        if start not in ends:
            continue
        if squashed[start].isdigit():
            ends.add(start + 1)
        ends.update(start + len(p) for p in pieces if squashed.startswith(p, start))
    return len(squashed) in ends


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

"""Accounts and roles: argon2 password hashing (argon2-cffi), local login, OIDC user mapping.

Roles and what they may do are in DESIGN §5; the checks themselves live in
:mod:`monitoring.services` so that no page can skip them.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (argon2-cffi defaults, RFC 9106 low-memory profile)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for any mismatch or bad hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

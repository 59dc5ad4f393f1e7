"""Accounts and roles: argon2 password hashing (argon2-cffi), local login, OIDC user mapping.

Roles and what they may do are in DESIGN §5; the checks themselves live in
:mod:`monitoring.services` so that no page can skip them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update

from monitoring import db

ROLE_LABELS = {
    "viewer": "Viewer (published material only)",
    "agency_lead": "Agency lead",
    "assurer": "Assurer",
    "board": "Board member",
    "admin": "Administrator",
}
"""Roles in the order a new account is offered them: least access first (DESIGN §5)."""

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


MAX_FAILED_LOGINS = 5
"""Failed sign-ins in a row that lock an account."""
LOCKOUT_MINUTES = 15
"""How long a locked account stays locked, in minutes."""


class LoginError(Exception):
    """Sign-in refused; the message is fit to show (it never says which part was wrong)."""


class AccountLocked(LoginError):
    """Too many failed sign-ins: the account is locked until ``until`` (UTC). Its message is
    :data:`BAD_LOGIN`, the same as every other refusal (the type is for the code, not the user)."""

    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


BAD_LOGIN = (
    f"That e-mail address and password do not match an active account. After {MAX_FAILED_LOGINS}"
    f" failed sign-ins in a row an account is locked for {LOCKOUT_MINUTES} minutes (an"
    " administrator can unlock it sooner)."
)
"""The one answer to every refused sign-in: unknown e-mail, inactive account, wrong password or
locked account, at every attempt count, so that the answer never tells whether an account exists
(OWASP Authentication Cheat Sheet, "Authentication and error messages")."""

_DUMMY_HASH = _hasher.hash("no account has this password: it only keeps the timing even")
"""Verified against when there is no hash to check (unknown e-mail, inactive or locked account),
so that every refusal costs one argon2 verification, like a wrong password."""


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def authenticate(engine: Engine, email: str, password: str, *, now: datetime | None = None) -> dict:
    """Check a local sign-in and keep the lockout count (DESIGN §5).

    :data:`MAX_FAILED_LOGINS` failures in a row lock the account for :data:`LOCKOUT_MINUTES`
    minutes (``app_user.failed_logins``, ``locked_until`` as UTC ISO text); a success resets the
    count. The lock is written to ``audit_log``. Every refusal carries the same message
    (:data:`BAD_LOGIN`) and costs one argon2 verification, whether or not the e-mail has an
    account, so neither the answer nor its timing says which e-mails exist.

    :returns: the ``app_user`` row (without ``password_hash``).
    :raises AccountLocked: while locked (even with the right password); message :data:`BAD_LOGIN`.
    :raises LoginError: unknown e-mail, inactive account or wrong password; message
        :data:`BAD_LOGIN`.
    """
    from monitoring import services

    now = now or _utc_now()
    email = (email or "").strip().lower()
    with db.write_transaction(engine) as conn:
        row = (
            conn.execute(select(db.app_user).where(db.app_user.c.email == email).with_for_update())
            .mappings()
            .first()
        )
        if row is None or not row["active"]:
            verify_password(_DUMMY_HASH, password)
            raise LoginError(BAD_LOGIN)
        locked_until = datetime.fromisoformat(row["locked_until"]) if row["locked_until"] else None
        if locked_until and locked_until > now:
            verify_password(_DUMMY_HASH, password)
            raise AccountLocked(BAD_LOGIN, locked_until)
        if verify_password(row["password_hash"], password):
            if row["failed_logins"] or row["locked_until"]:
                conn.execute(
                    update(db.app_user)
                    .where(db.app_user.c.id == row["id"])
                    .values(failed_logins=0, locked_until=None)
                )
            return {k: v for k, v in row.items() if k != "password_hash"}
        failures = (0 if locked_until else int(row["failed_logins"] or 0)) + 1
        values: dict = {"failed_logins": failures, "locked_until": None}
        if failures >= MAX_FAILED_LOGINS:
            until = now + timedelta(minutes=LOCKOUT_MINUTES)
            values["locked_until"] = until.isoformat()
            services.record_audit(
                conn,
                services.Actor(email=email, role=row["role"]),
                "app_user",
                row["id"],
                {"locked_until": (row["locked_until"], values["locked_until"])},
            )
        conn.execute(update(db.app_user).where(db.app_user.c.id == row["id"]).values(values))
    # The transaction has committed the count; now refuse.
    if failures >= MAX_FAILED_LOGINS:
        raise AccountLocked(BAD_LOGIN, until)
    raise LoginError(BAD_LOGIN)


def find_active_user(engine: Engine, email: str) -> dict | None:
    """The active ``app_user`` row for ``email`` (case-insensitive), without its hash, or None."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(db.app_user).where(
                    db.app_user.c.email == (email or "").strip().lower(),
                    db.app_user.c.active.is_(True),
                )
            )
            .mappings()
            .first()
        )
    return {k: v for k, v in row.items() if k != "password_hash"} if row else None

"""Accounts and roles: argon2 password hashing (argon2-cffi), local login, OIDC user mapping.

Roles and what they may do are in DESIGN §5; the checks themselves live in
:mod:`monitoring.services` so that no page can skip them.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from monitoring import db, vocabulary

ROLE_LABELS = vocabulary.ROLE_LABELS
"""Roles in the order a new account is offered them (:data:`monitoring.vocabulary.ROLE_LABELS`)."""

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
    """Check a local sign-in, keep the lockout count and audit the outcome (DESIGN §5, case 20).

    :data:`MAX_FAILED_LOGINS` failures in a row lock the account for :data:`LOCKOUT_MINUTES`
    minutes (``app_user.failed_logins``, ``locked_until`` as UTC ISO text); a success resets the
    count. Every attempt writes one ``audit_log`` row (:func:`record_sign_in`): the account (or
    the e-mail tried) and the outcome with its reason, which only administrators see
    (:func:`sign_in_log`); a lockout also writes the account's ``locked_until``. Every refusal
    carries the same message (:data:`BAD_LOGIN`) and costs one argon2 verification, whether or
    not the e-mail has an account, so neither the answer nor its timing says which e-mails exist.

    :returns: the ``app_user`` row (without ``password_hash``).
    :raises AccountLocked: while locked (even with the right password); message :data:`BAD_LOGIN`.
    :raises LoginError: unknown e-mail, inactive account or wrong password; message
        :data:`BAD_LOGIN`.
    """
    from monitoring import services

    now = now or _utc_now()
    email = (email or "").strip().lower()[:320]
    refusal: LoginError | None = None
    with db.write_transaction(engine) as conn:
        row = (
            conn.execute(select(db.app_user).where(db.app_user.c.email == email).with_for_update())
            .mappings()
            .first()
        )
        user_id = row["id"] if row is not None else None
        locked_until = (
            datetime.fromisoformat(row["locked_until"]) if row and row["locked_until"] else None
        )
        if row is None or not row["active"]:
            verify_password(_DUMMY_HASH, password)
            reason = REFUSED_NO_ACCOUNT if row is None else REFUSED_DISABLED
            refusal = LoginError(BAD_LOGIN)
        elif locked_until and locked_until > now:
            verify_password(_DUMMY_HASH, password)
            reason = REFUSED_LOCKED
            refusal = AccountLocked(BAD_LOGIN, locked_until)
        elif verify_password(row["password_hash"], password):
            if row["failed_logins"] or row["locked_until"]:
                conn.execute(
                    update(db.app_user)
                    .where(db.app_user.c.id == row["id"])
                    .values(failed_logins=0, locked_until=None)
                )
            record_sign_in(conn, email, user_id, SIGNED_IN, at=now)
            return {k: v for k, v in row.items() if k != "password_hash"}
        else:
            reason = REFUSED_PASSWORD if row["password_hash"] else REFUSED_NO_PASSWORD
            failures = (0 if locked_until else int(row["failed_logins"] or 0)) + 1
            values: dict = {"failed_logins": failures, "locked_until": None}
            refusal = LoginError(BAD_LOGIN)
            if failures >= MAX_FAILED_LOGINS:
                until = now + timedelta(minutes=LOCKOUT_MINUTES)
                values["locked_until"] = until.isoformat()
                services.record_audit(
                    conn,
                    services.Actor(email=email, role=row["role"]),
                    "app_user",
                    row["id"],
                    {"locked_until": (row["locked_until"], values["locked_until"])},
                    at=_iso(now),
                )
                refusal = AccountLocked(BAD_LOGIN, until)
            conn.execute(update(db.app_user).where(db.app_user.c.id == row["id"]).values(values))
            if failures >= MAX_FAILED_LOGINS:
                reason += f"; {LOCKED_NOW}"
        record_sign_in(conn, email, user_id, reason, at=now)
    # The transaction has committed the count and the audit row; now refuse.
    raise refusal


# --- the sign-in log (case 20) ----------------------------------------------------------------

SIGN_IN_ENTITY = "sign_in"
"""``audit_log.entity`` of a sign-in event; ``field`` is ``outcome``, ``new_value`` says what
happened (one of the phrases below), ``actor`` is the account's e-mail or the e-mail tried."""
SIGNED_IN = "signed in"
SIGNED_IN_SSO = "signed in (single sign-on)"
SIGNED_OUT = "signed out"
REFUSED_PASSWORD = "refused: wrong password"
REFUSED_NO_PASSWORD = "refused: account has no local password (single sign-on only)"
REFUSED_NO_ACCOUNT = "refused: no account with this e-mail"
REFUSED_DISABLED = "refused: account disabled"
REFUSED_LOCKED = "refused: account locked"
REFUSED_SSO_NO_ACCOUNT = "refused: single sign-on e-mail has no active account"
LOCKED_NOW = f"account locked for {LOCKOUT_MINUTES} minutes"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def record_sign_in(
    conn: Connection, email: str, user_id: int | None, outcome: str, *, at: datetime | None = None
) -> None:
    """Write one sign-in event to ``audit_log`` inside the caller's transaction.

    :param email: the account's e-mail, or the e-mail tried (cut to 320 characters).
    :param outcome: one of the phrases above (e.g. :data:`REFUSED_PASSWORD`); the reason is for
        administrators only, the person signing in only ever sees :data:`BAD_LOGIN`.
    """
    conn.execute(
        insert(db.audit_log).values(
            at=_iso(at or _utc_now()),
            actor=(email or "(no e-mail given)")[:320],
            entity=SIGN_IN_ENTITY,
            entity_id=user_id,
            field="outcome",
            old_value=None,
            new_value=outcome,
        )
    )


def audit_sign_in(engine: Engine, email: str, outcome: str) -> None:
    """:func:`record_sign_in` in its own transaction (sign-out, single sign-on sign-in)."""
    email = (email or "").strip().lower()[:320]
    with db.write_transaction(engine) as conn:
        user_id = conn.execute(
            select(db.app_user.c.id).where(db.app_user.c.email == email)
        ).scalar_one_or_none()
        record_sign_in(conn, email, user_id, outcome)


SIGN_IN_LOG_COLUMNS = ["When (UTC)", "Account", "Event", "By"]


def sign_in_log(conn: Connection, limit: int = 500) -> pd.DataFrame:
    """Sign-ins, refusals (with the reason), lockouts, unlocks and sign-outs, newest first, for
    administrators (case 20).

    :returns: :data:`SIGN_IN_LOG_COLUMNS`: UTC ISO time, the account's e-mail (or the e-mail
        tried), what happened, and who did it (the administrator for an unlock, else the
        account itself).
    """
    log, user = db.audit_log, db.app_user
    rows = conn.execute(
        select(
            log.c.at,
            log.c.actor,
            log.c.entity,
            log.c.field,
            log.c.old_value,
            log.c.new_value,
            user.c.email,
        )
        .select_from(log.outerjoin(user, user.c.id == log.c.entity_id))
        .where(
            or_(
                log.c.entity == SIGN_IN_ENTITY,
                and_(log.c.entity == "app_user", log.c.field == "locked_until"),
            )
        )
        .order_by(log.c.id.desc())
        .limit(limit)
    ).all()
    records = []
    for at, actor, entity, _field, old, new, account in rows:
        if entity == SIGN_IN_ENTITY:
            records.append((at, actor, new, actor))
        elif new:
            records.append(
                (at, account or actor, f"locked until {new[:16].replace('T', ' ')}", "-")
            )
        elif old:
            records.append((at, account or actor, "unlocked", actor))
    return pd.DataFrame(records, columns=SIGN_IN_LOG_COLUMNS)


# --- password policy (case 21) ----------------------------------------------------------------

MIN_PASSWORD_LENGTH = 12
"""Shortest password accepted, in characters (NCSC password guidance: length over complexity)."""
MIN_GUESSES_SCORE = 3
"""Lowest zxcvbn score accepted (0-4; 3 means more than about a hundred million guesses, "safely
unguessable" in zxcvbn's words): refuses keyboard runs, sequences, repeated characters and a
common word with a few digits and symbols ("Password2024!", "Welcome123!!"), which no
common-password list holds whole. The refusal gives zxcvbn's own feedback."""


def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str | None, email: str | None = None) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable.

    The policy follows the NCSC's password guidance (ncsc.gov.uk, "Password policy: updating
    your approach"): at least :data:`MIN_PASSWORD_LENGTH` characters, no composition rules, but
    not only spaces or control characters, not a commonly used password (the 30,000 most common
    passwords in the zxcvbn package's list, ignoring case; passwords zxcvbn scores below
    :data:`MIN_GUESSES_SCORE`, refused with zxcvbn's own feedback; and one word with only digits
    and symbols added, "Summer2024!!") and not the account's e-mail address or the name before
    its ``@``.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (
            f"it has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH} "
            "(three random words make a good one)."
        )
    if all(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in password):
        return "it is only spaces or invisible (control) characters."
    folded = password.casefold()
    address = (email or "").strip().casefold()
    if address and (folded.strip() == address or folded.strip() == address.split("@")[0]):
        return "it is the account's e-mail address; choose something else."
    if folded.strip() in _common_passwords():
        return "it is on a list of commonly used passwords; choose something less predictable."
    from zxcvbn import zxcvbn

    inputs = [address, address.split("@")[0]] if address else []
    found = zxcvbn(password[:100], user_inputs=inputs)
    if found["score"] < MIN_GUESSES_SCORE:
        return "it is too easy to guess" + _feedback(found) + "."
    if _one_word_padded(found["sequence"]):
        return (
            "it is one word with digits or symbols added (such as a season and a year, "
            "'Summer2024!!'), which is among the first patterns tried; use three random words."
        )
    return None


def _feedback(found: dict) -> str:
    """zxcvbn's own warning and suggestions, as ": warning; suggestion; ..." ("" for none)."""
    feedback = found.get("feedback") or {}
    parts = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    text = "; ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
    return f": {text}" if text else " (a repeated character, a keyboard run or a sequence)"


def _one_word_padded(sequence: list[dict]) -> bool:
    """True when zxcvbn reads the password as one dictionary word (any case, l33t or reversed)
    with only digits and symbols around it ("Summer2024!!", "Winter2025!!"): every letter is in
    that one word. zxcvbn scores some of these 3, but NCSC guidance names a word with a number
    or symbol added as a pattern attackers try first."""
    words = [m for m in sequence if m.get("pattern") == "dictionary"]
    others = [m for m in sequence if m.get("pattern") != "dictionary"]
    return len(words) == 1 and not any(ch.isalpha() for m in others for ch in m["token"])


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

"""``python -m monitoring user add|disable|enable|unlock|password|list``: accounts from the command line.

Passwords are never taken on the command line in clear: ``--password-env VAR`` reads one from an
environment variable, otherwise it is asked for (twice) without echo; ``--sso-only`` creates an
account that signs in only through single sign-on. Every change goes through
:mod:`monitoring.services` as the "command line" administrator, so it is audited.

Exit codes (DESIGN §6): 0 success, 1 invalid input (nothing written), 2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from monitoring import db, services, worklists
from monitoring.importer.agencies import AgencyNotFound, find_agency

ACTOR = services.Actor.system("command line")


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _run(write, *args, done, **values) -> int:
    """``write(engine, ACTOR, *args, **values)`` (a service writing an account): print
    ``done(user)`` and return 0, or print why it was refused and return 1."""
    try:
        user = write(db.get_engine(), ACTOR, *args, **values)
    except (services.ValidationError, services.NotFound) as exc:
        return _fail(str(exc))
    print(done(user))
    return 0


def _agency_id(engine, value: str | None) -> int | None:
    """An agency id from an id, short name or full name (case-insensitive):
    :func:`monitoring.importer.agencies.find_agency`.

    :raises services.ValidationError: no such agency (lists the choices).
    """
    if not value or not value.strip():
        return None
    with engine.connect() as conn:
        try:
            return find_agency(conn, value)
        except AgencyNotFound as exc:
            raise services.ValidationError(f"agency: {exc}") from None


def _password(args: argparse.Namespace) -> str | None | int:
    """The new password, None for single sign-on only, or an exit code on a usage error."""
    if args.sso_only:
        return None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            return _fail(f"environment variable {args.password_env} is not set or empty.", 2)
        return value
    if not sys.stdin.isatty():
        return _fail("give --password-env VAR or --sso-only (no terminal to ask on).", 2)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        return _fail("the two passwords differ.", 1)
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    """Add an account: e-mail, name, role and (for an agency lead) agency."""
    password = _password(args)
    if isinstance(password, int):
        return password
    try:
        agency_id = _agency_id(db.get_engine(), args.agency)
    except services.ValidationError as exc:
        return _fail(str(exc))
    return _run(
        services.create_user,
        args.email,
        args.name,
        args.role,
        agency_id=agency_id,
        password=password,
        done=lambda user: f"Added {user['email']} ({user['role'].replace('_', ' ')}).",
    )


def _set_active(args: argparse.Namespace, active: bool) -> int:
    word = "Enabled" if active else "Disabled"
    return _run(
        services.set_user_active, args.email, active, done=lambda user: f"{word} {user['email']}."
    )


def cmd_user_disable(args: argparse.Namespace) -> int:
    """Disable an account: it can no longer sign in (its history stays)."""
    return _set_active(args, False)


def cmd_user_enable(args: argparse.Namespace) -> int:
    """Enable a disabled account."""
    return _set_active(args, True)


def cmd_user_unlock(args: argparse.Namespace) -> int:
    """Clear an account's failed sign-ins and lockout."""
    return _run(services.unlock_user, args.email, done=lambda user: f"Unlocked {user['email']}.")


def cmd_user_password(args: argparse.Namespace) -> int:
    """Set a new password for an account (it must pass the password policy: at least 12
    characters, not only spaces, not a commonly used or easily guessed password such as a word
    with digits added, not the e-mail address); also clears a lockout."""
    args.sso_only = False
    password = _password(args)
    if isinstance(password, int):
        return password
    return _run(
        services.set_user_password,
        args.email,
        password,
        done=lambda user: f"New password set for {user['email']}.",
    )


def cmd_user_list(args: argparse.Namespace) -> int:
    """List every account: e-mail, name, role, agency, state."""
    with db.get_engine().connect() as conn:
        frame = worklists.users(conn)
    if frame.empty:
        print("No accounts.")
        return 0
    print(f"{'e-mail':40} {'name':26} {'role':12} {'agency':34} state")
    for row in frame.itertuples():
        state = "active" if row.active else "disabled"
        if isinstance(row.locked_until, str) and row.locked_until:
            state += f", locked until {row.locked_until}"
        if not row.has_password:
            state += ", single sign-on only"
        print(
            f"{row.email:40} {row.display_name[:26]:26} {row.role:12} "
            f"{(row.agency or '')[:34]:34} {state}"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``user`` command and its sub-commands to the CLI."""
    user = subparsers.add_parser(
        "user",
        help="add, disable, enable, unlock, set a password for or list accounts",
        description="Add, disable, enable, unlock or list accounts. Passwords come from an "
        "environment variable (--password-env) or a prompt, never the command line.",
    )
    actions = user.add_subparsers(dest="user_command", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help="add an account", description=cmd_user_add.__doc__)
    add.add_argument("email", help="the person's e-mail address (their sign-in name)")
    add.add_argument("--name", required=True, help="display name, e.g. 'Pat Police-Lead'")
    add.add_argument("--role", required=True, choices=db.ROLES, help="what they may do")
    add.add_argument("--agency", help="agency id, short name or name (required for agency_lead)")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    secret.add_argument("--sso-only", action="store_true", help="no password: single sign-on only")
    add.set_defaults(func=cmd_user_add)

    for name, func, text in (
        ("disable", cmd_user_disable, "disable an account"),
        ("enable", cmd_user_enable, "enable a disabled account"),
        ("unlock", cmd_user_unlock, "clear a lockout after failed sign-ins"),
    ):
        sub = actions.add_parser(name, help=text, description=func.__doc__)
        sub.add_argument("email", help="the account's e-mail address")
        sub.set_defaults(func=func)

    password = actions.add_parser(
        "password", help="set a new password", description=cmd_user_password.__doc__
    )
    password.add_argument("email", help="the account's e-mail address")
    password.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    password.set_defaults(func=cmd_user_password)

    listing = actions.add_parser("list", help="list accounts", description=cmd_user_list.__doc__)
    listing.set_defaults(func=cmd_user_list)

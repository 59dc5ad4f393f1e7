"""Accounts: argon2 hashes, local sign-in with lockout, the login page, and the ``user`` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from monitoring import auth, cli, demo, services
from tests.conftest import make_app

POLICE = "police.lead@northbridge.example"
POLICE_PASSWORD = demo.DEMO_PASSWORDS[POLICE][3]


def user_row(engine, email):
    with engine.connect() as conn:
        row = conn.execute(text("select * from app_user where email = :e"), {"e": email})
        return dict(row.mappings().first() or {})


def test_hash_is_argon2_and_verifies():
    hashed = auth.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert auth.verify_password(hashed, "correct horse battery")
    assert not auth.verify_password(hashed, "wrong")
    assert not auth.verify_password(None, "anything")
    assert not auth.verify_password("not a hash", "anything")


def test_demo_passwords_are_hashed(demo_engine):
    row = user_row(demo_engine, POLICE)
    assert row["password_hash"] != POLICE_PASSWORD
    assert auth.verify_password(row["password_hash"], POLICE_PASSWORD)


def test_lockout_after_five_failures_for_fifteen_minutes(demo_engine):
    now = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    for attempt in range(1, auth.MAX_FAILED_LOGINS):
        with pytest.raises(auth.LoginError) as caught:
            auth.authenticate(demo_engine, POLICE, "guess", now=now)
        assert not isinstance(caught.value, auth.AccountLocked)
        assert user_row(demo_engine, POLICE)["failed_logins"] == attempt
    with pytest.raises(auth.AccountLocked) as caught:
        auth.authenticate(demo_engine, POLICE, "guess", now=now)
    assert str(caught.value) == auth.BAD_LOGIN
    locked = datetime.fromisoformat(user_row(demo_engine, POLICE)["locked_until"])
    assert locked == now + timedelta(minutes=15)
    # the right password does not help while locked
    with pytest.raises(auth.AccountLocked):
        auth.authenticate(demo_engine, POLICE, POLICE_PASSWORD, now=now + timedelta(minutes=14))
    user = auth.authenticate(
        demo_engine, POLICE, POLICE_PASSWORD, now=now + timedelta(minutes=15, seconds=1)
    )
    assert user["email"] == POLICE and "password_hash" not in user
    after = user_row(demo_engine, POLICE)
    assert (after["failed_logins"], after["locked_until"]) == (0, None)
    with demo_engine.connect() as conn:
        audited = conn.execute(
            text(
                "select count(*) from audit_log where entity = 'app_user' and field ="
                " 'locked_until' and entity_id = :u"
            ),
            {"u": after["id"]},
        ).scalar()
    assert audited == 1


def test_unknown_and_disabled_accounts_get_the_same_message(demo_engine):
    with pytest.raises(auth.LoginError, match="do not match an active account"):
        auth.authenticate(demo_engine, "nobody@northbridge.example", "x")
    admin = services.Actor.from_user(user_row(demo_engine, "admin@northbridge.example"))
    services.set_user_active(demo_engine, admin, POLICE, False)
    with pytest.raises(auth.LoginError, match="do not match an active account"):
        auth.authenticate(demo_engine, POLICE, POLICE_PASSWORD)
    assert auth.find_active_user(demo_engine, POLICE) is None


def _refusal(engine, email, password, now):
    with pytest.raises(auth.LoginError) as caught:
        auth.authenticate(engine, email, password, now=now)
    return str(caught.value)


def test_unknown_and_known_emails_get_the_same_answer_at_every_attempt(demo_engine):
    """Lockout must not reveal which accounts exist: the known account locks on the fifth
    failure, yet every answer, before, at and after the lock, is the unknown e-mail's answer."""
    now = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    for attempt in range(1, auth.MAX_FAILED_LOGINS + 3):
        known = _refusal(demo_engine, POLICE, "guess", now)
        unknown = _refusal(demo_engine, "nobody@northbridge.example", "guess", now)
        assert known == unknown == auth.BAD_LOGIN, attempt
        locked = user_row(demo_engine, POLICE)["locked_until"]
        assert bool(locked) == (attempt >= auth.MAX_FAILED_LOGINS)
    # the locked account's right password gets the same answer too
    assert _refusal(demo_engine, POLICE, POLICE_PASSWORD, now) == auth.BAD_LOGIN
    # the message tells a locked-out user what to do, without saying they are locked
    assert f"locked for {auth.LOCKOUT_MINUTES} minutes" in auth.BAD_LOGIN


def test_every_refusal_verifies_one_argon2_hash(demo_engine, monkeypatch):
    """Timing: an unknown e-mail, an inactive or a locked account cost an argon2 verification,
    like a wrong password (a verify against a dummy hash)."""
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    now = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    _refusal(demo_engine, "nobody@northbridge.example", "guess", now)
    assert calls == [auth._DUMMY_HASH]
    for _ in range(auth.MAX_FAILED_LOGINS):
        _refusal(demo_engine, POLICE, "guess", now)
    assert len(calls) == 1 + auth.MAX_FAILED_LOGINS
    _refusal(demo_engine, POLICE, POLICE_PASSWORD, now)  # locked
    assert len(calls) == 2 + auth.MAX_FAILED_LOGINS and calls[-1] == auth._DUMMY_HASH


def test_admin_unlock_clears_lockout(demo_engine):
    for _ in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(auth.LoginError):
            auth.authenticate(demo_engine, POLICE, "guess")
    assert user_row(demo_engine, POLICE)["locked_until"]
    admin = services.Actor.from_user(user_row(demo_engine, "admin@northbridge.example"))
    services.unlock_user(demo_engine, admin, POLICE)
    assert auth.authenticate(demo_engine, POLICE, POLICE_PASSWORD)["email"] == POLICE


def _sign_in(at, email, password):
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def test_login_page_signs_in_and_locks(demo_engine, app_env):
    at = make_app(None)
    assert [b.label for b in at.button] == ["Sign in"]  # no single sign-on configured
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        at = _sign_in(at, POLICE, "wrong password")
        assert at.error[0].value == auth.BAD_LOGIN
    at = _sign_in(at, POLICE, "wrong password")
    assert at.error[0].value == auth.BAD_LOGIN
    assert user_row(demo_engine, POLICE)["locked_until"]
    at = _sign_in(at, POLICE, POLICE_PASSWORD)  # locked: the right password does not sign in
    assert at.error[0].value == auth.BAD_LOGIN
    assert not at.metric

    # an unknown e-mail, five times over, sees exactly what the known account saw
    at = make_app(None)
    for _ in range(auth.MAX_FAILED_LOGINS + 1):
        at = _sign_in(at, "nobody@northbridge.example", "wrong password")
        assert at.error[0].value == auth.BAD_LOGIN

    at = make_app(None)
    at = _sign_in(
        at, "board@northbridge.example", demo.DEMO_PASSWORDS["board@northbridge.example"][3]
    )
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("Bola Board-Chair" in c.value for c in at.sidebar.caption)


def test_unknown_single_sign_on_email_gets_no_access(demo_engine, app_env):
    at = make_app("someone@other-council.example")
    assert at.title[0].value == "No access"
    assert "no active account" in at.error[0].value


# --- the user command ---------------------------------------------------------------------------


def test_user_add_list_disable(demo_engine, app_env, monkeypatch, capsys):
    monkeypatch.setenv("NEW_PASSWORD", "a-long-secret-password")
    code = cli.main(
        [
            "user", "add", "Hana.Health@Northbridge.example", "--name", "Hana Health",
            "--role", "agency_lead", "--agency", "icb", "--password-env", "NEW_PASSWORD",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    row = user_row(demo_engine, "hana.health@northbridge.example")
    assert row["role"] == "agency_lead" and row["active"]
    with demo_engine.connect() as conn:
        icb = conn.execute(text("select id from agency where short_name = 'ICB'")).scalar()
    assert row["agency_id"] == icb
    assert auth.verify_password(row["password_hash"], "a-long-secret-password")
    assert auth.authenticate(demo_engine, row["email"], "a-long-secret-password")
    capsys.readouterr()

    assert cli.main(["user", "list"]) == 0
    listing = capsys.readouterr().out
    with demo_engine.connect() as conn:
        emails = conn.execute(text("select email from app_user")).scalars().all()
    assert all(email in listing for email in emails)
    assert "a-long-secret-password" not in listing and "argon2" not in listing

    assert cli.main(["user", "disable", "hana.health@northbridge.example"]) == 0
    assert not user_row(demo_engine, "hana.health@northbridge.example")["active"]
    assert cli.main(["user", "list"]) == 0
    assert "disabled" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["user", "add", "x@northbridge.example", "--name", "X", "--role", "agency_lead",
          "--agency", "nowhere", "--sso-only"], 1, "no agency 'nowhere'"),
        (["user", "add", "police.lead@northbridge.example", "--name", "X", "--role", "viewer",
          "--sso-only"], 1, "already has an account"),
        (["user", "add", "x@northbridge.example", "--name", "X", "--role", "viewer",
          "--password-env", "UNSET_VARIABLE_FOR_TEST"], 2, "UNSET_VARIABLE_FOR_TEST is not set"),
        (["user", "add", "x@northbridge.example", "--name", "X", "--role", "chief"], 2, "invalid"),
        (["user", "add", "x@northbridge.example", "--name", "X", "--role", "viewer"], 2,
         "--password-env"),
        (["user", "disable", "nobody@northbridge.example"], 1, "No account"),
        (["user"], 2, "required"),
    ],
)  # fmt: skip
def test_user_command_errors(demo_engine, app_env, monkeypatch, capsys, argv, code, message):
    monkeypatch.delenv("UNSET_VARIABLE_FOR_TEST", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with demo_engine.connect() as conn:
        before = conn.execute(
            text("select count(*), sum(case when active then 1 else 0 end) from app_user")
        ).one()
    assert cli.main(argv) == code
    assert message in capsys.readouterr().err
    with demo_engine.connect() as conn:
        after = conn.execute(
            text("select count(*), sum(case when active then 1 else 0 end) from app_user")
        ).one()
    assert tuple(after) == tuple(before)


def test_user_add_sso_only_has_no_password(demo_engine, app_env):
    assert cli.main(["user", "add", "sso@northbridge.example", "--name", "S", "--role", "board",
                     "--sso-only"]) == 0  # fmt: skip
    assert user_row(demo_engine, "sso@northbridge.example")["password_hash"] is None
    with pytest.raises(auth.LoginError):
        auth.authenticate(demo_engine, "sso@northbridge.example", "")
    at = make_app("sso@northbridge.example")
    assert at.title[0].value == "Overview"


def test_single_sign_on_button_when_auth_is_configured(demo_engine, app_env):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "monitor",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://login.example/.well-known/openid-configuration",
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert labels == ["Sign in with your organisation account", "Sign in"]
    assert len(at.text_input) == 2  # the local form stays for local accounts

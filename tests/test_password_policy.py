"""Case 21 (21-weak-passwords-accepted), continued: passwords zxcvbn scores below 3 are refused
with zxcvbn's own feedback, and so is one word with only digits and symbols added ("Summer2024!!",
which zxcvbn scores 3; a fresh user's finding); three random words are accepted, as are the demo's
and the tests' own passwords."""

from __future__ import annotations

import pytest

from monitoring import auth, cli, demo, services
from tests.conftest import ROOT, records

CASE_21 = ROOT.parent / "shared" / "cases" / "21-weak-passwords-accepted"
ADMIN = "admin@northbridge.example"
EMAIL = "new.person@northbridge.example"
REFUSED = {
    "Summer2024!!": "one word with digits or symbols added",
    "Password2024!": "too easy to guess: This is similar to a commonly used password",
    "Welcome123!!": "too easy to guess: Add another word or two",
}
ACCEPTED = [
    "copper kettle meadow lantern",
    "violet harbour gravel trumpet",
    "correct horse battery staple",
]


def _admin(engine) -> services.Actor:
    return services.Actor.from_user(
        records(engine, "select * from app_user where email = :e", e=ADMIN)[0]
    )


@pytest.mark.usefixtures("shared_data")
def test_the_case_asks_for_an_ncsc_style_policy():
    assert "NCSC-style policy" in (CASE_21 / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("password", "why"), list(REFUSED.items()))
def test_guessable_passwords_are_refused_saying_why(demo_engine, password, why):
    with pytest.raises(services.ValidationError, match="password: refused because") as refusal:
        services.create_user(
            demo_engine, _admin(demo_engine), EMAIL, "New Person", "board", password=password
        )
    assert why in str(refusal.value)
    assert not records(demo_engine, "select id from app_user where email = :e", e=EMAIL)


@pytest.mark.parametrize("password", ACCEPTED)
def test_three_random_words_are_accepted(demo_engine, password):
    services.create_user(
        demo_engine, _admin(demo_engine), EMAIL, "New Person", "board", password=password
    )
    assert auth.authenticate(demo_engine, EMAIL, password)["email"] == EMAIL


def test_the_command_gives_the_same_refusal(demo_engine, app_env, monkeypatch, capsys):
    monkeypatch.setenv("NEW_PASSWORD", "Summer2024!!")
    argv = [
        "user",
        "add",
        EMAIL,
        "--name",
        "N",
        "--role",
        "board",
        "--password-env",
        "NEW_PASSWORD",
    ]
    assert cli.main(argv) == 1
    assert "one word with digits or symbols added" in capsys.readouterr().err


def test_the_demo_and_test_passwords_still_pass():
    for email, (_name, _role, _agency, password) in demo.DEMO_PASSWORDS.items():
        assert auth.password_problem(password, email) is None, email
    for password in ("a-long-secret-password", "a-long-password", "violet kettle harbour"):
        assert auth.password_problem(password, "someone@northbridge.example") is None

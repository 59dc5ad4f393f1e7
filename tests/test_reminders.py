"""Reminders (issue 7): digests sent to a real SMTP server (aiosmtpd, in-process) and parsed.

Every expectation is derived from independent SQL over the demo database (anchored at
:data:`tests.conftest.ANCHOR`) plus agency leads added here, never from the code under test.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import re
import socket
from dataclasses import dataclass, field
from datetime import date, timedelta

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, insert, select, text

from monitoring import cli, db, reminders, services, update_workbook
from tests.conftest import ANCHOR

OPEN = "status in ('not_started', 'in_progress')"
APP_URL = "https://monitor.example.org/nscp"
MAIL_FROM = "monitor@northbridge.example"
LADDER_DAYS = (1, 30, 90)
STALE_DAYS = 90
LINK = re.compile(re.escape(APP_URL) + r"/history\?action=(\d+)$")
HEADING = re.compile(
    r"^(Overdue|Due in the next 14 days|No update for more than 90 days) \((\d+)\)$"
)
SECTION_BY_HEADING = {
    "Overdue": "overdue",
    "Due in the next 14 days": "due_soon",
    "No update for more than 90 days": "no_update",
}


# --- a real SMTP server ------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message and can refuse chosen recipients."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server, monkeypatch, database_url) -> Inbox:
    """The SMTP server's inbox, with the environment pointing ``remind`` at it and the test DB."""
    controller, box = smtp_server
    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITORING_SMTP_HOST", controller.hostname)
    monkeypatch.setenv("MONITORING_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("MONITORING_SMTP_STARTTLS", "false")
    monkeypatch.setenv("MONITORING_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("MONITORING_APP_URL", APP_URL + "/")
    for name in (
        "MONITORING_SMTP_USER",
        "MONITORING_SMTP_PASSWORD",
        "MONITORING_ESCALATION_DAYS",
        "MONITORING_STALE_DAYS",
        "MONITORING_TODAY",
    ):
        monkeypatch.delenv(name, raising=False)
    db.dispose_engines()
    yield box
    db.dispose_engines()


# --- data: agency leads for more agencies --------------------------------------------------------


def next_id(conn, table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()) + 1


def agency_id(conn, short_name: str) -> int:
    return conn.execute(select(db.agency.c.id).where(db.agency.c.short_name == short_name)).scalar()


@pytest.fixture
def leads(demo_engine: Engine) -> Engine:
    """Demo data plus active leads for ICB, EDU and HOUS, an inactive lead for PROB, a new
    agency (Fire Service) with a lead but no actions, and the actions of :data:`EXTRA_ACTIONS`
    (so every section and ladder level occurs whatever the demo holds). Returns the engine."""
    with demo_engine.begin() as conn:
        fire = next_id(conn, db.agency)
        conn.execute(
            insert(db.agency).values(
                id=fire,
                name="Northbridge Fire and Rescue Service",
                short_name="FIRE",
                active=True,
                is_statutory_partner=False,
                board_member_email="board.fire@northbridge.example",
            )
        )
        uid = next_id(conn, db.app_user)
        new_leads = [
            ("icb.lead@northbridge.example", "ICB", True),
            ("edu.lead@northbridge.example", "EDU", True),
            ("housing.lead@northbridge.example", "HOUS", True),
            ("probation.lead@northbridge.example", "PROB", False),
            ("fire.lead@northbridge.example", "FIRE", True),
        ]
        conn.execute(
            insert(db.app_user),
            [
                {
                    "id": uid + i,
                    "email": address,
                    "display_name": address.split("@")[0],
                    "role": "agency_lead",
                    "agency_id": agency_id(conn, short),
                    "active": active,
                    "failed_logins": 0,
                }
                for i, (address, short, active) in enumerate(new_leads)
            ],
        )
    for short, due_in, updated_ago in EXTRA_ACTIONS:
        add_action(demo_engine, short, ANCHOR + timedelta(days=due_in), updated_ago=updated_ago)
    return demo_engine


EXTRA_ACTIONS = [
    # agency, target date relative to ANCHOR (days), last update that many days before ANCHOR
    ("ICB", -100, 10),  # overdue, exception report
    ("ICB", -3, 10),  # overdue, reminder
    ("EDU", -40, 10),  # overdue, board member copied
    ("EDU", 5, 10),  # due soon
    ("HOUS", 200, 120),  # no update for more than 90 days
    ("HOUS", 200, 30),  # nothing to say
]


def add_action(
    engine: Engine, short_name: str, due_on: date, *, updated_ago: int | None = 10
) -> int:
    """Add an in-progress action led by ``short_name`` (created 400 days before ANCHOR), with one
    progress update ``updated_ago`` days before ANCHOR (none when ``None``); returns its id."""
    with engine.begin() as conn:
        a_id = next_id(conn, db.action)
        rec_id, review_id = conn.execute(
            select(db.recommendation.c.id, db.recommendation.c.review_id).order_by(
                db.recommendation.c.id
            )
        ).first()
        last = (ANCHOR - timedelta(days=updated_ago)).isoformat() if updated_ago else None
        conn.execute(
            insert(db.action).values(
                id=a_id,
                recommendation_id=rec_id,
                review_id=review_id,
                number=f"T{a_id}",
                description=f"Test action {a_id}",
                lead_agency_id=agency_id(conn, short_name),
                original_due_on=due_on.isoformat(),
                due_on=due_on.isoformat(),
                status="in_progress",
                last_update_on=last,
                created_at=f"{(ANCHOR - timedelta(days=400)).isoformat()}T09:00:00+00:00",
            )
        )
        if last:
            conn.execute(
                insert(db.action_update).values(
                    id=next_id(conn, db.action_update),
                    action_id=a_id,
                    created_at=f"{last}T10:00:00+00:00",
                    status="in_progress",
                    progress_note="Test update.",
                )
            )
    return a_id


# --- independent expectations --------------------------------------------------------------------


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def expected_listing(engine: Engine, today: date) -> dict[int, dict[str, dict[int, int]]]:
    """By agency id: section → {action id: days overdue (0 unless overdue)}, from plain SQL.

    Sections are disjoint: overdue, else due in 14 days, else no update for more than 90 days
    (latest ``action_update``, or creation when there is none).
    """
    t = today.isoformat()
    horizon = (today + timedelta(days=14)).isoformat()
    result: dict[int, dict[str, dict[int, int]]] = {}

    def put(agency: int, section: str, action: int, days: int) -> None:
        result.setdefault(agency, {}).setdefault(section, {})[action] = days

    for a_id, agency, due_on in rows(
        engine,
        f"select id, lead_agency_id, due_on from action where {OPEN}"
        " and lead_agency_id is not null and due_on < :t",
        t=t,
    ):
        put(agency, "overdue", a_id, (today - date.fromisoformat(due_on)).days)
    for a_id, agency in rows(
        engine,
        f"select id, lead_agency_id from action where {OPEN}"
        " and lead_agency_id is not null and due_on >= :t and due_on <= :h",
        t=t,
        h=horizon,
    ):
        put(agency, "due_soon", a_id, 0)
    latest = dict(
        rows(engine, "select action_id, max(created_at) from action_update group by action_id")
    )
    for a_id, agency, _due_on, created_at in rows(
        engine,
        f"select id, lead_agency_id, due_on, created_at from action where {OPEN}"
        " and lead_agency_id is not null and (due_on is null or due_on > :h)",
        h=horizon,
    ):
        last = date.fromisoformat((latest.get(a_id) or created_at)[:10])
        if (today - last).days > STALE_DAYS:
            put(agency, "no_update", a_id, 0)
    return result


def expected_recipients(engine: Engine, today: date) -> dict[str, int]:
    """Active agency leads of active agencies with something listed: e-mail → agency id."""
    listing = expected_listing(engine, today)
    return {
        address: agency
        for address, agency in rows(
            engine,
            "select u.email, u.agency_id from app_user u join agency a on a.id = u.agency_id"
            " where u.role = 'agency_lead' and u.active = :yes and a.active = :yes",
            yes=True,
        )
        if agency in listing
    }


def expected_level(days_overdue: int) -> int:
    return sum(days_overdue >= d for d in LADDER_DAYS)


# --- parsing what the server received ----------------------------------------------------------


def parse_digest(body: str) -> dict[str, dict[int, int]]:
    """section → {action id: days overdue (0 unless overdue)} from a digest body."""
    listing: dict[str, dict[int, int]] = {}
    section = None
    detail = ""
    for line in body.splitlines():
        heading = HEADING.match(line.strip())
        if heading:
            section = SECTION_BY_HEADING[heading.group(1)]
            listing[section] = {}
            continue
        if line.startswith("  ") and not LINK.match(line.strip()):
            detail = line.strip()
            continue
        link = LINK.match(line.strip())
        if link:
            assert section is not None, line
            days = re.match(r"(\d+) days? overdue", detail)
            listing[section][int(link.group(1))] = int(days.group(1)) if days else 0
    return listing


def run_remind(*args: str) -> int:
    return cli.main(["remind", *args])


def deliveries(inbox: Inbox) -> dict[str, int]:
    """Messages delivered, by envelope recipient (an address refused at RCPT is not there)."""
    counts: dict[str, int] = {}
    for item in inbox.received:
        for address in item.rcpt_tos:
            counts[address] = counts.get(address, 0) + 1
    return counts


def by_recipient(inbox: Inbox) -> dict[str, list[Received]]:
    result: dict[str, list[Received]] = {}
    for item in inbox.received:
        result.setdefault(item.message["To"], []).append(item)
    return result


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("today", [ANCHOR, date(2026, 3, 2)])
def test_one_digest_per_lead_listing_exactly_their_actions(leads, inbox, capsys, today):
    assert run_remind("--as-of", today.isoformat()) == 0
    expected = expected_recipients(leads, today)
    listing = expected_listing(leads, today)
    received = by_recipient(inbox)

    assert len(expected) >= 2  # several leads, each checked exactly below
    assert set(received) == set(expected)
    assert all(len(messages) == 1 for messages in received.values())
    assert "fire.lead@northbridge.example" not in received  # nothing listed
    assert "probation.lead@northbridge.example" not in received  # inactive
    for address, (item,) in received.items():
        body = item.message.get_content()
        assert item.message["From"] == MAIL_FROM
        assert address in item.rcpt_tos
        assert parse_digest(body) == listing[expected[address]], address
        for line in body.splitlines():
            if "/history?action=" in line:
                assert LINK.match(line.strip()), line
    out = capsys.readouterr().out
    assert f"{len(expected)} sent" in out


def test_board_member_copied_when_an_action_is_30_days_overdue(leads, inbox):
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    expected = expected_recipients(leads, ANCHOR)
    listing = expected_listing(leads, ANCHOR)
    board = dict(rows(leads, "select id, board_member_email from agency"))
    copied = 0
    for address, (item,) in by_recipient(inbox).items():
        agency = expected[address]
        worst = max(listing[agency].get("overdue", {0: 0}).values())
        if worst >= LADDER_DAYS[1]:
            copied += 1
            assert item.message["Cc"] == board[agency]
            assert sorted(item.rcpt_tos) == sorted([address, board[agency]])
            assert "board member is copied" in item.message.get_content()
        else:
            assert item.message["Cc"] is None
            assert item.rcpt_tos == [address]
    assert copied >= 1
    logged = rows(
        leads,
        "select recipient, agency_id from reminder_log where sent_on = :t",
        t=ANCHOR.isoformat(),
    )
    assert sorted(logged) == sorted(
        [(a, expected[a]) for a in expected]
        + [
            (board[expected[a]], expected[a])
            for a, ((item,)) in by_recipient(inbox).items()
            if item.message["Cc"]
        ]
    )


def test_second_run_same_day_sends_none_and_writes_nothing_new(leads, inbox):
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    first = len(inbox.received)
    counts = db.table_counts(leads)
    assert first == len(expected_recipients(leads, ANCHOR))
    assert counts["reminder_log"] >= first

    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    assert len(inbox.received) == first
    after = db.table_counts(leads)
    for table in ("reminder_log", "escalation", "audit_log"):
        assert after[table] == counts[table], table

    next_day = ANCHOR + timedelta(days=1)
    assert run_remind("--as-of", next_day.isoformat()) == 0
    assert len(inbox.received) == first + len(expected_recipients(leads, next_day))


def test_dry_run_sends_nothing_writes_nothing_and_prints(leads, inbox, capsys):
    before = db.table_counts(leads)
    version = db.get_data_version(leads)
    assert run_remind("--dry-run", "--as-of", ANCHOR.isoformat()) == 0
    out = capsys.readouterr().out

    assert inbox.received == []
    assert db.table_counts(leads) == before
    assert db.get_data_version(leads) == version
    expected = expected_recipients(leads, ANCHOR)
    listing = expected_listing(leads, ANCHOR)
    assert out.count("--- would send to ") == len(expected)
    for address, agency in expected.items():
        assert f"--- would send to {address} ---" in out
        for section in listing[agency].values():
            for action_id in section:
                assert f"{APP_URL}/history?action={action_id}\n" in out
    assert f"Dry run: {len(expected)} messages would be sent" in out


def test_dry_run_needs_no_smtp_settings(leads, inbox, monkeypatch, capsys):
    monkeypatch.delenv("MONITORING_SMTP_HOST")
    monkeypatch.delenv("MONITORING_MAIL_FROM")
    assert run_remind("--dry-run", "--as-of", ANCHOR.isoformat()) == 0
    assert "would send to" in capsys.readouterr().out


@pytest.mark.parametrize("missing", ["MONITORING_SMTP_HOST", "MONITORING_MAIL_FROM"])
def test_missing_smtp_setting_is_a_usage_error(leads, inbox, monkeypatch, capsys, missing):
    monkeypatch.delenv(missing)
    before = db.table_counts(leads)
    assert run_remind("--as-of", ANCHOR.isoformat()) == 2
    assert missing in capsys.readouterr().err
    assert inbox.received == []
    assert db.table_counts(leads) == before


@pytest.mark.parametrize("value", ["1,30", "30,1,90", "0,30,90", "a,b,c", "1,30,90,120"])
def test_bad_escalation_days_is_a_usage_error(leads, inbox, monkeypatch, capsys, value):
    monkeypatch.setenv("MONITORING_ESCALATION_DAYS", value)
    assert run_remind("--as-of", ANCHOR.isoformat()) == 2
    assert "MONITORING_ESCALATION_DAYS" in capsys.readouterr().err
    assert inbox.received == []


def test_escalations_recorded_on_each_overdue_action_with_audit(leads, inbox):
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    overdue = {
        a_id: (ANCHOR - date.fromisoformat(due_on)).days
        for a_id, due_on in rows(
            leads,
            f"select id, due_on from action where {OPEN} and due_on < :t",
            t=ANCHOR.isoformat(),
        )
    }
    recorded = rows(
        leads, "select action_id, level, level_name, days_overdue, reached_on from escalation"
    )
    assert len(overdue) >= 5
    assert {r.action_id: (r.level, r.days_overdue) for r in recorded} == {
        a: (expected_level(d), d) for a, d in overdue.items()
    }
    assert len(recorded) == len(overdue)
    assert all(r.reached_on == ANCHOR.isoformat() for r in recorded)
    assert {r.level for r in recorded} == {1, 2, 3}
    names = dict(zip((1, 2, 3), reminders.LEVEL_NAMES, strict=True))
    audit = rows(
        leads,
        "select entity_id, actor, old_value, new_value from audit_log"
        " where entity = 'action' and field = 'escalation'",
    )
    assert len(audit) == len(recorded)
    for entity_id, actor, old, new in audit:
        level = expected_level(overdue[entity_id])
        assert actor == "remind"
        assert old is None
        assert new == f"level {level}: {names[level]} ({overdue[entity_id]} days overdue)"


def test_ladder_moves_up_later_and_restarts_after_a_new_target_date(leads, inbox):
    due_on = ANCHOR - timedelta(days=2)
    a_id = add_action(leads, "POL", due_on)
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    later = due_on + timedelta(days=LADDER_DAYS[1])
    assert run_remind("--as-of", later.isoformat()) == 0
    assert run_remind("--as-of", (later + timedelta(days=1)).isoformat()) == 0  # no new level
    history = rows(
        leads,
        "select old_value, new_value from audit_log where entity = 'action' and entity_id = :a"
        " and field = 'escalation' order by id",
        a=a_id,
    )
    assert [tuple(h) for h in history] == [
        (None, "level 1: reminder (2 days overdue)"),
        ("level 1: reminder", f"level 2: copied to board member ({LADDER_DAYS[1]} days overdue)"),
    ]

    # an approved later target date (set directly here) restarts the ladder when overdue again
    new_due = later + timedelta(days=10)
    with leads.begin() as conn:
        conn.execute(
            text("update action set due_on = :d where id = :a"),
            {"d": new_due.isoformat(), "a": a_id},
        )
    assert run_remind("--as-of", (new_due + timedelta(days=1)).isoformat()) == 0
    levels = rows(
        leads,
        "select level, reached_on from escalation where action_id = :a order by reached_on",
        a=a_id,
    )
    assert [tuple(r) for r in levels] == [
        (1, ANCHOR.isoformat()),
        (2, later.isoformat()),
        (1, (new_due + timedelta(days=1)).isoformat()),
    ]


def test_configured_ladder(leads, inbox, monkeypatch):
    ladder = (5, 50, 150)
    monkeypatch.setenv("MONITORING_ESCALATION_DAYS", ",".join(map(str, ladder)))
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    overdue = dict(
        rows(
            leads,
            f"select id, due_on from action where {OPEN} and due_on < :t",
            t=ANCHOR.isoformat(),
        )
    )
    days = {a: (ANCHOR - date.fromisoformat(d)).days for a, d in overdue.items()}
    want = {a: sum(n >= x for x in ladder) for a, n in days.items()}
    got = dict(rows(leads, "select action_id, level from escalation"))
    assert got == {a: level for a, level in want.items() if level}
    assert {0, 1} <= set(want.values())  # 3 and 40 days overdue (EXTRA_ACTIONS)


def test_refused_message_is_not_logged_and_is_sent_on_rerun_without_double_sending(
    leads, inbox, capsys
):
    refused = "icb.lead@northbridge.example"
    expected = expected_recipients(leads, ANCHOR)
    assert refused in expected
    inbox.refuse.add(refused)
    assert run_remind("--as-of", ANCHOR.isoformat()) == 1
    assert refused in capsys.readouterr().out
    logged = {r[0] for r in rows(leads, "select recipient from reminder_log")}
    assert refused not in logged
    first = deliveries(inbox)
    assert refused not in first
    assert set(expected) - {refused} <= set(first)

    inbox.refuse.clear()
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    total = deliveries(inbox)
    assert set(total) - set(first) == {refused}
    assert all(count == 1 for count in total.values()), total  # nobody got a second copy
    assert set(expected) <= {r[0] for r in rows(leads, "select recipient from reminder_log")}


def test_remind_has_help_and_readme_documents_it(capsys):
    assert cli.main(["remind", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--dry-run" in out and "--as-of" in out
    readme = (reminders.config.PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Reminders", 1)[1]
    assert "python -m monitoring remind" in section
    assert "OnCalendar=" in section and "crontab" in section.lower()
    for name in ("MONITORING_SMTP_HOST", "MONITORING_MAIL_FROM", "MONITORING_ESCALATION_DAYS"):
        assert name in readme


@pytest.mark.parametrize(
    ("raw", "days"),
    [("", (1, 30, 90)), ("1,30,90", (1, 30, 90)), (" 2, 14 ,60 ", (2, 14, 60))],
)
def test_escalation_ladder_setting(raw, days):
    ladder = reminders.escalation_ladder(raw)
    assert tuple(step.days for step in ladder) == days
    assert [step.level for step in ladder] == [1, 2, 3]
    assert reminders.step_for(days[0] - 1, ladder) is None
    assert reminders.step_for(days[0], ladder).level == 1
    assert reminders.step_for(days[1] - 1, ladder).level == 1
    assert reminders.step_for(days[1], ladder).level == 2
    assert reminders.step_for(days[2], ladder).level == 3


def test_action_link_format(monkeypatch):
    monkeypatch.setenv("MONITORING_APP_URL", "https://x.example/app/")
    assert reminders.action_link(42) == "https://x.example/app/history?action=42"
    monkeypatch.delenv("MONITORING_APP_URL")
    assert reminders.action_link(7) == "http://localhost:8501/history?action=7"


def test_quiet_prints_counts_and_agency_names_but_no_addresses(leads, inbox, capsys):
    expected = expected_recipients(leads, ANCHOR)
    inbox.refuse.add("icb.lead@northbridge.example")
    assert run_remind("--quiet", "--as-of", ANCHOR.isoformat()) == 1
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "@" not in printed
    escalations = len(rows(leads, "select id from escalation"))
    assert (
        f"{len(expected) - 1} sent, 0 already sent today, {escalations} escalations recorded, "
        "1 failed." in captured.out
    )
    assert "the lead of Northbridge Integrated Care Board" in captured.err


def test_current_escalations_lists_the_exception_report(leads, inbox):
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    overdue = {
        a_id: (ANCHOR - date.fromisoformat(due_on)).days
        for a_id, due_on in rows(
            leads,
            f"select id, due_on from action where {OPEN} and due_on < :t",
            t=ANCHOR.isoformat(),
        )
    }
    with leads.connect() as conn:
        report = reminders.current_escalations(conn, ANCHOR, min_level=3)
        every = reminders.current_escalations(conn, ANCHOR)
    assert list(report.columns) == [
        "action_id",
        "level",
        "level_name",
        "reached_on",
        "days_overdue",
    ]
    assert set(report["action_id"]) == {a for a, d in overdue.items() if d >= LADDER_DAYS[2]}
    assert set(report["level_name"]) == {reminders.LEVEL_NAMES[2]}
    assert set(every["action_id"]) == set(overdue)
    assert dict(zip(every["action_id"], every["level"], strict=True)) == {
        a: expected_level(d) for a, d in overdue.items()
    }


def test_link_opens_the_actions_history_showing_its_escalation(leads, inbox, app_env):
    from tests.conftest import make_app

    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    (item,) = by_recipient(inbox)["icb.lead@northbridge.example"]
    body = item.message.get_content()
    overdue = parse_digest(body)["overdue"]
    a_id = max(overdue, key=overdue.get)
    ref, number = rows(
        leads,
        "select r.ref, a.number from action a join review r on r.id = a.review_id where a.id = :a",
        a=a_id,
    )[0]

    at = make_app(
        "board@northbridge.example", page="app_pages/history.py", query_params={"action": str(a_id)}
    )
    assert not at.exception
    assert f"{ref} action {number}" in [t.value for t in at.text]
    trail = at.dataframe[0].value
    escalated = trail[trail["What"] == "Escalation"]  # History names fields in words
    assert list(escalated["Now"]) == [
        f"level 3: {reminders.LEVEL_NAMES[2]} ({overdue[a_id]} days overdue)"
    ]


def test_unreachable_smtp_server_sends_and_logs_nothing(leads, inbox, monkeypatch, capsys):
    monkeypatch.setenv("MONITORING_SMTP_PORT", str(free_port()))  # nobody listens there
    assert run_remind("--as-of", ANCHOR.isoformat()) == 1
    assert "SMTP server" in capsys.readouterr().err
    assert inbox.received == []
    assert db.table_counts(leads)["reminder_log"] == 0
    # the ladder is a fact about the actions, recorded even when the mail could not go
    assert db.table_counts(leads)["escalation"] == len(
        rows(
            leads,
            f"select id from action where {OPEN} and due_on < :t",
            t=ANCHOR.isoformat(),
        )
    )


# --- the lead's update workbook attached (issue 20's workbook, sent with the digest) -----------

WORKBOOK_SECRET = "reminder-test-signing-key-0123456789abcdef"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attached_workbooks(message) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each attachment of a received message."""
    return [
        (part.get_filename(), part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == XLSX_TYPE
    ]


def workbook_action_ids(content: bytes) -> list[int]:
    """The action ids in an update workbook's Actions sheet (the hidden id column), read with
    openpyxl."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Actions"]
    for row in sheet.iter_rows(min_row=1, max_row=30):
        headings = {str(c.value): c.column for c in row if c.value}
        if "Action id (do not change)" in headings:
            column, first = headings["Action id (do not change)"], row[0].row + 1
            return [
                r[column - 1].value
                for r in sheet.iter_rows(min_row=first)
                if r[column - 1].value is not None
            ]
    raise AssertionError("the workbook has no heading row")


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_each_digest_can_carry_the_leads_update_workbook_of_their_agencys_actions(
    leads, inbox, monkeypatch, capsys, how
):
    monkeypatch.setenv("MONITORING_WORKBOOK_SECRET", WORKBOOK_SECRET)
    if how == "flag":
        assert run_remind("--as-of", ANCHOR.isoformat(), "--attach-workbook") == 0
    else:
        monkeypatch.setenv("MONITORING_REMIND_ATTACH_WORKBOOK", "true")
        assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    expected = expected_recipients(leads, ANCHOR)
    received = by_recipient(inbox)
    assert set(received) == set(expected) and len(expected) >= 3
    shorts = dict(rows(leads, "select id, short_name from agency"))
    for address, (item,) in received.items():
        agency = expected[address]
        (attached,) = attached_workbooks(item.message)
        name, content = attached
        assert name == f"update-workbook-{shorts[agency].lower()}-{ANCHOR.isoformat()}.xlsx"
        ids = workbook_action_ids(content)
        open_ids = {
            r[0]
            for r in rows(
                leads, f"select id from action where {OPEN} and lead_agency_id = :a", a=agency
            )
        }
        awaiting = {
            r[0]
            for r in rows(
                leads,
                "select id from action where status = 'completed' and lead_agency_id = :a",
                a=agency,
            )
        }
        assert open_ids, address
        assert len(ids) == len(set(ids))
        assert set(ids) == open_ids | awaiting, address  # that agency's and no other's
        body = item.message.get_body(("plain",)).get_content()
        assert f"update workbook ({name})" in body
        assert parse_digest(body) == expected_listing(leads, ANCHOR)[agency]  # digest unchanged
        book = openpyxl.load_workbook(io.BytesIO(content))
        sent = update_workbook.verify(book, WORKBOOK_SECRET.encode())  # a workbook to send back
        assert sent.agency_id == agency
    assert "update workbook attached" in capsys.readouterr().out
    logged = {r[0] for r in rows(leads, "select recipient from reminder_log")}
    assert set(expected) <= logged


def test_digests_carry_no_workbook_unless_asked(leads, inbox, monkeypatch):
    monkeypatch.setenv("MONITORING_WORKBOOK_SECRET", WORKBOOK_SECRET)
    monkeypatch.delenv("MONITORING_REMIND_ATTACH_WORKBOOK", raising=False)
    assert run_remind("--as-of", ANCHOR.isoformat()) == 0
    assert inbox.received
    for item in inbox.received:
        assert attached_workbooks(item.message) == []
        assert not item.message.is_multipart()


def test_attaching_workbooks_without_a_signing_key_is_a_usage_error_sending_nothing(
    leads, inbox, monkeypatch, capsys, tmp_path
):
    monkeypatch.delenv("MONITORING_WORKBOOK_SECRET", raising=False)
    monkeypatch.setattr(update_workbook.config, "PROJECT_ROOT", tmp_path)  # no secrets.toml
    assert run_remind("--as-of", ANCHOR.isoformat(), "--attach-workbook") == 2
    assert "MONITORING_WORKBOOK_SECRET" in capsys.readouterr().err
    assert inbox.received == []
    counts = db.table_counts(leads)
    assert counts["reminder_log"] == 0 and counts["escalation"] == 0
    monkeypatch.setenv("MONITORING_REMIND_ATTACH_WORKBOOK", "perhaps")
    assert run_remind("--as-of", ANCHOR.isoformat()) == 2
    assert "MONITORING_REMIND_ATTACH_WORKBOOK must be true or false" in capsys.readouterr().err


def test_the_workbook_is_made_as_the_lead_so_only_their_own_agencys(leads, monkeypatch):
    monkeypatch.setenv("MONITORING_WORKBOOK_SECRET", WORKBOOK_SECRET)
    with leads.connect() as conn:
        digests = {d.recipient: d for d in reminders.build_digests(conn, ANCHOR)}
    police = digests["police.lead@northbridge.example"]
    made = reminders.attachment(leads, police, ANCHOR)
    assert set(workbook_action_ids(made.content)) == {
        r[0]
        for r in rows(
            leads,
            "select id from action where lead_agency_id = :a"
            " and status in ('not_started', 'in_progress', 'completed')",
            a=police.agency_id,
        )
    }
    elsewhere = dataclasses.replace(police, recipient="csc.lead@northbridge.example")
    with pytest.raises(services.PermissionDenied):
        reminders.attachment(leads, elsewhere, ANCHOR)

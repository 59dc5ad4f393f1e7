"""An evidence entry names who attached it by display name, for every reader who may see it (a
fresh user's finding: "ev_….txt (, 1 Dec 2026; …)" for a lead, whose reads blank e-mail
addresses); a person with no account reads "a user", never an empty "(,"."""

from __future__ import annotations

from monitoring import services, worklists
from monitoring.source import Scope, source
from monitoring.ui.updates import evidence_line
from tests.conftest import ANCHOR, make_app, records, scalar

LEAD = "police.lead@northbridge.example"
ADMIN = "admin@northbridge.example"


def _actor(engine, email: str) -> services.Actor:
    return services.Actor.from_user(
        records(engine, "select * from app_user where email = :e", e=email)[0]
    )


def _police_action(engine) -> dict:
    return records(
        engine,
        "select a.id, a.version, a.lead_agency_id from action a join agency g on "
        "g.id = a.lead_agency_id where g.short_name = 'POL' and a.status = 'in_progress' "
        "order by a.id",
    )[0]


def _attach(engine) -> dict:
    action = _police_action(engine)
    services.attach_evidence(
        engine,
        _actor(engine, LEAD),
        action["id"],
        version=action["version"],
        title="ev_training-register.txt",
        file_name="ev_training-register.txt",
        content=b"Training register, 30 June 2026\n",
    )
    return action


def _evidence_lines(at) -> list[str]:
    return [m.value for m in at.markdown if "ev\\_training" in m.value or "ev_training" in m.value]


def test_a_lead_reads_the_uploaders_name(demo_engine, app_env):
    action = _attach(demo_engine)
    lead = _actor(demo_engine, LEAD)
    scope = Scope(role="agency_lead", agency_id=action["lead_agency_id"])
    with demo_engine.connect() as conn:
        frame = worklists.action_evidence(conn, (action["id"],), source(ANCHOR, scope))
    [row] = worklists.records(frame)
    assert row["uploaded_by"] == ""  # a lead may not read e-mail addresses
    assert row["uploaded_by_name"] == lead.display_name == "Pat Police-Lead"
    at = make_app(LEAD, page="app_pages/history.py", query_params={"action": str(action["id"])})
    assert not at.exception, [e.value for e in at.exception]
    [line] = _evidence_lines(at)
    assert "(Pat Police-Lead, " in line and "(," not in line and "@" not in line


def test_an_administrator_reads_the_name_too(demo_engine, app_env):
    action = _attach(demo_engine)
    at = make_app(ADMIN, page="app_pages/history.py", query_params={"action": str(action["id"])})
    assert not at.exception, [e.value for e in at.exception]
    [line] = _evidence_lines(at)
    assert "(Pat Police-Lead, " in line and "(," not in line


def test_an_uploader_with_no_account_reads_a_user(demo_engine):
    action = _attach(demo_engine)
    with demo_engine.begin() as conn:
        conn.exec_driver_sql("update evidence set uploaded_by = 'gone@northbridge.example'")
    with demo_engine.connect() as conn:
        [row] = worklists.records(worklists.action_evidence(conn, (action["id"],)))
    assert row["uploaded_by_name"] == "a user"
    assert evidence_line(row).startswith("a user, ")
    assert scalar(demo_engine, "select count(*) from evidence") == 1


def test_evidence_line_never_starts_empty():
    assert evidence_line({"uploaded_by_name": "", "uploaded_at": "2026-12-01T10:00:00+00:00",
                          "sha256": "0a1b2c3d4e5f6789"}) == (
        "not recorded, 1 Dec 2026; SHA-256 0a1b2c3d4e5f…"
    )  # fmt: skip
    assert evidence_line({"uploaded_by_name": "Asha Assurer", "uploaded_at": None,
                          "url": "https://example.org/x", "verified_at": "2026-12-01",
                          "verified_by_name": ""}) == "Asha Assurer · verified by a user"  # fmt: skip

"""The demo's lead officers are plausible for their agency (a fresh user saw every Police
action led by a "Designated Nurse"), and choosing them changes nothing else in the demo."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from monitoring import db, demo, migrations
from tests.conftest import ANCHOR

HEALTH_ONLY = ("Nurse", "Midwife", "Doctor")


def officers_by_agency(engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select g.short_name, a.lead_officer from action a"
                " join agency g on g.id = a.lead_agency_id"
            )
        ).all()
    out: dict[str, set[str]] = {}
    for short, officer in rows:
        out.setdefault(short, set()).add(officer)
    return out


def test_each_agencys_actions_are_led_by_one_of_its_own_officers(demo_engine):
    found = officers_by_agency(demo_engine)
    assert set(found) == {short for short, *_ in demo.AGENCIES}
    for short, officers in found.items():
        assert officers <= set(demo.OFFICERS[short]), short
    assert found["POL"] == {
        "Detective Chief Inspector, Public Protection",
        "Detective Inspector, Exploitation Team",
    }
    health = {"ICB", "ACUTE", "MH"}
    for short, officers in found.items():
        if short not in health:
            assert not any(word in o for o in officers for word in HEALTH_ONLY), short
    titles = [t for pair in demo.OFFICERS.values() for t in pair]
    assert len(set(titles)) == len(titles)  # no title is shared by two agencies


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, ordered, but for what differs at each load (password hashes'
    salts, the roll-ups' computing time) and the officers."""
    engine = create_engine(url)
    skip = {"password_hash", "counted_at", "lead_officer"}
    out = {}
    with engine.connect() as conn:
        names = conn.execute(
            text("select name from sqlite_master where type = 'table' and name not like 'sqlite%'")
        ).scalars()
        for name in list(names):
            columns = [
                c[1] for c in conn.execute(text(f'pragma table_info("{name}")')) if c[1] not in skip
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[name] = conn.execute(text(f'select {listed} from "{name}" order by 1')).all()
    engine.dispose()
    return out


def load(url: str) -> None:
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    engine.dispose()


def test_the_officers_change_no_other_demo_figure(tmp_path, monkeypatch):
    load(f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setattr(demo, "OFFICERS", {s: ("Officer A", "Officer B") for s in demo.OFFICERS})
    load(f"sqlite:///{tmp_path / 'other.db'}")
    ours, other = (
        snapshot(f"sqlite:///{tmp_path / 'demo.db'}"),
        snapshot(f"sqlite:///{tmp_path / 'other.db'}"),
    )
    assert len(ours["action"]) == 91 and ours == other
    with create_engine(f"sqlite:///{tmp_path / 'other.db'}").connect() as conn:
        assert set(conn.execute(text("select lead_officer from action")).scalars()) == {
            "Officer A",
            "Officer B",
        }

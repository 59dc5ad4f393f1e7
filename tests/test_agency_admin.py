"""Agencies tidied by an administrator (issue 17): duplicates suggested on the real PFD data,
merged into one scorecard row and undone exactly, renames and aliases audited and used by the next
import, refused for other roles; the "Manage agencies" page."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from monitoring import agencies, db, importer, queries, services
from tests.conftest import REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
MET = (
    "Metropolitan Police Service",
    "Metropolitan Police Service (MPS)",
    "London Metropolitan Police",
)
ADMIN = services.Actor(email="admin@example.org", role="admin")
TODAY = date(2026, 3, 1)
ADDITIVE = ["actions", "open", "overdue", "overdue_90", "completed", "date_changes"]


@pytest.fixture
def pfd_engine(engine):
    importer.import_path(PFD, engine, preset="pfd")
    return engine


def _ids(engine, names) -> list[int]:
    with engine.connect() as conn:
        found = dict(
            conn.execute(
                select(db.agency.c.name, db.agency.c.id).where(db.agency.c.name.in_(names))
            ).all()
        )
    return [found[n] for n in names]


def _scorecard(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return queries.agency_scorecard(conn, TODAY)


def _audit(engine, entity: str | None = None) -> list:
    query = select(db.audit_log).order_by(db.audit_log.c.id)
    if entity:
        query = query.where(db.audit_log.c.entity == entity)
    with engine.connect() as conn:
        return conn.execute(query).mappings().all()


def test_suggestions_on_the_real_pfd_file_group_the_three_met_spellings(pfd_engine):
    counts = db.table_counts(pfd_engine)
    with pfd_engine.connect() as conn:
        groups = agencies.suggest_duplicates(conn)
        active = conn.execute(
            select(func.count()).select_from(db.agency).where(db.agency.c.active.is_(True))
        ).scalar()
    met = [g for g in groups if set(MET) & set(g.names)]
    assert len(met) == 1 and set(met[0].names) == set(MET)
    # The most actions first: the spelling to keep is suggested first.
    assert met[0].names[0] == "Metropolitan Police Service" and met[0].actions == (5, 1, 1)
    # Not a flood: a few dozen groups among some six hundred agencies (27 at the time of writing).
    assert active > 600 and 10 <= len(groups) <= 40
    assert all(len(set(g.agency_ids)) == len(g.agency_ids) >= 2 for g in groups)
    # Borough councils sharing "Metropolitan Borough Council" and trusts differing by a compass
    # word are not suggested.
    paired = {frozenset(g.names) for g in groups}
    flat = {n for g in groups for n in g.names}
    assert "Wigan Metropolitan Borough Council" not in flat
    assert not any(
        {"East London NHS Foundation Trust", "North East London NHS Foundation Trust"} <= p
        for p in paired
    )
    # Suggesting writes nothing.
    assert db.table_counts(pfd_engine) == counts


def test_name_words_drop_abbreviations_roles_and_joining_words():
    assert agencies.name_words("Metropolitan Police Service (MPS)") == ["metropolitan", "police"]
    assert agencies.name_words("Chief Executive Pennine Care NHS Foundation Trust") == [
        "pennine",
        "care",
        "nhs",
        "foundation",
        "trust",
    ]
    assert agencies.similarity_scores(["A", "B"]) == []


def test_merging_the_met_spellings_sums_the_scorecard_and_undo_restores_it(pfd_engine):
    before = _scorecard(pfd_engine)
    keep, *merged = _ids(pfd_engine, MET)
    rows = before[before["agency_id"].isin([keep, *merged])]
    assert len(rows) == 3 and rows["actions"].sum() == 7

    result = agencies.merge_agencies(pfd_engine, ADMIN, keep, merged)
    after = _scorecard(pfd_engine)
    assert result.actions == 2 and len(result.merge_ids) == 2
    assert len(after) == len(before) - 2
    assert not after["agency_id"].isin(merged).any()
    one = after[after["agency_id"] == keep]
    assert len(one) == 1
    for column in ADDITIVE:
        assert int(one[column].iloc[0]) == int(rows[column].sum()), column
    assert one["last_update_on"].iloc[0] == rows["last_update_on"].max()
    # Every other agency's row is untouched.
    others = before[~before["agency_id"].isin([keep, *merged])]
    pd.testing.assert_frame_equal(
        others.reset_index(drop=True),
        after[after["agency_id"] != keep].reset_index(drop=True),
    )

    # The merged spellings are no longer choices in the sidebar's agency filter.
    with pfd_engine.connect() as conn:
        choices = {i for i, _name in queries.filter_options(conn)["agencies"]}
    assert keep in choices and not choices & set(merged)

    agencies.undo_merge(pfd_engine, ADMIN, result.merge_ids[1])
    agencies.undo_merge(pfd_engine, ADMIN, result.merge_ids[0])
    pd.testing.assert_frame_equal(_scorecard(pfd_engine), before)
    with pfd_engine.connect() as conn:
        choices = {i for i, _name in queries.filter_options(conn)["agencies"]}
    assert {keep, *merged} <= choices
    with pfd_engine.connect() as conn:
        active = (
            conn.execute(select(db.agency.c.active).where(db.agency.c.id.in_(merged)))
            .scalars()
            .all()
        )
    assert active == [True, True]


def test_a_merge_moves_aliases_and_users_is_audited_and_undone_exactly(pfd_engine):
    keep, gone, _third = _ids(pfd_engine, MET)
    with pfd_engine.connect() as conn:
        aliases_before = sorted(tuple(r) for r in conn.execute(select(db.agency_alias)))
    lead = services.create_user(
        pfd_engine, ADMIN, "mps.lead@example.org", "MPS Lead", "agency_lead", agency_id=gone
    )
    audit_before = len(_audit(pfd_engine))

    result = agencies.merge_agencies(pfd_engine, ADMIN, keep, [gone])
    assert (result.actions, result.aliases, result.users) == (1, 1, 1)
    with pfd_engine.connect() as conn:
        user_agency = conn.execute(
            select(db.app_user.c.agency_id).where(db.app_user.c.id == lead["id"])
        ).scalar()
        gone_aliases = conn.execute(
            select(func.count())
            .select_from(db.agency_alias)
            .where(db.agency_alias.c.agency_id == gone)
        ).scalar()
        merge = conn.execute(select(db.agency_merge)).mappings().one()
    assert user_agency == keep and gone_aliases == 0
    moved = json.loads(merge["moved"])
    assert len(moved["actions"]) == 1 and moved["users"] == [lead["id"]]
    new_audit = _audit(pfd_engine)[audit_before:]
    fields = {(r["entity"], r["entity_id"], r["field"]) for r in new_audit}
    assert ("agency", keep, "merged") in fields
    assert ("agency", gone, "merged_into") in fields and ("agency", gone, "active") in fields
    assert ("action", moved["actions"][0], "lead_agency_id") in fields
    assert ("app_user", lead["id"], "agency_id") in fields
    assert {r["actor"] for r in new_audit} == {ADMIN.email}

    agencies.undo_merge(pfd_engine, ADMIN, result.merge_ids[0])
    with pfd_engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(db.agency_alias))) == aliases_before
        assert (
            conn.execute(
                select(db.app_user.c.agency_id).where(db.app_user.c.id == lead["id"])
            ).scalar()
            == gone
        )
        undone = conn.execute(select(db.agency_merge.c.undone_by)).scalar()
    assert undone == ADMIN.email
    assert any(r["field"] == "merge_undone" for r in _audit(pfd_engine, "agency"))
    with pytest.raises(services.ValidationError, match="already undone"):
        agencies.undo_merge(pfd_engine, ADMIN, result.merge_ids[0])


def test_merges_are_undone_newest_first(pfd_engine):
    keep, middle, third = _ids(pfd_engine, MET)
    first = agencies.merge_agencies(pfd_engine, ADMIN, middle, [third])
    second = agencies.merge_agencies(pfd_engine, ADMIN, keep, [middle])
    with pytest.raises(services.ValidationError, match="later merge"):
        agencies.undo_merge(pfd_engine, ADMIN, first.merge_ids[0])
    with pytest.raises(services.ValidationError, match="inactive"):
        agencies.merge_agencies(pfd_engine, ADMIN, third, [keep])
    agencies.undo_merge(pfd_engine, ADMIN, second.merge_ids[0])
    agencies.undo_merge(pfd_engine, ADMIN, first.merge_ids[0])
    card = _scorecard(pfd_engine)
    assert sorted(card[card["agency_id"].isin([keep, middle, third])]["actions"]) == [1, 1, 5]


@pytest.mark.parametrize("role", ["agency_lead", "board", "assurer", "viewer"])
def test_only_an_administrator_may_merge_rename_or_add_aliases(pfd_engine, role):
    keep, gone, _third = _ids(pfd_engine, MET)
    other = services.Actor(email=f"{role}@example.org", role=role, agency_id=keep)
    counts = db.table_counts(pfd_engine)
    audit = len(_audit(pfd_engine))
    calls = [
        lambda: agencies.merge_agencies(pfd_engine, other, keep, [gone]),
        lambda: agencies.rename_agency(pfd_engine, other, keep, "The Met"),
        lambda: agencies.add_alias(pfd_engine, other, keep, "The Met"),
        lambda: agencies.create_agency(pfd_engine, other, "New Agency"),
        lambda: agencies.update_agency_details(
            pfd_engine, other, keep, short_name="MPS", sector=None, board_member_email=None
        ),
    ]
    for call in calls:
        with pytest.raises(services.PermissionDenied):
            call()
    assert db.table_counts(pfd_engine) == counts
    assert len(_audit(pfd_engine)) == audit


def test_after_a_merge_a_reimport_matches_the_merged_spellings(pfd_engine):
    keep, *merged = _ids(pfd_engine, MET)
    agencies.merge_agencies(pfd_engine, ADMIN, keep, merged)
    counts = db.table_counts(pfd_engine)
    summary = importer.import_path(PFD, pfd_engine, preset="pfd")
    assert summary.created == {} and summary.updated == 0
    assert db.table_counts(pfd_engine) == counts
    card = _scorecard(pfd_engine)
    assert int(card[card["agency_id"] == keep]["actions"].iloc[0]) == 7


def test_rename_keeps_the_old_name_as_an_alias_and_is_audited(engine):
    agency_id = agencies.create_agency(engine, ADMIN, "Stockton Council")
    changed = agencies.rename_agency(engine, ADMIN, agency_id, "Stockton-on-Tees Borough Council")
    assert changed == {"old": "Stockton Council", "new": "Stockton-on-Tees Borough Council"}
    with engine.connect() as conn:
        aliases = set(
            conn.execute(
                select(db.agency_alias.c.alias).where(db.agency_alias.c.agency_id == agency_id)
            ).scalars()
        )
    assert aliases == {"stockton council", "stockton-on-tees borough council"}
    names = [
        (r["old_value"], r["new_value"])
        for r in _audit(engine, "agency")
        if r["field"] == "name" and r["entity_id"] == agency_id
    ]
    assert names == [
        (None, "Stockton Council"),
        ("Stockton Council", "Stockton-on-Tees Borough Council"),
    ]
    other = agencies.create_agency(engine, ADMIN, "Cleveland Police")
    with pytest.raises(services.ValidationError, match="already"):
        agencies.rename_agency(engine, ADMIN, other, "stockton council")
    with pytest.raises(services.ValidationError, match="already an alias"):
        agencies.add_alias(engine, ADMIN, other, "Stockton Council")
    with pytest.raises(services.ValidationError, match="e-mail"):
        agencies.update_agency_details(
            engine, ADMIN, other, short_name="CP", sector="Police", board_member_email="nobody"
        )
    changes = agencies.update_agency_details(
        engine,
        ADMIN,
        other,
        short_name="CP",
        sector="Police",
        board_member_email="Chief@Example.org",
    )
    assert changes == {
        "short_name": (None, "CP"),
        "sector": (None, "Police"),
        "board_member_email": (None, "chief@example.org"),
    }
    audited = {r["field"] for r in _audit(engine, "agency") if r["entity_id"] == other}
    assert {"short_name", "sector", "board_member_email"} <= audited


def test_a_role_written_as_owner_is_matched_by_an_alias_on_the_next_import(engine):
    """The Stockton tracker's "Responsibility" is "Chair / DCS" (a person's role): once an alias
    maps it to an agency, the next import gives those actions to that agency."""
    first = importer.import_path(STOCKTON, engine)
    assert first.unmatched_agencies == ["Chair / DCS"]
    with engine.connect() as conn:
        unled = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.lead_agency_id.is_(None))
        ).scalar()
    assert unled == first.created["action"] > 0

    council = agencies.create_agency(engine, ADMIN, "Stockton-on-Tees Borough Council")
    assert agencies.add_alias(engine, ADMIN, council, "Chair / DCS") == "chair / dcs"
    assert any(
        r["field"] == "alias" and r["new_value"] == "chair / dcs"
        for r in _audit(engine, "agency_alias")
    )
    again = importer.import_path(STOCKTON, engine)
    assert again.unmatched_agencies == [] and again.updated == unled
    with engine.connect() as conn:
        led = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.lead_agency_id == council)
        ).scalar()
    assert led == unled


def test_manage_agencies_page_renders_for_an_administrator(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page="app_pages/agency_admin.py")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Manage agencies"]
    assert at.dataframe  # the agencies register (and the suggestions when there are any)
    with demo_engine.connect() as conn:
        names = set(conn.execute(select(db.agency.c.name)).scalars())
    register = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert set(register["name"]) == names


def test_manage_agencies_page_merges_and_undoes(demo_engine, app_env):
    with demo_engine.connect() as conn:
        agency_rows = conn.execute(
            select(db.agency.c.id, db.agency.c.name).order_by(db.agency.c.id)
        ).all()
    before = _scorecard(demo_engine)
    keep, gone = agency_rows[0].id, agency_rows[1].id
    at = make_app("admin@northbridge.example", page="app_pages/agency_admin.py")
    at.selectbox(key="manual_keep").set_value(keep).run()
    at.multiselect(key="manual_merge").set_value([gone]).run()
    at.button(key="manual_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Merged 1" in s.value for s in at.success)
    with demo_engine.connect() as conn:
        active = conn.execute(select(db.agency.c.active).where(db.agency.c.id == gone)).scalar()
    assert active is False or active == 0
    at.button(key="undo_go").click().run()
    assert not at.exception
    pd.testing.assert_frame_equal(_scorecard(demo_engine), before)


@pytest.mark.parametrize(
    "email",
    [
        "board@northbridge.example",
        "police.lead@northbridge.example",
        "assurer@northbridge.example",
        "viewer@northbridge.example",
    ],
)
def test_manage_agencies_page_is_not_reachable_for_other_roles(email, demo_engine, app_env):
    from streamlit.testing.v1 import AppTest

    from monitoring.ui.navigation import spec_for
    from tests.conftest import ROOT

    with demo_engine.connect() as conn:
        role = conn.execute(select(db.app_user.c.role).where(db.app_user.c.email == email)).scalar()
    assert role not in spec_for("agency_admin.py").roles
    at = AppTest.from_file(str(ROOT / "app_pages" / "agency_admin.py"), default_timeout=60)
    at.user = {"email": email, "is_logged_in": True}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Not available"]
    assert not at.dataframe and not at.button


def test_a_job_title_as_owner_is_matched_by_its_alias(engine, tmp_path):
    tracker = tmp_path / "owners.csv"
    tracker.write_text(
        "Ref,Action,Lead,Due Date\n1,Audit strategy meetings,Director of Children's Services,"
        "31/03/2026\n",
        encoding="utf-8",
    )
    council = agencies.create_agency(engine, ADMIN, "Northbridge Council Children's Social Care")
    agencies.add_alias(engine, ADMIN, council, "Director of Children's Services")
    summary = importer.import_path(tracker, engine, review="OWNERS")
    assert summary.unmatched_agencies == [] and summary.created["action"] == 1
    with engine.connect() as conn:
        lead = conn.execute(select(db.action.c.lead_agency_id)).scalar()
    assert lead == council


def test_the_page_form_saves_name_and_details_together_or_not_at_all(engine):
    agency_id = agencies.create_agency(engine, ADMIN, "Cleveland Police")
    with pytest.raises(services.ValidationError, match="e-mail"):
        agencies.save_agency(
            engine,
            ADMIN,
            agency_id,
            name="Cleveland Police Force",
            short_name="CP",
            sector="Police",
            board_member_email="not an address",
        )
    with engine.connect() as conn:
        row = conn.execute(select(db.agency).where(db.agency.c.id == agency_id)).mappings().one()
    assert (row["name"], row["short_name"]) == ("Cleveland Police", None)
    changes = agencies.save_agency(
        engine,
        ADMIN,
        agency_id,
        name="Cleveland Police Force",
        short_name="CP",
        sector="Police",
        board_member_email="",
    )
    assert changes == {
        "name": ("Cleveland Police", "Cleveland Police Force"),
        "short_name": (None, "CP"),
        "sector": (None, "Police"),
    }


def test_a_merge_moves_the_merged_agencys_impact_measures_and_undo_moves_them_back(pfd_engine):
    from monitoring import measures

    keep, gone = _ids(pfd_engine, MET[:2])
    with pfd_engine.connect() as conn:
        rec_id = conn.execute(select(func.min(db.recommendation.c.id))).scalar()
    measure_id = measures.add_measure(
        pfd_engine,
        ADMIN,
        recommendation_id=rec_id,
        name="Referrals with a strategy discussion within two working days",
        unit="percent",
        better="up",
        agency_id=gone,
    )

    def owner() -> int:
        with pfd_engine.connect() as conn:
            return conn.execute(
                select(db.measure.c.agency_id).where(db.measure.c.id == measure_id)
            ).scalar()

    result = agencies.merge_agencies(pfd_engine, ADMIN, keep, [gone])
    assert owner() == keep
    agencies.undo_merge(pfd_engine, ADMIN, result.merge_ids[0])
    assert owner() == gone

"""Review details on import (issue 17): the title, type and publication date are given
(``--title``, ``--type``, ``--published-on``) or asked for on the import page, never taken from a
file name, and the reference used (and where it came from) is always reported."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from monitoring import db
from monitoring.importer import build_plan, read_path, set_review_details
from tests.conftest import REALDATA, make_app
from tests.test_import_cli import fingerprint, run_import

STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"


@pytest.fixture
def url(engine, database_url):
    engine.dispose()
    return database_url


def _reviews(url: str) -> list[dict]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    db.review.c.ref,
                    db.review.c.title,
                    db.review.c.review_type,
                    db.review.c.published_on,
                )
            )
            .mappings()
            .all()
        )
    engine.dispose()
    return [dict(r) for r in rows]


def test_title_type_and_publication_date_given_on_the_command_line(url, monkeypatch, capsys):
    code, out, err = run_import(
        monkeypatch,
        capsys,
        url,
        str(STOCKTON),
        "--review",
        "STOCKTON-LSCB-2017",
        "--title",
        "Stockton LSCB: progress on review recommendations",
        "--type",
        "SCR",
        "--published-on",
        "2017-12-14",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["reviews"] == [
        {
            "ref": "STOCKTON-LSCB-2017",
            "ref_from": "--review",
            "title": "Stockton LSCB: progress on review recommendations",
            "title_from": "--title",
            "review_type": "SCR",
            "published_on": "2017-12-14",
        }
    ]
    assert _reviews(url) == [
        {
            "ref": "STOCKTON-LSCB-2017",
            "title": "Stockton LSCB: progress on review recommendations",
            "review_type": "SCR",
            "published_on": "2017-12-14",
        }
    ]


def test_a_reference_made_from_the_file_name_is_reported_not_silent(url, monkeypatch, capsys):
    code, out, err = run_import(monkeypatch, capsys, url, str(STOCKTON), "--dry-run")
    assert code == 0, err
    assert (
        f"review '{STOCKTON.stem}': reference from the file name (set it with --review REF)" in out
    )
    assert "published not given" in out
    code, out, _err = run_import(monkeypatch, capsys, url, str(STOCKTON), "--json")
    (review,) = json.loads(out)["reviews"]
    assert review["ref"] == STOCKTON.stem and review["ref_from"].startswith("the file name")
    assert review["title_from"] == "the reference (give --title)"
    # No publication date unless given: an import never dates (or publishes) a review by itself.
    assert _reviews(url)[0]["published_on"] is None


@pytest.mark.parametrize(
    "args",
    [
        ["--preset", "pfd", "--title", "All reports", str(PFD)],
        ["--preset", "pfd", "--published-on", "2026-01-31", str(PFD)],
        ["--type", "SCRR", str(STOCKTON)],
        ["--published-on", "14/12/2017", str(STOCKTON)],
    ],
)
def test_bad_review_details_are_usage_errors_and_write_nothing(args, url, monkeypatch, capsys):
    before = fingerprint(url)
    code, _out, _err = run_import(monkeypatch, capsys, url, *args)
    assert code == 2
    assert fingerprint(url) == before


def test_set_review_details_checks_type_and_date():
    plan = build_plan(read_path(STOCKTON))
    with pytest.raises(ValueError, match="review type"):
        set_review_details(plan, review_type="Serious")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        set_review_details(plan, published_on="Dec 2017")
    set_review_details(plan, title="  A   review ", review_type="LCSPR", published_on="2017-12-14")
    (review,) = plan.reviews.values()
    assert (review.title, review.review_type, review.published_on) == (
        "A review",
        "LCSPR",
        "2017-12-14",
    )


def test_import_page_asks_for_the_review_details(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page="app_pages/import_tracker.py")
    at.file_uploader[0].set_value((STOCKTON.name, STOCKTON.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    ref = next(t for t in at.text_input if t.label == "Review reference")
    assert ref.value == STOCKTON.stem  # suggested, and shown so that it can be changed
    # A new review needs a title before it can be imported.
    importer = next(b for b in at.button if b.label == "Import")
    assert importer.disabled
    assert any("title" in w.value for w in at.warning)
    ref.input("STOCKTON-2017").run()
    next(t for t in at.text_input if t.label.startswith("Review title")).input(
        "Stockton progress report"
    ).run()
    next(s for s in at.selectbox if s.label == "Review type").set_value("SCR").run()
    from datetime import date

    next(d for d in at.date_input if d.label.startswith("Publication date")).set_value(
        date(2017, 12, 14)
    ).run()
    importer = next(b for b in at.button if b.label == "Import")
    assert not importer.disabled
    importer.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("into review STOCKTON-2017" in s.value for s in at.success)
    with demo_engine.connect() as conn:
        row = conn.execute(
            select(db.review.c.title, db.review.c.review_type, db.review.c.published_on).where(
                db.review.c.ref == "STOCKTON-2017"
            )
        ).one()
        by_file_name = conn.execute(
            select(db.review.c.id).where(db.review.c.ref == STOCKTON.stem)
        ).first()
    assert tuple(row) == ("Stockton progress report", "SCR", "2017-12-14")
    assert by_file_name is None


@pytest.mark.parametrize(
    "typed, stored", [("sar", "SAR"), ("Rapid review", "rapid_review"), ("INQUIRY", "inquiry")]
)
def test_review_type_in_any_case(typed, stored, url, monkeypatch, capsys):
    code, out, err = run_import(monkeypatch, capsys, url, str(STOCKTON), "--type", typed, "--json")
    assert code == 0, err
    assert json.loads(out)["reviews"][0]["review_type"] == stored
    assert [r["review_type"] for r in _reviews(url)] == [stored]


def test_review_types_are_listed_in_help_and_readme(capsys):
    from monitoring import cli
    from monitoring.db import REVIEW_TYPES
    from tests.conftest import ROOT

    assert cli.main(["import", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = ", ".join(REVIEW_TYPES)
    assert f"one of {listed} in any case" in shown
    assert f"`--type` is one of {listed}, in any case" in readme

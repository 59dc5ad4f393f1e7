"""The public register: published reviews and recommendations only, nothing personal, searchable."""

from __future__ import annotations

import re
import sqlite3

import sqlite_utils
from sqlalchemy import text

from monitoring import cli
from monitoring.exports.public import search
from tests.conftest import ANCHOR

FORBIDDEN_COLUMNS = re.compile(r"note|officer|email|author|user|password|evidence|decided_by")


def rows(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).all()


def publish(engine, tmp_path, monkeypatch):
    """Unpublish one review, run ``publish`` through the command line; (path, hidden ref)."""
    hidden = rows(engine, "select id, ref from review order by ref")[-1]
    with engine.begin() as conn:
        conn.execute(
            text("update review set status = 'unpublished' where id = :i"), {"i": hidden[0]}
        )
    monkeypatch.setenv("MONITORING_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    out = tmp_path / "public.db"
    assert cli.main(["publish", "--out", str(out)]) == 0
    return out, hidden


def test_register_holds_published_reviews_only(demo_engine, tmp_path, monkeypatch):
    out, (hidden_id, hidden_ref) = publish(demo_engine, tmp_path, monkeypatch)
    public = sqlite_utils.Database(out)
    published = rows(demo_engine, "select ref, title from review where status <> 'unpublished'")
    assert sorted((r["ref"], r["title"]) for r in public["reviews"].rows) == sorted(
        tuple(r) for r in published
    )
    expected_recs = rows(
        demo_engine,
        "select rec.id, rec.number, rec.assurance_status from recommendation rec"
        " join review r on r.id = rec.review_id where r.status <> 'unpublished'",
    )
    got = {r["id"]: r for r in public["recommendations"].rows}
    assert set(got) == {r[0] for r in expected_recs}
    hidden_recs = rows(
        demo_engine, "select id from recommendation where review_id = :i", i=hidden_id
    )
    assert hidden_recs and not set(got) & {r[0] for r in hidden_recs}
    assured = {r[0] for r in expected_recs if r[2] == "assured"}
    assert {i for i, r in got.items() if r["assurance"].startswith("Assured")} == assured
    open_counts = dict(
        rows(
            demo_engine,
            "select recommendation_id, count(*) from action"
            " where status in ('completed','assured','not_implemented','superseded')"
            " group by recommendation_id",
        )
    )
    for rec_id, rec in got.items():
        assert rec["actions_closed"] == open_counts.get(rec_id, 0)
    # the hidden review leaves no trace anywhere in the file
    raw = out.read_bytes()
    assert hidden_ref.encode() not in raw


def test_register_holds_nothing_personal(demo_engine, tmp_path, monkeypatch):
    out, _ = publish(demo_engine, tmp_path, monkeypatch)
    conn = sqlite3.connect(out)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    for table in tables:
        assert not FORBIDDEN_COLUMNS.search(table)
        for column in conn.execute(f'pragma table_info("{table}")'):
            assert not FORBIDDEN_COLUMNS.search(column[1]), (table, column[1])
    dump = "\n".join(conn.iterdump())
    conn.close()
    officers = {r[0] for r in rows(demo_engine, "select distinct lead_officer from action")}
    notes = {
        r[0]
        for r in rows(
            demo_engine,
            "select distinct progress_note from action_update where progress_note <> ''",
        )
    }
    emails = {r[0] for r in rows(demo_engine, "select email from app_user")}
    users = {r[0] for r in rows(demo_engine, "select display_name from app_user")}
    assert officers and notes and emails
    for secret in officers | notes | emails | users:
        assert secret not in dump, secret
    assert "@" not in dump


def test_search_finds_a_recommendation_by_a_word_in_its_text(demo_engine, tmp_path, monkeypatch):
    out, _ = publish(demo_engine, tmp_path, monkeypatch)
    recs = rows(
        demo_engine,
        "select rec.id, rec.text from recommendation rec join review r on r.id = rec.review_id"
        " where r.status <> 'unpublished' order by rec.id",
    )
    texts = {rec_id: body for rec_id, body in recs}
    # a word that occurs in exactly one recommendation's text (and not in any title)
    titles = " ".join(r[0] or "" for r in rows(demo_engine, "select title from recommendation"))
    counts: dict[str, set[int]] = {}
    for rec_id, body in texts.items():
        for word in set(re.findall(r"[A-Za-z]{6,}", body)):
            counts.setdefault(word.lower(), set()).add(rec_id)
    word, ids = next(
        (w, i) for w, i in sorted(counts.items()) if len(i) == 1 and w not in titles.lower()
    )
    found = search(out, word)
    assert [r["id"] for r in found] == list(ids)
    public = sqlite_utils.Database(out)
    assert public["recommendations"].detect_fts() == "recommendations_fts"
    assert public["reviews"].detect_fts() == "reviews_fts"

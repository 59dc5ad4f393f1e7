"""Full-text search over recommendation and action text: the migration's index, results equal to
SQL, stemming, filters, and the index following inserts, edits and deletes."""

from sqlalchemy import inspect, text

from monitoring import search
from monitoring.queries import Filters


def rows(engine, sql, **values):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), values).all()]


def found(engine, query, filters=None):
    with engine.connect() as conn:
        frame = search.search(conn, query, filters or Filters())
    return set(zip(frame["kind"], frame["item_id"], strict=True))


def like_all(engine, *words):
    rec_where = " and ".join(
        f"lower(coalesce(title, '') || ' ' || coalesce(text, '')) like :w{i}"
        for i in range(len(words))
    )
    act_where = " and ".join(
        f"lower(coalesce(description, '') || ' ' || coalesce(success_measure, '')) like :w{i}"
        for i in range(len(words))
    )
    values = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
    recs = rows(engine, f"select id from recommendation where {rec_where}", **values)
    acts = rows(engine, f"select id from action where {act_where}", **values)
    return {("recommendation", i) for (i,) in recs} | {("action", i) for (i,) in acts}


def test_migration_creates_the_index(engine):
    if engine.dialect.name == "sqlite":
        names = {
            name
            for (name,) in rows(engine, "select name from sqlite_master where name like '%search%'")
        }
        assert "search_text" in names
        assert {"recommendation_search_insert", "action_search_update"} <= names
    else:
        indexes = {i["name"] for i in inspect(engine).get_indexes("recommendation")}
        assert "ix_recommendation_search" in indexes


def test_results_equal_sql(demo_engine):
    # the stems, as Porter stemming matches "discussed", "discussion" and "discussions"
    expected = like_all(demo_engine, "strateg", "discuss")
    assert len(expected) >= 2
    assert found(demo_engine, "Strategy discussion") == expected
    assert found(demo_engine, "discussion, strategy!") == expected  # order and punctuation


def test_stemming_finds_other_word_forms(demo_engine):
    exploitation = like_all(demo_engine, "exploitation")
    exploited = like_all(demo_engine, "exploited")
    assert exploitation - exploited  # items that say "exploitation" but never "exploited"
    assert exploitation | exploited <= found(demo_engine, "exploited")


def test_filters_and_odd_input(demo_engine):
    review_id = rows(demo_engine, "select id from review where ref = 'NSCP-SCR-K'")[0][0]
    in_review = found(demo_engine, "training", Filters(review_ids=(review_id,)))
    everywhere = found(demo_engine, "training")
    kieran_actions = {
        i for (i,) in rows(demo_engine, "select id from action where review_id = :r", r=review_id)
    }
    kieran_recs = {
        i
        for (i,) in rows(
            demo_engine, "select id from recommendation where review_id = :r", r=review_id
        )
    }
    assert in_review < everywhere
    for kind, item in in_review:
        assert item in (kieran_actions if kind == "action" else kieran_recs)
    assert found(demo_engine, "") == set()
    assert found(demo_engine, '"; drop table action; --') == set()
    assert rows(demo_engine, "select count(*) from action")[0][0] > 0
    assert found(demo_engine, "NEAR(online grooming) OR *") <= found(demo_engine, "online")


def test_index_follows_inserts_edits_and_deletes(demo_engine):
    action_id = rows(demo_engine, "select id from action order by id limit 1")[0][0]
    with demo_engine.begin() as conn:
        conn.execute(
            text("update action set description = 'Commission a zeppelin survey' where id = :i"),
            {"i": action_id},
        )
        conn.execute(
            text(
                "insert into recommendation (review_id, number, title, text, scope,"
                " response_status, assurance_status, national_dependency, version)"
                " values (1, '99', 'Quokka welfare', 'Partners should audit quokka care.',"
                " 'local', 'awaiting', 'not_assessed', false, 1)"
            )
        )
    rec_id = rows(demo_engine, "select id from recommendation where number = '99'")[0][0]
    assert found(demo_engine, "zeppelin") == {("action", action_id)}
    assert found(demo_engine, "quokka") == {("recommendation", rec_id)}
    with demo_engine.begin() as conn:
        conn.execute(text("delete from recommendation where id = :i"), {"i": rec_id})
        conn.execute(
            text("update action set description = 'Plain text again' where id = :i"),
            {"i": action_id},
        )
    assert found(demo_engine, "quokka") == set()
    assert found(demo_engine, "zeppelin") == set()

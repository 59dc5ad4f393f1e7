"""The meeting pack page: meeting chooser, baseline, figures as the dashboard's, download buttons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from tests.conftest import ANCHOR, make_app

OPEN = "status in ('not_started','in_progress')"


def test_meeting_pack_page_prepares_every_file(demo_engine, app_env):
    with demo_engine.connect() as conn:
        meetings = conn.execute(
            text(
                "select m.held_on, m.title, b.title from meeting m"
                " left join meeting b on b.id = m.baseline_meeting_id order by m.held_on desc"
            )
        ).all()
        latest = meetings[0]

        def overdue_on(day):
            return conn.execute(
                text(f"select count(*) from action where {OPEN} and due_on < :t"), {"t": day}
            ).scalar()

        overdue_now, overdue_latest = overdue_on(ANCHOR.isoformat()), overdue_on(latest[0])
    at = make_app("board@northbridge.example", page="pages/meeting_pack.py")
    assert not at.exception
    assert at.title[0].value == "Meeting pack"
    chooser = at.selectbox[0]
    # first the next meeting (the records now), then each recorded meeting, newest first
    assert chooser.options[0].startswith("Next meeting: the records now")
    assert chooser.options[1:] == [
        f"{d.day} {d:%b %Y} — {t}" for d, t in ((date.fromisoformat(m[0]), m[1]) for m in meetings)
    ]
    assert latest[1] in at.caption[0].value  # the last meeting is the baseline
    assert not at.warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overdue actions"] == str(overdue_now)
    figures = at.dataframe[0].value.set_index("Figure")
    assert figures.loc["Overdue actions", "At this meeting"] == str(overdue_now)

    at.selectbox[0].select_index(1).run()  # a past meeting: figures at its date, and a warning
    assert latest[2] in at.caption[0].value  # its own baseline is named
    assert "changes saved since that meeting are included" in at.warning[0].value
    assert {m.label: m.value for m in at.metric}["Overdue actions"] == str(overdue_latest)
    at.selectbox[0].select_index(0).run()

    at.button[0].click().run(timeout=240)  # draws the charts in Chromium: slow on a busy machine
    assert not at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 4
    assert not at.error

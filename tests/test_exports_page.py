"""The meeting pack page: meeting chooser, baseline, figures as the dashboard's (the records now for
the next meeting, as they stood on its date for a past one), download buttons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from tests.conftest import ANCHOR, make_app
from tests.test_asat import STATE, params

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

        overdue_now = conn.execute(
            text(f"select count(*) from action where {OPEN} and due_on < :t"),
            {"t": ANCHOR.isoformat()},
        ).scalar()
        # the latest meeting's records as they stood on its date
        latest_on = date.fromisoformat(latest[0])
        overdue_latest = conn.execute(
            text(STATE + f"select count(*) from s where {OPEN} and due_on < :d"),
            params(latest_on),
        ).scalar()
    at = make_app("board@northbridge.example", page="app_pages/meeting_pack.py")
    assert not at.exception
    assert at.title[0].value == "Meeting pack"
    chooser = at.selectbox[0]
    # first the next meeting (the records now), then each recorded meeting, newest first
    assert chooser.options[0].startswith("Next meeting: the records now")
    assert chooser.options[1:] == [
        f"{d.day} {d:%b %Y} — {t}" for d, t in ((date.fromisoformat(m[0]), m[1]) for m in meetings)
    ]
    assert latest[1] in at.caption[0].value  # the last meeting is the baseline
    assert f"Figures as at {ANCHOR.day} {ANCHOR:%b %Y}" in at.caption[0].value
    assert not at.warning
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Overdue actions"] == str(overdue_now)
    figures = at.dataframe[0].value.set_index("Figure")
    assert figures.loc["Overdue actions", "At this meeting"] == str(overdue_now)

    at.selectbox[0].select_index(1).run()  # a past meeting: the records as they stood then
    assert latest[2] in at.caption[0].value  # its own baseline is named
    stood = f"Figures as the records stood on {latest_on.day} {latest_on:%b %Y}"
    assert stood in at.caption[0].value
    assert not at.warning
    assert {m.label: m.value for m in at.metric}["Overdue actions"] == str(overdue_latest)
    at.selectbox[0].select_index(0).run()

    prepare = next(b for b in at.button if b.label == "Prepare the meeting pack")
    prepare.click().run(timeout=240)  # draws the charts in Chromium: slow on a busy machine
    assert not at.exception
    downloads = at.get("download_button")
    assert len(downloads) == 4
    assert not at.error

"""With the real PFD data imported, the scorecard lists agencies by overdue responses, worst first,
and its figures equal SQL."""

from datetime import date

import pytest
from sqlalchemy import text

from monitoring import importer, queries
from tests.conftest import REALDATA

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
OPEN = "status in ('not_started','in_progress')"


@pytest.fixture
def pfd_engine(engine):
    importer.import_path(PFD, engine, preset="pfd")
    return engine


@pytest.mark.parametrize("today", [date(2026, 3, 1)])
def test_scorecard_on_pfd_data(pfd_engine, today):
    with pfd_engine.connect() as conn:
        card = queries.agency_scorecard(conn, today)
        by_sql = conn.execute(
            text(
                f"""select coalesce(g.name, '{queries.NO_AGENCY}'), count(*) from action a
                left join agency g on g.id = a.lead_agency_id where a.{OPEN} and a.due_on < :t
                group by g.name order by count(*) desc, g.name"""
            ),
            {"t": today.isoformat()},
        ).all()
        agencies = conn.execute(
            text(
                "select count(distinct lead_agency_id) from action where lead_agency_id is not null"
            )
        ).scalar()
    assert len(card[card["agency_id"].notna()]) == agencies > 50
    top_name, top_count = by_sql[0]
    assert top_count > 1
    assert card.iloc[0]["overdue"] == top_count
    assert card.iloc[0]["agency"] == top_name
    overdue = dict(by_sql)
    for row in card.head(20).itertuples():
        assert row.overdue == overdue.get(row.agency, 0)
    keys = [(-r.overdue, -r.overdue_90, r.agency) for r in card.itertuples()]
    assert keys == sorted(keys)

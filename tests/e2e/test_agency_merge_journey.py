"""An administrator merges a duplicate agency suggested on "Manage agencies", then undoes it
(issue 17); the screenshots illustrate docs/user-guide.md."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import delete, select

from monitoring import agencies, db, services
from tests.e2e import browser
from tests.e2e.browser import ADMIN, main

DUPLICATE = "Northbridge Police Service"


def _police_ids(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                select(db.agency.c.name, db.agency.c.id).where(
                    db.agency.c.name.in_(["Northbridge Police", DUPLICATE])
                )
            ).all()
        )
    return ids["Northbridge Police"], ids[DUPLICATE]


def test_admin_merges_a_suggested_duplicate_and_undoes_it(page, app_server, server_engine):
    admin = services.Actor(email=ADMIN, role="admin")
    duplicate = agencies.create_agency(server_engine, admin, DUPLICATE)
    try:
        police, _ = _police_ids(server_engine)
        browser.login(page, app_server.url, ADMIN)
        browser.go_to(page, "Manage agencies")
        expect(main(page).get_by_text("1 group(s) of names that look alike")).to_be_visible()
        expect(main(page).get_by_label("Agency to keep").first).to_be_visible()
        browser.screenshot(page, "admin-agency-duplicates")
        found = browser.blocking(browser.run_axe(page))
        assert not found, browser.describe(found)

        main(page).get_by_role("button", name="Merge", exact=True).first.click()
        browser.wait_for_app(page)
        expect(main(page).get_by_text("Merged 1 agency(ies)")).to_be_visible()
        with server_engine.connect() as conn:
            merged = conn.execute(select(db.agency_merge)).mappings().one()
            active = conn.execute(
                select(db.agency.c.active).where(db.agency.c.id == duplicate)
            ).scalar()
        assert (merged["kept_agency_id"], merged["merged_agency_id"]) == (police, duplicate)
        assert not active

        main(page).get_by_role("tab", name="Merges").click()
        browser.wait_for_app(page)
        expect(main(page).get_by_role("button", name="Undo merge")).to_be_visible()
        browser.screenshot(page, "admin-agency-merges")
        main(page).get_by_role("button", name="Undo merge").click()
        browser.wait_for_app(page)
        expect(main(page).get_by_text("Merge undone.")).to_be_visible()
        with server_engine.connect() as conn:
            undone = conn.execute(select(db.agency_merge.c.undone_by)).scalar()
            active = conn.execute(
                select(db.agency.c.active).where(db.agency.c.id == duplicate)
            ).scalar()
        assert undone == ADMIN and active
    finally:
        # Leave the shared demo database as the other journeys expect it.
        with db.write_transaction(server_engine) as conn:
            conn.execute(delete(db.agency_merge))
            conn.execute(delete(db.agency_alias).where(db.agency_alias.c.agency_id == duplicate))
            conn.execute(delete(db.agency).where(db.agency.c.id == duplicate))

"""Update workbooks (board office): pick an agency and download its update workbook; upload a
returned one, read the preview of every row, confirm, and read what was applied."""

from monitoring.ui import session, update_workbooks

session.guard(__file__)

update_workbooks.office_page(session.current_actor())

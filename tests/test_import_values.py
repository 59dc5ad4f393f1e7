"""Unit tests of the importer's value parsing, header mapping and agency normalisation."""

from datetime import date, datetime

import pytest

from monitoring.importer.agencies import is_redacted, match_agencies, normalise_alias
from monitoring.importer.headers import field_for, find_header
from monitoring.importer.values import (
    DEFAULT_STATUS_WORDS,
    NUMBERED_CATEGORY_KEY,
    NotADate,
    clean_ref,
    excel_serial_to_date,
    parse_date,
    parse_status,
)


@pytest.mark.parametrize(
    "text, expected, approximate",
    [
        ("2026-03-06", date(2026, 3, 6), False),  # ISO first: 6 March, never 3 June
        ("2026-03-06 00:00:00", date(2026, 3, 6), False),
        ("06/03/2026", date(2026, 3, 6), False),
        ("6/3/26", date(2026, 3, 6), False),
        ("10.05.2023", date(2023, 5, 10), False),
        ("1.5.23", date(2023, 5, 1), False),
        ("31-12-2025", date(2025, 12, 31), False),
        ("30 Sept", date(2024, 9, 30), True),  # no year: the default year, approximate
        ("30 September 2025", date(2025, 9, 30), False),
        ("1st Dec 2025", date(2025, 12, 1), False),
        ("June", date(2024, 6, 30), True),
        ("April 2017", date(2017, 4, 30), True),
        ("February 2024", date(2024, 2, 29), True),
        ("Sep-17", date(2017, 9, 30), True),
        ("45000", date(2023, 3, 15), False),  # Excel serial as text
    ],
)
def test_parse_date_forms(text, expected, approximate):
    parsed = parse_date(text, default_year=2024)
    assert parsed.value == expected
    assert parsed.approximate is approximate


def test_excel_serials_count_from_1899_12_30():
    assert excel_serial_to_date(1) == date(1900, 1, 1)  # as Excel shows it (its 1900 leap bug)
    assert excel_serial_to_date(60) == date(1900, 2, 28)  # Excel's 29 Feb 1900 does not exist
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    assert excel_serial_to_date(45000) == date(2023, 3, 15)
    assert parse_date(45000.75).value == date(2023, 3, 15)  # the fraction is the time
    assert parse_date(46022).value == date(2025, 12, 31)


def test_1904_date_system_serials_count_from_1904_01_01():
    mac = datetime(1904, 1, 1)
    assert excel_serial_to_date(0 + 1, mac) == date(1904, 1, 2)
    assert excel_serial_to_date(44_000, mac) == date(2024, 6, 19)  # 1904-01-01 + 44,000 days
    assert parse_date(44_000, epoch=mac).value == excel_serial_to_date(44_000 + 1462)


def test_date_objects_and_empty_cells():
    assert parse_date(datetime(2026, 3, 6, 14, 30)).value == date(2026, 3, 6)
    assert parse_date(date(2026, 3, 6)).value == date(2026, 3, 6)
    assert parse_date(None) is None
    assert parse_date("   ") is None


@pytest.mark.parametrize(
    "text",
    ["To be confirmed in Children and Social Work Act", "ongoing", "31/02/2026", "Q3", "TBC"],
)
def test_text_that_is_not_a_date_raises_a_clear_error(text):
    with pytest.raises(NotADate) as info:
        parse_date(text)
    assert repr(text) in str(info.value) or text in str(info.value)


@pytest.mark.parametrize(
    "word, expected",
    [
        ("Complete", "completed"),
        ("Closed", "completed"),
        ("Blue", "completed"),
        ("Complete - see minutes", "completed"),
        ("Green", "in_progress"),
        ("On track", "in_progress"),
        ("GREEN (on track)", "in_progress"),
        ("Amber", "in_progress"),
        ("Not started", "not_started"),
        ("Proposed for Closure", "completed"),
        ("O", "in_progress"),
        ("Flibbertigibbet", None),
        ("", None),
    ],
)
def test_status_vocabulary(word, expected):
    assert parse_status(word, DEFAULT_STATUS_WORDS) == expected


def test_green_is_never_completed():
    greens = [w for w, code in DEFAULT_STATUS_WORDS.items() if w in ("green", "g", "on track")]
    assert greens and all(DEFAULT_STATUS_WORDS[w] == "in_progress" for w in greens)


def test_numbered_categories_use_their_key():
    vocab = {**DEFAULT_STATUS_WORDS, **NUMBERED_CATEGORY_KEY}
    assert parse_status("1", vocab) == "completed"
    assert parse_status(2.0, vocab) == "in_progress"
    assert parse_status("4", vocab) == "not_started"
    assert parse_status("7", vocab) is None
    assert parse_status("1", DEFAULT_STATUS_WORDS) is None  # only with the key


@pytest.mark.parametrize("ref", ["85.6", "01.05", "1.", "90.13", "A-1"])
def test_refs_stay_exact_text(ref):
    assert clean_ref(ref) == ref
    assert clean_ref(f"  {ref} ") == ref


def test_numeric_refs_from_excel_lose_only_the_float_suffix():
    assert clean_ref(3.0) == "3"
    assert clean_ref(85.6) == "85.6"
    assert clean_ref(7) == "7"


@pytest.mark.parametrize(
    "header, field",
    [
        ("Ref", "number"),
        ("No.", "number"),
        ("NO", "number"),
        ("Lead", "lead_agency"),
        ("Responsibility", "lead_agency"),
        ("Who?", "lead_agency"),
        ("Due Date", "due_on"),
        ("TARGET DATE", "due_on"),
        ("Date", "due_on"),
        ("When?", "due_on"),
        ("NEW DATE", "revised_due_on"),
        ("Revised date", "revised_due_on"),
        ("Status", "status"),
        ("RAG", "status"),
        ("STATUS/ COMMENT", "status"),
        ("Assessment of progress Categories 1 - 4", "status"),
        ("Progress presented to Committee Dec 2017", "progress"),
        ("Update", "progress"),
        ("Recommendation", "recommendation"),
        ("Action", "action"),
        ("Proposed to Open/ Close", "open_close"),
        ("Source (agenda title / item / date / Action Ref)", None),
    ],
)
def test_header_synonyms(header, field):
    assert field_for(header) == field


def test_header_found_below_title_rows():
    rows = [
        ["Northbridge SCR action plan", None],
        [None, None],
        ["Ref", "Action", "Lead", "Due Date"],
        ["1", "Do it", "Police", "2026-01-31"],
    ]
    index, mapping = find_header(rows)
    assert index == 2
    assert mapping == {"number": 0, "action": 1, "lead_agency": 2, "due_on": 3}


def test_header_override_picks_an_unusual_heading():
    rows = [["Item", "What we will do", "Owner", "By"]]
    index, mapping = find_header(rows, {"action": "What we will do", "due_on": "By"})
    assert index == 0
    assert mapping["action"] == 1 and mapping["due_on"] == 3 and mapping["lead_agency"] == 2


@pytest.mark.parametrize(
    "a, b",
    [
        ("Barchester Healthcare Ltd", "BARCHESTER HEALTHCARE LIMITED"),
        ("Alexandra & Crestview Surgeries", "alexandra and  crestview surgeries"),
        ("Chief Executive, NHS England", "NHS England"),
        ("The Department for Education", "Department for Education"),
        ("Birchill’s Health Centre", "Birchill's Health Centre"),
    ],
)
def test_agency_spellings_normalise_together(a, b):
    assert normalise_alias(a) == normalise_alias(b)


def test_match_agencies_lists_unmatched_once_and_ignores_redacted():
    known = {normalise_alias("NHS England"): 7}
    matched, unmatched = match_agencies(
        [
            "NHS  England",
            "Chief Executive, NHS England",
            "Acme Care Ltd",
            "ACME CARE LIMITED",
            "REDACTED",
        ],
        known,
    )
    assert matched == {"nhs england": 7}
    assert unmatched == {"acme care ltd": "Acme Care Ltd"}
    assert is_redacted("REDACTED")


@pytest.mark.parametrize("text", ["12/03", "March 12", "w/c 5 Jan", "12th of March"])
def test_a_date_without_a_year_and_no_year_given_is_refused_asking_for_it(text):
    with pytest.raises(NotADate, match=r"has no year and none is known: write the date with its"):
        parse_date(text)
    assert parse_date(text, default_year=2026).approximate

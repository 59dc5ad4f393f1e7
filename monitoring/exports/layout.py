"""The meeting pack laid out as sections of titled tables, the same for the PDF and the slides.

:func:`sections` turns a :class:`~monitoring.exports.pack.MeetingPack` into display text (dates
as ``d MMM yyyy``, RAG as the board's word, status labels), so that the PDF and the PowerPoint show
the same words and figures. Spreadsheets (Excel, CSV) keep real dates and numbers instead.

By default the sections are a summary a board can read at any size (issue 18: the real PFD data
made a 603-page PDF): every figure and count in full, but each list shows its worst
:data:`SUMMARY_ROWS` rows (long text cut at :data:`SUMMARY_TEXT` characters) and says how many
more the Excel tracker holds. ``detail=True`` lists every row and adds the per-review annual
report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from monitoring import vocabulary
from monitoring.exports.pack import MeetingPack, changes_summary, figure_rows, uk_date
from monitoring.measures import DISPLAY_COLUMNS

RESPONSE_LABELS = vocabulary.RESPONSE_LABELS
CHART_ALT = {
    "rag_by_review": "Bar chart: actions by RAG rating for each review (figures in the tables)",
    "overdue_by_agency": "Bar chart: overdue actions by lead agency (figures in the table)",
}
"""Alternative text for each chart image, in the PDF and the slides."""


SUMMARY_ROWS = 20
"""Rows each list shows in the summary pack (the worst first); the Excel tracker holds them all."""

SUMMARY_TEXT = 160
"""Characters of a description or detail shown in a summary list (then "…")."""

SUMMARY_AGENCIES = 15
"""Agencies in the summary's scorecard (the worst first)."""


@dataclass
class Table:
    """A titled table of display text.

    ``rag`` holds one RAG code per row (or is empty) for the column at ``rag_column``, so writers
    can fill that cell with the RAG colour beside its word. ``widths`` are relative column widths.
    ``total`` is the number of rows the list has when ``rows`` shows only the first of them (None:
    every row is shown); ``note`` says where the rest are.
    """

    title: str
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]
    empty: str = "None."
    rag_column: int | None = None
    rag: list[str] = field(default_factory=list)
    total: int | None = None
    note: str = ""

    @property
    def hidden(self) -> int:
        """Rows of the list not shown (0 when every row is)."""
        return 0 if self.total is None else self.total - len(self.rows)


def clip(text: str, limit: int = SUMMARY_TEXT) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, ending "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def summarised(table: Table, limit: int = SUMMARY_ROWS, where: str = "the Excel tracker") -> Table:
    """``table`` with its first ``limit`` rows only, long text clipped (:func:`clip`), and a
    note saying how many more rows ``where`` holds. A table of ``limit`` rows or fewer is
    returned with its text clipped only."""
    rows = [[clip(value) for value in row] for row in table.rows[:limit]]
    total = len(table.rows)
    shown = Table(
        table.title,
        table.headers,
        rows,
        table.widths,
        table.empty,
        table.rag_column,
        table.rag[:limit],
    )
    if total > limit:
        shown.total = total
        shown.note = f"The first {limit} of {total:,}, worst first: every one is in {where}."
    return shown


@dataclass
class Section:
    """A section of the pack: a heading, a sentence of introduction, tables and chart names
    (keys of the rendered images: ``rag_by_review``, ``overdue_by_agency``)."""

    key: str
    title: str
    intro: str
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    return str(value)


def _pct(value) -> str:
    return vocabulary.percent(value)


def rag_text(code: str, overridden: bool = False, due_on=None, status: str | None = None) -> str:
    """The board's word for a RAG code, with "(overridden)" for a manual rating and "(no target
    date)" for an open action with none (given ``status``)."""
    if status is None:
        return vocabulary.rag_word(code, overridden)
    return vocabulary.rag_with_date_words(code, due_on, status, overridden)


def kind_text(code: str) -> str:
    """The label of a change kind (:data:`monitoring.changes.KIND_LABELS`)."""
    from monitoring.changes import KIND_LABELS

    return KIND_LABELS.get(code, code)


def status_text(code: str) -> str:
    """The label of an action status code."""
    return vocabulary.STATUS_LABELS.get(code, code)


def summary_table(pack: MeetingPack) -> Table:
    """Summary figures now and at the baseline meeting."""
    baseline = f"At {uk_date(pack.baseline.held_on)}" if pack.baseline else "At last meeting"
    rows = [
        [label, _text(now), "" if then is None else _text(then)]
        for label, now, then in figure_rows(pack)
    ]
    return Table(
        f"Summary figures as at {uk_date(pack.today)}",
        ["Figure", f"At {uk_date(pack.today)}", baseline],
        rows,
        [3, 1.2, 1.2],
    )


def overdue_by_agency_table(pack: MeetingPack) -> Table:
    """Overdue actions per lead agency, most first."""
    return Table(
        "Overdue actions by lead agency",
        ["Lead agency", "Overdue actions"],
        [[r.agency, str(r.overdue)] for r in pack.overdue_by_agency.itertuples()],
        [4, 1],
        empty="No overdue actions.",
    )


def red_items_table(pack: MeetingPack) -> Table:
    """Actions rated Red, most overdue first."""
    red = pack.red_items
    return Table(
        "Red items",
        ["Review", "Action", "Description", "Lead agency", "Target date", "Days overdue", "RAG"],
        [
            [
                r.review_ref,
                vocabulary.action_ref(r.recommendation_number, r.number),
                r.description,
                r.agency,
                uk_date(r.due_on) or vocabulary.NO_TARGET_DATE,
                str(r.days_overdue),
                rag_text(r.rag, r.rag_overridden, r.due_on, r.status),
            ]
            for r in red.itertuples()
        ],
        [1.9, 0.7, 4, 2.2, 1.2, 0.9, 1],
        empty="No actions are rated Red.",
        rag_column=6,
        rag=list(red["rag"]),
    )


def sections(pack: MeetingPack, *, detail: bool = False) -> list[Section]:
    """The pack's sections in reading order: summary, exception report (several tables),
    changes since the last meeting, progress per review, agency scorecard and, with ``detail``,
    the annual report.

    :param detail: every row of every list, and the per-review annual report (read by
        ``build_pack(..., annual=True)``); by default a summary (see the module's docstring).
    """
    out = _full_sections(pack)
    if detail:
        out.append(annual_section(pack))
        return out
    return [_summary_section(section, pack) for section in out]


def _summary_section(section: Section, pack: MeetingPack) -> Section:
    """``section`` as in the summary pack: lists cut to their worst rows, counts kept whole."""
    tables = []
    for table in section.tables:
        if section.key == "changes" and table.title == "Changes":
            newest_first = Table(**{**table.__dict__, "rows": table.rows[::-1]})
            newest_first.title = "Changes, newest first"
            tables.append(summarised(newest_first, where="the Excel tracker's Changes sheet"))
        elif section.key == "decisions" and table.title == "Decisions needed":
            tables.append(decision_counts_table(pack))
            tables.append(summarised(table, where="the Excel tracker's Decisions sheet"))
        elif section.key == "reviews":
            tables.append(summarised(table, where="the Excel tracker's Reviews sheet"))
        elif section.key == "agencies":
            tables.append(summarised(table, SUMMARY_AGENCIES, "the Excel tracker's Agencies sheet"))
        elif section.key == "measures":
            tables.append(summarised(table, where="the Excel tracker's Measures sheet"))
        else:
            tables.append(summarised(table))
    return Section(section.key, section.title, section.intro, tables, section.charts)


def decision_counts_table(pack: MeetingPack) -> Table:
    """Decisions needed counted by kind, in the order they are listed."""
    counts = pack.decisions["decision"].value_counts(sort=False)
    return Table(
        "Decisions needed by kind",
        ["Decision", "Items"],
        [[str(kind), str(int(n))] for kind, n in counts.items()],
        [4, 1],
        empty="No decisions are needed.",
    )


def _full_sections(pack: MeetingPack) -> list[Section]:
    """Every section but the annual report, with every row of every list."""
    reviews = pack.reviews.assign(
        _implemented=pack.reviews["pct_implemented"].astype("Float64").fillna(0.0)
    ).sort_values(["overdue", "_implemented", "ref"], ascending=[False, True, True])
    out = [
        Section(
            "summary",
            "Summary",
            f"Figures for {pack.title}, as at {uk_date(pack.today)}, compared with the last "
            f"meeting ({uk_date(pack.baseline.held_on) if pack.baseline else 'none recorded'}).",
            [summary_table(pack)],
            ["rag_by_review", "overdue_by_agency"],
        ),
        Section(
            "overdue",
            "Exception report: overdue actions",
            f"{pack.figures.overdue} open actions are past their target date.",
            [overdue_by_agency_table(pack), red_items_table(pack)],
        ),
        Section(
            "moved",
            "Exception report: target dates moved",
            f"Approved changes of target date {pack.since_label}.",
            [
                Table(
                    "Target dates moved",
                    ["Review", "Action", "Description", "Lead agency", "Moved on", "Change"],
                    [
                        [
                            _text(r.review_ref),
                            _text(r.number),
                            _text(r.description),
                            _text(r.agency),
                            uk_date(r.at),
                            _text(r.detail),
                        ]
                        for r in pack.date_moves.itertuples()
                    ],
                    [1.9, 0.7, 3.4, 2, 1.1, 4],
                    empty="No target date was moved.",
                )
            ],
        ),
        Section(
            "assurance",
            "Exception report: proposed for closure or assurance",
            "Work the agencies report complete, for the board to assure or return.",
            [
                Table(
                    "Proposed for closure or assurance",
                    ["Review", "Item", "Description", "Lead agency", "Completed", "Proposal"],
                    [
                        [
                            r.review_ref,
                            r.item,
                            r.description,
                            r.agency,
                            uk_date(r.since),
                            r.kind,
                        ]
                        for r in pack.for_assurance.itertuples()
                    ],
                    [1.9, 1.4, 4, 2.2, 1.1, 2.2],
                    empty="Nothing is proposed for closure.",
                )
            ],
        ),
        Section(
            "national",
            "Exception report: national dependencies",
            "Recommendations that local agencies cannot deliver alone; escalated nationally and "
            "not counted as local failure.",
            [
                Table(
                    "National dependencies",
                    ["Review", "Rec.", "Recommendation", "Response", "Open actions"],
                    [
                        [
                            r.review_ref,
                            r.number,
                            _text(r.title) or _text(r.text),
                            RESPONSE_LABELS.get(r.response_status, r.response_status),
                            str(r.open_actions),
                        ]
                        for r in pack.national.itertuples()
                    ],
                    [1.9, 0.6, 5, 1.6, 1],
                    empty="No national dependencies.",
                )
            ],
        ),
        Section(
            "decisions",
            "Exception report: decisions needed",
            "Actions escalated to the board (level 3 of the reminder ladder: by default 90 or "
            "more days overdue), target-date requests, assurance and overdue responses.",
            [
                Table(
                    "Listed for the board (escalation level 3)",
                    ["Review", "Action", "Description", "Lead agency", "Escalated", "Days overdue"],
                    [
                        [
                            r.review_ref,
                            r.number,
                            r.description,
                            r.agency,
                            uk_date(r.reached_on),
                            str(r.days_overdue),
                        ]
                        for r in pack.escalations.itertuples()
                    ],
                    [1.9, 0.7, 4, 2.2, 1.1, 1],
                    empty="No action has been escalated to the board.",
                ),
                Table(
                    "Decisions needed",
                    ["Decision", "Review", "Item", "Description", "Detail"],
                    [
                        [r.decision, r.review_ref, r.item, r.description, r.detail]
                        for r in pack.decisions.itertuples()
                    ],
                    [2.4, 1.9, 1.4, 3.4, 3],
                    empty="No decisions are needed.",
                ),
            ],
        ),
        changes_section(pack),
        Section(
            "reviews",
            "Progress per review",
            "Recommendations implemented (every action closed) and assured (evidence seen); "
            "the reviews with the most overdue actions first, then the least implemented.",
            [
                Table(
                    "Progress per review",
                    [
                        "Review",
                        "Title",
                        "Type",
                        "Published",
                        "Recommendations",
                        "Implemented",
                        "Assured",
                        "Overdue actions",
                    ],
                    [
                        [
                            r.ref,
                            r.title,
                            r.review_type,
                            uk_date(r.published_on),
                            _text(r.recommendations),
                            _pct(r.pct_implemented),
                            _pct(r.pct_assured),
                            _text(r.overdue),
                        ]
                        for r in reviews.itertuples()
                    ],
                    [1.9, 3.6, 0.8, 1.1, 1.3, 1.1, 0.9, 1],
                    empty="No reviews.",
                )
            ],
        ),
        Section(
            "agencies",
            "Agency scorecard",
            "Each lead agency's actions: open, overdue, on time and how recently updated.",
            [
                Table(
                    "Agency scorecard",
                    [
                        "Lead agency",
                        "Actions",
                        "Open",
                        "Overdue",
                        "Over 90 days",
                        "Completed",
                        "On time",
                        "Median days overdue",
                        "Days since update",
                    ],
                    [
                        [
                            r.agency,
                            _text(r.actions),
                            _text(r.open),
                            _text(r.overdue),
                            _text(r.overdue_90),
                            _text(r.completed),
                            _pct(r.on_time_pct),
                            _text(_number(r.median_days_overdue)),
                            _text(_number(r.days_since_update)),
                        ]
                        for r in pack.scorecard.itertuples()
                    ],
                    [3.4, 0.8, 0.8, 0.8, 0.9, 1, 0.8, 1.2, 1.1],
                    empty="No agencies.",
                )
            ],
        ),
        measures_section(pack),
    ]
    return out


MEASURE_COLUMNS = DISPLAY_COLUMNS[: DISPLAY_COLUMNS.index("Owner") + 1]
"""The columns of the Measures page's table (:data:`monitoring.measures.DISPLAY_COLUMNS`) that
the PDF and the slides show: the measure, where it is, the icons' words and its target."""


def measures_section(pack: MeetingPack) -> Section:
    """One page of measures as at the meeting: the Measures page's table
    (:attr:`MeetingPack.measures`, worst first), the icons as their text alternatives (e.g.
    "Special cause improving" and "Target consistently met"), as the page shows them."""
    frame = pack.measures
    rows = [] if frame is None else [list(r) for r in frame[MEASURE_COLUMNS].itertuples(False)]
    return Section(
        "measures",
        "Measures: did practice change?",
        f"Each measure's latest value, its variation and assurance (NHS England's Making Data "
        f"Count) and its target, worst first, {pack.figures_label[0].lower()}"
        f"{pack.figures_label[1:]}.",
        [
            Table(
                "Measures",
                MEASURE_COLUMNS,
                rows,
                [3.4, 1.1, 2.2, 2.2, 1.4, 1.1, 2.2],
                empty="No measures are recorded.",
            )
        ],
    )


def _number(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.1f}"


def changes_section(pack: MeetingPack) -> Section:
    """Changes since the last meeting, counted by kind and listed."""
    counts = changes_summary(pack)
    since = f" {pack.since_label}" if pack.baseline else ""  # else the note says "to date"
    return Section(
        "changes",
        "Changes since the last meeting",
        f"{len(pack.changes)} changes{since}. {pack.changes_note}".strip(),
        [
            Table(
                "Changes by kind",
                ["Kind of change", "Changes"],
                [[r.kind, str(r.changes)] for r in counts.itertuples()],
                [4, 1],
                empty="Nothing changed.",
            ),
            Table(
                "Changes",
                ["Date", "Review", "Item", "Change", "Description", "Detail"],
                [
                    [
                        uk_date(r.at),
                        _text(r.review_ref),
                        _text(r.number),
                        kind_text(r.kind),
                        _text(r.description),
                        _text(r.detail),
                    ]
                    for r in pack.changes.itertuples()
                ],
                [1.1, 1.9, 0.7, 1.8, 3.6, 3],
                empty="Nothing changed.",
            ),
        ],
    )


def annual_section(pack: MeetingPack) -> Section:
    """For the annual report: per review, actions taken, evidence of impact, and
    recommendations not implemented with reasons."""
    tables: list[Table] = []
    for r in pack.annual:
        tables.append(
            Table(
                f"{r.ref} — {r.title}: actions taken",
                ["Action", "Description", "Lead agency", "Status", "Completed"],
                [
                    [
                        a.number,
                        a.description,
                        a.agency,
                        status_text(a.status),
                        uk_date(a.completed_on),
                    ]
                    for a in r.actions_taken.itertuples()
                ],
                [0.7, 4.4, 2.4, 2, 1.1],
                empty="No action completed yet.",
            )
        )
        tables.append(
            Table(
                f"{r.ref}: evidence of impact",
                ["Action", "Success measure", "Status", "Evidence"],
                [
                    [i.number, i.success_measure, status_text(i.status), i.evidence]
                    for i in r.impact.itertuples()
                ],
                [0.7, 4.4, 2, 3.4],
                empty="No evidence of impact recorded yet.",
            )
        )
        tables.append(
            Table(
                f"{r.ref}: recommendations not implemented, in whole or in part",
                ["Rec.", "Recommendation", "Reason"],
                [[n.number, n.title, n.reason] for n in r.not_implemented.itertuples()],
                [0.7, 5, 4],
                empty="Every recommendation is being or has been implemented.",
            )
        )
    return Section(
        "annual",
        "Annual report: what was done and what difference it made",
        "For each review: the actions taken, the evidence of impact, and any recommendation not "
        "implemented, with the reason.",
        tables,
    )

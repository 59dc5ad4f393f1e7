"""Demo impact measures for the demo reviews (:func:`monitoring.demo.load_demo` adds them).

Fictional, like the rest of the demo. 24 monthly values each (one measure is quarterly), ending
with the month before the anchor, each recorded twelve days after its period ended, chosen so the
charts show the three stories a board meets:

- an **improvement**: strategy discussions within two working days rise and stay up (a shift above
  the mean: improving, special cause; target hit and miss);
- a **deterioration**: devices examined within 28 days fall away in the last eight months (a shift
  below the mean: concerning, special cause; target consistently not met);
- **common-cause noise**: young people missing twice or more in a month vary around a steady level;
- a recorded **change in practice** (a new assessment template), after which the limits are
  recalculated: common cause at the new level, target consistently met;
- one value **corrected** a month after it was first recorded (the chart as at the first date
  shows the first value).

The same anchor always gives the same data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from monitoring import db
from monitoring.importer.values import month_end

LONDON = ZoneInfo("Europe/London")
RECORDED_AFTER_DAYS = 12
"""Each demo value is recorded this many days after its period ends."""


def _at(day: date) -> str:
    moment = datetime.combine(day, time(10, 0), LONDON).astimezone(ZoneInfo("UTC"))
    return moment.isoformat()


def _month_ends(anchor: date, count: int, step: int = 1) -> list[date]:
    last = anchor.replace(day=1) - timedelta(days=1)
    ends = []
    for i in range(count):
        day = last - relativedelta(months=step * (count - 1 - i))
        ends.append(month_end(day.year, day.month))
    return ends


# id, recommendation id, name, numerator, denominator, unit, better, source, agency short name,
# frequency, baseline value, target value, change index, change note, level before, level after,
# level changes at index, noise, points
MEASURES = [
    (
        1,
        3,
        "Exploitation referrals with a strategy discussion within two working days",
        "Referrals where child exploitation is suspected with a multi-agency strategy "
        "discussion held within two working days",
        "Referrals where child exploitation is suspected",
        "percent",
        "up",
        "performance",
        "CSC",
        "monthly",
        61.0,
        75.0,
        None,
        None,
        62.0,
        79.0,
        14,
        3.0,
        24,
    ),
    (
        2,
        2,
        "Seized devices examined within 28 days",
        "Devices seized in child exploitation enquiries examined within 28 days of seizure",
        "Devices seized in child exploitation enquiries",
        "percent",
        "up",
        "performance",
        "POL",
        "monthly",
        78.0,
        85.0,
        None,
        None,
        78.0,
        64.0,
        16,
        2.5,
        24,
    ),
    (
        3,
        4,
        "Young people reported missing twice or more in the month",
        "Young people reported missing from home or care on two or more occasions in the month",
        None,
        "count",
        "down",
        "performance",
        "POL",
        "monthly",
        14.0,
        12.0,
        None,
        None,
        14.0,
        14.0,
        0,
        2.5,
        24,
    ),
    (
        4,
        1,
        "Assessments graded good or better at case audit",
        "Audited assessments of children at risk of exploitation graded good or outstanding",
        "Assessments audited in the month",
        "percent",
        "up",
        "audit",
        "CSC",
        "monthly",
        55.0,
        62.0,
        12,
        "New single assessment template with online-contact questions went live.",
        55.0,
        78.0,
        12,
        2.5,
        24,
    ),
    (
        5,
        17,
        "Children who said they were listened to at their review",
        "Children and young people answering 'yes' to 'Did people listen to you?'",
        "Children and young people who answered the question",
        "percent",
        "up",
        "feedback",
        "CSC",
        "quarterly",
        70.0,
        75.0,
        None,
        None,
        70.0,
        70.0,
        0,
        3.0,
        8,
    ),
]

FEEDBACK = [
    # recommendation id, months before the anchor, source, summary (anonymised)
    (
        3,
        7,
        "Young people's participation group",
        "Young people said the meeting after they went missing felt like it was about them, "
        "not to them, and that they knew who to call afterwards.",
    ),
    (
        3,
        2,
        "Parent feedback (anonymised)",
        "A parent said police and social care 'finally talked to each other' within days of "
        "her concern, but she was not told the outcome for two weeks.",
    ),
    (
        17,
        5,
        "Child's feedback at review (anonymised)",
        "A 12-year-old said they liked writing their own words into the plan and that their "
        "social worker read them out at the meeting.",
    ),
    (
        6,
        3,
        "Family survey (anonymised)",
        "Two families said the family-support offer came quickly but ended before things were "
        "settled at home.",
    ),
]


def demo_rows(anchor: date, agency_ids: dict[str, int]) -> dict:
    """The demo's rows by table: ``{table: [row, ...]}`` for ``measure``, ``measure_observation``
    and ``feedback`` (explicit ids for measures; the caller moves PostgreSQL's sequences on)."""
    rnd = random.Random(20260630)
    created = _at(anchor - relativedelta(months=26))
    measures, observations, feedback = [], [], []
    for (
        measure_id,
        rec_id,
        name,
        numerator,
        denominator,
        unit,
        better,
        source,
        agency,
        frequency,
        baseline,
        target,
        change_at,
        change_note,
        before,
        after,
        moves_at,
        noise,
        points,
    ) in MEASURES:
        ends = _month_ends(anchor, points, 3 if frequency == "quarterly" else 1)
        measures.append(
            {
                "id": measure_id,
                "recommendation_id": rec_id,
                "theme_id": None,
                "name": name,
                "numerator": numerator,
                "denominator": denominator,
                "unit": unit,
                "better": better,
                "baseline_value": baseline,
                "baseline_from": ends[0].replace(day=1).isoformat(),
                "baseline_to": ends[min(11, points // 2)].isoformat(),
                "target_value": target,
                "target_on": (anchor + relativedelta(months=6)).isoformat(),
                "source": source,
                "agency_id": agency_ids[agency],
                "frequency": frequency,
                "change_from": ends[change_at].isoformat() if change_at is not None else None,
                "change_note": change_note,
                "version": 1,
                "created_at": created,
                "created_by": "admin@northbridge.example",
                "updated_at": created,
            }
        )
        for i, end in enumerate(ends):
            level = after if i >= moves_at else before
            if measure_id == 2 and i >= moves_at:  # a steady slide, not a step
                level = before - (before - after) * (i - moves_at + 1) / (points - moves_at)
            raw = level + rnd.gauss(0, noise)
            row = {
                "measure_id": measure_id,
                "period_end": end.isoformat(),
                "version": 1,
                "recorded_at": _at(end + timedelta(days=RECORDED_AFTER_DAYS)),
                "recorded_by": "admin@northbridge.example",
                "numerator": None,
                "denominator": None,
            }
            if unit == "percent":
                total = rnd.randint(30, 45)
                met = max(0, min(total, round(raw * total / 100)))
                row.update(value=round(100 * met / total, 2), numerator=met, denominator=total)
            else:
                row["value"] = float(max(0, round(raw)))
            observations.append(row)
    # A correction: the police first recorded 19 for one month, then 15 a month later.
    corrected = next(
        o
        for o in observations
        if o["measure_id"] == 3 and o["period_end"] == _month_ends(anchor, 24)[19].isoformat()
    )
    corrected["value"] = 19.0
    fixed_on = date.fromisoformat(corrected["period_end"]) + timedelta(days=42)
    observations.append({**corrected, "value": 15.0, "version": 2, "recorded_at": _at(fixed_on)})
    for rec_id, months_ago, source, summary in FEEDBACK:
        received = anchor - relativedelta(months=months_ago)
        feedback.append(
            {
                "recommendation_id": rec_id,
                "received_on": received.isoformat(),
                "source": source,
                "summary": summary,
                "recorded_at": _at(received + timedelta(days=3)),
                "recorded_by": "admin@northbridge.example",
            }
        )
    return {db.measure: measures, db.measure_observation: observations, db.feedback: feedback}

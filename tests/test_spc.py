"""XmR chart maths and the Making Data Count rules (monitoring.spc), each rule at its edge.

The published worked example: D. C. Montgomery and G. C. Runger, *Applied Statistics and
Probability for Engineers* (3rd ed., Wiley, 2003), section 16-6 "Control charts for individual
measurements", Table 16-3 "Chemical process concentration measurements" (20 values): they give
x̄ = 99.1, mean moving range 2.59, UCL = 105.99 and LCL = 92.21 (limits x̄ ± 3·MR̄/1.128), and
"no indication of an out-of-control condition".
"""

from __future__ import annotations

import statistics

import pytest

from monitoring import spc

MONTGOMERY_TABLE_16_3 = [
    102.0, 94.8, 98.3, 98.4, 102.0, 98.5, 99.0, 97.7, 100.0, 98.1,
    101.3, 98.7, 101.1, 98.4, 97.0, 96.7, 100.3, 101.4, 97.2, 101.0,
]  # fmt: skip


def independent_limits(values):
    """Mean and limits computed a second way (statistics module, d2 = 1.128 for ranges of 2)."""
    mean = statistics.fmean(values)
    mr = statistics.fmean(abs(values[i] - values[i - 1]) for i in range(1, len(values)))
    return mean, mr, mean + 3 * mr / 1.128, mean - 3 * mr / 1.128


def test_published_worked_example_mean_and_limits():
    part = spc.limits(MONTGOMERY_TABLE_16_3)
    # the book's figures, as printed (its limits are worked from the rounded mean and range)
    assert round(part.mean, 1) == 99.1
    assert round(part.mean_moving_range, 2) == 2.59
    assert part.upper == pytest.approx(105.99, abs=0.01)
    assert part.lower == pytest.approx(92.21, abs=0.01)
    # and an independent calculation (3 / 1.128 = 2.6596 against MDC's 2.66)
    mean, mr, upper, lower = independent_limits(MONTGOMERY_TABLE_16_3)
    assert part.mean == pytest.approx(mean)
    assert part.mean_moving_range == pytest.approx(mr)
    assert part.upper == pytest.approx(upper, abs=0.01)
    assert part.lower == pytest.approx(lower, abs=0.01)
    assert part.upper_near == pytest.approx(mean + 2 * mr / 1.128, abs=0.01)
    # "no indication of an out-of-control condition"
    chart = spc.xmr(MONTGOMERY_TABLE_16_3)
    assert not any(p.special for p in chart.points)
    assert spc.variation_icon(chart, "up").code == "common_cause"


def test_moving_ranges():
    assert spc.moving_ranges([5, 8, 6, 6]) == [3, 2, 0]


def test_limits_need_two_values():
    with pytest.raises(ValueError, match="at least 2"):
        spc.limits([4.0])
    chart = spc.xmr([4.0])
    assert chart.parts == () and not chart.points[0].special
    assert spc.variation_icon(chart, "up").code == "too_few"
    assert spc.assurance_icon(chart, 5.0, "up").code == "too_few"


# --- shift: 7 points one side of the mean ------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([11] * 6 + [9], [0] * 7),  # one short
        ([11] * 7 + [9], [1] * 7 + [0]),  # exactly long enough
        ([9] * 7, [-1] * 7),  # below
        ([11] * 3 + [10] + [11] * 4, [0] * 8),  # a point on the mean breaks the run
        ([9] + [11] * 8, [0] + [1] * 8),
    ],
)
def test_shift_edge(values, expected):
    assert spc.SHIFT_RUN == 7
    assert spc.shift_flags(values, mean=10) == expected


# --- trend: 7 points each rising (or falling) -------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6], [0] * 6),  # six points: one short
        ([1, 2, 3, 4, 5, 6, 7], [1] * 7),  # seven: exactly long enough
        ([7, 6, 5, 4, 3, 2, 1, 5], [-1] * 7 + [0]),
        ([1, 2, 3, 3, 4, 5, 6, 7], [0] * 8),  # equal neighbours break the run
        ([5, 1, 2, 3, 4, 5, 6, 7], [0] + [1] * 7),
    ],
)
def test_trend_edge(values, expected):
    assert spc.TREND_RUN == 7
    assert spc.trend_flags(values) == expected


# --- outside the limits and two of three near a limit -----------------------------------------

# Limits stated for a period (e.g. the baseline), then applied to later values.
PART = spc.limits([10, 12, 10, 12, 10, 12, 10, 12])  # mean 11, MR 2: limits 5.68 .. 16.32


def test_stated_limits():
    assert PART.mean == 11 and PART.mean_moving_range == 2
    assert PART.upper == pytest.approx(11 + 5.32)
    assert PART.upper_near == pytest.approx(11 + 2 * 5.32 / 3)


def test_point_on_the_limit_is_inside_just_beyond_is_outside():
    assert spc.outside_sides([PART.upper, PART.lower], PART) == [0, 0]
    assert spc.outside_sides([PART.upper + 1e-9, PART.lower - 1e-9], PART) == [1, -1]
    # a point on the limit is close to it
    assert spc.near_sides([PART.upper, PART.lower], PART) == [1, -1]
    # a point on the two-sigma line is not yet close; just beyond it is
    assert spc.near_sides([PART.upper_near, PART.upper_near + 1e-9], PART) == [0, 1]


def test_two_of_three_edge():
    near, far = PART.upper_near + 0.1, PART.upper - 0.1
    inside_high = PART.mean + 0.5
    assert spc.two_of_three_flags([near, inside_high, far], PART) == [1, 0, 1]
    # one near point in three: not enough
    assert spc.two_of_three_flags([near, inside_high, inside_high], PART) == [0, 0, 0]
    # the third point on the other side of the mean
    assert spc.two_of_three_flags([near, PART.mean - 0.5, far], PART) == [0, 0, 0]
    # a point on the limit counts as near
    assert spc.two_of_three_flags([PART.upper, inside_high, near], PART) == [1, 0, 1]
    # a point outside the limit is rule 1's, not near
    assert spc.two_of_three_flags([PART.upper + 0.01, inside_high, near], PART) == [0, 0, 0]
    low = PART.lower_near - 0.1
    assert spc.two_of_three_flags([low, low], PART) == [0, 0]  # fewer than three points
    assert spc.two_of_three_flags([low, low, PART.mean - 1], PART) == [-1, -1, 0]


def test_xmr_outside_point_and_directions():
    values = [10, 12, 10, 12, 10, 12, 10, 12, 10, 30]
    chart = spc.xmr(values)
    last = chart.points[-1]
    assert last.outside and last.rules == ("outside",) and last.direction == "high"
    assert spc.point_kind(last, "up") == "improving_high"
    assert spc.point_kind(last, "down") == "concerning_high"
    assert spc.point_kind(last, None) == "neutral_high"
    assert spc.variation_icon(chart, "down").text.startswith("concerning, special cause")


def test_xmr_trend_below_the_mean_takes_the_trend_direction():
    # falling for seven points that end on the mean side they started: only the trend fires
    values = [50, 52, 48, 51, 49, 50, 56, 55, 54, 53, 52, 51, 50.5]
    chart = spc.xmr(values)
    rules = [p.rules for p in chart.points]
    assert rules[6:] == [("trend",)] * 7
    assert all(p.direction == "low" for p in chart.points[6:])
    assert not any(p.special for p in chart.points[:6])


def test_recalculated_limits_from_a_change():
    before, after = [50, 52, 49, 51, 50, 48, 52], [70, 71, 69, 72, 70, 68, 71]
    chart = spc.xmr(before + after, breaks=[len(before)])
    assert len(chart.parts) == 2
    for part, values in zip(chart.parts, (before, after), strict=True):
        mean, mr, upper, lower = independent_limits(values)
        assert part.mean == pytest.approx(mean)
        assert part.mean_moving_range == pytest.approx(mr)  # no range across the change
        assert part.upper == pytest.approx(mean + 2.66 * mr)
    # read within each part: nothing special; without the change the step is a shift
    assert not any(p.special for p in chart.points)
    whole = spc.xmr(before + after)
    assert all("shift" in p.rules for p in whole.points)
    assert spc.variation_icon(whole, "up").code == "improving_high"
    # a change leaving fewer than two values after it is ignored
    assert len(spc.xmr(before + after[:1], breaks=[len(before)]).parts) == 1


@pytest.mark.parametrize(
    ("target", "better", "code"),
    [
        (40, "up", "pass"),  # below the lower limit: always met
        (60, "up", "fail"),
        (50, "up", "hit_and_miss"),
        (40, "down", "fail"),
        (60, "down", "pass"),
        (None, "up", "no_target"),
    ],
)
def test_assurance_icon(target, better, code):
    chart = spc.xmr([50, 52, 49, 51, 50, 48, 52])  # limits about 44.7 .. 55.5
    icon = spc.assurance_icon(chart, target, better)
    assert icon.code == code
    assert icon.text == spc.ASSURANCE_WORDS[code]


def test_assurance_on_the_limit_is_hit_and_miss():
    chart = spc.xmr([50, 52, 49, 51, 50, 48, 52])
    assert spc.assurance_icon(chart, chart.parts[0].lower, "up").code == "hit_and_miss"
    assert spc.assurance_icon(chart, chart.parts[0].upper, "up").code == "hit_and_miss"


def test_text_alternative_in_one_line():
    improving = spc.Icon("improving_high", spc.VARIATION_WORDS["improving_high"])
    hit_and_miss = spc.Icon("hit_and_miss", spc.ASSURANCE_WORDS["hit_and_miss"])
    assert (
        spc.short_words(improving, hit_and_miss)
        == "improving, special cause; target not consistently met"
    )

"""The XmR figure and the Making Data Count icons (monitoring.measure_charts), on the demo data:
AppTest cannot see inside Plotly charts, so the builders are tested directly."""

from __future__ import annotations

from monitoring import measure_charts, measures, spc

DEVICES, AUDITS = 2, 4


def views(engine):
    with engine.connect() as conn:
        return {v.measure["id"]: v for v in measures.measure_views(conn)}


def test_xmr_figure_has_title_labels_target_baseline_and_marked_points(demo_engine):
    view = views(demo_engine)[DEVICES]
    fig = measure_charts.xmr_figure(view.measure, view.frame, view.chart)
    layout = fig.layout
    assert layout.title.text == view.measure["name"]
    assert layout.xaxis.title.text == "Period ending"
    assert layout.yaxis.title.text == "Percentage (%)"
    names = [t.name for t in fig.data]
    assert "Mean" in names and "Process limits" in names
    assert "Target (85%)" in names
    # special-cause points: a symbol and a word each, as many as the rules flag
    concerning = next(t for t in fig.data if t.name == "Concerning (special cause), lower")
    assert concerning.marker.symbol == "triangle-down"
    flagged = [p for p in view.chart.points if spc.point_kind(p, "up") == "concerning_low"]
    assert len(concerning.y) == len(flagged)
    assert list(concerning.y) == [p.value for p in flagged]
    # the mean line is the chart's mean; the baseline period is shaded and labelled
    mean = next(t for t in fig.data if t.name == "Mean")
    assert mean.y[0] == view.chart.parts[0].mean
    shapes = [s for s in layout.shapes if s.type == "rect"]
    assert shapes and shapes[0].x0 == view.measure["baseline_from"]
    assert any(a.text == "Baseline" for a in layout.annotations)


def test_a_recorded_change_draws_a_second_set_of_limits(demo_engine):
    view = views(demo_engine)[AUDITS]
    fig = measure_charts.xmr_figure(view.measure, view.frame, view.chart)
    means = [t for t in fig.data if t.name == "Mean"]
    assert [m.y[0] for m in means] == [p.mean for p in view.chart.parts]
    assert len(means) == 2
    assert any(a.text == "Change: limits recalculated" for a in fig.layout.annotations)


def test_a_name_is_escaped_in_the_title(demo_engine):
    view = views(demo_engine)[DEVICES]
    measure = {**view.measure, "name": "<a href='x'>click</a> & co"}
    fig = measure_charts.xmr_figure(measure, view.frame, view.chart, small=True)
    # only &, < and > (plotly.js shows &quot; as written): the quote stays a quote
    assert fig.layout.title.text == "&lt;a href='x'&gt;click&lt;/a&gt; &amp; co"
    assert fig.layout.showlegend is False


def test_icons_are_drawn_locally_with_their_text_alternative(demo_engine):
    view = views(demo_engine)[DEVICES]
    markup = measure_charts.icons_html(view.variation, view.assurance)
    assert markup.count('<img src="data:image/svg+xml;base64,') == 2
    assert f'alt="{view.variation.text}"' in markup
    assert f'alt="{view.assurance.text}"' in markup
    assert f"<span>{view.assurance.text}</span>" in markup
    assert "http" not in markup  # nothing fetched: the SVG is inlined
    svg = measure_charts.variation_svg(view.variation)
    assert 'role="img"' in svg and f'aria-label="{view.variation.text}"' in svg
    for code, words in spc.VARIATION_WORDS.items():
        assert f"<title>{words}</title>" in measure_charts.variation_svg(spc.Icon(code, words))
    for code, words in spc.ASSURANCE_WORDS.items():
        assert f"<title>{words}</title>" in measure_charts.assurance_svg(spc.Icon(code, words))

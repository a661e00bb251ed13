"""Bar charts for the reports, laid out here and drawn as SVG by the template
(report_pages/_bar_chart.html), on the page and in the PDF alike. A hidden count is never drawn
as a bar of its size: its place shows a dashed outline and its words ("fewer than 5")."""

from dataclasses import dataclass

from kestrel.reports.suppression import Count

WIDTH = 320
LABEL_HEIGHT = 18  # a row's label above its bar (horizontal charts), or below it (vertical)
BAR = 18
GAP = 14
PLOT_HEIGHT = 160


@dataclass(frozen=True)
class Bar:
    label: str
    count: Count
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    """A chart's title, its drawing's size, and its bars (with the counts it shows)."""

    key: str
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    horizontal: bool
    axis: str = "Term"  # what each bar is, for the table beside the chart


def _scale(counts: list[Count]) -> int:
    return max([c.value for c in counts if c.shown] + [1])


def compared(key: str, title: str, labels: list[str], counts: list[Count]) -> Chart:
    """Horizontal bars, one a row with its name above it: categories compared."""
    most = _scale(counts)
    room = WIDTH - 90  # space on the right for the value's words
    bars, y = [], 0
    for label, count in zip(labels, counts, strict=True):
        y += LABEL_HEIGHT
        width = count.value / most * room if count.shown else 0
        bars.append(
            Bar(label, count, 0, y, round(width, 1), BAR, 0, y - 5, round(width + 6, 1), y + 13)
        )
        y += BAR + GAP
    return Chart(
        key, title, _description(labels, counts), WIDTH, y, bars, horizontal=True, axis="Category"
    )


def trend(
    key: str, title: str, labels: list[str], counts: list[Count], axis: str = "Term"
) -> Chart:
    """Vertical bars, one a term, oldest first: how a count went over the year."""
    most = _scale(counts)
    side = 36  # room for the first and last names, centred under their bars
    slot = (WIDTH - 2 * side) / max(len(counts), 1)
    width = min(slot * 0.6, 80)
    staggered = len(counts) > 3
    bars = []
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        height = count.value / most * (PLOT_HEIGHT - 20) if count.shown else 0
        x = side + index * slot + (slot - width) / 2
        top = PLOT_HEIGHT - height
        bars.append(
            Bar(
                label,
                count,
                round(x, 1),
                round(top, 1),
                round(width, 1),
                round(height, 1),
                round(side + index * slot + slot / 2, 1),
                # More than three terms: their names on two lines in turn, so they do not meet.
                PLOT_HEIGHT + LABEL_HEIGHT * (1 + (index % 2 if staggered else 0)),
                round(side + index * slot + slot / 2, 1),
                round(top - 6, 1),
            )
        )
    height = PLOT_HEIGHT + LABEL_HEIGHT * (2 if staggered else 1) + 8
    return Chart(
        key, title, _description(labels, counts), WIDTH, height, bars, horizontal=False, axis=axis
    )


def _description(labels: list[str], counts: list[Count]) -> str:
    return "; ".join(f"{label}: {count.text}" for label, count in zip(labels, counts, strict=True))

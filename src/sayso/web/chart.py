"""An outlet's sourcing over time as a small SVG chart, drawn server-side.

One bar per period: the shares of its attributions' cue stances, stacked in a
fixed order (the legend's); a line over the bars: the share of named sources.
Every label goes through `markupsafe.escape`. The page shows the same numbers
in a table beside it, so nothing is told by colour alone.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from sayso.record import STANCES
from sayso.web.corpus import Period

STANCE_COLOURS = {"neutral": "#6b7b8c", "assertive": "#0072B2", "doubting": "#B34700", "speculative": "#8a6d00",
                  "emotive": "#AA3377"}
NAMED_COLOUR = "#111111"
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 44, 56


def profile_chart(periods: list[Period]) -> Markup:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(1, len(periods))
    slot = plot_w / n
    bar_w = min(56.0, slot * 0.7)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="chart-title" class="profile-chart" font-family="system-ui, sans-serif" font-size="11">',
             '<title id="chart-title">Cue stances of the attributions (bars, share of each period) and share of '
             'named sources (line), period by period</title>']
    for pct in (0, 25, 50, 75, 100):  # grid and axis labels
        y = TOP + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e2dc"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6368">{pct}%</text>')
    x_legend = LEFT
    for stance in STANCES:  # legend, in stacking order from the bottom
        parts.append(f'<rect x="{x_legend}" y="10" width="11" height="11" fill="{STANCE_COLOURS[stance]}"/>')
        parts.append(f'<text x="{x_legend + 15}" y="20">{stance}</text>')
        x_legend += 24 + 7 * len(stance)
    parts.append(f'<line x1="{x_legend}" x2="{x_legend + 18}" y1="15" y2="15" stroke="{NAMED_COLOUR}" '
                 'stroke-width="2" stroke-dasharray="4 2"/>')
    parts.append(f'<circle cx="{x_legend + 9}" cy="15" r="3" fill="{NAMED_COLOUR}"/>')
    parts.append(f'<text x="{x_legend + 23}" y="20">named sources</text>')
    line: list[tuple[float, float]] = []
    rotate = n > 8
    for i, p in enumerate(periods):
        x = LEFT + slot * i + (slot - bar_w) / 2
        total = sum(p.by_stance.get(s, 0) for s in STANCES)
        y = TOP + plot_h
        if total == 0:
            parts.append(f'<rect x="{x:.1f}" y="{TOP}" width="{bar_w:.1f}" height="{plot_h}" fill="none" '
                         'stroke="#bbb" stroke-dasharray="3 3"/>')
        for stance in STANCES:
            count = p.by_stance.get(stance, 0)
            if not count:
                continue
            h = plot_h * count / total
            y -= h
            tip = f"{p.period}: {stance} {count} of {total} ({100 * count / total:.0f}%)"
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{STANCE_COLOURS[stance]}" stroke="#fff" stroke-width="0.5">'
                         f'<title>{escape(tip)}</title></rect>')
        cx = x + bar_w / 2
        parts.append(f'<text x="{cx:.1f}" y="{TOP - 4}" text-anchor="middle" fill="#5f6368">{total}</text>')
        label = escape(p.period)
        if rotate:
            parts.append(f'<text x="{cx:.1f}" y="{TOP + plot_h + 12}" text-anchor="end" '
                         f'transform="rotate(-45 {cx:.1f} {TOP + plot_h + 12})">{label}</text>')
        else:
            parts.append(f'<text x="{cx:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{label}</text>')
        line.append((cx, TOP + plot_h * (1 - p.named_share)))
    if len(line) > 1:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{NAMED_COLOUR}" stroke-width="2" '
                     'stroke-dasharray="4 2"/>')
    for (x, y), p in zip(line, periods, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{NAMED_COLOUR}" stroke="#fff">'
                     f'<title>{escape(p.period)}: named sources {p.named_share:.0%}</title></circle>')
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" fill="#5f6368">numbers above the bars: attributions in '
                 'the period</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

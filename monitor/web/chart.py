"""A bar chart as inline SVG, drawn on the server: the share of releases edited after publication
per year, and the share of those edits that were silent, for one source. No script, no library:
it prints, screenshots and scales with the page (a viewBox), and every label is escaped."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, BOTTOM, TOP = 40, 40, 20
EDITED, SILENT = "#3b6ea8", "#e0a030"


def edit_chart(source: str, rows: list[dict]) -> Markup:
    """Bars per year: share edited (blue) and silent share of the edits (amber), 0-100 %."""
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - 10) / max(1, len(rows))
    bar = max(4.0, min(28.0, slot / 3))
    parts = [f'<svg class="rw-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(_words(source, rows))}" xmlns="http://www.w3.org/2000/svg">']
    for pct in (0, 50, 100):
        y = TOP + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="14">{pct}%</text>')
    for i, row in enumerate(rows):
        x = LEFT + slot * i + slot / 2
        for offset, share, colour, what in ((-bar, row["edited_share"], EDITED, "edited"),
                                            (0.0, row["silent_share"], SILENT, "silent")):
            h = plot_h * (share or 0)
            parts.append(f'<rect x="{x + offset:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(row["year"])}: {_pct(share)} {what}</title></rect>')
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="15">'
                     f'{escape(row["year"])}</text>')
    legend_y = HEIGHT - 8
    parts.append(f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{EDITED}"/>'
                 f'<text x="{LEFT + 14}" y="{legend_y}" font-size="14">releases edited</text>'
                 f'<rect x="{LEFT + 160}" y="{legend_y - 9}" width="10" height="10" fill="{SILENT}"/>'
                 f'<text x="{LEFT + 174}" y="{legend_y}" font-size="14">edits that were silent</text></svg>')
    return Markup("".join(parts))


def _words(source: str, rows: list[dict]) -> str:
    """The chart in words, for screen readers."""
    years = "; ".join(f"{row['year']}: {_pct(row['edited_share'])} of {row['releases']} releases edited"
                      + (f", {_pct(row['silent_share'])} of edits silent" if row["silent_share"] is not None else "")
                      for row in rows)
    return f"{source}, by year of publication. {years}"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"

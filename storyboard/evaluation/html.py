"""The HTML identity report: one self-contained file (images inline), written atomically."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from storyboard.errors import require
from storyboard.evaluation import EvalReport

LOW = 0.5  # similarities under this are highlighted


def write_html(report: EvalReport, path: Path, *, title: str, thumbnails: dict | None = None) -> None:
    """`thumbnails` maps (page, scene, panel) to a PIL image of the panel with its boxes drawn."""
    jinja2 = require("jinja2", "eval")
    env = jinja2.Environment(loader=jinja2.PackageLoader("storyboard.evaluation", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    thumbs = thumbnails or {}
    html = env.get_template("report.html.j2").render(
        title=title, report=report, plot=_plot(report), low=LOW, fmt=_fmt,
        panels=[(p, _png(thumbs.get((p.page, p.scene, p.panel)))) for p in report.panels],
    )
    from storyboard.export import atomic_path

    with atomic_path(path, ".html") as tmp:
        tmp.write_text(html, encoding="utf-8")


def _fmt(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _png(image) -> str | None:
    if image is None:
        return None
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot(report: EvalReport) -> str | None:
    series: dict[str, list[tuple[int, float]]] = {}
    for index, p in enumerate(report.panels):
        for c in p.characters:
            if c.similarity is not None:
                series.setdefault(c.id, []).append((index + 1, c.similarity))
    if not series:
        return None
    matplotlib = require("matplotlib", "eval")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    for cid, points in series.items():
        ax.plot([x for x, _ in points], [y for _, y in points], marker="o", label=cid)
    ax.set_xlabel("panel (story order)")
    ax.set_ylabel("identity similarity")
    ax.set_ylim(0, 1)
    ax.axhline(LOW, color="#b00", linewidth=0.8, linestyle="--")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")

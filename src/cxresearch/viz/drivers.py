"""Charts of key driver analysis: the importance–performance map and the importance bars.

Both draw from the frames of :mod:`cxresearch.drivers` (no statistics here). Call
:func:`cxresearch.viz.style.apply` first for the house theme and a font that covers Chinese.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxresearch._i18n import check_lang, message
from cxresearch.errors import CXValueError

__all__ = ["importance_bars", "importance_performance"]

_IPA_COLUMNS = (
    "driver",
    "label",
    "importance",
    "performance",
    "importance_cut",
    "performance_cut",
    "quadrant",
    "quadrant_label",
)
_CORNER = {  # quadrant -> (x, y, ha, va) in axes fraction
    "concentrate_here": (0.02, 0.98, "left", "top"),
    "keep_up": (0.98, 0.98, "right", "top"),
    "low_priority": (0.02, 0.02, "left", "bottom"),
    "possible_overkill": (0.98, 0.02, "right", "bottom"),
}
# The charts' words are entries of the package's message catalog (``chart.*``, ``drivers.driver``,
# ``drivers.quadrant``, ``ipa.<quadrant>``); see cxresearch._i18n.


def _base_text(n, n_eff, lang: str) -> str:
    """'Base: n = 1,234 (effective n = 1,000)', as tables word it (whole respondents)."""
    return message("chart.base_effective", lang, n=f"{n:,.0f}", n_eff=f"{n_eff:,.0f}")


def _label_points(ax, x, y, labels, fontsize: int = 9) -> None:
    """Label each point; a label that would overlap one already placed moves down a line, then
    to the left side, so that neighbouring drivers stay readable (approximate text extents:
    0.6 em per Latin character, 1 em per CJK character)."""
    ax.autoscale_view()  # fix the limits so that data -> pixel positions are final
    pts = ax.transData.transform(np.column_stack([x, y]))
    scale = ax.figure.dpi / 72.0
    placed: list[tuple[float, float, float, float]] = []
    order = np.argsort(-y)
    for i in order:
        text = labels[i]
        width = sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text) * fontsize * scale
        height = 1.2 * fontsize * scale
        candidates = [(4, 3), (4, -12), (-4, 3), (-4, -12), (4, 14), (-4, 14)]
        for dx, dy in candidates:
            x0 = pts[i, 0] + dx * scale - (width if dx < 0 else 0)
            y0 = pts[i, 1] + dy * scale
            box = (x0, y0, x0 + width, y0 + height)
            if not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                break
        placed.append(box)
        ax.annotate(
            text,
            (x[i], y[i]),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="right" if dx < 0 else "left",
            va="bottom",
            fontsize=fontsize,
        )


def _base_note(ax, text: str) -> None:
    """The base (n, effective n) under the axis title, left-aligned."""
    ax.annotate(
        text,
        (0, 0),
        xycoords="axes fraction",
        xytext=(0, -42),
        textcoords="offset points",
        va="top",
        fontsize=8,
        color="0.4",
    )


def _x_axis_break(ax) -> None:
    """Two short slashes across the left end of the x axis: it does not start at zero (a quadrant
    map places drivers relative to the cut lines, so the zoom is kept and marked)."""
    d = 0.012
    kw = {"transform": ax.transAxes, "color": "0.25", "clip_on": False, "lw": 1.1, "zorder": 5}
    for x0 in (0.018, 0.042):
        ax.plot((x0 - d, x0 + d), (-d, d), **kw)


def importance_performance(
    frame: pd.DataFrame,
    *,
    segment=None,
    by: str | None = None,
    lang: str = "en",
    title: str | None = None,
    ax=None,
    palette=None,
    model=None,
):
    """Scatter of importance (y) against performance (x) with the cut lines and quadrant names.

    Given the driver model (``model``), the map draws quadrant names only when the model's F test
    tells its R² from 0 (:func:`cxresearch.findings.analyses.model_f_test` at the model's
    ``alpha``), as :func:`cxresearch.tables.driver_table` and :func:`cxresearch.tables.say_drivers`
    give quadrant advice only then: otherwise the points share one colour, the corners stay
    empty, the chart says why under its axes, and its data carry no quadrant column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of :func:`cxresearch.drivers.importance_performance`.
    segment : optional
        With ``by``: the segment value to draw (one chart per segment).
    by : str, optional
        The segment column of ``frame``.
    lang : {'en', 'zh'}
        Language of the axis titles and the base note (labels come from the frame).
    title : str, optional
    ax : matplotlib Axes, optional
        Drawn into; a new figure otherwise.
    palette : optional
        Colours of the four quadrants (seaborn palette spec).
    model : optional
        The driver model the importances come from (:func:`cxresearch.drivers.importance`'s
        result: ``r2``, ``n_eff``, ``drivers``, ``alpha``); without it the quadrants are drawn.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    CXValueError
        Missing columns, several segments without ``segment``, or an unknown segment/lang.

    Examples
    --------
    The importance–performance map of four drivers of overall satisfaction (demo study):

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    >>> ipa = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers,
    ...                                         weights="weight", codebook=cb, lang="en")
    >>> ax = cx.viz.drivers.importance_performance(ipa, lang="en", title="Where to act")
    >>> type(ax.figure).__name__, ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('Figure', 'Where to act', 'Performance', 'Importance (share of explained variance)')
    >>> for label, performance, importance, quadrant in cx.viz.style.chart_data(ax.figure)["rows"]:
    ...     print(f"{label:26} {performance:.2f} {importance:.3f}  {quadrant}")
    Product quality            3.78 0.290  Keep up the good work
    Value for money            3.26 0.238  Low priority
    Ease of the sales channel  3.76 0.174  Possible overkill
    Responsiveness of service  3.33 0.298  Concentrate here
    >>> plt.close(ax.figure)
    >>> zh = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers,
    ...                                        weights="weight", codebook=cb, lang="zh")
    >>> ax = cx.viz.drivers.importance_performance(zh, lang="zh")
    >>> ax.get_xlabel(), ax.get_ylabel(), cx.viz.style.chart_data(ax.figure)["title"]
    ('表现', '重要性（解释方差占比）', '重要性—表现矩阵')
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_lang(lang)
    missing = [c for c in _IPA_COLUMNS if c not in frame.columns]
    if missing:
        raise CXValueError(
            f"frame lacks column(s) {missing}; pass importance_performance()'s frame"
        )
    data = frame
    if by is not None:
        if by not in frame.columns:
            raise CXValueError(f"by column {by!r} is not in the frame")
        if segment is None:
            raise CXValueError(f"frame has segments in {by!r}; choose one with segment=")
        data = frame[frame[by] == segment]
        if data.empty:
            raise CXValueError(
                f"segment {segment!r} not in {by!r}; have {sorted(frame[by].unique())}"
            )
    elif "driver" in frame and frame["driver"].duplicated().any():
        raise CXValueError("frame repeats drivers (several segments); pass by= and segment=")
    null_p = _null_model_p(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    order = list(_CORNER)
    sns.scatterplot(
        data=data,
        x="performance",
        y="importance",
        hue=None if null_p is not None else "quadrant",
        hue_order=None if null_p is not None else order,
        palette=None if null_p is not None else palette,
        color="0.45" if null_p is not None else None,
        s=70,
        ax=ax,
        legend=False,
    )
    ax.margins(x=0.2, y=0.18)  # room for the point labels and the quadrant names in the corners
    ax.axvline(data["performance_cut"].iloc[0], color="0.5", lw=1, ls="--")
    ax.axhline(data["importance_cut"].iloc[0], color="0.5", lw=1, ls="--")
    if ax.get_xlim()[0] > 0:  # the map zooms on the ratings: mark that the axis does not start at 0
        _x_axis_break(ax)
    _label_points(
        ax,
        data["performance"].to_numpy(float),
        data["importance"].to_numpy(float),
        [str(v) for v in data["label"]],
    )
    names = dict(zip(data["quadrant"], data["quadrant_label"], strict=False))
    from cxresearch.drivers import QUADRANTS

    for q, (x, y, ha, va) in _CORNER.items() if null_p is None else ():
        ax.text(
            x,
            y,
            names.get(q, QUADRANTS[q][lang]),
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=10,
            color="0.35",
            fontweight="bold",
            alpha=0.8,
        )
    pomp = "performance_unit" in data and (data["performance_unit"] == "pomp").any()
    performance = message("chart.performance_pomp" if pomp else "chart.performance", lang)
    importance = message("chart.importance", lang)
    ax.set_xlabel(performance)
    ax.set_ylabel(importance)
    base = None
    if "n" in data and "n_eff" in data:
        base = _base_text(data["n"].iloc[0], data["n_eff"].iloc[0], lang)
        _base_note(ax, base)
    notes = []
    if null_p is not None:
        notes.append(message("chart.ipa_no_quadrants", lang, p=_p_text(null_p)))
        ax.annotate(  # under the base note: why the corners are empty
            notes[0],
            (0, 0),
            xycoords="axes fraction",
            xytext=(0, -54 if base else -42),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color="0.25",
        )
    if title:
        ax.set_title(title)
    from cxresearch.viz.style import attach_data

    quad_col = ["quadrant_label"] if null_p is None else []
    attach_data(
        ax.figure,
        data,
        name="importance_performance",
        title=title or message("chart.ipa_title", lang),
        columns=["label", "performance", "importance", *quad_col],
        labels=[
            message("drivers.driver", lang),
            performance,
            importance,
            *(message("drivers.quadrant", lang) for _ in quad_col),
        ],
        formats=["text", "num2", "num3", *("text" for _ in quad_col)],
        base=base,
        notes=notes,
    )
    return ax


def _null_model_p(model) -> float | None:
    """The F test's p value of a driver model whose R² it does not tell from 0, else None."""
    if model is None:
        return None
    from cxresearch.findings.analyses import model_f_test

    _, p = model_f_test(model.r2, n=model.n_eff, k=len(model.drivers))
    if p is not None and p >= float(getattr(model, "alpha", 0.05)):
        return float(p)
    return None


def _p_text(p: float) -> str:
    """``'p = 0.52'`` / ``'p < 0.001'`` as the narrative words it (``cx.tables.p_eq``)."""
    from cxresearch.tables._core import p_eq

    return p_eq(p)


def importance_bars(result, *, labels=None, lang: str = "en", title: str | None = None, ax=None):
    """Horizontal bars of each driver's share, largest first, with the bootstrap interval if any.

    Parameters
    ----------
    result : DriverResult or LogisticDriverResult
        From :mod:`cxresearch.drivers`.
    labels : mapping, optional
        ``{driver: text}`` shown instead of the column names.
    lang : {'en', 'zh'}
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    Shares of R² of four drivers of overall satisfaction, with bootstrap intervals (demo study):

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cb = cx.codebook.load(study.codebook)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_responsiveness"]
    >>> res = cx.drivers.importance(wave, outcome="overall_sat", drivers=drivers, weights="weight",
    ...                             ci=True, n_boot=200, seed=1)
    >>> ax = cx.viz.drivers.importance_bars(res, labels=cb.label_map("en"), lang="en",
    ...                                     title="What drives overall satisfaction")
    >>> ax.get_title(), ax.get_xlabel()
    ('What drives overall satisfaction', 'Importance (share of explained variance)')
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['Responsiveness of service', 'Product quality', 'Value for money', 'Ease of the sales channel']
    >>> data = cx.viz.style.chart_data(ax.figure)
    >>> data["columns"]
    ['Driver', 'Importance (share of explained variance)', 'CI lower', 'CI upper']
    >>> data["base"]
    'Base: n = 295 (effective n = 292)'
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_lang(lang)
    imp = result.importance.sort_values("share", ascending=False).copy()
    imp["label"] = [(labels or {}).get(d, d) for d in imp["driver"]]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(imp) + 1.2))
    sns.barplot(data=imp, x="share", y="label", color=sns.color_palette()[0], ax=ax)
    if {"ci_lower", "ci_upper"} <= set(imp.columns):
        ax.errorbar(
            imp["share"],
            range(len(imp)),
            # a percentile bootstrap interval may lie beside its estimate: no negative arm
            xerr=[
                (imp["share"] - imp["ci_lower"]).clip(lower=0),
                (imp["ci_upper"] - imp["share"]).clip(lower=0),
            ],
            fmt="none",
            ecolor="0.2",
            capsize=3,
        )
    importance = message("chart.importance", lang)
    ax.set_xlabel(importance)
    ax.set_ylabel("")
    base = _base_text(result.n, result.n_eff, lang)
    _base_note(ax, base)
    if title:
        ax.set_title(title)
    from cxresearch.viz.style import attach_data

    cols = ["label", "share"] + [c for c in ("ci_lower", "ci_upper") if c in imp.columns]
    attach_data(
        ax.figure,
        imp,
        name="driver_importance_chart",
        title=title or message("chart.importance_title", lang),
        columns=cols,
        labels=[message("drivers.driver", lang), importance]
        + [message("ci_lower", lang), message("ci_upper", lang)][: len(cols) - 2],
        formats=["text"] + ["pct1"] * (len(cols) - 1),
        base=base,
    )
    return ax

"""Report charts drawn from estimate frames: trends with intervals, segment bars, stacked shares.

Presentation only: every function takes a tidy frame that a computation module returned
(``estimate``, ``ci_lower``, ``ci_upper``, ``n`` …) and draws it; nothing is estimated here. Call
:func:`cxresearch.viz.style.apply` first (the report's ``open_study`` does). Each function returns
the matplotlib Axes; in a notebook the figure shows once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxresearch._i18n import check_lang, message
from cxresearch.errors import CXValueError

__all__ = ["coefficients", "retention", "segment_bars", "stacked_shares", "trend"]

# The charts' words are entries of the package's message catalog (``chart.*``, and the report words
# ``wave``, ``estimate``, ``ci_lower``, ``ci_upper``); see cxresearch._i18n.


def _need(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(f"{where}: frame must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXValueError(f"{where}: frame lacks column(s) {missing}; has {list(frame.columns)}")


def _check_lang(lang: str) -> None:
    check_lang(lang)


def _ci(lang: str) -> tuple[str, str]:
    return message("ci_lower", lang), message("ci_upper", lang)


def _fmt_n(x: float) -> str:
    return f"{round(float(x)):,d}"


def _base_note(
    ax,
    lang: str,
    n_lo: float,
    n_hi: float | None = None,
    n_eff: float | None = None,
    per: str | None = None,
) -> str | None:
    """Write the chart's base under the axes: 'Base: n = 3,720–3,912 per wave (effective n ...)'.

    ``per``: what the base counts, a ``chart.per.*`` catalog code (``'wave'``: " per wave")."""
    if not np.isfinite(n_lo):
        return None
    n = (
        _fmt_n(n_lo)
        if n_hi is None or round(n_hi) == round(n_lo)
        else message("fmt.range", lang, lo=_fmt_n(n_lo), hi=_fmt_n(n_hi))
    )
    text = message("chart.base", lang, n=n)
    if per:
        text += message(f"chart.per.{per}", lang)
    if n_eff is not None and np.isfinite(n_eff):
        text += message("chart.base_n_eff", lang, n_eff=_fmt_n(n_eff))
    ax.annotate(
        text,
        (0, 0),
        xycoords="figure fraction",
        xytext=(6, 4),
        textcoords="offset points",
        fontsize=7,
        color="0.4",
        ha="left",
        va="bottom",
    )
    return text


def _attach(
    ax, frame: pd.DataFrame, *, name: str, title: str, columns, labels, formats, base=None
) -> None:
    from cxresearch.viz.style import attach_data

    attach_data(
        ax.figure,
        frame,
        name=name,
        title=title,
        columns=columns,
        labels=labels,
        formats=formats,
        base=base,
    )


def _axis_break(ax) -> None:
    """Two short slashes across the bottom of the y axis: the axis does not start at the floor."""
    d = 0.012
    kw = {"transform": ax.transAxes, "color": "0.25", "clip_on": False, "lw": 1.1, "zorder": 5}
    for y0 in (0.018, 0.042):
        ax.plot((-d, d), (y0 - d, y0 + d), **kw)


def _floor_or_break(ax, scale, lo: float, hi: float) -> None:
    """Start the y axis at the scale's floor when that still shows the data's movement; otherwise
    keep the zoomed axis and mark the break (a zoomed axis without a mark overstates a change).

    The floor is used when the data lie in the scale's lower half *and* their range fills at least a
    quarter of the axis from the floor: an NPS between -40 and -29 drawn from -100 is a flat line
    (the reader cannot see the changes the table reports), so it is zoomed and marked instead. On a
    bipolar scale (floor < 0 < ceiling, e.g. NPS) a zero line is drawn when zero is on the axis.
    """
    if scale is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return
    floor, ceiling = float(scale[0]), float(scale[1])
    span = ceiling - floor
    if span <= 0:
        raise CXValueError(f"scale must be (floor, ceiling) with floor < ceiling; got {scale!r}")
    top = min(ceiling, hi + 0.08 * span) if hi < ceiling else ceiling
    top = max(top, floor + 0.1 * span)
    if lo - floor <= 0.5 * span and (hi - lo) >= 0.25 * (top - floor):
        ax.set_ylim(floor, top)
    else:
        _axis_break(ax)
    y0, y1 = ax.get_ylim()
    if floor < 0 < ceiling and y0 < 0 < y1:
        ax.axhline(0, color="0.55", lw=0.8, zorder=1)


def _percent_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def trend(
    frame: pd.DataFrame,
    *,
    lang: str,
    ylabel: str,
    title: str | None = None,
    wave: str = "wave",
    by: str | None = None,
    labels: Mapping | None = None,
    percent: bool = False,
    scale: tuple[float, float] | None = None,
    caption: str | None = None,
    name: str | None = None,
    max_lines: int = 3,
    alpha: float | None = None,
    ax=None,
):
    """Line chart of an estimate by wave with its confidence band.

    Parameters
    ----------
    frame : DataFrame
        ``wave``, ``estimate``, ``ci_lower``, ``ci_upper`` (and ``by``), e.g. ``cx.survey.trend``.
        Suppressed (NaN) estimates and waves missing from a line leave a gap: a line never joins
        across a withheld wave.
    lang : {'zh', 'en'}
    ylabel : str
        Axis label (the measure, in the report language).
    title : str, optional
        Drawn above the axes.
    wave : str, default 'wave'
    by : str, optional
        One line per value of this column. More than ``max_lines`` lines are drawn as small
        multiples (one panel per value, that line highlighted over the others in grey) instead
        of overlapping lines.
    labels : mapping, optional
        ``{value of by: text}`` for the legend and panel titles.
    percent : bool, default False
        Estimates are shares in [0, 1]; the axis shows percentages.
    scale : (floor, ceiling), optional
        The measure's scale (e.g. ``(0, 10)``, ``(-100, 100)`` for NPS; ``(0, 1)`` with
        ``percent``). The axis starts at the floor when the data lie in the scale's lower half;
        otherwise it is zoomed and a break mark shows that it does not start at the floor.
    caption : str, optional
        What the chart shows (the figure's caption and its sheet title in ``tables.xlsx``);
        default ``title``, else the report section's heading.
    name : str, optional
        Sheet name of the chart's data in ``tables.xlsx`` (default ``trend``).
    alpha : float, optional
        Mark the waves whose change on the previous wave is significant at ``alpha`` (needs the
        ``change`` and ``change_p_value`` columns of ``cx.survey.trend``): ▲ up, ▼ down
        (overlapping lines only).
    max_lines : int, default 3
    ax : Axes, optional
        Draw into this axes (always overlapping lines).

    Returns
    -------
    matplotlib.axes.Axes
        The (first) axes drawn.

    Examples
    --------
    NPS by wave in the demo study, waves with a significant change marked:

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> trend = cx.survey.trend(study.responses, score="recommend", statistic="nps",
    ...                         weights="weight", respondent="customer_id")
    >>> ax = cx.viz.charts.trend(trend, lang="en", ylabel="NPS", title="NPS by wave",
    ...                          scale=(-100, 100), alpha=0.05)
    >>> type(ax.figure).__name__, ax.get_title(loc="left"), ax.get_ylabel()
    ('Figure', 'NPS by wave', 'NPS')
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['2014', '2015', '2016', '2017']
    >>> data = cx.viz.style.chart_data(ax.figure)  # the numbers drawn, for tables.xlsx
    >>> data["columns"], data["base"]
    (['Wave', 'NPS', 'CI lower', 'CI upper', 'n'], 'Base: n = 275–295 per wave')
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(
        frame, [wave, "estimate", "ci_lower", "ci_upper"] + ([by] if by else []), "viz.charts.trend"
    )
    if scale is None and percent:
        scale = (0.0, 1.0)
    waves = sorted(frame[wave].dropna().unique())
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=True))

    def full(part):  # one row per wave: a withheld wave is a NaN, so the line breaks there
        return part.drop_duplicates(wave).set_index(wave).reindex(waves)

    if by is not None and len(groups) > max_lines and ax is None:
        ax = _small_multiples(
            groups,
            full,
            waves,
            lang=lang,
            ylabel=ylabel,
            labels=labels,
            percent=percent,
            scale=scale,
            title=title,
        )
    else:
        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 3.6))
        for key, part in groups:
            part = full(part)
            name_ = None if key is None else str((labels or {}).get(key, key))
            line = ax.plot(
                waves,
                part["estimate"],
                marker="o",
                lw=2 if len(groups) <= 3 else 1.4,
                ms=5 if len(groups) <= 3 else 3,
                label=name_,
            )[0]
            if len(groups) <= 3:  # more bands than that hide the lines
                ax.fill_between(
                    waves,
                    part["ci_lower"].astype(float),
                    part["ci_upper"].astype(float),
                    color=line.get_color(),
                    alpha=0.15,
                    lw=0,
                )
            if alpha is not None and {"change", "change_p_value"} <= set(part.columns):
                sig = part[(part["change_p_value"] < alpha) & part["change"].notna()]
                for marker, rows in (("^", sig[sig["change"] > 0]), ("v", sig[sig["change"] < 0])):
                    if len(rows):
                        ax.scatter(
                            rows.index,
                            rows["estimate"].astype(float),
                            marker=marker,
                            s=70,
                            zorder=4,
                            color=line.get_color(),
                            edgecolor="black",
                            linewidths=0.6,
                        )
        if alpha is not None and "change_p_value" in frame:
            ax.text(
                1.0,
                1.02,
                message("chart.significant_change", lang),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="#555555",
            )
        ax.set_xticks(waves)
        ax.set_xticklabels([str(int(w)) for w in waves], rotation=0 if len(waves) <= 12 else 45)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel)
        if percent:
            _percent_axis(ax)
        if by is not None:
            ax.legend(
                frameon=False,
                fontsize=8,
                ncol=min(4, len(groups)),
                loc="upper left",
                bbox_to_anchor=(0, -0.12),
            )
        if title:
            ax.set_title(title, loc="left")
        est = frame["estimate"].astype(float)
        lo = (
            np.nanmin(frame["ci_lower"].astype(float).to_numpy())
            if frame["ci_lower"].notna().any()
            else np.nanmin(est)
        )
        hi = (
            np.nanmax(frame["ci_upper"].astype(float).to_numpy())
            if frame["ci_upper"].notna().any()
            else np.nanmax(est)
        )
        _floor_or_break(ax, scale, lo, hi)
        ax.figure.tight_layout()
    base = None
    if "n" in frame and frame["n"].notna().any():
        base = _base_note(
            ax,
            lang,
            frame["n"].min(),
            frame["n"].max(),
            per="wave" if by is None else "line_and_wave",
        )
    cols = (
        ([by] if by else [])
        + [wave, "estimate", "ci_lower", "ci_upper"]
        + (["n"] if "n" in frame else [])
    )
    data = frame.sort_values(([by] if by else []) + [wave])
    if by is not None and labels:
        data = data.assign(**{by: data[by].map(lambda v: str(labels.get(v, v)))})
    kind = "pct1" if percent else "num2"
    _attach(
        ax,
        data,
        name=name or "trend",
        title=caption or title or "",
        columns=cols,
        labels=([str(by)] if by else [])
        + [message("wave", lang), message("estimate", lang) if not ylabel else ylabel, *_ci(lang)]
        + (["n"] if "n" in frame else []),
        formats=(["text"] if by else [])
        + ["int", kind, kind, kind]
        + (["int"] if "n" in frame else []),
        base=base,
    )
    return ax


def _small_multiples(groups, full, waves, *, lang, ylabel, labels, percent, scale, title):
    """One small panel per group: its line highlighted, every other group's line in light grey."""
    import matplotlib.pyplot as plt

    k = len(groups)
    ncols = 4 if k > 6 else 3
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(7.5, 1.75 * nrows + 0.6), sharex=True, sharey=True, squeeze=False
    )
    colour = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    parts = [(key, full(part)) for key, part in groups]
    lo = min(np.nanmin(p["estimate"].astype(float).to_numpy()) for _, p in parts)
    hi = max(np.nanmax(p["estimate"].astype(float).to_numpy()) for _, p in parts)
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.set_visible(False)
            continue
        key, part = parts[i]
        for j, (_, other) in enumerate(parts):
            if j != i:
                ax.plot(waves, other["estimate"], color="0.82", lw=0.8, zorder=1)
        ax.fill_between(
            waves,
            part["ci_lower"].astype(float),
            part["ci_upper"].astype(float),
            color=colour,
            alpha=0.15,
            lw=0,
            zorder=2,
        )
        ax.plot(waves, part["estimate"], color=colour, lw=1.8, marker="o", ms=2.5, zorder=3)
        ax.set_title(str((labels or {}).get(key, key)), loc="left", fontsize=9, fontweight="normal")
        ax.tick_params(labelsize=7)
        step = max(1, int(np.ceil(len(waves) / 4)))
        ax.set_xticks(waves[::step])
        ax.set_xticklabels([str(int(w)) for w in waves[::step]])
        if percent:
            _percent_axis(ax)
        if i % ncols == 0:
            _floor_or_break(ax, scale, lo, hi)
    fig.supylabel(ylabel, fontsize=9)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return axes.flat[0]


def segment_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    lang: str,
    xlabel: str,
    labels: Mapping | None = None,
    title: str | None = None,
    percent: bool = False,
    reference: float | None = None,
    min_base: int | None = None,
    n_eff: float | None = None,
    caption: str | None = None,
    name: str | None = None,
    ax=None,
):
    """Horizontal bars of an estimate per segment with interval whiskers; low bases hatched.

    Parameters
    ----------
    frame : DataFrame
        ``category``, ``estimate``, ``ci_lower``, ``ci_upper``, ``n`` (one row per segment).
    category : str
        Segment column.
    lang : {'zh', 'en'}
    xlabel : str
        Axis label (the measure).
    labels : mapping, optional
        ``{segment value: text}``.
    title : str, optional
    percent : bool, default False
        Shares in [0, 1] shown as percentages.
    reference : float, optional
        A vertical reference line (e.g. the total).
    min_base : int, optional
        Bars on fewer respondents are hatched and their base is printed.
    n_eff : float, optional
        The effective base of all segments together, as the tables state it (the sum of the
        segments' effective bases is not the effective base of the whole sample, so none is
        printed without it).
    caption : str, optional
        What the chart shows (figure caption, sheet title); default ``title``, else the report
        section's heading.
    name : str, optional
        Sheet name of the chart's data (default ``segments``).
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    Mean overall satisfaction by branch, branches under the reporting minimum hatched:

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.mean(wave, score="overall_sat", by="branch", weights="weight")
    >>> names = cx.codebook.load(study.codebook).value_labels("branch", "en")
    >>> ax = cx.viz.charts.segment_bars(res, category="branch", lang="en", labels=names,
    ...                                 xlabel="Overall satisfaction (0-10)", min_base=30,
    ...                                 title="Overall satisfaction by branch, 2017")
    >>> ax.get_title(loc="left"), ax.get_xlabel()
    ('Overall satisfaction by branch, 2017', 'Overall satisfaction (0-10)')
    >>> [label.get_text() for label in ax.get_yticklabels()][:4]
    ['Beijing', 'Shanghai', 'Guangzhou', 'Chengdu']
    >>> [bar.get_hatch() for bar in ax.patches][4:]  # Xi'an, Shenyang, Kunming: n < 30
    [None, '//', '//', '//']
    >>> cx.viz.style.chart_data(ax.figure)["base"]
    'Base: n = 295'
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(frame, [category, "estimate", "ci_lower", "ci_upper", "n"], "viz.charts.segment_bars")
    data = frame.dropna(subset=["estimate"]).reset_index(drop=True)
    names = [str((labels or {}).get(v, v)) for v in data[category]]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.42 * max(len(data), 3) + 1.0))
    y = np.arange(len(data))
    low = (data["n"] < min_base) if min_base is not None else pd.Series(False, index=data.index)
    colors = ["#bfbfbf" if flag else None for flag in low]
    bars = ax.barh(
        y,
        data["estimate"],
        color=[c or plt.rcParams["axes.prop_cycle"].by_key()["color"][0] for c in colors],
        xerr=[data["estimate"] - data["ci_lower"], data["ci_upper"] - data["estimate"]],
        error_kw={"ecolor": "0.35", "capsize": 3, "lw": 1},
    )
    for bar, flag, n in zip(bars, low, data["n"], strict=True):
        if flag:
            bar.set_hatch("//")
            ax.annotate(
                message("chart.bar_base", lang, n=int(n)),
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="0.4",
            )
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color="0.3", ls="--", lw=1)
    if percent:
        _percent_axis(ax, "x")
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    base = _base_note(ax, lang, data["n"].sum(), n_eff=n_eff)
    kind = "pct1" if percent else "num2"
    cols = [category, "estimate", "ci_lower", "ci_upper", "n"] + (
        ["n_eff"] if "n_eff" in data else []
    )
    _attach(
        ax,
        data.assign(**{category: names}),
        name=name or "segments",
        title=caption or title or "",
        columns=cols,
        labels=[category, xlabel, *_ci(lang), "n"] + (["n_eff"] if "n_eff" in data else []),
        formats=["text", kind, kind, kind, "int"] + (["num1"] if "n_eff" in data else []),
        base=base,
    )
    return ax


def stacked_shares(
    frame: pd.DataFrame,
    *,
    x: str,
    stack: str,
    value: str,
    lang: str,
    order: Sequence | None = None,
    labels: Mapping | None = None,
    title: str | None = None,
    caption: str | None = None,
    name: str | None = None,
    ax=None,
):
    """Stacked bars of shares (summing to 1 per ``x``), e.g. loyalty-ladder stages by year.

    Parameters
    ----------
    frame : DataFrame
        Long frame: ``x``, ``stack``, ``value`` (shares in [0, 1]).
    x, stack, value : str
        Column names.
    lang : {'zh', 'en'}
    order : sequence, optional
        Order of the stacked categories (bottom first).
    labels : mapping, optional
        ``{stack value: text}``.
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    The demo study's loyalty ladder: the share of customers on each stage, by year:

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> ladder = cx.loyalty.stage_shares(
    ...     cx.loyalty.ladder(study.customers, survey=study.responses, recommend="recommend"))
    >>> stages = cx.tables.stage_labels("en")
    >>> ax = cx.viz.charts.stacked_shares(ladder, x="year", stack="stage", value="share",
    ...                                   order=list(stages), labels=stages, lang="en",
    ...                                   title="Loyalty ladder")
    >>> ax.get_title(loc="left"), [label.get_text() for label in ax.get_xticklabels()]
    ('Loyalty ladder', ['2014', '2015', '2016', '2017'])
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['Prospect', 'Target', 'First-time', 'Repeat', 'Loyal', 'Advocate']
    >>> data = cx.viz.style.chart_data(ax.figure)
    >>> data["columns"][:3], [round(v, 3) for v in data["rows"][0][1:4]]
    (['Wave', 'Prospect', 'Target'], [0.226, 0.094, 0.325])
    >>> plt.close(ax.figure)

    Chinese stage names come from the same catalog:

    >>> list(cx.tables.stage_labels("zh").values())[:4]
    ['潜在客户', '目标客户', '首次购买', '重复购买']
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(frame, [x, stack, value], "viz.charts.stacked_shares")
    wide = frame.pivot_table(index=x, columns=stack, values=value, aggfunc="sum").fillna(0.0)
    cols = [c for c in (order or wide.columns) if c in wide.columns]
    wide = wide[cols]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.8))
    bottom = np.zeros(len(wide))
    xs = np.arange(len(wide))
    for col in cols:
        ax.bar(
            xs,
            wide[col].to_numpy(),
            bottom=bottom,
            label=str((labels or {}).get(col, col)),
            width=0.75,
        )
        bottom += wide[col].to_numpy()
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [str(int(v)) if isinstance(v, (int, np.integer, float)) else str(v) for v in wide.index]
    )
    _percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.legend(
        frameon=False,
        fontsize=8,
        ncol=min(len(cols), 4),
        loc="upper left",
        bbox_to_anchor=(0, -0.1),
    )
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    base = None
    if "n" in frame:
        totals = frame.groupby(x)["n"].sum()
        base = _base_note(ax, lang, totals.min(), totals.max(), per="year")
    table_ = wide.rename(columns=lambda c: str((labels or {}).get(c, c))).reset_index()
    _attach(
        ax,
        table_,
        name=name or "shares",
        title=caption or title or "",
        columns=list(table_.columns),
        labels=[message("wave", lang) if x in ("wave", "year") else x, *table_.columns[1:]],
        formats=["int" if pd.api.types.is_numeric_dtype(table_[x]) else "text"]
        + ["pct1"] * (table_.shape[1] - 1),
        base=base,
    )
    return ax


def coefficients(
    frame: pd.DataFrame,
    *,
    x: str,
    lang: str,
    xlabel: str,
    ylabel: str,
    highlight: str | None = None,
    title: str | None = None,
    caption: str | None = None,
    name: str | None = None,
    ax=None,
):
    """Bars of model coefficients with interval whiskers (e.g. a distributed-lag profile).

    Parameters
    ----------
    frame : DataFrame
        ``x``, ``estimate``, ``ci_lower``, ``ci_upper``; optional boolean ``highlight`` column
        (highlighted bars in the first palette colour, the others grey).
    x : str
        Category column (e.g. ``lag``).
    lang : {'zh', 'en'}
    xlabel, ylabel : str
    highlight : str, optional
    title : str, optional
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    How long satisfaction keeps lifting repurchase intent: the lag profile of the demo study,
    significant lags highlighted:

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> profile = cx.persistence.lag_profile(panel, id="customer_id", time="year", max_lag=2,
    ...                                      outcome="repurchase", exposure="overall_sat")
    >>> profile.table[["lag", "estimate", "ci_lower", "ci_upper"]].round(3)
       lag  estimate  ci_lower  ci_upper
    0    0     0.368     0.291     0.444
    1    1     0.281     0.206     0.356
    2    2     0.162     0.083     0.240
    >>> ax = cx.viz.charts.coefficients(
    ...     profile.table, x="lag", highlight="significant_positive", lang="en",
    ...     xlabel=cx.tables.word("lag", "en"), ylabel=cx.tables.word("coefficient", "en"))
    >>> ax.get_xlabel(), ax.get_ylabel(), len(ax.patches)
    ('Lag (years)', 'Coefficient', 3)
    >>> cx.tables.word("lag", "zh"), cx.tables.word("coefficient", "zh")
    ('滞后（年）', '系数')
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(
        frame,
        [x, "estimate", "ci_lower", "ci_upper"] + ([highlight] if highlight else []),
        "viz.charts.coefficients",
    )
    data = frame.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    first = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    colors = [
        first if (highlight is None or bool(h)) else "#bfbfbf"
        for h in (data[highlight] if highlight else [True] * len(data))
    ]
    xs = np.arange(len(data))
    ax.bar(
        xs,
        data["estimate"],
        color=colors,
        width=0.6,
        yerr=[data["estimate"] - data["ci_lower"], data["ci_upper"] - data["estimate"]],
        error_kw={"ecolor": "0.35", "capsize": 3, "lw": 1},
    )
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(v) for v in data[x]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    _attach(
        ax,
        data,
        name=name or "coefficients",
        title=caption or title or "",
        columns=[x, "estimate", "ci_lower", "ci_upper"],
        labels=[xlabel, ylabel, *_ci(lang)],
        formats=[
            "text" if not pd.api.types.is_numeric_dtype(data[x]) else "int",
            "num3",
            "num3",
            "num3",
        ],
    )
    return ax


def retention(
    curves: pd.DataFrame,
    *,
    lang: str,
    group: str = "band",
    labels: Mapping | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    caption: str | None = None,
    name: str | None = None,
    ax=None,
):
    """Kaplan–Meier retention curves (steps) with interval bands, one per group.

    ``curves`` is ``cx.loyalty.retention_curves(...).curves``: ``group``, ``years``,
    ``retention``, ``ci_lower``, ``ci_upper``.

    Examples
    --------
    Customer retention by overall-satisfaction band in the demo study (Kaplan–Meier):

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat"])
    >>> result = cx.loyalty.retention_curves(panel, score="overall_sat")
    >>> cb = cx.codebook.load(study.codebook)
    >>> bands = cx.tables.band_labels(result, score="overall_sat", lang="en", codebook=cb)
    >>> ax = cx.viz.charts.retention(result.curves, lang="en", labels=bands,
    ...                              title="Retention by satisfaction")
    >>> ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()
    ('Retention by satisfaction', 'Years', 'Retained')
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['Overall satisfaction 0–5', 'Overall satisfaction 6–7', 'Overall satisfaction 8–10']
    >>> cx.viz.style.chart_data(ax.figure)["base"]
    'Base: n = 378 customers'
    >>> plt.close(ax.figure)
    >>> ax = cx.viz.charts.retention(result.curves, lang="zh")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('年数', '留存率')
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(curves, [group, "years", "retention", "ci_lower", "ci_upper"], "viz.charts.retention")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.8))
    for key, part in curves.groupby(group, sort=False):
        part = part.sort_values("years")
        shown = str((labels or {}).get(key, key))
        line = ax.step(part["years"], part["retention"], where="post", lw=2, label=shown)[0]
        ax.fill_between(
            part["years"],
            part["ci_lower"],
            part["ci_upper"],
            step="post",
            color=line.get_color(),
            alpha=0.12,
            lw=0,
        )
    ax.set_ylim(0, 1.02)
    _percent_axis(ax)
    ax.set_xlabel(xlabel or message("chart.years", lang))
    ax.set_ylabel(ylabel or message("chart.retained", lang))
    ax.legend(frameon=False, fontsize=8, title=None)
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    base = None
    if "at_risk" in curves:
        start = curves.sort_values("years").groupby(group, sort=False)["at_risk"].first().sum()
        base = _base_note(ax, lang, start, per="customers")
    data = curves.assign(**{group: curves[group].map(lambda v: str((labels or {}).get(v, v)))})
    cols = [group, "years", "retention", "ci_lower", "ci_upper"] + (
        ["at_risk"] if "at_risk" in curves else []
    )
    _attach(
        ax,
        data,
        name=name or "retention_curves",
        title=caption or title or message("chart.retention_title", lang),
        columns=cols,
        labels=[message("chart.group", lang), ax.get_xlabel(), ax.get_ylabel(), *_ci(lang)]
        + ([message("chart.at_risk", lang)] if "at_risk" in curves else []),
        formats=["text", "num1", "pct1", "pct1", "pct1"] + (["int"] if "at_risk" in curves else []),
        base=base,
    )
    return ax

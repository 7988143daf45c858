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

from cxresearch.errors import CXValueError

__all__ = ["coefficients", "retention", "segment_bars", "stacked_shares", "trend"]

_LANGS = ("zh", "en")
_BASE = {"zh": "样本量", "en": "Base"}


def _need(frame: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(f"{where}: frame must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXValueError(f"{where}: frame lacks column(s) {missing}; has {list(frame.columns)}")


def _check_lang(lang: str) -> None:
    if lang not in _LANGS:
        raise CXValueError(f"lang must be one of 'zh', 'en'; got {lang!r}")


def _fmt_n(x: float) -> str:
    return f"{round(float(x)):,d}"


def _base_note(ax, lang: str, n_lo: float, n_hi: float | None = None, n_eff: float | None = None,
               per: str | None = None) -> None:
    """Write the chart's base under the axes: 'Base: n = 3,720–3,912 per wave (effective n ...)'."""
    if not np.isfinite(n_lo):
        return
    n = _fmt_n(n_lo) if n_hi is None or round(n_hi) == round(n_lo) else f"{_fmt_n(n_lo)}–{_fmt_n(n_hi)}"
    zh = lang == "zh"
    text = f"{_BASE[lang]}{'：' if zh else ': '}n = {n}"
    if per:
        text += per
    if n_eff is not None and np.isfinite(n_eff):
        text += f"（有效样本量 {_fmt_n(n_eff)}）" if zh else f" (effective n = {_fmt_n(n_eff)})"
    ax.annotate(text, (0, 0), xycoords="figure fraction", xytext=(6, 4), textcoords="offset points",
                fontsize=7, color="0.4", ha="left", va="bottom")


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
    alpha: float | None = None,
    ax=None,
):
    """Line chart of an estimate by wave with its confidence band (bands drawn for up to 3 lines).

    Parameters
    ----------
    frame : DataFrame
        ``wave``, ``estimate``, ``ci_lower``, ``ci_upper`` (and ``by``), e.g. ``cx.survey.trend``.
        Suppressed (NaN) estimates leave a gap.
    lang : {'zh', 'en'}
    ylabel : str
        Axis label (the measure, in the report language).
    title : str, optional
    wave : str, default 'wave'
    by : str, optional
        One line per value of this column.
    labels : mapping, optional
        ``{value of by: text}`` for the legend.
    percent : bool, default False
        Estimates are shares in [0, 1]; the axis shows percentages.
    alpha : float, optional
        Mark the waves whose change on the previous wave is significant at ``alpha`` (needs the
        ``change`` and ``change_p_value`` columns of ``cx.survey.trend``): ▲ up, ▼ down.
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(frame, [wave, "estimate", "ci_lower", "ci_upper"] + ([by] if by else []), "viz.charts.trend")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=True))
    for key, part in groups:
        part = part.sort_values(wave)
        name = None if key is None else str((labels or {}).get(key, key))
        line = ax.plot(part[wave], part["estimate"], marker="o", lw=2 if len(groups) <= 3 else 1.4,
                       ms=5 if len(groups) <= 3 else 3, label=name)[0]
        if len(groups) <= 3:  # more bands than that hide the lines
            ax.fill_between(part[wave], part["ci_lower"], part["ci_upper"], color=line.get_color(), alpha=0.15, lw=0)
        if alpha is not None and {"change", "change_p_value"} <= set(part.columns):
            sig = part[(part["change_p_value"] < alpha) & part["change"].notna()]
            for marker, rows in (("^", sig[sig["change"] > 0]), ("v", sig[sig["change"] < 0])):
                if len(rows):
                    ax.scatter(rows[wave], rows["estimate"], marker=marker, s=70, zorder=4,
                               color=line.get_color(), edgecolor="black", linewidths=0.6)
    if alpha is not None and "change_p_value" in frame:
        ax.text(1.0, 1.02, ("▲▼ 较上期显著变化" if lang == "zh" else "▲▼ significant change on the previous wave"),
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="#555555")
    waves = sorted(frame[wave].dropna().unique())
    ax.set_xticks(waves)
    ax.set_xticklabels([str(int(w)) for w in waves], rotation=0 if len(waves) <= 12 else 45)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    if percent:
        _percent_axis(ax)
    if by is not None:
        ax.legend(frameon=False, fontsize=8, ncol=min(4, len(groups)), loc="upper left", bbox_to_anchor=(0, -0.12))
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    if "n" in frame and frame["n"].notna().any():
        _base_note(ax, lang, frame["n"].min(), frame["n"].max(),
                   per=("（每期）" if lang == "zh" else " per wave") if by is None else
                   ("（每组每期）" if lang == "zh" else " per line and wave"))
    return ax


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
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
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
    bars = ax.barh(y, data["estimate"], color=[c or plt.rcParams["axes.prop_cycle"].by_key()["color"][0] for c in colors],
                   xerr=[data["estimate"] - data["ci_lower"], data["ci_upper"] - data["estimate"]],
                   error_kw={"ecolor": "0.35", "capsize": 3, "lw": 1})
    for bar, flag, n in zip(bars, low, data["n"], strict=True):
        if flag:
            bar.set_hatch("//")
            ax.annotate(f"{_BASE[lang]} {int(n)}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=7, color="0.4")
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
    _base_note(ax, lang, data["n"].sum(), n_eff=data["n_eff"].sum() if "n_eff" in data else None)
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
        ax.bar(xs, wide[col].to_numpy(), bottom=bottom, label=str((labels or {}).get(col, col)), width=0.75)
        bottom += wide[col].to_numpy()
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(v)) if isinstance(v, (int, np.integer, float)) else str(v) for v in wide.index])
    _percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8, ncol=min(len(cols), 4), loc="upper left", bbox_to_anchor=(0, -0.1))
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    if "n" in frame:
        totals = frame.groupby(x)["n"].sum()
        _base_note(ax, lang, totals.min(), totals.max(), per="（每年）" if lang == "zh" else " per year")
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
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(frame, [x, "estimate", "ci_lower", "ci_upper"] + ([highlight] if highlight else []), "viz.charts.coefficients")
    data = frame.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    first = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    colors = [first if (highlight is None or bool(h)) else "#bfbfbf"
              for h in (data[highlight] if highlight else [True] * len(data))]
    xs = np.arange(len(data))
    ax.bar(xs, data["estimate"], color=colors, width=0.6,
           yerr=[data["estimate"] - data["ci_lower"], data["ci_upper"] - data["estimate"]],
           error_kw={"ecolor": "0.35", "capsize": 3, "lw": 1})
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(v) for v in data[x]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
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
    ax=None,
):
    """Kaplan–Meier retention curves (steps) with interval bands, one per group.

    ``curves`` is ``cx.loyalty.retention_curves(...).curves``: ``group``, ``years``,
    ``retention``, ``ci_lower``, ``ci_upper``.
    """
    import matplotlib.pyplot as plt

    _check_lang(lang)
    _need(curves, [group, "years", "retention", "ci_lower", "ci_upper"], "viz.charts.retention")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.8))
    for key, part in curves.groupby(group, sort=False):
        part = part.sort_values("years")
        name = str((labels or {}).get(key, key))
        line = ax.step(part["years"], part["retention"], where="post", lw=2, label=name)[0]
        ax.fill_between(part["years"], part["ci_lower"], part["ci_upper"], step="post",
                        color=line.get_color(), alpha=0.12, lw=0)
    ax.set_ylim(0, 1.02)
    _percent_axis(ax)
    ax.set_xlabel(xlabel or ("年数" if lang == "zh" else "Years"))
    ax.set_ylabel(ylabel or ("留存率" if lang == "zh" else "Retained"))
    ax.legend(frameon=False, fontsize=8, title=None)
    if title:
        ax.set_title(title, loc="left")
    ax.figure.tight_layout()
    if "at_risk" in curves:
        start = curves.sort_values("years").groupby(group, sort=False)["at_risk"].first().sum()
        _base_note(ax, lang, start, per="（客户）" if lang == "zh" else " customers")
    return ax

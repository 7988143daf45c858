"""Customer-experience KPIs: Net Promoter Score, top-/bottom-box shares and CSAT.

Each KPI is a design-based domain mean of a transformed answer (the promoter-minus-detractor
indicator for NPS, a box indicator for top-box), so it inherits the Taylor-linearised standard errors
of :mod:`cxresearch.survey._design` (weights, strata, clusters, fpc), its ``by`` domains and its
small-base rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch._toolbox import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN
from cxresearch.errors import CXValueError
from cxresearch.survey import _design as core
from cxresearch.survey import _fast as fast
from cxresearch.survey import _frames
from cxresearch.survey.estimates import _level_indicator, _prepare
from cxresearch.survey.estimates import mean as _mean

__all__ = ["nps", "top_box", "bottom_box", "csat", "transform", "STATISTICS"]

NPS_SCALE = (0.0, 10.0)
STATISTICS = ("mean", "top_box", "bottom_box", "nps", "proportion")


def _check_k(k: int, scale: tuple[float, float], column: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise CXValueError(f"k must be a positive integer (number of boxes); got {k!r}")
    width = scale[1] - scale[0] + 1
    if k >= width:
        raise CXValueError(
            f"k={k} boxes cover the whole scale [{scale[0]:g}, {scale[1]:g}] of {column!r}; "
            f"k must be below {int(width)}"
        )
    return int(k)


def _fmt_scale(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


def _nps_alternative(column: str, scale: tuple[float, float] | None) -> str:
    """What a recommend-like item off the 0-10 scale can serve as instead of NPS."""
    if scale is not None and scale[1] - scale[0] >= 2:
        lo, hi = scale
        top = f"{hi - 1:g}-{hi:g}"
        return (
            f"a {_fmt_scale(scale)} recommend item may serve as a loyalty measure (its mean: "
            f"cx.survey.mean) or a top-box measure (cx.survey.top_box(data, score={column!r}, k=2) "
            f"counts answers {top})"
        )
    return (
        "an item on another scale may serve as a loyalty measure (cx.survey.mean) or a top-box "
        "measure (cx.survey.top_box with its scale)"
    )


def check_nps_item(
    y: np.ndarray,
    column: str,
    index: pd.Index,
    *,
    scale: tuple[float, float] | None = None,
    source: str = "its codebook",
) -> None:
    """Refuse a score that is not a 0-10 likelihood-to-recommend item.

    Raises :class:`~cxresearch.errors.CXValueError` when the item's known scale (``scale``: from
    ``scale=``, a codebook, or the codebook scale a store read carried in the frame's ``attrs``)
    is not 0-10, when an answer lies outside 0-10, or when an answer is not a whole number. The
    message names the column, its scale and what the item could serve as instead; computing NPS
    on a 1-7 item would report nearly everyone as a detractor (about -100).
    """
    if scale is not None and (float(scale[0]), float(scale[1])) != NPS_SCALE:
        raise CXValueError(
            f"NPS needs a 0-10 likelihood-to-recommend item; {column!r} has scale "
            f"{_fmt_scale(scale)} ({source}), so NPS is not defined for it (promoters 9-10, "
            f"detractors 0-6 count answers of a 0-10 scale); "
            f"{_nps_alternative(column, (float(scale[0]), float(scale[1])))}"
        )
    if y.size == 0:
        return
    lo, hi = float(np.fmin.reduce(y)), float(np.fmax.reduce(y))  # NaN-skipping, no warning
    if np.isnan(lo):  # every answer missing
        return
    if lo < 0 or hi > 10:
        with np.errstate(invalid="ignore"):
            i = int(np.flatnonzero((y < 0) | (y > 10))[0])
        raise CXValueError(
            f"NPS needs answers on the 0-10 scale; {column!r} has value {y[i]:g} at row "
            f"{index[i]!r} (observed range {lo:g}-{hi:g}); recode it or declare it a missing "
            f"code; {_nps_alternative(column, None)}"
        )
    with np.errstate(invalid="ignore"):
        frac = np.floor(y) < y  # NaN compares False
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise CXValueError(
            f"NPS needs whole-number answers 0-10; {column!r} has value {y[i]:g} at row "
            f"{index[i]!r}: it is not a likelihood-to-recommend item (a mean or index?)"
        )


def transform(
    y: np.ndarray,
    *,
    statistic: str,
    column: str,
    index: pd.Index,
    scale: tuple[float, float] | None = None,
    k: int = 2,
    raw: pd.Series | None = None,
    level: object | None = None,
) -> np.ndarray:
    """The per-respondent variable whose weighted mean is ``statistic`` (NaN stays missing).

    ``mean``: the score; ``top_box``: 1 if ``y >= max - k + 1``; ``bottom_box``: 1 if
    ``y <= min + k - 1``; ``nps``: ``100 * (1[y >= 9] - 1[y <= 6])`` on a 0-10 scale;
    ``proportion``: 1 if the raw answer equals ``level`` (or is in a list of levels).
    """
    if statistic not in STATISTICS:
        raise CXValueError(
            f"statistic must be one of {', '.join(repr(s) for s in STATISTICS)}; got {statistic!r}"
        )
    if statistic == "proportion":
        if level is None:
            raise CXValueError("statistic='proportion' needs level= (the category to count)")
        return _level_indicator(raw, level)
    if statistic == "nps":
        check_nps_item(y, column, index, scale=scale, source="its given scale or codebook")
        with np.errstate(invalid="ignore"):
            return np.where(
                np.isnan(y),
                np.nan,
                100.0 * ((y >= NPS_PROMOTER_MIN).astype(float) - (y <= NPS_DETRACTOR_MAX)),
            )
    core.check_scale(y, column, scale, index)
    if statistic == "mean":
        return y
    if scale is None:
        raise CXValueError(
            f"{statistic} needs the scale of {column!r}: pass scale=(min, max) or codebook="
        )
    k = _check_k(k, scale, column)
    with np.errstate(invalid="ignore"):
        if statistic == "top_box":
            hit = y >= scale[1] - k + 1
        else:
            hit = y <= scale[0] + k - 1
    return np.where(np.isnan(y), np.nan, hit.astype(float))


_VALUES = ("n_eff", "estimate", "se", "ci_lower", "ci_upper", "promoters", "passives", "detractors")


def nps(
    data: pd.DataFrame,
    *,
    score: str | Sequence[str],
    by: str | Sequence[str] | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
    codebook: object | None = None,
) -> pd.DataFrame:
    """Net Promoter Score (-100 ... 100) with its linearised standard error and interval.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    score : str or list of str
        Likelihood-to-recommend column(s) on 0-10; NaN is missing. A value outside 0-10, a
        fractional value, or a codebook scale other than 0-10 raises.
    by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
        As :func:`cxresearch.survey.mean`.
    codebook : Codebook or dict, optional
        Source of each score's scale. Without it, the scale a store read recorded in
        ``data.attrs["cx_scales"]`` (see :meth:`cxresearch.store.Store.responses`) is used.

    Returns
    -------
    DataFrame
        One row per score x domain: the ``by`` columns, ``score``, ``n``, ``n_eff``,
        ``promoters``, ``passives``, ``detractors`` (weighted shares in [0, 1] of answers 9-10,
        7-8 and 0-6), ``estimate`` (NPS = 100 (promoters - detractors)), ``se``, ``ci_lower``,
        ``df`` (domain degrees of freedom, as :func:`cxresearch.survey.mean`), ``ci_upper``
        (``estimate -+ t_df se``, truncated to
        [-100, 100]), ``small_base``, ``suppressed``.

    Raises
    ------
    CXValueError
        A missing column; a non-numeric score; a score whose scale (from ``codebook`` or the
        frame's ``attrs``) is not 0-10 — a 1-7 "would recommend" item is not an NPS item and
        would read as about -100; the message says what it may serve as instead (a loyalty or
        top-box measure); a value outside 0-10 or not a whole number; bad weights or design
        columns.

    Notes
    -----
    NPS is the weighted mean of ``x_i = 100 (1[y_i >= 9] - 1[y_i <= 6])``; its influence values are
    ``z_i = w_i (x_i - NPS) / W``. Under simple random sampling this gives the trinomial variance
    ``100^2 (p + d - (p - d)^2) / (n - 1)`` (R's ``n/(n-1)`` convention; tested).

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> cx.survey.nps(wave, score="recommend", weights="weight")[["n", "estimate", "se"]].round(1)
           n  estimate   se
    0  295.0     -27.9  4.5

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12).
    Rocks, B. (2016). Interval estimation for the "net promoter score". *The American
    Statistician* 70(4), 365-372. https://doi.org/10.1080/00031305.2016.1158124
    """
    data, scores, by_cols, alpha, design, dom = _prepare(
        data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
    )
    for col in scores:
        source = "its codebook" if codebook is not None else "the codebook of the store read"
        check_nps_item(
            core.numeric_column(data, col),
            col,
            data.index,
            scale=core.resolve_scale(col, None, codebook, data),
            source=source,
        )

    def get_x(col):
        y = core.numeric_column(data, col)
        x = transform(y, statistic="nps", column=col, index=data.index)
        with np.errstate(invalid="ignore"):
            prom = np.where(np.isnan(y), np.nan, (y >= NPS_PROMOTER_MIN).astype(float))
        return x, prom

    ests = fast.estimate_items(
        design, dom, data, scores, mode=fast.MODE_NPS, scales=[NPS_SCALE] * len(scores), get_x=get_x
    )
    frames = []
    for col, est in zip(scores, ests, strict=True):
        prom = est.extra
        det = prom - est.estimate / 100.0
        shares = {"promoters": prom, "passives": 1.0 - prom - det, "detractors": det}
        frames.append(
            _frames.domain_frame(
                dom, est, alpha=alpha, interval="nps", head={"score": col}, middle=shares
            )
        )
    return _frames.finish_domains(
        frames,
        design,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=_VALUES,
        where="survey.nps",
    )


def _box(
    data,
    *,
    score,
    k,
    bottom,
    by,
    weights,
    strata,
    cluster,
    fpc,
    lonely_psu,
    alpha,
    scale,
    codebook,
    min_base,
    anonymity_min,
    where,
):
    data, scores, by_cols, alpha, design, dom = _prepare(
        data, score, by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
    )
    scales = {}
    for col in scores:
        sc = core.resolve_scale(col, scale, codebook, data)
        if sc is None:
            raise CXValueError(
                f"{where} needs the scale of {col!r}: pass scale=(min, max) or codebook= "
                "(frames read from a study store carry it)"
            )
        scales[col] = sc

    def get_x(col):
        y = core.numeric_column(data, col)
        x = transform(
            y,
            statistic="bottom_box" if bottom else "top_box",
            column=col,
            index=data.index,
            scale=scales[col],
            k=k,
        )
        return x, None

    for col in scores:
        _check_k(k, scales[col], col)
    thresholds = [(scales[c][0] + k - 1) if bottom else (scales[c][1] - k + 1) for c in scores]
    ests = fast.estimate_items(
        design,
        dom,
        data,
        scores,
        mode=fast.MODE_BOTTOM if bottom else fast.MODE_TOP,
        thresholds=thresholds,
        scales=[scales[c] for c in scores],
        get_x=get_x,
    )
    frames = [
        _frames.domain_frame(
            dom, est, alpha=alpha, interval="logit", head={"score": col, "threshold": thr}
        )
        for col, thr, est in zip(scores, thresholds, ests, strict=True)
    ]
    return _frames.finish_domains(
        frames,
        design,
        alpha=alpha,
        k=k,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=_VALUES,
        where=where,
    )


_BOX_DOC = """Design-based {which}-{k}-box share: the weighted share of answers {cond}.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    score : str or list of str
        Numeric rating column(s); NaN is missing.
    k : int
        Number of boxes (2 = the two {which}most answers). Must be smaller than the scale width.
    scale : (min, max), optional
        The scale of the score(s); required unless ``codebook`` or a store read gives it. A value
        outside raises.
    codebook : Codebook or dict, optional
        Source of each score's scale (``min``/``max``), so each item uses its own (the top two
        boxes of a 1-7 item are 6-7, of a 1-5 item 4-5). Without ``scale`` or ``codebook``, the
        scales a store read recorded in ``data.attrs["cx_scales"]`` are used.
    by, weights, strata, cluster, fpc, lonely_psu, alpha, min_base, anonymity_min
        As :func:`cxresearch.survey.mean`.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``score``, ``threshold`` (the {edge} scale value counted), ``n``,
        ``n_eff``, ``estimate`` (share in [0, 1]), ``se`` (linearised), ``df`` (domain degrees of
        freedom), ``ci_lower``/``ci_upper``
        (logit interval as R ``svyciprop(method="logit")``, never outside [0, 1]),
        ``small_base``, ``suppressed``.

    Raises
    ------
    CXValueError
        No scale; a value outside the scale; a non-numeric score; bad ``k``.

    Notes
    -----
    The share is the weighted domain mean of the box indicator; see
    :func:`cxresearch.survey.proportion` for the interval.
    """


#: The Examples section of each box function's docstring (appended to ``_BOX_DOC``).
_BOX_EXAMPLES = {
    "top_box": """    Examples
    --------
    Share of women rating their marriage 4 or 5 on the 1-5 scale, by religiousness (1974 Redbook
    survey, ``statsmodels.datasets.fair``):

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> res = cx.survey.top_box(women, score="rate_marriage", scale=(1, 5), k=2, by="religious")
    >>> res[["religious", "threshold", "n", "estimate", "ci_lower", "ci_upper"]].round(3)
       religious  threshold       n  estimate  ci_lower  ci_upper
    0        1.0        4.0  1021.0     0.753     0.726     0.779
    1        2.0        4.0  2267.0     0.743     0.724     0.760
    2        3.0        4.0  2422.0     0.792     0.776     0.808
    3        4.0        4.0   656.0     0.845     0.815     0.870
    """,
    "bottom_box": """    Examples
    --------
    Share of women rating their marriage 1 or 2 on the 1-5 scale (1974 Redbook survey,
    ``statsmodels.datasets.fair``):

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> res = cx.survey.bottom_box(women, score="rate_marriage", scale=(1, 5), k=2)
    >>> res[["threshold", "n", "estimate", "ci_lower", "ci_upper"]].round(3)
       threshold       n  estimate  ci_lower  ci_upper
    0        2.0  6366.0      0.07     0.064     0.077
    """,
}


def _box_function(*, bottom: bool, name: str, which: str, cond: str, edge: str):
    """The public ``top_box`` / ``bottom_box``: the same signature, one flag apart."""

    def box(
        data: pd.DataFrame,
        *,
        score: str | Sequence[str],
        k: int = 2,
        scale: tuple[float, float] | None = None,
        codebook: object | None = None,
        by: str | Sequence[str] | None = None,
        weights: str | object | None = None,
        strata: str | Sequence[str] | None = None,
        cluster: str | None = None,
        fpc: str | float | None = None,
        lonely_psu: str = "fail",
        alpha: float = 0.05,
        min_base: int = 30,
        anonymity_min: int = 5,
    ) -> pd.DataFrame:
        return _box(
            data,
            score=score,
            k=k,
            bottom=bottom,
            by=by,
            weights=weights,
            strata=strata,
            cluster=cluster,
            fpc=fpc,
            lonely_psu=lonely_psu,
            alpha=alpha,
            scale=scale,
            codebook=codebook,
            min_base=min_base,
            anonymity_min=anonymity_min,
            where=f"survey.{name}",
        )

    box.__name__ = box.__qualname__ = name
    box.__doc__ = (
        _BOX_DOC.format(which=which, k="k", cond=cond, edge=edge).rstrip()
        + "\n\n"
        + _BOX_EXAMPLES[name]
    )
    return box


top_box = _box_function(
    bottom=False, name="top_box", which="top", cond=">= max - k + 1", edge="lowest"
)
bottom_box = _box_function(
    bottom=True, name="bottom_box", which="bottom", cond="<= min + k - 1", edge="highest"
)


def csat(
    data: pd.DataFrame,
    *,
    score: str | Sequence[str],
    scale: tuple[float, float] | None = None,
    codebook: object | None = None,
    k: int = 2,
    by: str | Sequence[str] | None = None,
    weights: str | object | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Customer satisfaction (CSAT) as a mean score and as a top-``k``-box share.

    Parameters are those of :func:`top_box`.

    Returns
    -------
    DataFrame
        The rows of :func:`cxresearch.survey.mean` (``statistic='mean'``) followed by those of
        :func:`top_box` (``statistic='top_box'``), with a ``statistic`` column and the union of
        their columns (``deff``, ``weight_sum`` only for the mean; ``threshold`` only for the
        box share). Each keeps its base, flags and suppression.

    Examples
    --------
    Satisfaction with the marriage (1-5) of the 1974 Redbook survey's women
    (``statsmodels.datasets.fair``), as a mean and as a top-2-box share:

    >>> import cxresearch as cx
    >>> from statsmodels.datasets import fair
    >>> women = fair.load_pandas().data
    >>> res = cx.survey.csat(women, score="rate_marriage", scale=(1, 5))
    >>> res[["statistic", "n", "estimate", "ci_lower", "ci_upper"]].round(3)
      statistic       n  estimate  ci_lower  ci_upper
    0      mean  6366.0     4.110     4.086     4.133
    1   top_box  6366.0     0.774     0.763     0.784
    """
    common = dict(
        by=by,
        weights=weights,
        strata=strata,
        cluster=cluster,
        fpc=fpc,
        lonely_psu=lonely_psu,
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
    )
    for col in core.as_list(score, "score"):
        if core.resolve_scale(col, scale, codebook, data) is None:
            raise CXValueError(
                f"csat needs the scale of {col!r}: pass scale=(min, max) or codebook="
            )
    m = _mean(data, score=score, scale=scale, codebook=codebook, **common)
    b = top_box(data, score=score, k=k, scale=scale, codebook=codebook, **common)
    m.insert(0, "statistic", "mean")
    b.insert(0, "statistic", "top_box")
    return pd.concat([m, b], ignore_index=True)

"""Segments against Total (exception testing) and wave-on-wave KPI changes, as findings."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch import survey
from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError, SmallBaseWarning
from cxresearch.findings._record import Finding
from cxresearch.survey import _design as _core
from cxresearch.survey.kpi import transform as _transform

__all__ = [
    "exceptions",
    "Scorecard",
    "scorecard",
    "segment_findings",
    "trend_findings",
    "kpi_trends",
    "kpi_findings",
    "KPI_KINDS",
]

#: KPI statistics a scorecard can hold and the unit of their differences.
KPI_KINDS = {"mean": "scale_points", "nps": "nps_points"}


def _score_values(data: pd.DataFrame, score: str, kpi: str) -> np.ndarray:
    x = pd.to_numeric(data[score], errors="coerce").to_numpy(dtype=float)
    if kpi == "nps":
        return np.where(
            np.isnan(x), np.nan, 100.0 * ((x >= 9).astype(float) - (x <= 6).astype(float))
        )
    return x


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x) & ~np.isnan(w)
    if ok.sum() < 2:
        return float("nan")
    x, w = x[ok], w[ok]
    m = np.sum(w * x) / np.sum(w)
    return float(np.sqrt(np.sum(w * (x - m) ** 2) / np.sum(w)))


def exceptions(
    data: pd.DataFrame,
    *,
    score: str,
    by: str,
    kpi: str = "mean",
    weights: str | survey.RakeResult | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Each segment of ``by`` against Total on one KPI (exception testing), design-based.

    The segment is part of Total, so the two estimates are not independent: the test of
    ``segment − Total`` uses the joint influence values of the two domain estimates, summed per
    respondent (a respondent in the segment counts in both), so their covariance enters the
    variance exactly. With a :class:`~cxresearch.survey.RakeResult` as ``weights`` (the report's
    ``study.design_for(frame)`` when the params rake) those per-respondent values are first
    residualised on the raking margins, as R's ``svyrecvar`` does for a ``rake``/``calibrate``
    design: the SE is calibration-aware instead of holding the raked weights fixed.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave). Not modified.
    score : str
        The KPI's column.
    by : str
        The segment column. Rows with ``by`` missing count in Total only.
    kpi : {'mean', 'nps'}
        The statistic.
    weights : str or RakeResult, optional
        Sampling-weight column (held fixed), or the rake of these rows (indexed like ``data``;
        calibrated variance). None: unit weights.
    strata, cluster, fpc, lonely_psu
        The rest of the design, as :func:`cxresearch.survey.difference`: respondents are nested in
        their stratum and first-stage cluster (PSU), so the influence values are summed per PSU.
    alpha : float
        Significance level (column ``significant``).
    correction : {'holm', 'bonferroni', 'bh', 'none'}
        Multiplicity correction over the segments (column ``p_adj``).
    min_base, anonymity_min : int
        Small bases are flagged (``small_base``) and never claimed; bases under the anonymity
        minimum are suppressed (estimate NaN).

    Returns
    -------
    DataFrame
        One row per segment: ``by`` (the column name), ``level``, ``score``, ``kpi``, ``n``,
        ``estimate`` (segment), ``total``, ``difference`` (segment − Total), ``se``,
        ``ci_lower``, ``ci_upper`` (of the difference), ``statistic`` (t), ``df``, ``p_value``,
        ``p_adj``, ``small_base``, ``suppressed``, ``significant`` (``p_adj < alpha`` on a base
        at least ``min_base``), ``sd`` (weighted SD of the KPI's respondent values in Total).

    Raises
    ------
    CXValueError
        An unknown ``kpi``; a missing column; bad weights or design columns; a RakeResult of
        other rows (its index differs from ``data``'s).

    Notes
    -----
    With ``y_i`` the KPI's respondent value (the score, or ``100 (1[y >= 9] − 1[y <= 6])`` for
    NPS), ``W_T``/``W_S`` the weight sums of Total and the segment and ``m_T``/``m_S`` their
    weighted means, respondent ``i``'s influence values are ``z_T,i = w_i (y_i − m_T) / W_T`` and
    ``z_S,i = 1[i in S] w_i (y_i − m_S) / W_S``; ``Var(m_S − m_T) = V(z_S − z_T)`` (that is
    ``V(z_S) + V(z_T) − 2 C(z_T, z_S)``) under the design, the values summed per PSU after the
    raking residualisation when calibrated. The t test uses ``PSUs − strata − 1`` degrees of
    freedom (PSUs with a valid answer), R ``svyttest``'s convention. Without a rake, strata or clusters this is the
    linearisation the scorecard always used (every row a PSU, weights as sampling weights). Tested
    against R ``svycontrast(svytotal(...), quote(ys/s − y/one))`` on raked ``api`` designs
    (``tests/reference/survey/make_scorecard.R``).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 7 (calibration).
    https://doi.org/10.1002/9780470580066

    Examples
    --------
    Branches against Total on overall satisfaction in the demo's last wave (Holm over 8 branches):

    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cur = s.responses[s.responses["wave"] == 2017]
    >>> ex = cx.findings.exceptions(cur, score="overall_sat", by="branch", weights="weight",
    ...                             min_base=20)
    >>> ex[["level", "n", "estimate", "total", "difference", "p_adj", "significant"]].head(4).round(3)
      level     n  estimate  total  difference  p_adj  significant
    0     1  64.0     7.671  7.031       0.640  0.007         True
    1     2  53.0     6.848  7.031      -0.184  1.000        False
    2     3  53.0     7.245  7.031       0.214  1.000        False
    3     4  39.0     6.068  7.031      -0.963  0.008         True
    """
    if kpi not in KPI_KINDS:
        raise CXValueError(f"kpi must be one of {', '.join(map(repr, KPI_KINDS))}; got {kpi!r}")
    for col in (score, by) + ((weights,) if isinstance(weights, str) else ()):
        if col not in data.columns:
            raise CXValueError(f"column {col!r} is not in the data; columns: {list(data.columns)}")
    alpha, design = _core.prepare_design(
        _core.check_frame(data),
        alpha=alpha,
        min_base=min_base,
        anonymity_min=anonymity_min,
        weights=weights,
        strata=strata,
        cluster=cluster,
        fpc=fpc,
        lonely_psu=lonely_psu,
    )
    stat = "nps" if kpi == "nps" else "mean"
    x = _transform(
        _core.numeric_column(data, score),
        statistic=stat,
        column=score,
        index=data.index,
        scale=_core.resolve_scale(score, None, None, data),
    )
    levels = sorted(data[by].dropna().unique().tolist())
    if not levels:
        return pd.DataFrame()
    valid = ~np.isnan(x)
    gvals = data[by].to_numpy()
    everyone = np.ones(design.n, dtype=bool)
    total, z_total = _core.mean_influence(design, x, everyone)
    inside = [gvals == lev for lev in levels]
    est, cols = [], [z_total]
    for in_s in inside:
        m, z = _core.mean_influence(design, x, in_s)
        est.append(m)
        cols.append(z)
    # the difference's influence values z_S - z_T, every segment at once: one residualisation
    # on the raking margins (it is linear) and one design variance for all segments
    Z = np.column_stack(cols)
    se = np.sqrt(np.maximum(np.diag(design.vcov(Z[:, 1:] - Z[:, :1])), 0.0))
    # R svyttest's df on the rows of the two levels: here every row is in Total
    df = float(
        _core.domain_df(design, np.zeros(design.n, np.int64), 1, valid & (design.w > 0))[0] - 1
    )
    q = _core.t_quantile(alpha, df) if df > 0 else np.nan
    diff = np.asarray(est) - total
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.nan)
    p = np.where(np.isfinite(t), 2 * stats.t.sf(np.abs(t), df), np.nan)
    n_total = int(valid.sum())
    n_seg = np.array([int((in_s & valid).sum()) for in_s in inside])
    frame = pd.DataFrame(
        {
            "by": by,
            "level": levels,
            "score": score,
            "kpi": kpi,
            "n": n_seg.astype(float),
            "estimate": est,
            "total": total,
            "difference": diff,
            "se": se,
            "ci_lower": diff - q * se,
            "ci_upper": diff + q * se,
            "statistic": t,
            "df": df,
            "p_value": p,
        }
    )
    # bases: the smaller of segment and Total (the segment's), as survey.difference
    base = np.minimum(n_seg, n_total)
    frame["small_base"] = base < min_base
    frame["suppressed"] = base < anonymity_min
    blank = ["estimate", "total", "difference", "se", "ci_lower", "ci_upper", "statistic"]
    frame.loc[frame["suppressed"], [*blank, "p_value"]] = np.nan
    if frame["small_base"].any():
        warnings.warn(
            f"findings.exceptions: {int(frame['small_base'].sum())} segment(s) of {by!r} rest on "
            f"fewer than {min_base} respondents (flagged small_base); "
            f"{int(frame['suppressed'].sum())} under {anonymity_min} suppressed",
            SmallBaseWarning,
            stacklevel=2,
        )
    frame["p_adj"] = survey.adjust_p(frame["p_value"].to_numpy(dtype=float), correction)
    frame["significant"] = (frame["p_adj"] < alpha) & ~frame["small_base"] & ~frame["suppressed"]
    frame["sd"] = _weighted_sd(x, design.w)
    frame.attrs["settings"] = {
        "function": "findings.exceptions",
        **design.spec,
        "calibrated": bool(design.calibration),
        "alpha": alpha,
        "correction": correction,
        "min_base": min_base,
        "anonymity_min": anonymity_min,
    }
    return frame


@dataclass(frozen=True, repr=False)
class Scorecard(ResultDisplay):
    """Segments × KPIs against Total (see :func:`scorecard`).

    Attributes
    ----------
    frame : DataFrame
        :func:`exceptions` rows for every KPI, stacked.
    totals : DataFrame
        One row per KPI: ``score``, ``kpi``, ``estimate`` (Total), ``n``.
    by : str
    settings : dict
    """

    frame: pd.DataFrame
    totals: pd.DataFrame
    by: str
    settings: dict = field(default_factory=dict)

    _display_title = "Segment scorecard (estimate: segment − Total)"

    def to_frame(self) -> pd.DataFrame:
        """The stacked exception rows."""
        return self.frame.copy()

    def _display_frame(self) -> pd.DataFrame:
        # the interval is the difference's: show it as the estimate, the two values beside it
        cols = ["score", "kpi", "level", "n", "difference", "ci_lower", "ci_upper", "p_adj"]
        out = self.frame[cols + ["estimate", "total"]]
        return out.rename(columns={"difference": "estimate", "estimate": "segment"})

    def _display_facts(self) -> dict:
        return {"by": self.by, "kpis": len(self.totals), **self.settings}


def scorecard(
    data: pd.DataFrame,
    *,
    kpis: Sequence[tuple[str, str]],
    by: str,
    weights: str | survey.RakeResult | None = None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
    alpha: float = 0.05,
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
) -> Scorecard:
    """A segment scorecard: every segment of ``by`` against Total on every KPI.

    The report passes the design of the wave, ``**study.design_for(cur)``: when the params rake,
    ``weights`` is the wave's :class:`~cxresearch.survey.RakeResult` and the SEs are
    calibration-aware (see :func:`exceptions`).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (the report wave). Not modified.
    kpis : sequence of (score, kpi)
        E.g. ``[("recommend", "nps"), ("overall_sat", "mean")]``; ``None`` scores are skipped.
    by, weights, strata, cluster, fpc, lonely_psu, alpha, correction, min_base, anonymity_min
        As :func:`exceptions`; the correction runs over the segments of each KPI.

    Examples
    --------
    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cur = s.responses[s.responses["wave"] == 2017]
    >>> card = cx.findings.scorecard(cur, kpis=[("recommend", "nps"), ("overall_sat", "mean")],
    ...                              by="branch", weights="weight", min_base=20)
    >>> card.totals.round(2)
             score   kpi  estimate    n
    0    recommend   nps    -27.86  295
    1  overall_sat  mean      7.03  295
    >>> sig = card.frame[card.frame["significant"]]
    >>> sig[["score", "level", "difference", "ci_lower", "ci_upper"]].round(2)
              score level  difference  ci_lower  ci_upper
    8   overall_sat     1        0.64      0.26      1.02
    11  overall_sat     4       -0.96     -1.54     -0.39
    """
    parts, totals = [], []
    for score, kpi in kpis:
        if (
            score is None
            or score not in data.columns
            or not pd.to_numeric(data[score], errors="coerce").notna().any()
        ):
            continue  # a KPI this wave did not measure has no scorecard column
        part = exceptions(
            data,
            score=score,
            by=by,
            kpi=kpi,
            weights=weights,
            strata=strata,
            cluster=cluster,
            fpc=fpc,
            lonely_psu=lonely_psu,
            alpha=alpha,
            correction=correction,
            min_base=min_base,
            anonymity_min=anonymity_min,
        )
        if part.empty:
            continue
        parts.append(part)
        total = part["total"].dropna()
        totals.append(
            {
                "score": score,
                "kpi": kpi,
                "estimate": float(total.iloc[0]) if len(total) else np.nan,
                "n": int(pd.to_numeric(data[score], errors="coerce").notna().sum()),
            }
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return Scorecard(
        frame=frame,
        totals=pd.DataFrame(totals),
        by=by,
        settings={
            "alpha": alpha,
            "correction": correction,
            "min_base": min_base,
            "anonymity_min": anonymity_min,
            # a rake is named, not kept (the card is data; the rake belongs to the wave's rows)
            "weights": weights if isinstance(weights, str | None) else "<raked>",
            "calibrated": not isinstance(weights, str | None),
            "strata": strata,
            "cluster": cluster,
            "fpc": fpc,
        },
    )


def segment_findings(
    card: Scorecard, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """A ``segment_gap`` finding for every segment significantly above or below Total on a KPI.

    Examples
    --------
    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cur = s.responses[s.responses["wave"] == 2017]
    >>> card = cx.findings.scorecard(cur, kpis=[("overall_sat", "mean")], by="branch",
    ...                              weights="weight", min_base=20)
    >>> found = cx.findings.segment_findings(card, chapter="00_summary", exhibit="scorecard")
    >>> [(f.subject, f.claim, round(f.estimate, 2), f.strength) for f in found]
    [('1', 'above_total', 0.64, 'moderate'), ('4', 'below_total', -0.96, 'moderate')]
    """
    out = []
    frame = card.frame
    if frame.empty:
        return out
    corr = card.settings.get("correction", "holm")
    for r in frame[frame["significant"]].itertuples(index=False):
        direction = 1 if r.difference > 0 else -1
        size = abs(r.difference) / r.sd if r.sd and np.isfinite(r.sd) and r.sd > 0 else 0.0
        out.append(
            Finding(
                kind="segment_gap",
                claim="above_total" if direction > 0 else "below_total",
                subject=str(r.level),
                subject_type="segment",
                variable=r.score,
                direction=direction,
                estimate=r.difference,
                ci_lower=r.ci_lower,
                ci_upper=r.ci_upper,
                unit=KPI_KINDS[r.kpi],
                n=r.n,
                test=f"design-based t test against Total ({corr} over {card.by} segments)",
                statistic=r.statistic,
                p_value=r.p_value,
                p_adj=r.p_adj,
                alpha=card.settings.get("alpha", 0.05),
                size=size,
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={
                    "by": card.by,
                    "level": r.level,
                    "kpi": r.kpi,
                    "segment_value": r.estimate,
                    "total_value": r.total,
                    "sd": r.sd,
                },
            )
        )
    return out


def segment_findings_each(
    data: pd.DataFrame,
    *,
    kpis: Sequence[tuple[str, str]],
    by: Sequence[str],
    chapter: str,
    exhibit: str,
    wave: int | None = None,
    **options,
) -> list[Finding]:
    """:func:`segment_findings` of a :func:`scorecard` for each segment variable in ``by``.

    The report's scorecard shows its first segment variable; a study segmented several ways
    (school and sex; branch and customer type) has its other variables tested the same way, each
    with its own correction over its segments (the family of one variable, as the banner tables
    do), so a gap in the second variable is not left unsaid. ``options``: as :func:`scorecard`
    (weights, design, ``alpha``, ``correction``, bases).

    Examples
    --------
    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> cur = s.responses[s.responses["wave"] == 2017]
    >>> found = cx.findings.segment_findings_each(cur, kpis=[("overall_sat", "mean")],
    ...                                           by=["branch"], weights="weight", min_base=20,
    ...                                           chapter="02_kpis", exhibit="by_segment")
    >>> [(f.details["by"], f.subject, f.claim) for f in found]
    [('branch', '1', 'above_total'), ('branch', '4', 'below_total')]
    """
    out: list[Finding] = []
    for variable in dict.fromkeys(by):
        card = scorecard(data, kpis=kpis, by=variable, **options)
        out += segment_findings(card, chapter=chapter, exhibit=exhibit, wave=wave)
    return out


def trend_findings(
    trend: pd.DataFrame,
    *,
    score: str,
    kpi: str,
    wave: int,
    alpha: float = 0.05,
    chapter: str,
    exhibit: str,
) -> list[Finding]:
    """A ``kpi_change`` finding when the report wave's change on the previous wave is significant.

    ``trend`` is a :func:`cxresearch.survey.trend` frame (one row per wave, no ``by``).

    Examples
    --------
    A trend whose last change is significant (as :func:`cxresearch.survey.trend` returns it):

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> trend = pd.DataFrame({"wave": [2024, 2025], "n": [812, 790], "n_eff": [640.0, 615.0],
    ...                       "estimate": [7.10, 7.42], "se": [0.06, 0.06],
    ...                       "change": [None, 0.32], "change_ci_lower": [None, 0.15],
    ...                       "change_ci_upper": [None, 0.49], "change_p_value": [None, 0.0002]})
    >>> [f] = cx.findings.trend_findings(trend, score="overall_sat", kpi="mean", wave=2025,
    ...                                  chapter="02_kpis", exhibit="sat_trend")
    >>> f.claim, f.estimate, (f.ci_lower, f.ci_upper), f.details["previous_value"]
    ('increase', 0.32, (0.15, 0.49), 7.1)
    """
    if kpi not in KPI_KINDS:
        raise CXValueError(f"kpi must be one of {', '.join(map(repr, KPI_KINDS))}; got {kpi!r}")
    cur = trend[trend["wave"] == wave]
    if cur.empty or "change_p_value" not in trend:
        return []
    r = cur.iloc[0]
    p = r["change_p_value"]
    if not (pd.notna(p) and p < alpha and pd.notna(r["change"])):
        return []
    prev = trend[(trend["wave"] < wave) & trend["estimate"].notna()]
    sd = (
        r["se"] * np.sqrt(r["n_eff"])
        if pd.notna(r.get("se")) and pd.notna(r.get("n_eff"))
        else np.nan
    )
    direction = 1 if r["change"] > 0 else -1
    return [
        Finding(
            kind="kpi_change",
            claim="increase" if direction > 0 else "decrease",
            subject=score,
            subject_type="kpi",
            variable=score,
            direction=direction,
            estimate=r["change"],
            ci_lower=r.get("change_ci_lower"),
            ci_upper=r.get("change_ci_upper"),
            unit=KPI_KINDS[kpi],
            n=r["n"],
            n_eff=r.get("n_eff"),
            test="design-based t test of the change on the previous wave",
            statistic=None,
            p_value=p,
            alpha=alpha,
            size=abs(r["change"]) / sd if sd and np.isfinite(sd) and sd > 0 else 0.0,
            chapter=chapter,
            exhibit=exhibit,
            wave=wave,
            details={
                "kpi": kpi,
                "value": r["estimate"],
                "previous_wave": int(prev["wave"].iloc[-1]) if len(prev) else None,
                "previous_value": prev["estimate"].iloc[-1] if len(prev) else None,
            },
        )
    ]


def kpi_trends(
    data: pd.DataFrame,
    *,
    kpis: Sequence[tuple[str, str]],
    weights=None,
    alpha: float = 0.05,
    min_base: int = 30,
    anonymity_min: int = 5,
    respondent: str | None = None,
) -> list[tuple[str, str, pd.DataFrame]]:
    """``[(score, kpi, cx.survey.trend frame), …]`` for the headline KPIs (``kpi``: ``'nps'`` or ``'mean'``).

    ``weights`` (a column or the waves' stacked rakes) and ``respondent`` (the id linking waves, the
    cluster of the wave-on-wave tests) go to :func:`cxresearch.survey.trend`: the report passes
    ``study.wave_design``, as chapter 02 does, so the dashboard's markers are the same tests.

    Examples
    --------
    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> trends = cx.findings.kpi_trends(s.responses, kpis=[("overall_sat", "mean")],
    ...                                 weights="weight", respondent="customer_id")
    >>> [(score, kpi) for score, kpi, _ in trends]
    [('overall_sat', 'mean')]
    >>> trends[0][2][["wave", "estimate", "change", "change_p_value"]].round(3)
       wave  estimate  change  change_p_value
    0  2014     6.938     NaN             NaN
    1  2015     7.001   0.063           0.609
    2  2016     6.907  -0.094           0.398
    3  2017     7.031   0.124           0.263
    """
    out = []
    for score, kpi in kpis:
        if (
            score is None
            or score not in data.columns
            or not pd.to_numeric(data[score], errors="coerce").notna().any()
        ):
            continue  # not measured: no trend
        if kpi not in KPI_KINDS:
            raise CXValueError(f"kpi must be one of {', '.join(map(repr, KPI_KINDS))}; got {kpi!r}")
        out.append(
            (
                score,
                kpi,
                survey.trend(
                    data,
                    score=score,
                    statistic=kpi,
                    weights=weights,
                    alpha=alpha,
                    min_base=min_base,
                    anonymity_min=anonymity_min,
                    respondent=respondent,
                ),
            )
        )
    return out


def kpi_findings(
    trends: Sequence[tuple[str, str, pd.DataFrame]],
    *,
    wave: int,
    alpha: float = 0.05,
    chapter: str,
    exhibit: str,
) -> list[Finding]:
    """:func:`trend_findings` for every ``(score, kpi, trend)`` of :func:`kpi_trends`.

    Examples
    --------
    Satisfaction did not change significantly in the demo's last wave; NPS rose:

    >>> import cxresearch as cx
    >>> s = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> trends = cx.findings.kpi_trends(s.responses,
    ...                                 kpis=[("overall_sat", "mean"), ("recommend", "nps")],
    ...                                 weights="weight", respondent="customer_id")
    >>> found = cx.findings.kpi_findings(trends, wave=2017, chapter="02_kpis", exhibit="kpi_trend")
    >>> [(f.subject, f.claim, round(f.estimate, 1), round(f.p_value, 3)) for f in found]
    [('recommend', 'increase', 12.5, 0.026)]
    """
    out = []
    for score, kpi, trend in trends:
        out += trend_findings(
            trend, score=score, kpi=kpi, wave=wave, alpha=alpha, chapter=chapter, exhibit=exhibit
        )
    return out

"""Segments against Total (exception testing) and wave-on-wave KPI changes, as findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxresearch import survey
from cxresearch.errors import CXValueError
from cxresearch.findings._record import Finding

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

_TOTAL = "__total__"
_ROW = "__row__"
_GROUP = "__group__"


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
    weights: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
) -> pd.DataFrame:
    """Each segment of ``by`` against Total on one KPI (exception testing), design-based.

    The segment is part of Total, so the two estimates are not independent. The test stacks the
    data twice — every row once as "Total" and once as its segment — and passes a row id as the
    cluster to :func:`cxresearch.survey.difference`: the joint influence values of the two domain
    estimates then carry their covariance, and the difference ``segment − Total`` gets its exact
    linearised variance (the same device as a panel of waves clustered by customer).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave). Not modified.
    score : str
        The KPI's column.
    by : str
        The segment column.
    kpi : {'mean', 'nps'}
        The statistic.
    weights : str, optional
        Sampling-weight column.
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
    """
    if kpi not in KPI_KINDS:
        raise CXValueError(f"kpi must be one of {', '.join(map(repr, KPI_KINDS))}; got {kpi!r}")
    for col in (score, by) + ((weights,) if weights else ()):
        if col not in data.columns:
            raise CXValueError(f"column {col!r} is not in the data; columns: {list(data.columns)}")
    base = data.reset_index(drop=True)
    levels = sorted(base[by].dropna().unique().tolist())
    codes = {lev: f"L{i}" for i, lev in enumerate(levels)}
    rows = np.arange(len(base))
    stacked = pd.concat(
        [
            base.assign(**{_GROUP: _TOTAL, _ROW: rows}),
            base.assign(**{_GROUP: base[by].map(codes), _ROW: rows}),
        ],
        ignore_index=True,
    )
    stacked = stacked[stacked[_GROUP].notna()]
    w = base[weights].to_numpy(dtype=float) if weights else np.ones(len(base))
    sd = _weighted_sd(_score_values(base, score, kpi), w)
    stat = "nps" if kpi == "nps" else "mean"
    out = []
    for lev in levels:
        d = survey.difference(
            stacked,
            score=score,
            by=_GROUP,
            levels=(_TOTAL, codes[lev]),
            statistic=stat,
            weights=weights,
            cluster=_ROW,
            alpha=alpha,
            min_base=min_base,
            anonymity_min=anonymity_min,
        ).iloc[0]
        out.append(
            {
                "by": by,
                "level": lev,
                "score": score,
                "kpi": kpi,
                "n": d["n_b"],
                "estimate": d["estimate_b"],
                "total": d["estimate_a"],
                "difference": d["estimate"],
                "se": d["se"],
                "ci_lower": d["ci_lower"],
                "ci_upper": d["ci_upper"],
                "statistic": d["statistic"],
                "df": d["df"],
                "p_value": d["p_value"],
                "small_base": bool(d["small_base"]),
                "suppressed": bool(d["suppressed"]),
            }
        )
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    frame.loc[
        frame["suppressed"],
        ["estimate", "difference", "se", "ci_lower", "ci_upper", "statistic", "p_value"],
    ] = np.nan
    frame["p_adj"] = survey.adjust_p(frame["p_value"].to_numpy(dtype=float), correction)
    frame["significant"] = (frame["p_adj"] < alpha) & ~frame["small_base"] & ~frame["suppressed"]
    frame["sd"] = sd
    return frame


@dataclass(frozen=True)
class Scorecard:
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

    def to_frame(self) -> pd.DataFrame:
        """The stacked exception rows."""
        return self.frame.copy()


def scorecard(
    data: pd.DataFrame,
    *,
    kpis: Sequence[tuple[str, str]],
    by: str,
    weights: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
) -> Scorecard:
    """A segment scorecard: every segment of ``by`` against Total on every KPI.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (the report wave). Not modified.
    kpis : sequence of (score, kpi)
        E.g. ``[("recommend", "nps"), ("overall_sat", "mean")]``; ``None`` scores are skipped.
    by, weights, alpha, correction, min_base, anonymity_min
        As :func:`exceptions`; the correction runs over the segments of each KPI.
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
            "weights": weights,
        },
    )


def segment_findings(
    card: Scorecard, *, chapter: str, exhibit: str, wave: int | None = None
) -> list[Finding]:
    """A ``segment_gap`` finding for every segment significantly above or below Total on a KPI."""
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
    ``study.wave_design``, as chapter 02 does, so the dashboard's markers are the same tests."""
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
    """:func:`trend_findings` for every ``(score, kpi, trend)`` of :func:`kpi_trends`."""
    out = []
    for score, kpi, trend in trends:
        out += trend_findings(
            trend, score=score, kpi=kpi, wave=wave, alpha=alpha, chapter=chapter, exhibit=exhibit
        )
    return out

"""Verbatim findings: comment themes that dissatisfied customers raise more (or less) than the others.

:func:`theme_gaps` tests, for every theme of a coding (``cx.text.code_comments``), the difference
between the share of dissatisfied commenters who mention it and the share of the other commenters
who do; :func:`theme_findings` turns the significant rows into ``theme_gap`` findings.

The test is the design-based t test of :func:`cxresearch.survey.difference` (linearised variance of
two domain means of the theme's 0/1 indicator, R's ``svyttest`` on the subset of commenters) — the
same test the report uses for every other difference of shares — with a Holm correction over the
themes of the codeframe. Why not Fisher's exact test: the study's survey weights must enter, and an
exact test has no design-based form; the normal approximation is guarded by the reporting minimum
on both groups and a minimum number of mentions (``min_mentions``).

Computation floor: imports ``survey`` only (the coding is duck-typed: ``codes``, ``themes``,
``codeframe``), never ``tables``, ``viz`` or ``report``.

References
----------
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 3.
doi:10.1002/9780470580066. Cohen, J. (1988). *Statistical Power Analysis for the Behavioral
Sciences*, 2nd ed., ch. 6 (the effect size *h* of two proportions). Holm, S. (1979). A simple
sequentially rejective multiple test procedure. Scand. J. Statist. 6, 65–70.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from cxresearch import survey
from cxresearch.errors import CXValueError, SmallBaseWarning
from cxresearch.findings._record import Finding, finite

__all__ = ["theme_gaps", "theme_findings", "cohen_h", "GROUPS"]

#: How the low-score group is named (the sentence says "dissatisfied customers" or "detractors").
GROUPS = ("dissatisfied", "detractors")

_GROUP = "__theme_group__"
_LOW, _REST = "low", "rest"


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's effect size of two proportions, ``h = 2 asin √p1 − 2 asin √p2`` (Cohen 1988, ch. 6).

    Examples
    --------
    30% of dissatisfied commenters raise price against 10% of the others: a medium difference
    (0.2 small, 0.5 medium, 0.8 large):

    >>> import cxresearch as cx
    >>> round(cx.findings.cohen_h(0.30, 0.10), 3)
    0.516
    >>> round(cx.findings.cohen_h(0.55, 0.35), 3), round(cx.findings.cohen_h(0.10, 0.30), 3)
    (0.405, -0.516)
    """
    return 2 * math.asin(math.sqrt(min(max(p1, 0.0), 1.0))) - 2 * math.asin(
        math.sqrt(min(max(p2, 0.0), 1.0))
    )


def _theme_labels(coding, theme: str) -> dict[str, str]:
    cf = getattr(coding, "codeframe", None)
    for t in getattr(cf, "themes", ()) or ():
        if getattr(t, "name", None) == theme:
            return {k: str(v) for k, v in dict(getattr(t, "label", {}) or {}).items()}
    return {}


def theme_gaps(
    data: pd.DataFrame,
    coding,
    *,
    score: str,
    cut: float,
    weights: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    min_base: int = 30,
    anonymity_min: int = 5,
    min_mentions: int = 10,
) -> pd.DataFrame:
    """Share of dissatisfied commenters mentioning each theme against the share of the others.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave) with the ``score`` column (and ``weights``). Not modified.
    coding : CodingResult
        ``cx.text.code_comments(data, ...)``: indexed like ``data``.
    score : str
        The score that defines the groups: ``score <= cut`` is the low group (dissatisfied, or
        detractors on a 0–10 recommend item with ``cut = 6``).
    cut : float
        Highest score of the low group.
    weights : str, optional
        Sampling-weight column (the shares and their variances are weighted).
    alpha : float
        Significance level (column ``significant``) and 1 − confidence level of the interval.
    correction : {'holm', 'bonferroni', 'bh', 'none'}
        Multiplicity correction over the themes (column ``p_adj``).
    min_base, anonymity_min : int
        Reporting and anonymity minimum on the smaller group of commenters: a theme is never
        claimed on a base under ``min_base``; under ``anonymity_min`` the numbers are suppressed.
    min_mentions : int
        A theme mentioned by fewer commenters (both groups together) is never claimed: the
        normal approximation of the test needs counts.

    Returns
    -------
    DataFrame
        One row per theme (codeframe order): ``theme``, ``n_low`` and ``n_rest`` (commenters with
        a score in each group), ``mentions_low``, ``mentions_rest`` (unweighted counts),
        ``share_low``, ``share_rest`` (weighted shares mentioning the theme), ``difference``
        (``share_low − share_rest``, a share of customers), ``se``, ``ci_lower``, ``ci_upper``,
        ``statistic`` (t), ``df``, ``p_value``, ``p_adj``, ``h`` (Cohen's h of the two shares),
        ``small_base``, ``suppressed``, ``significant`` (``p_adj < alpha`` on sufficient bases
        and mentions).

    Raises
    ------
    CXValueError
        ``score`` (or ``weights``) is not a numeric column of ``data``; ``coding`` does not belong
        to ``data``; a bad ``cut``, ``alpha`` or minimum.

    Notes
    -----
    Only respondents with a non-empty comment and a score enter (the domain of commenters; the
    design is the whole frame, so the variance is that of a domain estimate). With influence
    values ``z^low``, ``z^rest`` of the two weighted shares,
    ``Var = V(z^low) + V(z^rest) − 2 C(z^low, z^rest)`` with every respondent a PSU (sampling
    weights, with-replacement variance ``n/(n−1) Σ (z_i − z̄)²``); ``t`` on the degrees of freedom
    of R's ``svyttest`` on the commenters (see :func:`cxresearch.survey.difference`).

    Examples
    --------
    What the dissatisfied (overall satisfaction 5 or less of 10) write about, against the other
    commenters, in the latest wave of the demo study (Chinese and English comments together):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=4)
    >>> latest = study.responses.query("wave == 2017").reset_index(drop=True)
    >>> coding = cx.text.code_comments(latest)
    >>> gaps = cx.findings.theme_gaps(latest, coding, score="overall_sat", cut=5, weights="weight")
    >>> gaps[["theme", "share_low", "share_rest", "difference", "p_adj", "significant"]].round(3)
                    theme  share_low  share_rest  difference  p_adj  significant
    0            courtesy      0.068       0.328      -0.261  0.000         True
    1          competence      0.166       0.032       0.134  0.021         True
    2      responsiveness      0.313       0.098       0.215  0.003         True
    3               price      0.309       0.103       0.207  0.004         True
    4     product_quality      0.123       0.036       0.087  0.152        False
    5           transfers      0.039       0.105      -0.066  0.161        False
    6        waiting_time      0.038       0.057      -0.020  1.000        False
    7  parts_availability      0.136       0.104       0.032  1.000        False
    >>> int(gaps.loc[0, "n_low"]), int(gaps.loc[0, "n_rest"])
    (73, 143)
    """
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    for name, col in (("score", score), ("weights", weights)):
        if col is None and name == "weights":
            continue
        if not isinstance(col, str) or col not in data.columns:
            raise CXValueError(f"{name} must name a column of data; got {col!r}")
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            raise CXValueError(
                f"column {col!r} ({name}) must be numeric; got dtype {data[col].dtype}"
            )
    cut_f = finite(cut)
    if cut_f is None or isinstance(cut, bool):
        raise CXValueError(
            f"cut must be a finite number (the highest score of the low group); got {cut!r}"
        )
    for name, v in (
        ("min_base", min_base),
        ("anonymity_min", anonymity_min),
        ("min_mentions", min_mentions),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise CXValueError(f"{name} must be a non-negative integer; got {v!r}")
    codes = getattr(coding, "codes", None)
    themes = tuple(getattr(coding, "themes", ()) or ())
    if codes is None or "has_comment" not in codes:
        raise CXValueError(
            f"coding must be a CodingResult from cx.text.code_comments; got {type(coding).__name__}"
        )
    if len(codes) != len(data) or not codes.index.equals(data.index):
        raise CXValueError(
            f"coding does not belong to data: {len(codes)} coded rows, {len(data)} data rows "
            "(or a different index); code this frame with cx.text.code_comments"
        )
    y = data[score].to_numpy(dtype=float)
    use = codes["has_comment"].to_numpy(dtype=bool) & ~np.isnan(y)
    low = use & (y <= cut_f)
    frame = pd.DataFrame(
        {_GROUP: np.where(use, np.where(low, _LOW, _REST), None)}, index=np.arange(len(data))
    )
    if weights:
        frame[weights] = data[weights].to_numpy(dtype=float)
    cols = []
    for i, t in enumerate(themes):
        col = f"__theme_{i}"
        frame[col] = np.where(use, codes[t].to_numpy(dtype=bool).astype(float), np.nan)
        cols.append(col)
    columns = [
        "theme",
        "n_low",
        "n_rest",
        "mentions_low",
        "mentions_rest",
        "share_low",
        "share_rest",
        "difference",
        "se",
        "ci_lower",
        "ci_upper",
        "statistic",
        "df",
        "p_value",
        "p_adj",
        "h",
        "small_base",
        "suppressed",
        "significant",
    ]
    if not themes or not low.any() or not (use & ~low).any():
        return pd.DataFrame(columns=columns)
    rows = []
    for t, col in zip(themes, cols, strict=True):
        with warnings.catch_warnings():
            # the two bases are the same for every theme: warned once below, not once per theme
            warnings.simplefilter("ignore", SmallBaseWarning)
            d = survey.difference(
                frame,
                score=col,
                by=_GROUP,
                levels=(_REST, _LOW),
                statistic="mean",
                weights=weights,
                alpha=alpha,
                min_base=min_base,
                anonymity_min=anonymity_min,
            ).iloc[0]
        ind = frame[col].to_numpy()
        rows.append(
            {
                "theme": t,
                "n_low": float(d["n_b"]),
                "n_rest": float(d["n_a"]),
                "mentions_low": int(np.nansum(ind[low])),
                "mentions_rest": int(np.nansum(ind[use & ~low])),
                "share_low": d["estimate_b"],
                "share_rest": d["estimate_a"],
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
    out = pd.DataFrame(rows)
    if out["small_base"].any():
        warnings.warn(
            f"theme_gaps: {int(min(out['n_low'].iloc[0], out['n_rest'].iloc[0]))} commenters in the smaller "
            f"group (dissatisfied or the others), fewer than min_base={min_base}: no theme is claimed",
            SmallBaseWarning,
            stacklevel=2,
        )
    out["p_adj"] = survey.adjust_p(out["p_value"].to_numpy(dtype=float), correction)
    out["h"] = [
        cohen_h(a, b) if finite(a) is not None and finite(b) is not None else np.nan
        for a, b in zip(out["share_low"], out["share_rest"], strict=True)
    ]
    enough = (out["mentions_low"] + out["mentions_rest"]) >= min_mentions
    out["significant"] = (out["p_adj"] < alpha) & ~out["small_base"] & ~out["suppressed"] & enough
    return out[columns]


def theme_findings(
    gaps: pd.DataFrame,
    *,
    group: str = "dissatisfied",
    score: str | None = None,
    cut: float | None = None,
    coding=None,
    alpha: float = 0.05,
    correction: str = "holm",
    chapter: str,
    exhibit: str,
    wave: int | None = None,
) -> list[Finding]:
    """``theme_gap`` findings from :func:`theme_gaps`: a theme the low group mentions significantly
    more (``more_among_dissatisfied``, direction +1) or less (``less_among_dissatisfied``, −1) than
    the other commenters.

    ``estimate`` and its interval are the difference of the two shares (unit ``share``: a share of
    customers who commented); ``size`` is Cohen's |h| of the two shares (a standardised difference
    on the scale of Cohen's d). ``group`` names the low group for the sentence (``dissatisfied`` or
    ``detractors``); ``score`` and ``cut`` define it (kept in ``details``); ``coding`` (optional)
    gives the theme's zh/en label from its codeframe (``details['label']``).

    Examples
    --------
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=600, n_waves=4)
    >>> latest = study.responses.query("wave == 2017").reset_index(drop=True)
    >>> coding = cx.text.code_comments(latest)
    >>> gaps = cx.findings.theme_gaps(latest, coding, score="overall_sat", cut=5, weights="weight")
    >>> found = cx.findings.theme_findings(gaps, score="overall_sat", cut=5, coding=coding,
    ...                                    chapter="06_alerts_text", exhibit="theme_gaps", wave=2017)
    >>> [(f.subject, f.claim, round(f.estimate, 3), round(f.size, 2)) for f in found]
    [('courtesy', 'less_among_dissatisfied', -0.261, 0.69),
     ('competence', 'more_among_dissatisfied', 0.134, 0.48),
     ('responsiveness', 'more_among_dissatisfied', 0.215, 0.55),
     ('price', 'more_among_dissatisfied', 0.207, 0.53)]
    >>> found[1].details["label"]
    {'zh': '专业能力', 'en': 'Competence'}
    """
    if group not in GROUPS:
        raise CXValueError(f"group must be one of {', '.join(map(repr, GROUPS))}; got {group!r}")
    out: list[Finding] = []
    if gaps is None or gaps.empty:
        return out
    for r in gaps[gaps["significant"].astype(bool)].itertuples(index=False):
        direction = 1 if r.difference > 0 else -1
        out.append(
            Finding(
                kind="theme_gap",
                claim="more_among_dissatisfied" if direction > 0 else "less_among_dissatisfied",
                subject=str(r.theme),
                subject_type="theme",
                variable=score,
                direction=direction,
                estimate=r.difference,
                ci_lower=r.ci_lower,
                ci_upper=r.ci_upper,
                unit="share",
                n=r.n_low + r.n_rest,
                test=f"design-based t test of the difference in shares ({correction} over themes)",
                statistic=r.statistic,
                p_value=r.p_value,
                p_adj=r.p_adj,
                alpha=alpha,
                size=abs(r.h) if finite(r.h) is not None else 0.0,
                size_unit="h",
                chapter=chapter,
                exhibit=exhibit,
                wave=wave,
                details={
                    "group": group,
                    "cut": cut,
                    "share_low": r.share_low,
                    "share_rest": r.share_rest,
                    "n_low": r.n_low,
                    "n_rest": r.n_rest,
                    "mentions_low": r.mentions_low,
                    "mentions_rest": r.mentions_rest,
                    "label": _theme_labels(coding, str(r.theme)),
                },
            )
        )
    return out

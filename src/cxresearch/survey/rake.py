"""Raking (iterative proportional fitting) of survey weights to population margins.

Hand-written rather than R-port libraries because it is a few ``np.bincount`` passes per sweep
(a million rows and three margins rake in well under a second) and because it has to reproduce R
``survey::rake`` sweep for sweep, including R's default stopping rule (tested against R).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay
from cxresearch.errors import CXValueError, CXWarning
from cxresearch.survey import _design as core

__all__ = ["rake", "RakeResult", "RakingWarning", "weighting_efficiency", "stack_rakes"]

STOP_RULES = ("margins", "cells")


class RakingWarning(CXWarning):
    """Raking stopped before meeting its tolerance (only with ``strict=False``)."""


@dataclass(frozen=True, repr=False)
class RakeResult(ResultDisplay):
    """Raked weights and the report on how they were reached.

    Attributes
    ----------
    weights : Series
        The raked weights, indexed like the input data, named ``weight``.
    iterations : int
        Full sweeps over the margins that were run.
    converged : bool
        Whether the stopping rule was met within ``max_iter`` sweeps.
    max_error : float
        Largest relative gap ``|achieved - target| / target`` over all margin categories.
    n : int
        Respondents.
    n_eff : float
        Kish effective sample size ``(sum w)^2 / sum w^2`` of the raked weights.
    efficiency : float
        ``n_eff / n`` (weighting efficiency, in (0, 1]).
    deff : float
        Kish design effect due to weighting, ``n / n_eff = 1 + CV(w)^2``.
    margins : DataFrame
        ``variable``, ``level``, ``target`` (population count or scaled share), ``target_share``,
        ``achieved`` (sum of raked weights), ``achieved_share``, ``sample_share`` (unweighted share
        of respondents), ``n`` (respondents in the category).
    settings : dict
        The options the raking ran with.
    """

    weights: pd.Series
    iterations: int
    converged: bool
    max_error: float
    n: int
    n_eff: float
    efficiency: float
    deff: float
    margins: pd.DataFrame
    settings: dict = field(default_factory=dict)
    calibration: tuple = field(default=(), repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The margins report (one row per margin category) with the summary as columns."""
        out = self.margins.copy()
        out["iterations"] = self.iterations
        out["converged"] = self.converged
        out["efficiency"] = self.efficiency
        out["deff"] = self.deff
        return out

    def apply(self, data: pd.DataFrame, *, name: str = "weight") -> pd.DataFrame:
        """A copy of ``data`` with the raked weights in column ``name``."""
        out = data.copy()
        out[name] = self.weights.reindex(out.index).to_numpy()
        return out


def weighting_efficiency(weights: np.ndarray | pd.Series) -> dict:
    """Kish summaries of a weight vector: ``n``, ``n_eff``, ``efficiency``, ``deff``, ``cv``.

    Notes
    -----
    ``n_eff = (sum w)^2 / sum w^2``; ``deff = n / n_eff = 1 + cv^2`` with ``cv`` the coefficient
    of variation of the weights (population form). Kish, L. (1992). Weighting for unequal P_i.
    *Journal of Official Statistics* 8(2), 183-200.

    Examples
    --------
    >>> import cxresearch as cx
    >>> eff = cx.survey.weighting_efficiency([0.5, 1.0, 1.0, 1.5, 2.0])
    >>> {k: round(v, 3) for k, v in eff.items()}
    {'n': 5, 'n_eff': 4.235, 'efficiency': 0.847, 'deff': 1.181, 'cv': 0.425}
    """
    w = np.asarray(weights, dtype=float)
    n = int(w.size)
    if n == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise CXValueError("weights must be finite, non-negative and not all zero")
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    cv = float(w.std() / w.mean())
    return {"n": n, "n_eff": n_eff, "efficiency": n_eff / n, "deff": n / n_eff, "cv": cv}


def _targets(margins: Mapping, total: float | None, w0_sum: float) -> dict[str, pd.Series]:
    if not isinstance(margins, Mapping) or not margins:
        raise CXValueError(
            "margins must be a non-empty dict {column: {category: target}}; "
            f"got {type(margins).__name__}"
        )
    series = {}
    for col, m in margins.items():
        if isinstance(m, pd.Series):
            s = m.astype(float)
        elif isinstance(m, Mapping):
            s = pd.Series({k: float(v) for k, v in m.items()}, dtype=float)
        else:
            raise CXValueError(
                f"margins[{col!r}] must be a dict or Series {{category: target}}; got {type(m).__name__}"
            )
        if s.empty:
            raise CXValueError(f"margins[{col!r}] is empty")
        if not np.isfinite(s.to_numpy()).all() or (s < 0).any():
            bad = s[~np.isfinite(s.to_numpy()) | (s < 0).to_numpy()]
            raise CXValueError(
                f"margins[{col!r}] target for {bad.index[0]!r} is {bad.iloc[0]!r}; targets must be >= 0"
            )
        if s.index.has_duplicates:
            raise CXValueError(f"margins[{col!r}] lists a category twice")
        series[col] = s
    sums = {c: float(s.sum()) for c, s in series.items()}
    if all(abs(v - 1.0) <= 1e-6 for v in sums.values()):
        scale_to = w0_sum if total is None else float(total)
        return {c: s / sums[c] * scale_to for c, s in series.items()}
    vals = np.array(list(sums.values()))
    if (vals > 1.0 + 1e-6).all() and np.allclose(vals, vals[0], rtol=1e-6, atol=0):
        if total is not None and not np.isclose(total, vals[0], rtol=1e-6):
            raise CXValueError(
                f"total={total!r} disagrees with the population counts in margins (sum {vals[0]:g})"
            )
        return series
    shown = ", ".join(f"{c!r}: {v:g}" for c, v in sums.items())
    raise CXValueError(
        "each margin must sum to 1 (shares) or all margins to the same population total "
        f"(counts); got sums {shown}"
    )


def rake(
    data: pd.DataFrame,
    *,
    margins: Mapping,
    weights: str | None = None,
    total: float | None = None,
    cap: float | tuple[float, float] | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    stop: str = "margins",
    strict: bool = True,
) -> RakeResult:
    """Rake weights to categorical population margins (iterative proportional fitting).

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Not modified.
    margins : dict
        ``{column: {category: target}}`` (a dict or a Series per column). Targets are either shares
        (every margin sums to 1) or population counts (every margin sums to the same total).
    weights : str, optional
        Starting (design) weights; unit weights when omitted.
    total : float, optional
        Sum of the raked weights when margins are shares; default the sum of the starting weights
        (so unit starting weights give raked weights with mean 1).
    cap : float or (float, float), optional
        Trimming: after each sweep weights are clipped to ``cap * mean weight`` (or to
        ``[low * mean, high * mean]`` for a pair) and raking continues.
    max_iter : int
        Maximum number of full sweeps.
    tol : float
        Tolerance of the stopping rule.
    stop : {'margins', 'cells'}
        ``'margins'``: stop when every margin category is within ``tol`` (relative) of its target.
        ``'cells'``: R ``survey::rake``'s rule, stop when no cell of the joint table of all margin
        variables (weighted counts) moved by ``tol`` or more during the last sweep (``tol < 1`` is
        taken relative to the sum of the starting weights, as R's ``epsilon``);
        ``stop='cells', tol=1, max_iter=10`` is R's default ``control``.
    strict : bool
        Raise when the rule is not met within ``max_iter`` sweeps (default); otherwise warn
        (:class:`RakingWarning`) and return the last weights with ``converged=False``.

    Returns
    -------
    RakeResult
        Weights, iterations, convergence, efficiency (``n_eff / n``), weighting design effect
        and the margins report.

    Raises
    ------
    CXValueError
        Unknown margin column; a missing value in it; a data category without a target; a
        positive target for a category no respondent has; margins not summing to 1 (shares) or to
        one common total (counts); bad weights; non-convergence with ``strict=True``.

    Notes
    -----
    One sweep multiplies, margin by margin, each weight by ``T_c / t_c`` (target over current
    weighted total of its category ``c``) - Deming & Stephan's algorithm, the post-stratification
    loop of R's ``rake``. Pass the result itself as ``weights=`` to any estimator
    (``mean(data, score=..., weights=result, cluster=...)``) to get R's calibrated standard
    errors of the raked design (influence values residualised on the margins, as ``svyrecvar``);
    passing the raked weights as a column instead treats them as fixed design weights (R's SEs for
    a design rebuilt with the raked weights). With ``cap`` the calibrated SEs are approximate.

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known. *Ann. Math. Stat.* 11(4), 427-444.
    https://doi.org/10.1214/aoms/1177731829

    Examples
    --------
    Rake a wave of the demo study to the customer base's branch and segment shares, then estimate
    with the calibrated design:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> margins = {"branch": dict(zip(range(1, 9), study.truth.branch_shares)),
    ...            "segment": {1: 0.6, 2: 0.4}}
    >>> raked = cx.survey.rake(wave, margins=margins)
    >>> raked.converged, raked.iterations, round(raked.efficiency, 3)
    (True, 6, 0.98)
    >>> shares = ["level", "target_share", "sample_share", "achieved_share"]
    >>> raked.margins.query("variable == 'segment'")[shares].round(3)
       level  target_share  sample_share  achieved_share
    8      1           0.6         0.586             0.6
    9      2           0.4         0.414             0.4
    >>> res = cx.survey.mean(wave, score="overall_sat", weights=raked)
    >>> res[["n", "n_eff", "estimate", "se"]].round(3)
           n    n_eff  estimate     se
    0  295.0  289.075     7.005  0.103
    """
    data = core.check_frame(data)
    if stop not in STOP_RULES:
        raise CXValueError(f"stop must be one of 'margins', 'cells'; got {stop!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise CXValueError(f"max_iter must be a positive integer; got {max_iter!r}")
    if not np.isfinite(tol) or tol <= 0:
        raise CXValueError(f"tol must be a positive number; got {tol!r}")
    if cap is not None:
        lo_cap, hi_cap = (0.0, cap) if np.isscalar(cap) else tuple(cap)
        if not (0 <= lo_cap < 1 < hi_cap):
            raise CXValueError(
                f"cap must be a number > 1 or a pair (low < 1, high > 1) relative to the mean "
                f"weight; got {cap!r}"
            )
    design = core.build_design(data, weights=weights)
    w = design.w.copy()
    targets = _targets(margins, total, float(w.sum()))
    core.check_columns(data, list(targets), "margins")

    codes = []
    tvecs = []
    for col, s in targets.items():
        x = data[col]
        if x.isna().any():
            i = int(np.flatnonzero(x.isna().to_numpy())[0])
            raise CXValueError(
                f"margin column {col!r} is missing at row {data.index[i]!r}; rake needs every row"
            )
        cat = pd.Categorical(x, categories=list(s.index))
        code = np.asarray(cat.codes, dtype=np.int64)
        if (code < 0).any():
            i = int(np.flatnonzero(code < 0)[0])
            raise CXValueError(
                f"margin column {col!r} has category {x.iloc[i]!r} (row {data.index[i]!r}) with no "
                f"target in margins; targets given for {list(s.index)}"
            )
        counts = np.bincount(code, minlength=len(s))
        absent = (counts == 0) & (s.to_numpy() > 0)
        if absent.any():
            lv = s.index[np.flatnonzero(absent)[0]]
            raise CXValueError(
                f"margins[{col!r}] has a target for category {lv!r} but no respondent has it; "
                "collapse it with a neighbouring category"
            )
        have = np.bincount(code, weights=w, minlength=len(s))
        empty = (have == 0) & (s.to_numpy() > 0)
        if empty.any():
            lv = s.index[np.flatnonzero(empty)[0]]
            raise CXValueError(
                f"margins[{col!r}]: category {lv!r} has only zero starting weights; cannot rake"
            )
        codes.append(code)
        tvecs.append(s.to_numpy(dtype=float))

    if stop == "cells":
        dims = tuple(len(t) for t in tvecs)
        joint = np.ravel_multi_index(tuple(codes), dims)
        size = int(np.prod(dims))

        def table(ww):
            return np.bincount(joint, weights=ww, minlength=size)

        old = table(w)

    def margin_error(ww):
        err = 0.0
        for code, t in zip(codes, tvecs, strict=True):
            got = np.bincount(code, weights=ww, minlength=len(t))
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(t > 0, np.abs(got - t) / t, np.abs(got))
            err = max(err, float(rel.max()))
        return err

    if stop == "cells" and tol < 1:
        tol_abs = tol * float(w.sum())  # as R: epsilon < 1 is relative to the sum of weights
    else:
        tol_abs = tol
    converged = False
    it = 0
    while it < max_iter:
        step_weights = []
        for code, t in zip(codes, tvecs, strict=True):
            cur = np.bincount(code, weights=w, minlength=len(t))
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.where(cur > 0, t / cur, 0.0)
            w *= g[code]
            step_weights.append(w.copy())
        if cap is not None:
            mw = w.mean()
            np.clip(w, lo_cap * mw, hi_cap * mw, out=w)
        it += 1
        if stop == "cells":
            new = table(w)
            delta = float(np.abs(new - old).max())
            old = new
            if delta < tol_abs:
                converged = True
                break
        else:
            if margin_error(w) < tol:
                converged = True
                break

    max_error = margin_error(w)
    settings = dict(
        margins={c: s.to_dict() for c, s in targets.items()},
        weights=weights,
        total=total,
        cap=cap,
        max_iter=max_iter,
        tol=tol,
        stop=stop,
        strict=strict,
    )
    if not converged:
        msg = (
            f"raking did not converge in {max_iter} sweeps (stop={stop!r}, tol={tol:g}); largest "
            f"relative margin gap {max_error:.3g}"
            + ("; the cap may make the margins unreachable" if cap is not None else "")
            + "; raise max_iter, loosen tol or cap, or collapse sparse categories"
        )
        if strict:
            raise CXValueError(msg)
        warnings.warn(msg, RakingWarning, stacklevel=2)

    rows = []
    n = design.n
    for (col, s), code, t in zip(targets.items(), codes, tvecs, strict=True):
        got = np.bincount(code, weights=w, minlength=len(t))
        cnt = np.bincount(code, minlength=len(t))
        for j, lv in enumerate(s.index):
            rows.append(
                dict(
                    variable=col,
                    level=lv,
                    target=t[j],
                    target_share=t[j] / t.sum(),
                    achieved=got[j],
                    achieved_share=got[j] / w.sum(),
                    sample_share=cnt[j] / n,
                    n=float(cnt[j]),
                )
            )
    eff = weighting_efficiency(w)
    return RakeResult(
        weights=pd.Series(w, index=data.index, name="weight"),
        iterations=it,
        converged=converged,
        max_error=max_error,
        n=n,
        n_eff=eff["n_eff"],
        efficiency=eff["efficiency"],
        deff=eff["deff"],
        margins=pd.DataFrame(rows),
        settings=settings,
        calibration=tuple(zip(codes, step_weights, strict=True)),
    )


def stack_rakes(results, *, index: pd.Index | None = None) -> RakeResult:
    """One :class:`RakeResult` from rakes of disjoint sets of rows (e.g. each wave raked on its own).

    Raking each wave to its own margins is one raking of all the waves on margins crossed with the
    wave; the stacked result carries that calibration, so passed as ``weights=`` to a comparison
    across waves (``cx.survey.trend``, ``difference``) it gives calibration-aware SEs (R: ``rake``
    with ``~wave + margin`` and the population table per wave; tested against it).

    Parameters
    ----------
    results : sequence of RakeResult
        Rakes of disjoint rows (their weights' index labels must not overlap), each on the same
        margin variables in the same order.
    index : pandas.Index, optional
        Row order of the stacked weights (the frame it will be used with); default the results'
        rows in order. Must hold exactly the results' rows.

    Returns
    -------
    RakeResult
        ``weights`` (stacked), ``iterations`` (largest), ``converged`` (all), ``max_error``
        (largest), ``n``, ``n_eff``, ``efficiency``, ``deff`` (of the stacked weights), ``margins``
        (stacked, with a ``part`` column: the position of the result), ``settings`` (``parts``),
        and the calibration of every part.

    Raises
    ------
    CXValueError
        No results; overlapping rows; different margins; an ``index`` that is not the same rows.

    Examples
    --------
    Rake every wave of the demo study to the segment shares on its own, then compare waves with
    calibration-aware standard errors:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> resp = study.responses
    >>> margins = {"segment": {1: 0.6, 2: 0.4}}
    >>> parts = [cx.survey.rake(w, margins=margins) for _, w in resp.groupby("wave")]
    >>> stacked = cx.survey.stack_rakes(parts, index=resp.index)
    >>> stacked.n, len(stacked.margins), round(stacked.efficiency, 3)
    (1146, 8, 0.999)
    >>> res = cx.survey.trend(resp, score="overall_sat", weights=stacked, respondent="customer_id")
    >>> res[["wave", "estimate", "change", "change_se"]].round(3)
       wave  estimate  change  change_se
    0  2014     6.935     NaN        NaN
    1  2015     7.002   0.067      0.123
    2  2016     6.893  -0.109      0.111
    3  2017     7.010   0.117      0.111
    """
    results = list(results)
    if not results:
        raise CXValueError("stack_rakes needs at least one RakeResult")
    k = len(results[0].calibration)
    names = (
        list(results[0].margins["variable"].drop_duplicates()) if len(results[0].margins) else []
    )
    for i, r in enumerate(results):
        if len(r.calibration) != k or (
            len(r.margins) and list(r.margins["variable"].drop_duplicates()) != names
        ):
            raise CXValueError(
                f"stack_rakes: result {i} was raked on other margins than result 0 ({names}); "
                "every part must be raked on the same variables in the same order"
            )
    w = pd.concat([r.weights for r in results])
    if w.index.has_duplicates:
        raise CXValueError(
            "stack_rakes: the results share rows (duplicated index labels); each "
            "part must be raked on its own rows"
        )
    if index is not None:
        if len(index) != len(w) or not w.index.isin(index).all():
            raise CXValueError("stack_rakes: index must hold exactly the raked rows")
        w = w.reindex(index)
    pos_of = [w.index.get_indexer(r.weights.index) for r in results]
    n = len(w)
    calibration = []
    for m in range(k):
        code = np.empty(n, dtype=np.int64)
        psw = np.empty(n)
        offset = 0
        for r, pos in zip(results, pos_of, strict=True):
            c, p = r.calibration[m]
            code[pos] = np.asarray(c) + offset
            psw[pos] = p
            offset += int(np.max(c)) + 1
        calibration.append((code, psw))
    eff = weighting_efficiency(w.to_numpy())
    margins = pd.concat(
        [r.margins.assign(part=i) for i, r in enumerate(results)], ignore_index=True
    )
    return RakeResult(
        weights=w.rename("weight"),
        iterations=max(r.iterations for r in results),
        converged=all(r.converged for r in results),
        max_error=max(r.max_error for r in results),
        n=n,
        n_eff=eff["n_eff"],
        efficiency=eff["efficiency"],
        deff=eff["deff"],
        margins=margins,
        settings={"parts": [r.settings for r in results]},
        calibration=tuple(calibration),
    )

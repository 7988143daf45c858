"""The employee–customer link: unit engagement against the unit's customers' scores and NPS.

:func:`linkage` joins the unit × wave engagement to the (weighted) customer means and NPS of the
same unit and wave, and reports Pearson correlations with Fisher-z intervals and a mixed model
(random unit intercept) or a unit-clustered regression, with a within/between split.

Why hand-written: scipy and statsmodels do the statistics; this module arranges the join and the
tidy result, with the caveat text the report shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cxresearch._results import ResultDisplay
from cxresearch._toolbox import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN

from ..errors import CXValueError
from ._caveats import ModelFitWarning, _caveat_text, _few_units_caveat
from ._prepare import _check_alpha, _check_int, _person_scores


@dataclass(frozen=True, repr=False)
class LinkageResult(ResultDisplay):
    """Unit engagement against the unit's customers' satisfaction and NPS (see :func:`linkage`).

    Attributes
    ----------
    points : DataFrame
        One row per shown unit × wave: ``unit``, ``wave``, ``n_employees``, ``engagement``,
        ``n_customers``, then one column per outcome (mean score; ``nps`` for the NPS outcome).
    correlations : DataFrame
        ``outcome``, ``level`` (``unit_wave``: every shown cell; ``unit``: unit means over waves),
        ``n`` (points), ``n_units``, ``estimate`` (Pearson r), ``ci_lower``, ``ci_upper`` (Fisher
        z), ``p_value``.
    models : DataFrame
        ``outcome``, ``term``, ``estimate`` (change in the outcome per index point), ``se``,
        ``ci_lower``, ``ci_upper``, ``p_value``, ``n``, ``n_units``, ``model``. Terms:
        ``engagement`` (the model of :func:`linkage`), and from a second model with engagement
        split into the unit's mean over waves and the wave's deviation from it,
        ``engagement_between`` (units with higher engagement have customers who score higher)
        and ``engagement_within`` (when a unit's engagement rises, do its customers' scores?).
    caveats : tuple of str
        Codes of the caveats the report shows (``linkage_correlational``, always: the link is
        correlational; ``few_units_linkage`` when the units are few). Their words are catalog
        entries ``caveat.<code>``; :attr:`caveat` gives them as text.
    n_units : int
        Units (clusters) shown in :attr:`points`.
    n_suppressed : int
    method : str
    alpha : float
    """

    points: pd.DataFrame
    correlations: pd.DataFrame
    models: pd.DataFrame
    caveats: tuple[str, ...]
    n_units: int
    n_suppressed: int
    method: str
    alpha: float

    @property
    def caveat(self) -> dict[str, str]:
        """``{"zh": ..., "en": ...}``: the caveats as text (the sentences the report shows)."""
        return _caveat_text(self.caveats, self.n_units)

    def to_frame(self) -> pd.DataFrame:
        """The model estimates (:attr:`models`)."""
        return self.models.copy()


def _pearson_ci(x: np.ndarray, y: np.ndarray, alpha: float):
    n = len(x)
    if n < 3 or np.std(x) == 0 or np.std(y) == 0:
        return np.nan, np.nan, np.nan, np.nan
    r, p = stats.pearsonr(x, y)
    if n > 3 and abs(r) < 1:
        z = np.arctanh(r)
        h = stats.norm.ppf(1 - alpha / 2) / np.sqrt(n - 3)
        lo, hi = np.tanh(z - h), np.tanh(z + h)
    else:
        lo = hi = np.nan
    return float(r), float(lo), float(hi), float(p)


def _correlation(points: pd.DataFrame, name: str, level: str, n_units: int, alpha: float) -> dict:
    """Row of :attr:`LinkageResult.correlations`: engagement against ``name`` over ``points``."""
    r, lo, hi, p = _pearson_ci(points["engagement"].to_numpy(), points[name].to_numpy(), alpha)
    return dict(
        outcome=name,
        level=level,
        n=len(points),
        n_units=n_units,
        estimate=r,
        ci_lower=lo,
        ci_upper=hi,
        p_value=p,
    )


def linkage(
    employees: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    outcomes=("overall_sat", "recommend"),
    nps: str | None = "recommend",
    items=None,
    unit: str = "unit",
    branch: str = "branch",
    wave: str = "wave",
    weights: str | None = None,
    min_n: int = 5,
    min_items: int | None = None,
    scale=(1, 5),
    index: str = "mean",
    method: str = "mixed",
    alpha: float = 0.05,
    min_units: int = 10,
) -> LinkageResult:
    """Link unit engagement to the unit's customers' satisfaction and NPS.

    Parameters
    ----------
    employees : DataFrame
        Employee responses (``unit``, ``wave``, items).
    responses : DataFrame
        Customer responses with ``branch`` (the unit the customer is served by), ``wave`` and the
        outcome columns.
    outcomes : sequence of str, default ``("overall_sat", "recommend")``
        Customer scores to link.
    nps : str or None, default ``"recommend"``
        The outcome reported as NPS (``100 × (share 9–10 - share 0–6)``) instead of a mean; it is
        named ``nps`` in the returned frames.
    items, unit, min_n, min_items, scale, index
        As in :func:`engagement_index` (suppressed cells never appear and never enter a model).
    branch, wave : str
        Customer columns: the unit key and the wave.
    weights : str, optional
        Survey weight column of ``responses`` (unit-wave means and NPS are then weighted).
    method : {"mixed", "ols"}, default ``"mixed"``
        ``mixed``: linear mixed model ``outcome ~ engagement + C(wave) + (1 | unit)`` by REML
        (statsmodels MixedLM), Wald interval; ``ols``: the same fixed part by OLS with SEs
        clustered by unit (t with G - 1 df).
    alpha : float, default 0.05
    min_units : int, default 10
        Below this many units, the caveat says so and a :class:`FewUnitsWarning` is issued.

    Returns
    -------
    LinkageResult

    Raises
    ------
    CXValueError
        Missing/non-numeric columns, no unit-wave shared by employees and customers, bad options.

    Warns
    -----
    FewUnitsWarning
        Fewer than ``min_units`` units.
    ModelFitWarning
        The mixed model did not converge or its variance component is on the boundary.

    Notes
    -----
    Points are unit × wave cells present in both surveys. Pearson's r with the Fisher interval
    :math:`\\tanh(\\operatorname{artanh} r \\pm z/\\sqrt{n-3})`. Cells of one unit over waves are not
    independent, so the ``unit_wave`` correlation overstates the information; the ``unit`` level
    (means over waves) and the models (random unit intercept or unit-clustered SEs) account for
    it. The within/between split (Mundlak 1978; Bell & Jones 2015) separates the comparison of
    units from the change within a unit; the within term is the closer one to "raising
    engagement raises satisfaction", but the link stays correlational: engaged units may serve
    easier customers.

    References
    ----------
    Harter, J. K., Schmidt, F. L., & Hayes, T. L. (2002). Business-unit-level relationship between
    employee satisfaction, employee engagement, and business outcomes: a meta-analysis. Journal of
    Applied Psychology 87(2), 268–279. doi:10.1037/0021-9010.87.2.268
    Bell, A., & Jones, K. (2015). Explaining fixed effects: random effects modeling of time-series
    cross-sectional and panel data. Political Science Research and Methods 3(1), 133–153.
    doi:10.1017/psrm.2014.7
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation deduced from a
    small sample. Metron 1, 3–32.

    Examples
    --------
    The demo study's eight branches over eight waves: employee engagement against the branch's
    customers' mean satisfaction and NPS:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=100, n_waves=8)
    >>> link = cx.employee.linkage(study.employees, study.responses)
    >>> link.correlations[["outcome", "level", "n", "estimate", "ci_lower", "ci_upper"]].round(2)
           outcome      level   n  estimate  ci_lower  ci_upper
    0  overall_sat  unit_wave  62      0.30      0.06      0.51
    1  overall_sat       unit   8      0.41     -0.41      0.86
    2          nps  unit_wave  62      0.25     -0.00      0.47
    3          nps       unit   8      0.37     -0.46      0.85
    >>> link.models[["outcome", "term", "estimate", "ci_lower", "ci_upper"]].round(2)
           outcome                term  estimate  ci_lower  ci_upper
    0  overall_sat          engagement      0.31     -0.51      1.12
    1  overall_sat   engagement_within      0.20     -0.64      1.03
    2  overall_sat  engagement_between      1.69     -1.30      4.68
    3          nps          engagement     12.68    -28.52     53.89
    4          nps   engagement_within     -0.89    -48.45     46.68
    5          nps  engagement_between     43.07    -40.98    127.12

    The branch-level correlations and the models' intervals are wide with eight branches:

    >>> link.caveats
    ('linkage_correlational', 'few_units_linkage')
    """
    import statsmodels.api as sm

    alpha = _check_alpha(alpha)
    min_n = _check_int("min_n", min_n, 1)
    min_units = _check_int("min_units", min_units, 1)
    if method not in ("mixed", "ols"):
        raise CXValueError(f"method must be one of 'mixed', 'ols'; got {method!r}")
    if not isinstance(responses, pd.DataFrame):
        raise CXValueError(f"responses must be a DataFrame; got {type(responses).__name__}")
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    if not outcomes:
        raise CXValueError("outcomes must name at least one customer score")
    for c in (branch, wave, *outcomes, *([weights] if weights else [])):
        if c not in responses.columns:
            raise CXValueError(f"column {c!r} is not a column of responses")
    for c in (*outcomes, *([weights] if weights else [])):
        s = responses[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise CXValueError(f"column {c!r} of responses must be numeric; got dtype {s.dtype}")
    if nps is not None and nps not in outcomes:
        raise CXValueError(f"nps must be one of the outcomes {outcomes} or None; got {nps!r}")
    persons, _, n_supp, _ = _person_scores(
        employees,
        items=items,
        unit=unit,
        wave=wave,
        min_items=min_items,
        scale=scale,
        index=index,
        min_n=min_n,
    )
    eng = (
        persons.groupby([unit, wave], observed=True, sort=True)["score"]
        .agg(n_employees="size", engagement="mean")
        .reset_index()
    )
    cust = pd.DataFrame({unit: responses[branch].to_numpy(), wave: responses[wave].to_numpy()})
    w = responses[weights].to_numpy(dtype=float) if weights else np.ones(len(responses))
    out_names = []
    for c in outcomes:
        v = responses[c].to_numpy(dtype=float)
        name = "nps" if c == nps else c
        out_names.append(name)
        if c == nps:
            from cxresearch.survey._design import frame_scale
            from cxresearch.survey.kpi import check_nps_item

            check_nps_item(
                v,
                c,
                responses.index,
                scale=frame_scale(responses, c),
                source="the codebook of the store read",
            )
            v = np.where(
                np.isnan(v),
                np.nan,
                100.0
                * ((v >= NPS_PROMOTER_MIN).astype(float) - (v <= NPS_DETRACTOR_MAX).astype(float)),
            )
        ok = ~np.isnan(v) & ~np.isnan(w)
        cust[f"_wy_{name}"] = np.where(ok, w * np.nan_to_num(v), 0.0)
        cust[f"_w_{name}"] = np.where(ok, w, 0.0)
    cust["n_customers"] = 1
    agg = cust.groupby([unit, wave], observed=True, sort=True).sum().reset_index()
    for name in out_names:
        with np.errstate(invalid="ignore", divide="ignore"):
            agg[name] = agg[f"_wy_{name}"] / agg[f"_w_{name}"].where(agg[f"_w_{name}"] > 0)
    agg = agg[[unit, wave, "n_customers", *out_names]]
    points = eng.merge(agg, on=[unit, wave], how="inner")
    points["n_customers"] = points["n_customers"].astype(np.int64)
    if points.empty:
        raise CXValueError(
            f"no unit × wave is shared by employees ({unit!r}) and customers ({branch!r}) "
            "after anonymity suppression; check that both use the same unit codes and waves"
        )
    n_units = int(points[unit].nunique())
    corr_rows, model_rows = [], []
    for name in out_names:
        d = points[[unit, wave, "engagement", name]].dropna()
        corr_rows.append(_correlation(d, name, "unit_wave", int(d[unit].nunique()), alpha))
        um = d.groupby(unit)[["engagement", name]].mean()
        corr_rows.append(_correlation(um, name, "unit", len(um), alpha))
        model_rows += _link_model(d, name, unit, wave, method, alpha, sm)
    caveats = ("linkage_correlational", *_few_units_caveat(n_units, min_units, "linkage"))
    return LinkageResult(
        points=points,
        correlations=pd.DataFrame(corr_rows),
        models=pd.DataFrame(model_rows),
        caveats=caveats,
        n_units=n_units,
        n_suppressed=n_supp,
        method=method,
        alpha=alpha,
    )


def _link_model(
    d: pd.DataFrame, name: str, unit: str, wave: str, method: str, alpha: float, sm
) -> list[dict]:
    """Rows ``engagement`` and ``engagement_within`` / ``engagement_between`` for one outcome."""
    n = len(d)
    k_units = int(d[unit].nunique())
    y = d[name].to_numpy(dtype=float)
    e = d["engagement"].to_numpy(dtype=float)
    groups = pd.factorize(d[unit], sort=True)[0]
    between = pd.Series(e).groupby(groups).transform("mean").to_numpy()
    w_codes, w_uniq = pd.factorize(d[wave], sort=True)
    waves = [(w_codes == j).astype(float) for j in range(1, len(w_uniq))]
    specs = (
        (["engagement"], [e]),
        (["engagement_within", "engagement_between"], [e - between, between]),
    )
    rows = []
    for terms, xs in specs:
        X = np.column_stack([np.ones(n), *xs, *waves])
        base = dict(n=n, n_units=k_units, model=method)
        empty = dict(estimate=np.nan, se=np.nan, ci_lower=np.nan, ci_upper=np.nan, p_value=np.nan)
        if n <= X.shape[1] + 1 or k_units < 3 or np.linalg.matrix_rank(X) < X.shape[1]:
            rows += [dict(outcome=name, term=t, **empty, **base) for t in terms]
            continue
        if method == "ols":
            res = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
            ci = res.conf_int(alpha=alpha)
            for j, t in enumerate(terms, 1):
                rows.append(
                    dict(
                        outcome=name,
                        term=t,
                        estimate=float(res.params[j]),
                        se=float(res.bse[j]),
                        ci_lower=float(ci[j][0]),
                        ci_upper=float(ci[j][1]),
                        p_value=float(res.pvalues[j]),
                        **base,
                    )
                )
            continue
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sm.MixedLM(y, X, groups=groups).fit(reml=True)
        problems = [
            str(c.message)
            for c in caught
            if issubclass(c.category, (ConvergenceWarning, RuntimeWarning, UserWarning))
        ]
        if problems:
            warnings.warn(
                f"mixed model for {name!r} ({', '.join(terms)}): {problems[0]}",
                ModelFitWarning,
                stacklevel=3,
            )
        z = stats.norm.ppf(1 - alpha / 2)
        for j, t in enumerate(terms, 1):
            est, se = float(res.fe_params[j]), float(res.bse_fe[j])
            rows.append(
                dict(
                    outcome=name,
                    term=t,
                    estimate=est,
                    se=se,
                    ci_lower=est - z * se,
                    ci_upper=est + z * se,
                    p_value=float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan,
                    **base,
                )
            )
    return rows

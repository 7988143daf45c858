"""Importance–performance analysis: each driver's importance (share) against its performance."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from cxresearch._i18n import Labels, message
from cxresearch._toolbox import check_alpha
from cxresearch.errors import CXValueError, NotEstimableWarning

from ._data import check_columns, weight_vector
from .linear import importance

#: quadrant code -> ``{"zh": ..., "en": ...}`` labels (Martilla & James 1977), read from the
#: message catalog (entries ``ipa.<code>``; see :mod:`cxresearch._i18n`)
QUADRANTS = Labels("ipa.", ("concentrate_here", "keep_up", "low_priority", "possible_overkill"))
PERFORMANCE = ("mean", "top_box")
CUTS = ("mean", "median")
LANGS = ("en", "zh")


def _codebook(codebook):
    if codebook is None:
        return None
    if isinstance(codebook, Mapping):
        from cxresearch import codebook as cbmod

        return cbmod.load(codebook)
    if not hasattr(codebook, "get"):
        raise CXValueError(
            f"codebook must be a cxresearch Codebook or its dict form; got {type(codebook).__name__}"
        )
    return codebook


def _variable(cb, name):
    if cb is None or name not in cb:
        return None
    return cb.get(name)


def _label(name, labels, cb, lang):
    if labels is not None and name in labels:
        v = labels[name]
        if isinstance(v, Mapping):
            return str(v.get(lang) or next(iter(v.values())))
        return str(v)
    var = _variable(cb, name)
    return var.label_for(lang) if var is not None else name


def _quadrant(imp_high: bool, perf_high: bool) -> str:
    if imp_high:
        return "keep_up" if perf_high else "concentrate_here"
    return "possible_overkill" if perf_high else "low_priority"


def _performance_values(x: np.ndarray, scale, threshold) -> np.ndarray:
    """A driver's answers as the performance counts them: on its own scale range (0-1) when
    ``scale`` is given (linear, so the paired test of the gaps holds), as top-box indicators when
    ``threshold`` is given, else as they are."""
    if scale is not None:
        lo, hi = (float(b) for b in scale)
        return (x - lo) / (hi - lo)
    if threshold is not None:
        return (x >= threshold).astype(float)
    return x


def _performance_gaps(values: np.ndarray, w: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    """Each driver's performance minus the mean of the drivers' performances, tested.

    On the model's rows every respondent rated every driver, so the gap of driver j is the
    weighted mean of the within-respondent contrast ``x_ij − mean_m x_im``: a paired comparison
    (each respondent is their own control), estimated as a design-based mean of that contrast
    (:func:`cxresearch.survey.mean`, linearisation, t with n − 1 df). Columns ``performance_gap``,
    ``gap_ci_lower``, ``gap_ci_upper``, ``gap_p_value`` (two-sided)."""
    from scipy import stats

    from cxresearch.survey.estimates import mean as survey_mean

    contrast = values - values.mean(axis=1, keepdims=True)
    frame = pd.DataFrame(contrast).add_prefix("d").assign(_w=w)
    res = survey_mean(
        frame,
        score=[f"d{j}" for j in range(values.shape[1])],
        weights="_w",
        alpha=alpha,
        min_base=0,
        anonymity_min=0,
    )
    est, se = res["estimate"].to_numpy(float), res["se"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, est / se, np.nan)
    return {
        "performance_gap": est,
        "gap_ci_lower": res["ci_lower"].to_numpy(float),
        "gap_ci_upper": res["ci_upper"].to_numpy(float),
        "gap_p_value": 2 * stats.t.sf(np.abs(t), res["df"].to_numpy(float)),
    }


def importance_performance(
    data: pd.DataFrame,
    *,
    outcome: str,
    drivers,
    by: str | None = None,
    weights: str | None = None,
    method: str = "lmg",
    performance: str = "mean",
    top_box: float | None = None,
    cut: str = "mean",
    codebook=None,
    labels: Mapping | None = None,
    lang: str = "en",
    alpha: float = 0.05,
    **options,
) -> pd.DataFrame:
    """Importance (share of explained variance) and performance of each driver, with quadrants.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    outcome, drivers, weights
        As in :func:`cxresearch.drivers.importance`.
    by : str, optional
        Segment column: one analysis per segment value (segments where the model cannot be
        estimated are left out with a :class:`~cxresearch.errors.NotEstimableWarning`).
    method : str
        Importance method (``lmg`` default; any of :func:`~cxresearch.drivers.importance`).
    performance : {'mean', 'top_box'}
        Weighted mean on the item's own scale, or the weighted share of answers at or above
        ``top_box``. When the codebook gives the drivers different scales, ``'mean'`` is the mean's
        place on each driver's own range, ``(mean − min) / (max − min)`` (percent of maximum
        possible, POMP, as a 0–1 share; Cohen et al. 1999): raw means of a 0–6 and a 1–7 item, or
        of centimetres and scale points, do not share a cut line.
    top_box : float, optional
        Threshold of the top box. Default: the top-two box, ``max - 1`` of the codebook scale
        (the top box, ``max``, on scales of fewer than five points such as binary items).
    cut : {'mean', 'median'}
        Where the cut lines lie: the mean or median of the drivers' importance and performance
        (within each segment).
    codebook : Codebook or dict, optional
        Gives labels (in ``lang``) and scales.
    labels : mapping, optional
        ``{driver: text}`` or ``{driver: {"zh": ..., "en": ...}}``; overrides the codebook.
    lang : {'en', 'zh'}
        Language of ``label`` and ``quadrant_label``.
    alpha : float, default 0.05
        Level of the performance gaps' intervals (``1 − alpha``).
    **options
        Passed to :func:`~cxresearch.drivers.importance` (``missing``, ``on_degenerate`` …).

    Returns
    -------
    pandas.DataFrame
        One row per segment × driver: ``by`` column (when given), ``driver``, ``label``,
        ``importance`` (share), ``performance``, ``performance_unit`` (``'mean'``,
        ``'pomp'`` — share of the scale range, see ``performance`` — or ``'top_box'``), ``n``,
        ``n_eff`` (the model's base),
        ``importance_cut``, ``performance_cut``, ``quadrant`` (``concentrate_here``, ``keep_up``,
        ``low_priority``, ``possible_overkill``) and ``quadrant_label``; with ``cut='mean'`` also
        ``performance_gap`` (performance − performance cut), ``gap_ci_lower``, ``gap_ci_upper``
        and ``gap_p_value``: the paired test of whether the driver is rated above or below the
        drivers' average (see Notes).

    Raises
    ------
    CXValueError
        Unknown options; ``top_box`` needed but neither given nor in the codebook; a driver
        with values outside its codebook scale (unconverted missing codes); and as
        :func:`~cxresearch.drivers.importance`.

    Notes
    -----
    Performance is computed on the same rows as the model (listwise complete). A driver is of
    high importance when its share is at or above the importance cut, of high performance when its
    performance is at or above the performance cut. Quadrants after Martilla & James (1977):
    high importance and low performance = concentrate here; high and high = keep up the good work;
    low and low = low priority; low importance, high performance = possible overkill.

    A quadrant only places the point estimates. Whether a driver is rated below the average of
    the drivers is a question with a test: on the model's rows every respondent rated every
    driver, so ``performance − performance_cut`` is the weighted mean of each respondent's
    ``x_j − mean_m x_m`` (or of top-box indicators), whose design-based interval and two-sided
    t test (n − 1 df) are given. Unweighted, it is the one-sample t test of those contrasts.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing*, 41(1), 77–79. https://doi.org/10.1177/002224297704100112

    Cohen, P., Cohen, J., Aiken, L. S., & West, S. G. (1999). The problem of units and the
    circumstance for POMP. *Multivariate Behavioral Research*, 34(3), 315–346.
    https://doi.org/10.1207/S15327906MBR3403_2

    Examples
    --------
    Importance-performance quadrants of six drivers of overall satisfaction in one wave of the
    demo study (labels and 1-5 scales from its codebook):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> drivers = ["product_quality", "price_value", "channel_ease", "svc_courtesy",
    ...            "svc_competence", "svc_responsiveness"]
    >>> ipa = cx.drivers.importance_performance(wave, outcome="overall_sat", drivers=drivers,
    ...                                         codebook=study.codebook)
    >>> ipa[["label", "importance", "performance", "quadrant"]].round(3)
                             label  importance  performance           quadrant
    0              Product quality       0.221        3.769            keep_up
    1              Value for money       0.171        3.247   concentrate_here
    2    Ease of the sales channel       0.129        3.753  possible_overkill
    3    Courtesy of service staff       0.109        3.803  possible_overkill
    4  Competence of service staff       0.147        3.559       low_priority
    5    Responsiveness of service       0.224        3.325   concentrate_here
    """
    if performance not in PERFORMANCE:
        raise CXValueError(f"performance must be one of {PERFORMANCE}; got {performance!r}")
    if cut not in CUTS:
        raise CXValueError(f"cut must be one of {CUTS}; got {cut!r}")
    if lang not in LANGS:
        raise CXValueError(f"lang must be one of {LANGS}; got {lang!r}")
    if options.get("missing", "listwise") != "listwise":
        raise CXValueError("importance_performance uses listwise rows; missing must be 'listwise'")
    drivers = check_columns(data, outcome=outcome, drivers=drivers, weights=weights, by=by)
    alpha = check_alpha(alpha)
    cb = _codebook(codebook)
    thresholds = {}
    if performance == "top_box":
        for d in drivers:
            if top_box is not None:
                thresholds[d] = float(top_box)
                continue
            var = _variable(cb, d)
            scale = var.scale if var is not None else None
            if scale is None:
                raise CXValueError(
                    f"performance='top_box' needs top_box= or a codebook scale for driver {d!r}"
                )
            lo, hi = float(scale[0]), float(scale[1])
            thresholds[d] = hi - 1.0 if hi - lo >= 4 else hi  # top-two box; top box if short
    for d in drivers:  # answers off the codebook scale are usually unconverted missing codes
        var = _variable(cb, d)
        scale = var.scale if var is not None else None
        if scale is None:
            continue
        x = data[d].to_numpy(dtype=float, na_value=np.nan)
        off = (x < float(scale[0])) | (x > float(scale[1]))
        if off.any():
            bad = sorted(set(x[off].tolist()))[:5]
            raise CXValueError(
                f"driver {d!r} has {int(off.sum())} value(s) outside its codebook scale "
                f"{tuple(scale)}: {bad}; set missing codes (don't know, refused) to NaN first"
            )
    # drivers on different scales (a 0-6 party scale beside 1-7 items; height in cm beside hand
    # spans) have means that cannot be compared: performance is then the mean's place on each
    # driver's own scale range (POMP, 0-1), so the cut and the quadrants compare like with like
    scales = {
        d: (_variable(cb, d).scale if _variable(cb, d) is not None else None) for d in drivers
    }
    pomp = (
        performance == "mean"
        and all(sc is not None for sc in scales.values())
        and len({(float(a), float(b)) for a, b in scales.values()}) > 1
    )
    unit = "pomp" if pomp else performance
    weight_vector(data, weights)  # validate once, with the column named
    groups = [(None, data)] if by is None else list(data.groupby(by, sort=True, observed=True))
    frames = []
    for key, sub in groups:
        try:
            res = importance(
                sub,
                outcome=outcome,
                drivers=list(drivers),
                method=method,
                weights=weights,
                alpha=alpha,
                **options,
            )
        except CXValueError as exc:
            if by is None:
                raise
            warnings.warn(
                f"segment {by}={key!r} left out of the importance-performance frame: {exc}",
                NotEstimableWarning,
                stacklevel=2,
            )
            continue
        used = list(res.drivers)
        rows = sub[[*drivers, outcome]].astype(float)
        ok = rows.notna().all(axis=1).to_numpy()
        w = np.ones(len(sub)) if weights is None else sub[weights].to_numpy(float)
        ok &= w > 0
        w = w[ok]
        values = np.column_stack(
            [
                _performance_values(
                    rows[d].to_numpy()[ok],
                    scales[d] if pomp else None,
                    None if performance == "mean" else thresholds[d],
                )
                for d in used
            ]
        )
        perf = np.array([float(w @ values[:, j] / w.sum()) for j in range(len(used))])
        imp = res.importance.set_index("driver").loc[used, "share"].to_numpy()
        agg = np.mean if cut == "mean" else np.median
        ic, pc = float(agg(imp)), float(agg(perf))
        quad = [_quadrant(i >= ic, q >= pc) for i, q in zip(imp, perf, strict=True)]
        gap = _performance_gaps(values, w, alpha) if cut == "mean" else None
        frame = pd.DataFrame(
            {
                "driver": used,
                "label": [_label(d, labels, cb, lang) for d in used],
                "importance": imp,
                "performance": perf,
                "performance_unit": unit,
                "n": float(res.n),
                "n_eff": res.n_eff,
                "importance_cut": ic,
                "performance_cut": pc,
                "quadrant": quad,
                "quadrant_label": [message(f"ipa.{q}", lang) for q in quad],
            }
        )
        if gap is not None:
            frame = frame.assign(**gap)
        if by is not None:
            frame.insert(0, by, key)
        frames.append(frame)
    if not frames:
        raise CXValueError(f"no segment of {by!r} could be analysed")
    return pd.concat(frames, ignore_index=True)

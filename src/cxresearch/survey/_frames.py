"""Tidy output of the domain estimators: one frame per item, stacked, flagged and suppressed.

Every domain estimator of :mod:`cxresearch.survey` (``mean``, ``total``, ``proportion``, ``nps``,
``top_box``/``bottom_box``, ``trend``) turns its per-domain estimates and variances into the same
columns (``n``, ``n_eff``, ``estimate``, ``se``, ``df``, ``ci_lower``, ``ci_upper``) here, and
applies the small-base rules of :func:`cxresearch.survey._design.finish` in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cxresearch.survey._design import (
    Design,
    Domains,
    RatioEstimate,
    design_settings,
    finish,
    logit_ci,
    t_quantiles,
)


def intervals(
    estimate: np.ndarray, se: np.ndarray, q: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence bounds: ``'t'`` (``estimate -+ q se``), ``'logit'`` (:func:`logit_ci`, for
    shares) or ``'nps'`` (``'t'`` truncated to [-100, 100])."""
    if kind == "logit":
        return logit_ci(estimate, se, q)
    lo, hi = estimate - q * se, estimate + q * se
    if kind == "nps":
        lo, hi = np.maximum(lo, -100.0), np.minimum(hi, 100.0)
    return lo, hi


def domain_frame(
    dom: Domains,
    est: RatioEstimate,
    *,
    alpha: float,
    interval: str = "t",
    head: dict | None = None,
    middle: dict | None = None,
    tail: dict | None = None,
) -> pd.DataFrame:
    """One row per domain: the tidy frame every domain estimator returns (before :func:`finish`).

    ``est`` holds arrays over domains (``n``, ``n_eff``, ``estimate``, ``var``, ``df``; a
    :class:`RatioEstimate` or the fast path's ``ItemEstimate``). Columns, in order: the ``by``
    levels, ``head``, ``n``, ``n_eff``, ``middle``, ``estimate``, ``se``, ``df``, ``ci_lower``,
    ``ci_upper`` (Student t on each domain's ``df``; ``interval`` as :func:`intervals`),
    ``tail``. The extra columns are given as ``{name: value}``, a scalar or one value per domain.
    """
    se = np.sqrt(est.var)
    q = t_quantiles(alpha, est.df)
    lo, hi = intervals(est.estimate, se, q, interval)
    f = dom.levels.copy()
    for name, value in (head or {}).items():
        f[name] = value
    f["n"] = est.n
    f["n_eff"] = est.n_eff
    for name, value in (middle or {}).items():
        f[name] = value
    f["estimate"] = est.estimate
    f["se"] = se
    f["df"] = est.df
    f["ci_lower"] = lo
    f["ci_upper"] = hi
    for name, value in (tail or {}).items():
        f[name] = value
    return f


def finish_domains(
    frames: Sequence[pd.DataFrame],
    design: Design,
    *,
    alpha: float,
    min_base: int,
    anonymity_min: int,
    value_columns: Sequence[str],
    where: str,
    **options: object,
) -> pd.DataFrame:
    """Stack the per-item :func:`domain_frame` frames and :func:`finish` them.

    ``settings`` are the design, ``alpha``, ``options`` (in the order given), ``min_base`` and
    ``anonymity_min``. The small-base warning points at the public function's caller.
    """
    out = pd.concat(frames, ignore_index=True)
    return finish(
        out,
        min_base=min_base,
        anonymity_min=anonymity_min,
        value_columns=value_columns,
        where=where,
        settings=design_settings(
            design, alpha=alpha, **options, min_base=min_base, anonymity_min=anonymity_min
        ),
        stacklevel=4,
    )

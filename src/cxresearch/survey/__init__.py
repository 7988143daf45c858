"""Survey statistics: design-based estimates, CX KPIs, raking, comparisons, reliability.

``import cxresearch as cx`` then ``cx.survey.mean(...)``, ``cx.survey.nps(...)`` ...

Every function takes the data first and the rest keyword-only; the design is given by
``weights=``, ``strata=``, ``cluster=`` and ``fpc=`` (R ``svydesign`` semantics, Taylor
linearisation exactly as R's ``survey`` package); estimates come back as tidy frames of raw floats
with their base (``n``, ``n_eff``) and ``small_base`` / ``suppressed`` flags (defaults 30 and 5).

Estimates
    :func:`mean`, :func:`proportion` (logit CI), :func:`total`
KPIs
    :func:`nps`, :func:`top_box`, :func:`bottom_box`, :func:`csat`
Weighting
    :func:`rake` (pass its result as ``weights=`` for calibrated SEs), :func:`weighting_efficiency`
Comparisons
    :func:`difference` (segments or waves; R ``svyttest``), :func:`chisq` (Rao-Scott, R
    ``svychisq``), :func:`trend` (wave on wave), :func:`crosstab` (significance letters),
    :func:`adjust_p`
Reliability
    :func:`reliability` (per codebook dimension), :func:`cronbach_alpha`, :func:`omega`,
    :func:`item_total`
Small bases
    :func:`suppress` (the same rules for any frame)
"""

from cxresearch.survey.compare import adjust_p, chisq, difference, trend
from cxresearch.survey.crosstab import CrosstabResult, crosstab
from cxresearch.survey.estimates import mean, proportion, total
from cxresearch.survey.kpi import bottom_box, csat, nps, top_box
from cxresearch.survey.rake import (
    RakeResult,
    RakingWarning,
    rake,
    stack_rakes,
    weighting_efficiency,
)
from cxresearch.survey.reliability import (
    ReliabilityResult,
    cronbach_alpha,
    item_total,
    omega,
    reliability,
)
from cxresearch.survey.suppress import suppress

__all__ = [
    "mean",
    "proportion",
    "total",
    "nps",
    "top_box",
    "bottom_box",
    "csat",
    "difference",
    "chisq",
    "trend",
    "crosstab",
    "CrosstabResult",
    "adjust_p",
    "rake",
    "stack_rakes",
    "RakeResult",
    "RakingWarning",
    "weighting_efficiency",
    "cronbach_alpha",
    "omega",
    "item_total",
    "reliability",
    "ReliabilityResult",
    "suppress",
]

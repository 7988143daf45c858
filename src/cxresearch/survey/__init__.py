"""Survey statistics: design-based estimates, CX KPIs, raking, comparisons, reliability.

``import cxresearch as cx`` then ``cx.survey.mean(...)``, ``cx.survey.nps(...)`` ...

Every function takes the data first and the rest keyword-only; the design is given by
``weights=``, ``strata=``, ``cluster=`` and ``fpc=`` (R ``svydesign`` semantics); estimates come
back as tidy frames of raw floats with their base (``n``, ``n_eff``), ``small_base`` and
``suppressed`` flags.
"""

from cxresearch.survey.compare import CrosstabResult, adjust_p, chisq, crosstab, difference, trend
from cxresearch.survey.estimates import mean, proportion, total
from cxresearch.survey.kpi import bottom_box, csat, nps, top_box
from cxresearch.survey.rake import RakeResult, RakingWarning, rake, weighting_efficiency
from cxresearch.survey.reliability import (
    ReliabilityResult,
    cronbach_alpha,
    item_total,
    omega,
    reliability,
)

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
    "RakeResult",
    "RakingWarning",
    "weighting_efficiency",
    "cronbach_alpha",
    "omega",
    "item_total",
    "reliability",
    "ReliabilityResult",
]

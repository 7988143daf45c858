"""Survey statistics: design-based estimates, CX KPIs, raking, comparisons, reliability.

``import cxresearch as cx`` then ``cx.survey.mean(...)``, ``cx.survey.nps(...)`` ...

Every function takes the data first and the rest keyword-only; the design is given once as a
:class:`Design` (``design=cx.survey.Design(weights=..., strata=..., cluster=..., fpc=...)``) or by
the keyword shortcut ``weights=``, ``strata=``, ``cluster=`` and ``fpc=`` (R ``svydesign``
semantics, Taylor linearisation exactly as R's ``survey`` package); estimates come back as tidy frames of raw floats
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

from cxresearch.survey import compare as _compare
from cxresearch.survey import crosstab as _crosstab
from cxresearch.survey import estimates as _estimates
from cxresearch.survey import kpi as _kpi
from cxresearch.survey.compare import adjust_p
from cxresearch.survey.crosstab import CrosstabResult
from cxresearch.survey.design import Design, accepts_design
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

# The public entry points take ``design=`` (a Design) besides the keyword shortcut; the modules'
# own functions keep the keyword form only (one adapter, cxresearch.survey.design.accepts_design).
mean = accepts_design(_estimates.mean)
proportion = accepts_design(_estimates.proportion)
total = accepts_design(_estimates.total)
nps = accepts_design(_kpi.nps)
top_box = accepts_design(_kpi.top_box)
bottom_box = accepts_design(_kpi.bottom_box)
csat = accepts_design(_kpi.csat)
difference = accepts_design(_compare.difference)
chisq = accepts_design(_compare.chisq)
trend = accepts_design(_compare.trend)
crosstab = accepts_design(_crosstab.crosstab)
for _f in (
    mean,
    proportion,
    total,
    nps,
    top_box,
    bottom_box,
    csat,
    difference,
    chisq,
    trend,
    crosstab,
):
    _f.__module__ = __name__  # found (and pickled) as cx.survey.<name>
del _f
by_each = _estimates.by_each  # calls the public estimators above (design= included)

__all__ = [
    "Design",
    "mean",
    "by_each",
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

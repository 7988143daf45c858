"""Multi-year persistence: lag profiles, the horizon of an effect, dissatisfaction runs and churn.

The questions this module answers on a client's own customer × year history:

* how long does this year's satisfaction keep acting on loyalty (or a process's satisfaction on overall
  satisfaction)? — :func:`lag_profile` and :func:`horizon`;
* which estimator to believe? — :func:`mundlak_test` tests the pooled distributed lag against
  customer fixed effects (stable customer differences that go with satisfaction), and :func:`horizon`
  reads H from the estimator that survives (``method="auto"``), the other beside it as a robustness
  check; :func:`feedback_check` tests for feedback from loyalty to later satisfaction;
* how much more likely to leave are customers dissatisfied several years running? —
  :func:`dissatisfaction_runs` and :func:`churn_hazard`.

Estimation uses statsmodels (OLS with ``cov_type="cluster"``, Logit). The one hand-written piece is the
cluster bootstrap of the horizon: refitting statsmodels a few hundred times on 10,000 customers × 12
years is far too slow, so :func:`horizon` builds the lag design once, stores each customer's
``X'X`` and ``X'y`` blocks, and solves every bootstrap replicate from weighted sums of those blocks
(a replicate that draws a customer ``c`` times adds ``c`` copies of its blocks; each copy is its own
cluster). The replicate's cluster-robust covariance uses the same small-sample factor as statsmodels,
and a test checks one replicate against statsmodels run on the explicitly resampled data.

The package, a module per step: :mod:`~cxresearch.persistence._panel` (input checks, lags by calendar
year, :func:`customer_years`), :mod:`~cxresearch.persistence.lags` (:func:`lag_profile`, pooled and
within), :mod:`~cxresearch.persistence.effect_horizon` (:func:`horizon`, :func:`horizons`,
:data:`HORIZON_DEFINITION`), :mod:`~cxresearch.persistence.specification` (:func:`mundlak_test`, :func:`feedback_check`),
:mod:`~cxresearch.persistence._cluster_bootstrap` (the hand-written
bootstrap solver) and :mod:`~cxresearch.persistence.churn` (:func:`dissatisfaction_runs`,
:func:`churn_hazard`).
"""

from __future__ import annotations

# reachable as cx.persistence.<name> before the split (with MIN_CLUSTERS below); not in __all__
from cxresearch.errors import CXValueError as CXValueError
from cxresearch.errors import CXWarning as CXWarning
from cxresearch.errors import NotEstimableWarning as NotEstimableWarning
from cxresearch.persistence._panel import customer_years
from cxresearch.persistence.churn import HazardResult, churn_hazard, dissatisfaction_runs
from cxresearch.persistence.effect_horizon import (
    HORIZON_DEFINITION,
    HORIZON_METHODS,
    HorizonEstimate,
    HorizonResult,
    horizon,
    horizons,
)
from cxresearch.persistence.lags import (
    METHODS,
    FewClustersWarning,
    LagProfile,
    lag_profile,
)
from cxresearch.persistence.lags import (
    MIN_CLUSTERS as MIN_CLUSTERS,
)
from cxresearch.persistence.specification import SpecificationTest, feedback_check, mundlak_test

__all__ = [
    "HORIZON_DEFINITION",
    "HORIZON_METHODS",
    "SpecificationTest",
    "mundlak_test",
    "feedback_check",
    "METHODS",
    "LagProfile",
    "HorizonEstimate",
    "HorizonResult",
    "FewClustersWarning",
    "HazardResult",
    "lag_profile",
    "horizon",
    "horizons",
    "dissatisfaction_runs",
    "churn_hazard",
    "customer_years",
]

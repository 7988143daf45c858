"""Employee engagement: index per unit and wave, programme evaluation, and the employee–customer link.

* :func:`engagement_index` — the engagement index (mean of the 12 items of each respondent,
  averaged per unit and wave) with a t interval, and Cronbach's alpha of the items;
* :func:`programme_did` — difference-in-differences of the index for units in an improvement
  programme against units not in it (two-way fixed effects, SEs clustered by unit);
* :func:`linkage` — unit engagement against the unit's customers' satisfaction and NPS:
  correlations with Fisher-z intervals and a mixed model (random unit intercept) or a
  cluster-robust regression, with caveat text when the units are few.

**Anonymity.** A unit × wave cell with fewer than ``min_n`` responses (default 5) is removed
*before* anything is computed: it never appears in a returned frame, never enters a model, and the
result only counts how many cells were suppressed (``n_suppressed``), never which.

The statistics come from scipy and statsmodels; this module only arranges the data and the
results (tidy frames of raw floats).

The package, a module each: ``index`` (:func:`engagement_index`, :func:`cronbach_alpha`),
``did`` (:func:`programme_did`) and ``link`` (:func:`linkage`), on the data preparation of
``_prepare`` (person scores, suppression) and the warnings and caveat text of ``_caveats``.
"""

from __future__ import annotations

from ._caveats import FewUnitsWarning, ModelFitWarning
from .did import DiDResult, programme_did
from .index import EngagementResult, cronbach_alpha, engagement_index
from .link import LinkageResult, linkage

__all__ = [
    "EngagementResult",
    "DiDResult",
    "LinkageResult",
    "FewUnitsWarning",
    "ModelFitWarning",
    "engagement_index",
    "programme_did",
    "linkage",
    "cronbach_alpha",
]

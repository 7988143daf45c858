"""Loyalty dynamics: the loyalty ladder and its migration, retention curves, the cost of transfers.

* :func:`ladder` places every customer-year on the loyalty ladder (prospect → target → first-time →
  repeat → loyal → advocate) from behaviour (purchases, tenure, targeting) and attitude (the
  recommendation score), by rules given as a :class:`LadderRules` with sensible defaults;
* :func:`stage_shares` and :func:`migration` describe the ladder per wave and the moves between
  consecutive waves, churn being an absorbing state;
* :func:`retention_curves` gives Kaplan–Meier retention by satisfaction band (statsmodels `SurvfuncRight`, `survdiff`);
* :func:`transfer_penalty` estimates the relative loss of loyalty, and of the probability of being a
  promoter, per transfer between departments (statsmodels GLM, log link).

Everything here is computation: tidy frames of raw floats in, frozen result objects out. The package,
a module per capability: :mod:`~cxresearch.loyalty.stages` (ladder, stage shares, migration),
:mod:`~cxresearch.loyalty.retention` (retention curves) and :mod:`~cxresearch.loyalty.transfers`
(transfer penalty); the panel checks are shared with :mod:`cxresearch.persistence`.
"""

from __future__ import annotations

# reachable as cx.loyalty.<name> before the split; not in __all__
from cxresearch.errors import CXValueError as CXValueError
from cxresearch.errors import NotEstimableWarning as NotEstimableWarning
from cxresearch.loyalty.retention import DEFAULT_BANDS as DEFAULT_BANDS
from cxresearch.loyalty.retention import RetentionResult, retention_curves
from cxresearch.loyalty.stages import (
    CHURNED,
    STAGES,
    LadderRules,
    MigrationResult,
    ladder,
    migration,
    stage_shares,
)
from cxresearch.loyalty.transfers import TransferPenaltyResult, transfer_penalty

__all__ = [
    "STAGES",
    "CHURNED",
    "LadderRules",
    "MigrationResult",
    "RetentionResult",
    "TransferPenaltyResult",
    "ladder",
    "stage_shares",
    "migration",
    "retention_curves",
    "transfer_penalty",
]

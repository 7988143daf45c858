"""Early-warning alerts: who needs a call after this wave, and do the rules predict churn?

Rules are parameters (:class:`AlertRule`, or plain dicts from a params YAML), each routed to an
owner role:

* ``low_score`` — a score below a threshold (``score < below``);
* ``drop`` — a drop of at least ``points`` since the customer's previous *answered* wave (the last
  earlier wave in which the customer gave this score, however many waves ago);
* ``detractor_high_value`` — a detractor (``score <= max_score``, NPS scale) whose account is
  high-value (``high_value`` in the CRM for that year, or a ``high_value`` column of the responses);
* ``complaint_theme`` — a comment that mentions one of ``themes`` (all themes when empty) with
  negative polarity (any polarity with ``negative_only=False``), coded by :mod:`cxresearch.text`.

:func:`alert_cases` builds the case list of one wave (one row per customer: branch, owner, reasons,
score, previous score, comment) — internal only; :func:`write_alerts` writes it to ``.xlsx`` or
``.csv`` atomically; :func:`alert_counts` gives the counts by rule and branch a client report may
show. :func:`backtest` replays the rules on earlier waves against churn and reports alerts fired,
precision, recall, lift over the base churn rate and the risk ratio, with confidence intervals.

Rules in a params YAML (the report passes the list to :func:`rules_from_params`)::

    alerts:
      rules:
        - {name: low_sat, kind: low_score, score: overall_sat, below: 5, owner: service}
        - {name: sat_drop, kind: drop, score: overall_sat, points: 3, owner: branch_manager}
        - {name: hv_detractor, kind: detractor_high_value, score: recommend, max_score: 6, owner: sales}
        - {name: complaint, kind: complaint_theme, themes: [transfers, waiting_time], owner: service}

The order is the priority: a customer who trips several rules is routed to the owner of the first.

The statistics are small and written here on top of statsmodels/scipy (proportion intervals,
Fisher's exact test); the lift interval (log method by the multinomial delta method, or a customer
cluster bootstrap) is written out because no maintained package offers it.

The package, a module each: ``rules`` (:class:`AlertRule`, :data:`DEFAULT_RULES`,
:func:`rules_from_params`), ``firing`` (:func:`fire_rules`), ``cases`` (:func:`alert_cases`,
:func:`alert_counts`), ``writer`` (:func:`write_alerts`) and ``backtesting`` (:func:`backtest` with
its interval methods).
"""

from __future__ import annotations

from .backtesting import BacktestResult, backtest
from .cases import AlertCases, alert_cases, alert_counts
from .firing import fire_rules
from .rules import DEFAULT_RULES, RULE_KINDS, AlertRule, rules_from_params
from .rules import OWNER_ROLES as OWNER_ROLES  # public constant, not in __all__
from .writer import write_alerts

__all__ = [
    "AlertRule",
    "AlertCases",
    "BacktestResult",
    "DEFAULT_RULES",
    "RULE_KINDS",
    "rules_from_params",
    "fire_rules",
    "alert_cases",
    "alert_counts",
    "write_alerts",
    "backtest",
]

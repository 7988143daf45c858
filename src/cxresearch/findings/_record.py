"""The finding record: one claim a result supports, with the numbers and the test behind it."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from cxresearch.errors import CXValueError

__all__ = [
    "Finding",
    "KINDS",
    "strength",
    "certainty",
    "d_from_r",
    "d_from_log_odds",
    "rank",
    "to_json",
    "from_json",
    "write_jsonl",
    "read_jsonl",
    "finite",
]

#: Kinds of findings and the claims each may make.
KINDS = {
    "kpi_change": ("increase", "decrease"),
    "segment_gap": ("above_total", "below_total"),
    "top_driver": ("largest", "among_largest"),
    "priority_driver": ("improve",),
    "model_fit": ("explains_little",),
    "horizon": ("lasts",),
    "hazard_run": ("rises_with_run",),
    "alert_lift": ("predicts_churn",),
    "alert_concentration": ("concentrated",),
    "transfer_penalty": ("costs",),
    "employee_link": ("linked",),
    "programme": ("lifts", "lowers"),
    "theme_gap": ("more_among_dissatisfied", "less_among_dissatisfied"),
}


def finite(x: Any) -> float | None:
    """``float(x)``, or None when missing or not finite (JSON has no NaN)."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class Finding:
    """One claim a result supports, with the numbers behind it (no prose).

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (``segment_gap``, ``top_driver``, ``horizon`` …).
    claim : str
        What is asserted, one of ``KINDS[kind]`` (``below_total``, ``largest``, ``lasts`` …).
    subject : str
        What the claim is about: a segment code (as text), a driver or KPI variable, an alert rule.
    subject_type : str
        ``segment``, ``item``, ``driver``, ``kpi``, ``exposure``, ``rule``, ``unit``, ``model``,
        ``theme`` (a comment theme of the codeframe).
    variable : str or None
        The measure the numbers are on (the KPI of a segment gap, the outcome of a driver model,
        the segment variable's name is in ``details['by']``).
    direction : int
        +1 (higher, more, rises), -1 (lower, less, falls), 0 (no direction).
    estimate, ci_lower, ci_upper : float or None
        The number the claim rests on, in ``unit``, and its interval (level ``1 - alpha``).
    unit : str
        ``nps_points``, ``scale_points``, ``share``, ``ratio``, ``odds_ratio``, ``years``,
        ``correlation``, ``relative_change``, ``r2`` (``share`` is also a difference of two shares of
        customers, e.g. of a comment theme's mentions).
    n, n_eff : float or None
        Base (respondents, customers, cases) and effective base.
    test : str
        The test that supports the claim (e.g. ``design-based t test vs Total, Holm``).
    statistic, p_value, p_adj : float or None
        Its statistic and p-values (``p_adj`` after the multiplicity correction, when any).
    alpha : float
        Significance level the claim was tested at.
    size : float
        Size on a common scale: an absolute standardised difference (Cohen's *d*; from *r* and
        log odds ratios by the usual conversions; a horizon counts as the share of the lags examined
        it covers; a unit-level correlation as |r|; two shares as Cohen's |h|) — see ``size_unit``.
    size_unit : str
        ``"d"`` (standardised difference) or ``"h"`` (Cohen's h of two proportions, read on the
        same benchmarks: 0.2 small, 0.5 medium, 0.8 large).
    strength : str
        ``strong`` (p < 0.001), ``moderate`` (p < 0.01) or ``some`` (p < alpha).
    chapter, exhibit : str
        Notebook stem and the report table (sheet) name holding the evidence.
    wave : int or None
        The report wave the finding concerns.
    details : dict
        Further raw numbers a reader of this kind needs (JSON-safe: quadrant, performance,
        alert volume, precision …).
    """

    kind: str
    claim: str
    subject: str
    subject_type: str
    direction: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    unit: str
    test: str
    size: float
    chapter: str
    exhibit: str
    variable: str | None = None
    n: float | None = None
    n_eff: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_adj: float | None = None
    alpha: float = 0.05
    size_unit: str = "d"
    strength: str = ""
    wave: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CXValueError(f"finding kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.claim not in KINDS[self.kind]:
            raise CXValueError(
                f"a {self.kind} finding claims one of {', '.join(KINDS[self.kind])}; "
                f"got {self.claim!r}"
            )
        for name in (
            "estimate",
            "ci_lower",
            "ci_upper",
            "n",
            "n_eff",
            "statistic",
            "p_value",
            "p_adj",
        ):
            object.__setattr__(self, name, finite(getattr(self, name)))
        object.__setattr__(self, "size", finite(self.size) or 0.0)
        if not self.strength:
            object.__setattr__(self, "strength", strength(self.p))
        object.__setattr__(self, "details", _plain(dict(self.details)))
        if self.wave is not None:
            object.__setattr__(self, "wave", int(self.wave))

    @property
    def p(self) -> float | None:
        """The p-value the claim rests on: ``p_adj`` when given, else ``p_value``."""
        return self.p_adj if self.p_adj is not None else self.p_value

    @property
    def score(self) -> float:
        """Ranking score: ``size × certainty`` (see :func:`certainty`)."""
        return self.size * certainty(self.p)

    @property
    def anchor(self) -> str:
        """HTML id of the report table holding the evidence (``tbl-<exhibit>``)."""
        return f"tbl-{self.exhibit}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every field, plus ``score`` and ``anchor``."""
        out = asdict(self)
        out["score"] = self.score
        out["anchor"] = self.anchor
        return out


def _plain(x: Any) -> Any:
    """A JSON-safe copy of ``x`` (numpy scalars to Python, NaN to None, tuples to lists)."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_plain(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return finite(x)
    if x is None or isinstance(x, str):
        return x
    return str(x)


def strength(p: float | None, *, alpha: float = 0.05) -> str:
    """``strong`` (p < 0.001), ``moderate`` (p < 0.01), ``some`` (p < alpha), else ``none``.

    Examples
    --------
    >>> import cxresearch as cx
    >>> [cx.findings.strength(p) for p in (0.0004, 0.006, 0.03, 0.2)]
    ['strong', 'moderate', 'some', 'none']
    >>> cx.findings.strength(0.03, alpha=0.01), cx.findings.strength(None)
    ('none', 'some')
    """
    if p is None:
        return "some"  # an interval-based claim (e.g. a bootstrap interval excluding the null)
    if p < 0.001:
        return "strong"
    if p < 0.01:
        return "moderate"
    return "some" if p < alpha else "none"


def certainty(p: float | None) -> float:
    """Weight of evidence in [0, 1]: ``-log10(p) / 3`` capped at 1 (p = 0.001 -> 1, p = 0.05 -> 0.43);
    0.5 for a claim resting on an interval without a p-value.

    Examples
    --------
    >>> import cxresearch as cx
    >>> [round(cx.findings.certainty(p), 2) for p in (1e-6, 0.001, 0.01, 0.05, 0.5)]
    [1.0, 1.0, 0.67, 0.43, 0.1]
    >>> cx.findings.certainty(None)
    0.5
    """
    if p is None:
        return 0.5
    return float(min(1.0, -math.log10(max(p, 1e-300)) / 3.0))


def d_from_r(r: float) -> float:
    """Cohen's d from a correlation: ``2r / sqrt(1 - r²)`` (|r| capped at 0.99).

    Examples
    --------
    A correlation of 0.3 is a standardised difference of about 0.63 (medium):

    >>> import cxresearch as cx
    >>> round(cx.findings.d_from_r(0.3), 3)
    0.629
    >>> round(cx.findings.d_from_r(-0.3), 3), round(cx.findings.d_from_r(1.0), 2)  # r capped
    (-0.629, 14.04)
    """
    r = max(-0.99, min(0.99, float(r)))
    return 2 * r / math.sqrt(1 - r * r)


def d_from_log_odds(log_or: float) -> float:
    """Cohen's d from a log odds ratio: ``log OR × √3 / π`` (Chinn 2000, doi:10.1002/1097-0258(20001130)19:22<3127::AID-SIM784>3.0.CO;2-M).

    Examples
    --------
    An odds ratio of 2 (churn doubles its odds) is a small-to-medium standardised difference:

    >>> import math
    >>> import cxresearch as cx
    >>> round(cx.findings.d_from_log_odds(math.log(2)), 3)
    0.382
    >>> round(cx.findings.d_from_log_odds(math.log(0.5)), 3)
    -0.382
    """
    return float(log_or) * math.sqrt(3) / math.pi


def rank(findings: Iterable[Finding], *, kinds: Sequence[str] | None = None) -> list[Finding]:
    """Findings ordered by :attr:`Finding.score`, largest first (ties: smaller p first).

    Examples
    --------
    Two records of a report; the top driver is the larger effect, the segment gap the surer one:

    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> gap = Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...               variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...               ci_upper=-6.4, unit="nps_points", test="design-based t test vs Total, Holm",
    ...               p_value=0.0004, p_adj=0.002, size=0.35, chapter="02_kpis",
    ...               exhibit="segment_scorecard", wave=2017, details={"by": "branch"})
    >>> top = Finding(kind="top_driver", claim="largest", subject="product_quality",
    ...               subject_type="driver", variable="overall_sat", direction=1, estimate=0.41,
    ...               ci_lower=0.33, ci_upper=0.49, unit="share",
    ...               test="bootstrap test of the difference in shares with the next driver",
    ...               p_value=0.01, size=0.9, chapter="03_drivers", exhibit="driver_importance")
    >>> [(f.kind, round(f.size, 2), round(cx.findings.certainty(f.p), 2), round(f.score, 3))
    ...  for f in (gap, top)]
    [('segment_gap', 0.35, 0.9, 0.315), ('top_driver', 0.9, 0.67, 0.6)]
    >>> [f.subject for f in cx.findings.rank([gap, top])]
    ['product_quality', '3']
    >>> [f.subject for f in cx.findings.rank([gap, top], kinds=["segment_gap"])]
    ['3']
    """
    items = [f for f in findings if kinds is None or f.kind in kinds]
    return sorted(
        items, key=lambda f: (-f.score, f.p if f.p is not None else 1.0, f.kind, f.subject)
    )


def to_json(findings: Iterable[Finding], *, indent: int | None = 2) -> str:
    """The findings as a JSON array (see :meth:`Finding.to_dict`).

    Examples
    --------
    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> gap = Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...               variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...               ci_upper=-6.4, unit="nps_points", test="design-based t test vs Total, Holm",
    ...               p_value=0.0004, p_adj=0.002, size=0.35, chapter="02_kpis",
    ...               exhibit="segment_scorecard", wave=2017, details={"by": "branch"})
    >>> import json
    >>> records = json.loads(cx.findings.to_json([gap]))
    >>> {k: records[0][k] for k in ("kind", "claim", "subject", "estimate", "p_adj", "strength")}
    {'kind': 'segment_gap', 'claim': 'below_total', 'subject': '3', 'estimate': -14.2,
     'p_adj': 0.002, 'strength': 'moderate'}
    >>> round(records[0]["score"], 3), records[0]["anchor"]
    (0.315, 'tbl-segment_scorecard')
    """
    return json.dumps([f.to_dict() for f in findings], ensure_ascii=False, indent=indent)


def from_json(text: str) -> list[Finding]:
    """Findings back from :func:`to_json` (extra keys such as ``score`` are ignored).

    Examples
    --------
    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> gap = Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...               variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...               ci_upper=-6.4, unit="nps_points", test="design-based t test vs Total, Holm",
    ...               p_value=0.0004, p_adj=0.002, size=0.35, chapter="02_kpis",
    ...               exhibit="segment_scorecard", wave=2017, details={"by": "branch"})
    >>> text = cx.findings.to_json([gap])
    >>> back = cx.findings.from_json(text)
    >>> back == [gap]
    True
    >>> back[0].details, back[0].strength
    ({'by': 'branch'}, 'moderate')
    """
    names = {f.name for f in fields(Finding)}
    return [Finding(**{k: v for k, v in item.items() if k in names}) for item in json.loads(text)]


def write_jsonl(findings: Iterable[Finding], path: str | Path) -> int:
    """Append findings to a JSON-lines file (one record a line); returns how many were written.

    Examples
    --------
    Each chapter appends its findings to the run's log; the summary reads them all back:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> gap = Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...               variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...               ci_upper=-6.4, unit="nps_points", test="design-based t test vs Total, Holm",
    ...               p_value=0.0004, p_adj=0.002, size=0.35, chapter="02_kpis",
    ...               exhibit="segment_scorecard", wave=2017, details={"by": "branch"})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log = Path(folder) / "findings.jsonl"
    ...     written = [cx.findings.write_jsonl([gap], log), cx.findings.write_jsonl([gap], log)]
    ...     lines = log.read_text(encoding="utf-8").splitlines()
    >>> written, len(lines)
    ([1, 1], 2)
    """
    lines = [json.dumps(f.to_dict(), ensure_ascii=False) for f in findings]
    if lines:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return len(lines)


def read_jsonl(path: str | Path) -> list[Finding]:
    """Findings recorded by :func:`write_jsonl` (an absent file holds none).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> from cxresearch.findings import Finding
    >>> gap = Finding(kind="segment_gap", claim="below_total", subject="3", subject_type="segment",
    ...               variable="recommend", direction=-1, estimate=-14.2, ci_lower=-22.0,
    ...               ci_upper=-6.4, unit="nps_points", test="design-based t test vs Total, Holm",
    ...               p_value=0.0004, p_adj=0.002, size=0.35, chapter="02_kpis",
    ...               exhibit="segment_scorecard", wave=2017, details={"by": "branch"})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     log = Path(folder) / "findings.jsonl"
    ...     before = cx.findings.read_jsonl(log)
    ...     _ = cx.findings.write_jsonl([gap], log)
    ...     after = cx.findings.read_jsonl(log)
    >>> before, after == [gap]
    ([], True)
    """
    path = Path(path)
    if not path.is_file():
        return []
    names = {f.name for f in fields(Finding)}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append(Finding(**{k: v for k, v in item.items() if k in names}))
    return out

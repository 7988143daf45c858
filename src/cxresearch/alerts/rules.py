"""Early-warning rules: what each rule checks, whom it routes to, and the rules from params.

:class:`AlertRule` validates one rule on construction and states it in plain language
(:meth:`AlertRule.describe`); :func:`rules_from_params` turns a params YAML list (or
:class:`AlertRule` objects) into a validated tuple; :data:`DEFAULT_RULES` is the package's set.

Why hand-written: the rules are this package's own parameters; a frozen dataclass that checks
itself gives messages naming the rule and the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._i18n import message
from ..errors import CXValueError

RULE_KINDS = ("low_score", "drop", "detractor_high_value", "complaint_theme")
OWNER_ROLES = ("service", "sales", "branch_manager")


@dataclass(frozen=True)
class AlertRule:
    """One early-warning rule.

    Parameters
    ----------
    name : str
        Identifier shown as the reason (``low_sat``, ``sat_drop`` …); unique within a rule set.
    kind : {"low_score", "drop", "detractor_high_value", "complaint_theme"}
    owner : str
        Role the case is routed to (``service``, ``sales``, ``branch_manager`` or any other role
        name the client uses).
    score : str
        Score column (``low_score``, ``drop``: default ``overall_sat``; ``detractor_high_value``:
        default ``recommend``). Unused by ``complaint_theme``.
    below : float
        ``low_score``: fires when ``score < below``.
    points : float
        ``drop``: fires when ``previous - current >= points``.
    max_score : float
        ``detractor_high_value``: a detractor has ``score <= max_score`` (6 on the 0–10 NPS scale).
    themes : tuple of str
        ``complaint_theme``: the complaint themes (empty: every theme of the codeframe).
    negative_only : bool
        ``complaint_theme``: only mentions with negative polarity fire (default True).
    max_gap : float, optional
        ``drop``: only compare with a previous answer at most this many waves (years) back
        (None: however long ago). Needs numeric waves.
    """

    name: str
    kind: str
    owner: str
    score: str | None = None
    below: float | None = None
    points: float | None = None
    max_score: float | None = None
    themes: tuple[str, ...] = ()
    negative_only: bool = True
    max_gap: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise CXValueError(f"rule name must be a non-empty string; got {self.name!r}")
        if self.kind not in RULE_KINDS:
            raise CXValueError(
                f"rule {self.name!r}: kind must be one of {', '.join(map(repr, RULE_KINDS))}; "
                f"got {self.kind!r}"
            )
        if not isinstance(self.owner, str) or not self.owner.strip():
            raise CXValueError(
                f"rule {self.name!r}: owner must be a role name such as "
                f"{', '.join(map(repr, OWNER_ROLES))}; got {self.owner!r}"
            )
        if self.score is None and self.kind != "complaint_theme":
            default = "recommend" if self.kind == "detractor_high_value" else "overall_sat"
            object.__setattr__(self, "score", default)

        def number(attr: str, *, positive: bool = False):
            v = getattr(self, attr)
            if (
                v is None
                or isinstance(v, bool)
                or not isinstance(v, (int, float))
                or not np.isfinite(v)
            ):
                raise CXValueError(
                    f"rule {self.name!r} ({self.kind}) needs a number {attr}; got {v!r}"
                )
            if positive and v <= 0:
                raise CXValueError(f"rule {self.name!r}: {attr} must be > 0; got {v!r}")

        if self.kind == "low_score":
            number("below")
        elif self.kind == "drop":
            number("points", positive=True)
            if self.max_gap is not None:
                number("max_gap", positive=True)
        elif self.kind == "detractor_high_value":
            if self.max_score is None:
                object.__setattr__(self, "max_score", 6)
            number("max_score")
        themes = self.themes
        if isinstance(themes, str):
            themes = (themes,)
        if not all(isinstance(t, str) for t in themes):
            raise CXValueError(
                f"rule {self.name!r}: themes must be theme names; got {self.themes!r}"
            )
        object.__setattr__(self, "themes", tuple(themes))
        if not isinstance(self.negative_only, bool):
            raise CXValueError(
                f"rule {self.name!r}: negative_only must be true or false; got {self.negative_only!r}"
            )

    def statement(self) -> tuple[str, dict[str, object]]:
        """The rule as a message of the catalog: its key (``alert.<kind>``) and the fields that
        fill it (numbers written as in the params; ``themes`` a tuple, ``()`` for any theme).
        :meth:`describe` and the report word it through :mod:`cxresearch._i18n`."""
        if self.kind == "low_score":
            return "alert.low_score", {"score": self.score, "below": f"{self.below:g}"}
        if self.kind == "drop":
            fields = {"score": self.score, "points": f"{self.points:g}"}
            if self.max_gap is None:
                return "alert.drop", fields
            return "alert.drop_within", {**fields, "max_gap": f"{self.max_gap:g}"}
        if self.kind == "detractor_high_value":
            return "alert.detractor_high_value", {
                "score": self.score,
                "max_score": f"{self.max_score:g}",
            }
        key = "alert.complaint_theme_negative" if self.negative_only else "alert.complaint_theme"
        return key, {"themes": tuple(self.themes)}

    def describe(self, lang: str = "en") -> str:
        """Plain-language statement of the rule in ``lang`` (``"en"`` or ``"zh"``), from the
        package's message catalog (:meth:`statement` gives its key and fields).

        Variable and theme names are shown as given (the report maps them to labels).
        """
        if lang not in ("en", "zh"):
            raise CXValueError(f"lang must be one of 'en', 'zh'; got {lang!r}")
        key, fields = self.statement()
        if "themes" in fields:
            themes = fields["themes"]
            fields = {
                "themes": message("list_separator", lang).join(themes)
                if themes
                else message("alert.any_theme", lang)
            }
        return message(key, lang, **fields)


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule(name="low_sat", kind="low_score", owner="service", score="overall_sat", below=5),
    AlertRule(name="sat_drop", kind="drop", owner="branch_manager", score="overall_sat", points=3),
    AlertRule(
        name="hv_detractor",
        kind="detractor_high_value",
        owner="sales",
        score="recommend",
        max_score=6,
    ),
    AlertRule(
        name="complaint",
        kind="complaint_theme",
        owner="service",
        themes=("transfers", "waiting_time", "parts_availability", "responsiveness"),
    ),
)

_RULE_KEYS = {f for f in AlertRule.__dataclass_fields__}


def rules_from_params(rules) -> tuple[AlertRule, ...]:
    """Validate rules given as :class:`AlertRule` objects or dicts (e.g. from a params YAML).

    Parameters
    ----------
    rules : sequence of AlertRule or dict, or None
        None gives :data:`DEFAULT_RULES`. A dict has the fields of :class:`AlertRule`.

    Returns
    -------
    tuple of AlertRule

    Raises
    ------
    CXValueError
        An unknown key, a missing threshold, an unknown kind, a duplicate rule name, an empty set.

    Examples
    --------
    The ``alerts.rules`` list of a params YAML, as ``yaml.safe_load`` gives it; ``score`` falls
    back to ``overall_sat`` and the order is the routing priority:

    >>> import cxresearch as cx
    >>> rules = cx.alerts.rules_from_params([
    ...     {"name": "low_sat", "kind": "low_score", "below": 5, "owner": "service"},
    ...     {"name": "sat_drop", "kind": "drop", "points": 3, "owner": "branch_manager"},
    ...     {"name": "parts", "kind": "complaint_theme", "themes": ["parts_availability"],
    ...      "owner": "service"},
    ... ])
    >>> [(r.name, r.score, r.owner) for r in rules]
    [('low_sat', 'overall_sat', 'service'), ('sat_drop', 'overall_sat', 'branch_manager'),
     ('parts', None, 'service')]
    >>> print(rules[1].describe("en"))
    overall_sat dropped by 3+ points since the previous answered wave
    >>> print(rules[2].describe("zh"))
    负面评论涉及parts_availability

    ``None`` gives the package's four default rules; a rule without its threshold is refused:

    >>> [r.name for r in cx.alerts.rules_from_params(None)]
    ['low_sat', 'sat_drop', 'hv_detractor', 'complaint']
    >>> cx.alerts.rules_from_params([{"name": "low_sat", "kind": "low_score", "owner": "service"}])
    Traceback (most recent call last):
    ...
    cxresearch.errors.CXValueError: rule 'low_sat' (low_score) needs a number below; got None
    """
    if rules is None:
        return DEFAULT_RULES
    if isinstance(rules, (AlertRule, Mapping)):
        rules = [rules]
    if isinstance(rules, str) or not isinstance(rules, Sequence):
        raise CXValueError(f"rules must be a list of rules (dicts or AlertRule); got {rules!r}")
    out: list[AlertRule] = []
    for i, r in enumerate(rules):
        if isinstance(r, AlertRule):
            out.append(r)
            continue
        if not isinstance(r, Mapping):
            raise CXValueError(f"rules[{i}] must be a mapping or an AlertRule; got {r!r}")
        bad = sorted(set(r) - _RULE_KEYS)
        if bad:
            raise CXValueError(
                f"rules[{i}] has unknown key {bad[0]!r}; allowed: {', '.join(sorted(_RULE_KEYS))}"
            )
        for key in ("name", "kind", "owner"):
            if key not in r:
                raise CXValueError(f"rules[{i}] needs {key!r}")
        kw = dict(r)
        if "themes" in kw and kw["themes"] is not None and not isinstance(kw["themes"], str):
            kw["themes"] = tuple(kw["themes"])
        elif kw.get("themes") is None:
            kw.pop("themes", None)
        out.append(AlertRule(**kw))
    if not out:
        raise CXValueError("rules must hold at least one rule")
    names = [r.name for r in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CXValueError(f"rule names must be unique; {dup[0]!r} is used twice")
    return tuple(out)

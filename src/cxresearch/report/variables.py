"""Which codebook variables a report uses: filled from the codebook's roles, checked against kind and scale.

:func:`resolve_variables` fills the variables the params leave open from the codebook's roles (outcome,
NPS, loyalty, drivers, processes, segments); :func:`check_variables` refuses a variable whose kind or
scale does not fit its use (NPS only on a 0–10 item; means and top-box only on items with scale
bounds; segments only on categories), naming the params key, the variable, its kind and scale, and
what would fit. Both run before any notebook (see :mod:`cxresearch.report.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxresearch.report.params import Params, ParamsError

__all__ = ["StudyVariables", "check_variables", "resolve_variables"]

_NUMERIC_KINDS = ("likert", "rating", "nps", "numeric", "binary")


@dataclass(frozen=True)
class StudyVariables:
    """The variables a report uses, after the codebook filled what the params left open.

    Attributes mirror ``params.variables``: ``outcome``, ``nps`` (None: no NPS), ``loyalty`` (None),
    ``drivers``, ``processes``, ``process``, ``by`` (empty: totals only), ``weight`` (None:
    unweighted), ``raking``. ``sources`` says for each where it came from (``'params'`` or
    ``'codebook'``).
    """

    outcome: str
    nps: str | None
    loyalty: str | None
    drivers: tuple[str, ...]
    processes: tuple[str, ...]
    process: str | None
    by: tuple[str, ...]
    weight: str | None
    raking: dict | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for the manifest)."""
        return {
            "outcome": self.outcome,
            "nps": self.nps,
            "loyalty": self.loyalty,
            "drivers": list(self.drivers),
            "processes": list(self.processes),
            "process": self.process,
            "by": list(self.by),
            "weight": self.weight,
            "sources": dict(self.sources),
        }


def _scaled(var) -> bool:
    return var.kind.value in _NUMERIC_KINDS and var.scale is not None


def _is_process(var) -> bool:
    return (var.dimension or "").startswith("process:")


def _describe(var) -> str:
    scale = var.scale
    on = (
        f" on {scale[0]:g}–{scale[1]:g}" if scale is not None and var.kind.value != "binary" else ""
    )
    if var.kind.value in ("likert", "rating", "numeric") and scale is None:
        on = " without scale bounds (min/max)"
    return f"{var.name!r} is {var.kind.value}{on}"


def resolve_variables(params: Params, book) -> StudyVariables:
    """Fill the variables the params leave open from the codebook.

    A key the params omit is taken from the codebook; a key set to ``null`` (or ``[]``) means "do not
    use": ``outcome`` — the first role-``outcome`` item with a scale that is not kind ``nps``;
    ``nps`` — the first kind-``nps`` item; ``loyalty`` — the next role-``outcome`` scaled item;
    ``drivers`` — role ``driver`` outside processes, else every likert/rating item but the outcomes;
    ``processes`` — role ``driver`` with dimension ``process:<name>``; ``by`` — the role-``segment``
    categories; ``weight`` — as given (None: unweighted).
    """
    v = params.variables
    given = v.model_fields_set
    src: dict[str, str] = {}

    def pick(key, derived):
        if key in given:
            src[key] = "params"
            return getattr(v, key)
        src[key] = "codebook"
        return derived

    if book is None:
        names: list = []
        variables: tuple = ()
    else:
        variables = tuple(book.variables)
        names = [x.name for x in variables]
    outcomes = [x for x in variables if x.role == "outcome" and _scaled(x)]
    outcome = pick(
        "outcome",
        next(
            (x.name for x in outcomes if x.kind.value != "nps"),
            "overall_sat" if not names else None,
        ),
    )
    nps = pick("nps", next((x.name for x in variables if x.kind.value == "nps"), None))
    loyalty = pick(
        "loyalty",
        next(
            (x.name for x in outcomes if x.name not in (outcome, nps) and x.kind.value != "nps"),
            None,
        ),
    )
    taken = {outcome, nps, loyalty}
    drivers = v.drivers if v.drivers else None
    if drivers is not None:
        src["drivers"] = "params"
    else:
        src["drivers"] = "codebook"
        drivers = [
            x.name for x in variables if x.role == "driver" and not _is_process(x) and _scaled(x)
        ]
        if not drivers:
            drivers = [
                x.name
                for x in variables
                if x.kind.value in ("likert", "rating")
                and x.scale
                and x.name not in taken
                and x.role not in ("outcome", "segment", "weight")
                and not _is_process(x)
            ]
    processes = v.processes if v.processes else None
    if processes is not None:
        src["processes"] = "params"
    else:
        src["processes"] = "codebook"
        processes = [
            x.name for x in variables if x.role == "driver" and _is_process(x) and _scaled(x)
        ]
    by = pick(
        "by", [x.name for x in variables if x.role == "segment" and x.kind.value == "category"]
    )
    src["weight"] = "params"
    process = v.process
    if process is None and processes:
        process = next(
            (
                p
                for p in processes
                if book is not None
                and p in book
                and (book.get(p).dimension or "") == "process:service"
            ),
            processes[0],
        )
    return StudyVariables(
        outcome=outcome,
        nps=nps,
        loyalty=loyalty,
        drivers=tuple(drivers or ()),
        processes=tuple(processes or ()),
        process=process,
        by=tuple(by or ()),
        weight=v.weight,
        raking=v.raking,
        sources=src,
    )


def check_variables(params: Params, book, *, label: str | None = None) -> StudyVariables:
    """Check each variable's use against its kind and scale; return the resolved variables.

    Rules: the outcome, loyalty, drivers and processes are numeric items with scale bounds (means
    and top-box need them); NPS only on a 0–10 item (kind ``nps``, or a rating/numeric 0–10 item);
    segments (``by``) are categories (or binary); the weight is kind ``weight`` or ``numeric``; no
    use takes a text or id variable.

    Raises
    ------
    ParamsError
        Every misused variable, each line naming the params key, the variable, its kind and scale,
        and what would fit.
    """
    label = label or (str(params.source) if params.source else "params")
    sv = resolve_variables(params, book)
    if book is None:
        return sv
    problems: list[str] = []
    if sv.outcome is None:
        problems.append(
            "  - variables.outcome: not set, and the codebook has no role-outcome item with a "
            "scale; set variables.outcome to the overall satisfaction item"
        )

    def var(name):
        return book.get(name) if name in book else None

    def fits(key, name, ok, wanted):
        x = var(name)
        if x is None or ok(x):
            return
        problems.append(f"  - {key}: {_describe(x)}; {wanted}")

    scaled_items = [x.name for x in book.variables if _scaled(x) and x.kind.value != "binary"][:6]
    eg = f" (e.g. {', '.join(scaled_items)})" if scaled_items else ""
    need_scale = (
        f"a mean or top-box needs a likert, rating or numeric item with scale bounds (min/max){eg}"
    )
    fits(
        "variables.outcome",
        sv.outcome,
        lambda x: _scaled(x) and x.kind.value != "binary",
        need_scale,
    )
    if sv.nps is not None:
        x = var(sv.nps)
        if x is not None and not (
            x.kind.value == "nps" or (x.kind.value in ("rating", "numeric") and x.scale == (0, 10))
        ):
            alt = (
                "; it may serve as variables.loyalty or as a top-box measure"
                if _scaled(x) and x.kind.value != "binary"
                else ""
            )
            zero_ten = [
                y.name
                for y in book.variables
                if y.kind.value == "nps"
                or (y.kind.value in ("rating", "numeric") and y.scale == (0, 10))
            ]
            fit = (
                f"0–10 items in the codebook: {', '.join(zero_ten)}"
                if zero_ten
                else "the codebook has no 0–10 item: set variables.nps: null (the report then has no NPS)"
            )
            problems.append(
                f"  - variables.nps: {_describe(x)}; NPS needs a 0–10 recommend item (kind nps){alt} "
                f"({fit})"
            )
    if sv.loyalty is not None:
        fits(
            "variables.loyalty",
            sv.loyalty,
            lambda x: _scaled(x) and x.kind.value != "binary",
            need_scale,
        )
    for key, items in (("drivers", sv.drivers), ("processes", sv.processes)):
        if key not in params.variables.model_fields_set and not getattr(params.variables, key):
            continue  # derived from the codebook: scaled by construction
        for i, name in enumerate(items):
            fits(f"variables.{key}[{i}]", name, _scaled, need_scale)
    cats = [x.name for x in book.variables if x.kind.value == "category"][:6]
    for i, name in enumerate(sv.by):
        fits(
            f"variables.by[{i}]",
            name,
            lambda x: x.kind.value in ("category", "binary"),
            "segments must be category (or binary) variables"
            + (f" (e.g. {', '.join(cats)})" if cats else "; or give by: [] for totals only"),
        )
    if sv.weight is not None:
        fits(
            "variables.weight",
            sv.weight,
            lambda x: x.kind.value in ("weight", "numeric"),
            "a weight must be kind weight (or numeric)",
        )
    if sv.process is not None and sv.processes and sv.process not in sv.processes:
        problems.append(
            f"  - variables.process: {sv.process!r} is not one of the process items "
            f"({', '.join(sv.processes)})"
        )
    if problems:
        n = len(problems)
        raise ParamsError(
            f"{label}: {n} variable{'s do not fit their' if n != 1 else ' does not fit its'} use:\n"
            + "\n".join(problems)
        )
    return sv


def label_fallbacks(sv: StudyVariables, book, lang: str) -> tuple[str, ...]:
    """The report's variables whose codebook label has no text in ``lang``, stated in one sentence.

    The report then shows the label's other language (``Label.text``); a consultant reading the
    ``run`` summary (and the manifest) learns it instead of finding English labels in a Chinese
    report: ``codebook labels of 3 variables have no zh text: the zh report shows their en text
    (selfLR, ClinLR, DoleLR); add label.zh in the codebook``. Variables without any label (shown
    by name) are not counted. Empty when every label has ``lang``.
    """
    other = next(x for x in ("zh", "en") if x != lang)
    names = [sv.outcome, sv.nps, sv.loyalty, *sv.drivers, *sv.processes, *sv.by]
    missing = []
    for n in dict.fromkeys(x for x in names if x):
        if n not in book:
            continue
        label = book.get(n).label
        if label is not None and not getattr(label, lang) and getattr(label, other):
            missing.append(n)
    if not missing:
        return ()
    k = len(missing)
    shown = ", ".join(missing[:8]) + (", …" if k > 8 else "")
    return (
        f"codebook labels of {k} variable{'s' if k != 1 else ''} have no {lang} text: the {lang} "
        f"report shows their {other} text ({shown}); add label.{lang} in the codebook",
    )

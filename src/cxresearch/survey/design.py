"""The survey design as one object: :class:`Design` (weights, strata, clusters, fpc, calibration).

A study declares its design once and hands it to every estimate and test::

    design = cx.survey.Design(weights="weight", strata="branch")
    cx.survey.mean(frame, score="overall_sat", design=design)
    cx.survey.difference(frame, score="recommend", by="segment", statistic="nps", design=design)

The keyword form (``weights=``, ``strata=``, ``cluster=``, ``fpc=``, ``lonely_psu=``) stays as a
shortcut: it builds the same :class:`Design` (so it is validated by the same code) and gives
identical numbers. The object holds column names (and, for a calibrated design, the
:class:`~cxresearch.survey.RakeResult`), not data, so one design serves every wave and subset of a
study; :meth:`Design.check` validates it against a frame (columns present, weights non-negative,
an fpc constant within strata, ...) exactly as every estimator does. R equivalent:
``svydesign(ids = ~cluster, strata = ~strata, weights = ~weights, fpc = ~fpc, nest = TRUE)``
(then ``calibrate(..., calfun = "raking")`` for a raked design).
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxresearch.errors import CXValueError
from cxresearch.survey._design import LONELY_PSU, build_design

__all__ = ["DESIGN_KEYWORDS", "Design", "accepts_design"]

#: The keyword shortcut of a design, in every survey function that takes one.
DESIGN_KEYWORDS = ("weights", "strata", "cluster", "fpc", "lonely_psu")
_DEFAULTS = {"weights": None, "strata": None, "cluster": None, "fpc": None, "lonely_psu": "fail"}


def _is_rake(value: object) -> bool:
    return (
        hasattr(value, "calibration") and hasattr(value, "weights") and not isinstance(value, str)
    )


@dataclass(frozen=True, eq=False)
class Design:
    """A survey design: sampling weights, strata, first-stage clusters, fpc, calibration.

    Parameters
    ----------
    weights : str or RakeResult, optional
        Column of sampling weights (inverse inclusion probabilities or any rescaling; not
        frequency weights), or a :class:`~cxresearch.survey.RakeResult` of the rows to analyse
        (its raked weights, with R's calibrated variance). None: unit weights.
    strata : str or sequence of str, optional
        Stratum column(s).
    cluster : str, optional
        First-stage cluster (PSU) column; PSUs are nested in strata (R ``nest = TRUE``).
    fpc : str or float, optional
        Finite-population correction: a column with each stratum's population size (in PSUs) or
        sampling fraction (values <= 1), or one number without strata.
    lonely_psu : {'fail', 'remove', 'adjust'}, default 'fail'
        A stratum with a single PSU, as R's ``options(survey.lonely.psu = ...)``.

    Raises
    ------
    CXValueError
        A parameter of the wrong type or an unknown ``lonely_psu``; columns are checked against
        data by :meth:`check` (and by every estimator).

    Examples
    --------
    >>> import pandas as pd, cxresearch as cx
    >>> d = cx.survey.Design(weights="w", strata="region")
    >>> d
    Design(weights='w', strata=('region',))
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0],
    ...                       "region": ["a", "a", "b", "b"]})
    >>> est = cx.survey.mean(frame, score="y", design=d, min_base=2, anonymity_min=2)
    >>> round(float(est["estimate"].iloc[0]), 4)  # (1 + 2 + 2*3 + 2*4) / 6
    2.8333
    """

    weights: str | Any | None = None
    strata: tuple[str, ...] | None = None
    cluster: str | None = None
    fpc: str | float | None = None
    lonely_psu: str = "fail"

    def __post_init__(self) -> None:
        w = self.weights
        if w is not None and not isinstance(w, str) and not _is_rake(w):
            raise CXValueError(
                f"Design.weights must be a column name, a RakeResult or None; got {w!r}"
            )
        strata = self.strata
        if strata is not None:
            if isinstance(strata, str):
                strata = (strata,)
            elif isinstance(strata, Sequence) and all(isinstance(s, str) for s in strata):
                strata = tuple(strata)
            else:
                raise CXValueError(
                    f"Design.strata must be a column name or a list of column names; got {strata!r}"
                )
            object.__setattr__(self, "strata", strata or None)
        if self.cluster is not None and not isinstance(self.cluster, str):
            raise CXValueError(
                f"Design.cluster must be one column name or None; got {self.cluster!r}"
            )
        fpc = self.fpc
        if (
            fpc is not None
            and not isinstance(fpc, str)
            and (isinstance(fpc, bool) or not isinstance(fpc, numbers.Real) or not fpc > 0)
        ):
            raise CXValueError(
                f"Design.fpc must be a column name, a positive number or None; got {fpc!r}"
            )
        if fpc is not None and not isinstance(fpc, str) and self.strata:
            raise CXValueError(
                "Design.fpc as a number is allowed only without strata; give a column with each "
                f"stratum's population size; got fpc={fpc!r}"
            )
        if self.lonely_psu not in LONELY_PSU:
            raise CXValueError(
                f"Design.lonely_psu must be one of {', '.join(map(repr, LONELY_PSU))}; "
                f"got {self.lonely_psu!r}"
            )

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_codebook(cls, codebook: object, **overrides: Any) -> Design:
        """The design a codebook declares: its weight variable (role or kind ``weight``), if any.

        ``overrides`` set the other parts (``strata=``, ``cluster=``, ...), which codebooks do
        not declare.
        """
        from cxresearch.codebook import Codebook, load

        cb = codebook if isinstance(codebook, Codebook) else load(codebook)
        found = [
            v.name
            for v in cb.variables
            if v.role == "weight" or str(v.kind) in ("weight", "Kind.weight")
        ]
        if len(found) > 1 and "weights" not in overrides:
            raise CXValueError(
                f"the codebook declares several weight variables {found}; pick one: "
                "Design.from_codebook(codebook, weights=...)"
            )
        spec = {"weights": found[0] if found else None}
        spec.update(overrides)
        return cls(**spec)

    @classmethod
    def from_store(cls, store: object, client: str, **overrides: Any) -> Design:
        """The design of a client's data in the study store: the weight variable of the codebook
        stored with the client's latest import (see :meth:`from_codebook`)."""
        return cls.from_codebook(store.codebook(client), **overrides)

    @classmethod
    def read(
        cls, store: object, client: str, *, waves=None, columns=None, **overrides: Any
    ) -> tuple[pd.DataFrame, Design]:
        """``(responses, design)``: a client's responses read from the store together with the
        design to analyse them with (:meth:`from_store`); the design is checked on the rows read.

        ``waves`` and ``columns`` are those of ``Store.responses``; the design's columns are
        always read.
        """
        design = cls.from_store(store, client, **overrides)
        if columns is not None:
            columns = list(dict.fromkeys([*columns, *design.columns()]))
        frame = store.responses(client, waves=waves, columns=columns)
        return frame, design.check(frame)

    @classmethod
    def from_keywords(cls, mapping: Mapping[str, Any]) -> Design:
        """A design from the keyword form (``weights=``, ``strata=``, ...); other keys are refused."""
        unknown = sorted(set(mapping) - set(DESIGN_KEYWORDS))
        if unknown:
            raise CXValueError(
                f"not a design keyword: {unknown[0]!r}; allowed: {', '.join(DESIGN_KEYWORDS)}"
            )
        return cls(**dict(mapping))

    def replace(self, **changes: Any) -> Design:
        """A copy with some parts changed (the design itself is immutable)."""
        return Design(**{**self.keywords(), **changes})

    # -- using --------------------------------------------------------------------------------
    def keywords(self) -> dict[str, Any]:
        """The keyword form: ``{"weights": ..., "strata": [...], "cluster": ..., "fpc": ..., ...}``."""
        return {
            "weights": self.weights,
            "strata": list(self.strata) if self.strata else None,
            "cluster": self.cluster,
            "fpc": self.fpc,
            "lonely_psu": self.lonely_psu,
        }

    def columns(self) -> list[str]:
        """The data columns the design reads."""
        cols = [self.weights] if isinstance(self.weights, str) else []
        cols += list(self.strata or ())
        cols += [c for c in (self.cluster, self.fpc) if isinstance(c, str)]
        return cols

    def check(self, data: pd.DataFrame) -> Design:
        """Validate the design against ``data`` as every estimator does; return ``self``.

        Raises :class:`~cxresearch.errors.CXValueError` naming the column and row at fault.
        """
        if not isinstance(data, pd.DataFrame):
            raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
        build_design(data, **self.keywords())
        return self

    @property
    def calibrated(self) -> bool:
        """True when the weights are a RakeResult (calibrated variance)."""
        return _is_rake(self.weights)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Design):
            return NotImplemented
        same_w = (
            (self.weights is other.weights)
            if self.calibrated or other.calibrated
            else self.weights == other.weights
        )
        return same_w and (self.strata, self.cluster, self.fpc, self.lonely_psu) == (
            other.strata,
            other.cluster,
            other.fpc,
            other.lonely_psu,
        )

    def __hash__(self) -> int:
        w = id(self.weights) if self.calibrated else self.weights
        return hash((w, self.strata, self.cluster, self.fpc, self.lonely_psu))

    def __repr__(self) -> str:
        parts = []
        for k in DESIGN_KEYWORDS:
            v = getattr(self, k)
            if v != _DEFAULTS[k] or (k == "weights" and v is not None):
                parts.append(
                    f"{k}=<RakeResult>" if k == "weights" and self.calibrated else f"{k}={v!r}"
                )
        return f"Design({', '.join(parts)})"


def accepts_design(func: Callable) -> Callable:
    """Give a survey function ``design=``: a :class:`Design` in place of the keyword form.

    The wrapped function keeps its own keyword parameters (the shortcut); the wrapper builds a
    :class:`Design` from whichever form was used (validated in one place) and passes its keywords
    on, so both forms run the same code and give identical numbers. Giving ``design=`` together
    with any design keyword is an error (which one would win is not obvious).
    """
    sig = inspect.signature(func)
    own = [k for k in DESIGN_KEYWORDS if k in sig.parameters]

    @functools.wraps(func)
    def wrapper(*args: Any, design: Design | None = None, **kwargs: Any):
        given = {k: kwargs[k] for k in own if k in kwargs}
        if design is not None:
            if not isinstance(design, Design):
                raise CXValueError(
                    f"design must be a cx.survey.Design; got {type(design).__name__}"
                    + (" (pass a column name as weights=)" if isinstance(design, str) else "")
                )
            clash = [k for k, v in given.items() if v != _DEFAULTS[k]]
            if clash:
                raise CXValueError(
                    f"{func.__name__}: give the design either as design= or as keywords, not both; "
                    f"got design= and {clash[0]}="
                )
            spec = design
        else:
            spec = Design.from_keywords(given)
        kw = (
            spec.keywords()
        )  # parts a function does not take (weights-only ones) do not apply to it
        kwargs.update({k: kw[k] for k in own})
        # warnings are re-issued so they point at the caller's line, not at this adapter
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = func(*args, **kwargs)
        for w in caught:
            warnings.warn(w.message, stacklevel=2)
        return out

    params = list(sig.parameters.values())
    extra = inspect.Parameter(
        "design", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Design | None"
    )
    at = next(
        (i for i, p in enumerate(params) if p.kind is inspect.Parameter.VAR_KEYWORD), len(params)
    )
    wrapper.__signature__ = sig.replace(parameters=[*params[:at], extra, *params[at:]])
    note = (
        "    This entry point also takes ``design=`` (a :class:`cxresearch.survey.Design`) in "
        "place of\n    the keywords ``weights``, ``strata``, ``cluster``, ``fpc`` and "
        "``lonely_psu``.\n"
    )
    doc = (func.__doc__ or "").rstrip()
    # the note ends the description, before the Parameters section (numpydoc's order; help()
    # then still ends with the Examples)
    head, sep, rest = doc.partition("\n    Parameters\n    ----------\n")
    wrapper.__doc__ = f"{head.rstrip()}\n\n{note}{sep}{rest}\n" if sep else f"{doc}\n\n{note}"
    return wrapper

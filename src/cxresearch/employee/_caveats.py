"""Warnings of the employee analyses and the caveats a result carries for the report.

A result names its caveats by code (``linkage_correlational``, ``few_units_linkage``,
``few_units_did``); their words are the entries ``caveat.<code>`` of the package's message catalog
(:mod:`cxresearch._i18n`), filled with ``k``, the number of units. The report words them
(``tables.voice``); ``result.caveat`` gives the same text in both languages.

Why hand-written: the warnings are the package's own classes so the report can route them to the
validity appendix.
"""

from __future__ import annotations

import warnings

from .._i18n import LANGS, message, sentences
from ..errors import CXWarning


class FewUnitsWarning(CXWarning):
    """Inference rests on few units (clusters): intervals may be too narrow; read as indicative."""


class ModelFitWarning(CXWarning):
    """A model fit reported a problem (non-convergence, variance component on the boundary)."""


#: analysis -> code of its few-units caveat
_FEW_UNITS = {"linkage": "few_units_linkage", "difference-in-differences": "few_units_did"}


def _few_units_caveat(k: int, min_units: int, what: str) -> tuple[str, ...]:
    """``(code,)`` of the few-units caveat of analysis ``what`` when ``k < min_units`` (``()``
    otherwise), and then a :class:`FewUnitsWarning` (the caveat's English text) located at the
    caller of the public function that asked."""
    if k >= min_units:
        return ()
    code = _FEW_UNITS[what]
    warnings.warn(message(f"caveat.{code}", "en", k=k), FewUnitsWarning, stacklevel=3)
    return (code,)


def _caveat_text(codes: tuple[str, ...], k: int) -> dict[str, str]:
    """``{"zh": ..., "en": ...}``: the caveats ``codes`` worded (empty strings when none)."""
    return {
        lang: sentences([message(f"caveat.{c}", lang, k=k) for c in codes], lang) for lang in LANGS
    }

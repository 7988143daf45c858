"""The study codebook: what each variable is, its scale, labels, aliases and missing-value codes.

A codebook is a YAML file (format in ``docs/CONTRACT.md`` §1) loaded into a frozen, validated
pydantic model::

    import cxresearch as cx
    cb = cx.codebook.load("codebook.yaml")
    cb.get("product_quality").scale        # (1, 5)
    cb.rename_map(2014)                      # {"prod_qual": "product_quality"}
    cb.missing_codes_for("price_value")      # study-wide codes plus the variable's own

Every problem in a codebook is reported at once, as a :class:`CodebookError` naming the entry
(variable name and index) and the key at fault.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxresearch._toolbox import atomic_write
from cxresearch.errors import CXValueError

__all__ = [
    "KINDS",
    "MEANINGS",
    "ROLES",
    "Alias",
    "Codebook",
    "CodebookError",
    "Kind",
    "Label",
    "MissingCode",
    "MultiResponse",
    "Variable",
    "load",
]


class CodebookError(CXValueError):
    """A codebook does not follow the format: the message names each entry and key at fault."""


class Kind(StrEnum):
    """What a variable measures; decides how its values are validated and typed."""

    likert = "likert"
    nps = "nps"
    rating = "rating"
    binary = "binary"
    category = "category"
    text = "text"
    id = "id"
    weight = "weight"
    wave = "wave"
    numeric = "numeric"


KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
ROLES: tuple[str, ...] = ("outcome", "driver", "segment", "weight", "id", "wave", "text")
MEANINGS: tuple[str, ...] = ("dont_know", "refused", "not_applicable", "system", "other")
#: the satisfaction factors and experience elements a variable's ``dimension`` may name (besides
#: ``process:<name>``)
DIMENSIONS = (
    "product",
    "price",
    "channel",
    "competitor",
    "service",
    "need",
    "convenience",
    "emotion",
)
_DIMENSION_RE = re.compile(r"^process:[A-Za-z0-9_\-]+$")

#: kinds whose values are numbers that may carry missing-value codes
CODED_KINDS = frozenset(
    {Kind.likert, Kind.nps, Kind.rating, Kind.binary, Kind.category, Kind.numeric}
)
#: kinds whose values must be whole numbers
INTEGER_KINDS = frozenset({Kind.likert, Kind.nps, Kind.rating, Kind.binary})
NPS_SCALE = (0, 10)
BINARY_SCALE = (0, 1)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Label(_Model):
    """A label in Chinese and/or English (at least one)."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one_language(self) -> Label:
        if not self.zh and not self.en:
            raise ValueError("a label needs at least one of 'zh' or 'en'")
        return self

    def text(self, lang: str = "en") -> str:
        """The label in ``lang`` (``"zh"`` or ``"en"``), falling back to the other language."""
        _check_lang(lang)
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or ""


class MissingCode(_Model):
    """A value that stands for a missing answer (don't know, refused, not applicable, system)."""

    code: int | float
    meaning: Literal["dont_know", "refused", "not_applicable", "system", "other"]
    label: Label | None = None
    review: str | None = None

    @field_validator("code")
    @classmethod
    def _finite(cls, v: float) -> float:
        if isinstance(v, bool) or not math.isfinite(v):
            raise ValueError(f"a missing code must be a finite number; got {v!r}")
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v


class Alias(_Model):
    """Another column name that means this variable in some waves (all waves if ``waves`` is None)."""

    name: str = Field(min_length=1)
    waves: tuple[int, ...] | None = None

    def applies_to(self, waves: Iterable[int] | None) -> bool:
        """Whether this alias applies to a file holding ``waves`` (None: wave unknown, any)."""
        if self.waves is None or waves is None:
            return True
        return any(w in self.waves for w in waves)


class Variable(_Model):
    """One variable of the study (see ``docs/CONTRACT.md`` §1 for every key)."""

    name: str = Field(min_length=1)
    label: Label | None = None
    kind: Kind
    min: int | float | None = None
    max: int | float | None = None
    values: dict[int | str, Label] | None = None
    dimension: str | None = None
    role: Literal["outcome", "driver", "segment", "weight", "id", "wave", "text"] | None = None
    reverse: bool = False
    required: bool = True
    aliases: tuple[Alias, ...] = ()
    missing_codes: tuple[MissingCode, ...] = ()
    use_study_missing: bool = True
    review: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _integer_keys(cls, v: Any) -> Any:
        """Keys written as quoted whole numbers ('1') are the codes 1, as unquoted ones would be."""
        if isinstance(v, Mapping):
            return {
                (int(k) if isinstance(k, str) and re.fullmatch(r"-?\d+", k.strip()) else k): lab
                for k, lab in v.items()
            }
        return v

    @field_validator("dimension")
    @classmethod
    def _dimension(cls, v: str | None) -> str | None:
        if v is None or v in DIMENSIONS or _DIMENSION_RE.match(v):
            return v
        raise ValueError(
            f"dimension must be one of {', '.join(DIMENSIONS)} or 'process:<name>'; got {v!r}"
        )

    @model_validator(mode="after")
    def _scale(self) -> Variable:
        problems: list[str] = []
        k = self.kind
        if self.min is not None and self.max is not None and self.min > self.max:
            problems.append(f"min ({self.min}) is greater than max ({self.max})")
        if k in (Kind.likert, Kind.rating) and (self.min is None or self.max is None):
            problems.append(f"kind {k.value!r} needs both 'min' and 'max' (the scale bounds)")
        if k is Kind.nps and (self.min, self.max) not in ((None, None), NPS_SCALE):
            problems.append(f"kind 'nps' is on 0-10; got min={self.min}, max={self.max}")
        if k is Kind.binary and (self.min, self.max) not in ((None, None), BINARY_SCALE):
            problems.append(f"kind 'binary' is 0/1; got min={self.min}, max={self.max}")
        if k in INTEGER_KINDS:
            for key in ("min", "max"):
                v = getattr(self, key)
                if v is not None and not float(v).is_integer():
                    problems.append(f"{key} of a {k.value} scale must be a whole number; got {v}")
        if k is Kind.category and not self.values:
            problems.append("kind 'category' needs 'values' (the allowed codes and their labels)")
        if k not in CODED_KINDS and self.values:
            problems.append(f"'values' (value labels) are not allowed for kind {k.value!r}")
        if k not in CODED_KINDS and self.missing_codes:
            problems.append(f"'missing_codes' are not allowed for kind {k.value!r}")
        if k is Kind.category and self.values:
            texts = [c for c in self.values if isinstance(c, str)]
            if texts and len(texts) < len(self.values):  # a column holds numbers or text
                numbers = [c for c in self.values if not isinstance(c, str)]
                problems.append(
                    "the codes of a category are all numbers or all text; got numbers "
                    f"{', '.join(map(str, numbers[:5]))} and text "
                    f"{', '.join(map(repr, texts[:5]))} (a totals row or a stray word in the "
                    "data? delete it there)"
                )
        if problems:  # the checks below need a sane scale
            raise ValueError("\n".join(problems))
        scale = self.scale
        if self.values and scale is not None:
            for code in self.values:
                if isinstance(code, str) or not scale[0] <= code <= scale[1]:
                    problems.append(
                        f"value label {code!r} is outside the scale {scale[0]}-{scale[1]}"
                    )
        seen: set[float] = set()
        for mc in self.missing_codes:
            if mc.code in seen:
                problems.append(f"missing code {mc.code} is listed twice")
            seen.add(mc.code)
            clash = self.valid_value(mc.code)
            if clash:
                problems.append(f"missing code {mc.code} collides with a valid value ({clash})")
        names = [a.name for a in self.aliases]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"alias {dup!r} is listed twice")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- accessors -------------------------------------------------------------------------------
    @property
    def scale(self) -> tuple[int | float, int | float] | None:
        """``(min, max)`` of the variable's valid values, or None when it has no numeric scale."""
        if self.kind is Kind.nps:
            return NPS_SCALE
        if self.kind is Kind.binary:
            return BINARY_SCALE
        if self.min is not None and self.max is not None:
            return (self.min, self.max)
        return None

    @property
    def rating_scale(self) -> bool:
        """True for an answer scale (likert, rating or nps with bounds): the items a top-two box
        means something on. A numeric score (test scores, pulse, amounts) has bounds but no
        "highest two answers": its top-two box would count the values at or above ``max - 1``."""
        return self.kind in (Kind.likert, Kind.rating, Kind.nps) and self.scale is not None

    def label_for(self, lang: str = "en") -> str:
        """The variable's label in ``lang`` (``"zh"`` or ``"en"``), else the other one, else its name."""
        _check_lang(lang)
        return self.label.text(lang) if self.label is not None else self.name

    def value_label(self, code: int | str, lang: str = "en") -> str | None:
        """The label of one value, or None when the value has no label."""
        if not self.values:
            return None
        lab = self.values.get(code)
        if lab is None and isinstance(code, float) and code.is_integer():
            lab = self.values.get(int(code))
        return lab.text(lang) if lab is not None else None

    def valid_value(self, code: float) -> str | None:
        """Why ``code`` is a valid (non-missing) value of this variable, or None if it is not.

        Used to refuse missing codes that collide with real answers.
        """
        if self.kind is Kind.category:
            if self.values and (code in self.values or str(code) in self.values):
                return "a category value"
            return None
        scale = self.scale
        if self.kind in INTEGER_KINDS and not float(code).is_integer():
            return None
        if scale is not None:
            lo, hi = scale
            return f"the scale is {lo}-{hi}" if lo <= code <= hi else None
        if self.min is not None and code >= self.min:  # numeric with one bound
            return f"values of at least {self.min} are valid"
        if self.max is not None and code <= self.max:
            return f"values of at most {self.max} are valid"
        return None


class MultiResponse(_Model):
    """A "select all that apply" set: each option is a 0/1 (``binary``) variable."""

    name: str = Field(min_length=1)
    label: Label | None = None
    options: tuple[str, ...] = Field(min_length=1)
    review: str | None = None

    def label_for(self, lang: str = "en") -> str:
        """The set's label in ``lang``, else the other language, else its name."""
        _check_lang(lang)
        return self.label.text(lang) if self.label is not None else self.name


class Codebook(_Model):
    """A validated study codebook (frozen). Load it with :func:`load`."""

    study: str | None = None
    version: str = "1"
    missing_codes: tuple[MissingCode, ...] = ()
    variables: tuple[Variable, ...] = Field(min_length=1)
    multi_response: tuple[MultiResponse, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _consistent(self) -> Codebook:
        problems: list[str] = []
        names: dict[str, int] = {}
        for i, v in enumerate(self.variables):
            if v.name in names:
                problems.append(
                    f"variables[{i}] ({v.name!r}): name {v.name!r} is already used by "
                    f"variables[{names[v.name]}]"
                )
            else:
                names[v.name] = i
        # aliases: never another variable's name; the same alias for two variables only in
        # disjoint, explicit waves
        alias_owner: dict[str, list[tuple[int, Alias]]] = {}
        for i, v in enumerate(self.variables):
            for a in v.aliases:
                if a.name in names and names[a.name] != i:
                    problems.append(
                        f"variables[{i}] ({v.name!r}): alias {a.name!r} collides with the name of "
                        f"variables[{names[a.name]}]"
                    )
                for j, other in alias_owner.get(a.name, []):
                    if j == i:
                        continue
                    if a.waves is None or other.waves is None or set(a.waves) & set(other.waves):
                        problems.append(
                            f"variables[{i}] ({v.name!r}): alias {a.name!r} is also an alias of "
                            f"{self.variables[j].name!r} in overlapping waves"
                        )
                alias_owner.setdefault(a.name, []).append((i, a))
        seen: set[float] = set()
        for k, mc in enumerate(self.missing_codes):
            if mc.code in seen:
                problems.append(f"missing_codes[{k}]: code {mc.code} is listed twice")
            seen.add(mc.code)
        for i, v in enumerate(self.variables):
            if not v.use_study_missing or v.kind not in CODED_KINDS:
                continue
            own = {m.code for m in v.missing_codes}
            for mc in self.missing_codes:
                if mc.code in own:
                    continue
                clash = v.valid_value(mc.code)
                if clash:
                    problems.append(
                        f"variables[{i}] ({v.name!r}): study-wide missing code {mc.code} collides "
                        f"with a valid value ({clash}); change the code, or set "
                        f"'use_study_missing: false' on this variable"
                    )
        mr_names: set[str] = set()
        for k, mr in enumerate(self.multi_response):
            where = f"multi_response[{k}] ({mr.name!r})"
            if mr.name in names:
                problems.append(f"{where}: name {mr.name!r} is already a variable's name")
            if mr.name in mr_names:
                problems.append(f"{where}: name {mr.name!r} is used by another multi-response set")
            mr_names.add(mr.name)
            for opt in mr.options:
                if opt not in names:
                    problems.append(f"{where}: option {opt!r} is not a declared variable")
                elif self.variables[names[opt]].kind is not Kind.binary:
                    kind = self.variables[names[opt]].kind.value
                    problems.append(
                        f"{where}: option {opt!r} has kind {kind!r}; options must be kind 'binary' (0/1)"
                    )
            dup = sorted({o for o in mr.options if mr.options.count(o) > 1})
            if dup:
                problems.append(f"{where}: option {dup[0]!r} is listed twice")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- lookups ---------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        """The variables' names, in codebook order."""
        return tuple(v.name for v in self.variables)

    def get(self, name: str) -> Variable:
        """The variable called ``name``; :class:`CodebookError` listing the names if there is none."""
        for v in self.variables:
            if v.name == name:
                return v
        raise CodebookError(
            f"no variable {name!r} in the codebook; variables are: {', '.join(self.names)}"
        )

    def __contains__(self, name: object) -> bool:
        return any(v.name == name for v in self.variables)

    def by_role(self, role: str) -> tuple[Variable, ...]:
        """The variables with ``role`` (one of :data:`ROLES`), in codebook order."""
        if role not in ROLES:
            raise CodebookError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        return tuple(v for v in self.variables if v.role == role)

    def by_kind(self, kind: str) -> tuple[Variable, ...]:
        """The variables of ``kind`` (one of :data:`KINDS`), in codebook order."""
        if kind not in KINDS:
            raise CodebookError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        return tuple(v for v in self.variables if v.kind == kind)

    def by_dimension(self, dimension: str) -> tuple[Variable, ...]:
        """The variables of ``dimension``; ``"process"`` matches every ``process:<name>``."""
        if dimension == "process":
            return tuple(
                v for v in self.variables if v.dimension and v.dimension.startswith("process:")
            )
        return tuple(v for v in self.variables if v.dimension == dimension)

    def multi_response_set(self, name: str) -> MultiResponse:
        """The multi-response set called ``name``."""
        for mr in self.multi_response:
            if mr.name == name:
                return mr
        known = ", ".join(mr.name for mr in self.multi_response) or "(none declared)"
        raise CodebookError(f"no multi-response set {name!r} in the codebook; sets are: {known}")

    def label_map(self, lang: str = "en") -> dict[str, str]:
        """``{variable name: label}`` in ``lang`` (the other language, else the name, as fallback)."""
        _check_lang(lang)
        return {v.name: v.label_for(lang) for v in self.variables}

    def value_labels(self, name: str, lang: str = "en") -> dict[int | str, str]:
        """``{value: label}`` of variable ``name`` in ``lang`` (empty when it has none)."""
        _check_lang(lang)
        v = self.get(name)
        return {k: lab.text(lang) for k, lab in (v.values or {}).items()}

    @property
    def respondent_variable(self) -> Variable | None:
        """The respondent key: the first variable of kind ``id`` (None if there is none)."""
        ids = self.by_kind("id")
        return ids[0] if ids else None

    @property
    def wave_variable(self) -> Variable | None:
        """The variable of kind ``wave`` (None if there is none)."""
        waves = self.by_kind("wave")
        return waves[0] if waves else None

    def missing_codes_for(self, name: str) -> tuple[MissingCode, ...]:
        """The missing codes that apply to variable ``name``.

        The variable's own codes, plus the study-wide codes (unless the variable sets
        ``use_study_missing: false``); a variable's code overrides a study-wide one with the same
        value. Variables whose kind carries no codes (id, text, weight, wave) get none.
        """
        v = self.get(name)
        if v.kind not in CODED_KINDS:
            return ()
        own = {m.code: m for m in v.missing_codes}
        out = list(v.missing_codes)
        if v.use_study_missing:
            out += [m for m in self.missing_codes if m.code not in own]
        return tuple(sorted(out, key=lambda m: m.code))

    def rename_map(self, wave: int | Iterable[int] | None = None) -> dict[str, str]:
        """``{file column: variable name}`` for a file of ``wave`` (an int, several, or None).

        An alias whose ``waves`` is omitted applies to every wave; with ``wave=None`` (wave unknown)
        every alias applies. Raises :class:`CodebookError` if one column name would mean two
        variables for these waves.
        """
        waves: tuple[int, ...] | None
        if wave is None:
            waves = None
        elif isinstance(wave, int | float) and not isinstance(wave, bool):
            waves = (int(wave),)
        else:
            waves = tuple(int(w) for w in wave)
        out: dict[str, str] = {}
        for v in self.variables:
            for a in v.aliases:
                if a.applies_to(waves):
                    if a.name in out and out[a.name] != v.name:
                        raise CodebookError(
                            f"column {a.name!r} is an alias of both {out[a.name]!r} and "
                            f"{v.name!r} for waves {waves}; give the file's wave"
                        )
                    out[a.name] = v.name
        return out

    # -- output ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` in the YAML layout (defaults left out), loadable by :func:`load`."""
        out = _clean(self.model_dump(mode="python", exclude_defaults=True))
        return (
            {"study": out.pop("study", None), "version": self.version, **out}
            if self.study
            else {
                "version": self.version,
                **out,
            }
        )

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The codebook as YAML text; also written atomically to ``path`` if given."""
        text = _dump_yaml(self.to_dict())
        if path is not None:
            write_text_atomic(Path(path), text)
        return text


# ---------------------------------------------------------------------------------------------
def load(source: str | os.PathLike[str] | Mapping[str, Any] | Codebook) -> Codebook:
    """Load and validate a codebook.

    Parameters
    ----------
    source : path, dict or Codebook
        A YAML file (``.yaml``/``.yml``), a ``dict`` in the same layout (as
        ``cxresearch.synth.generate().codebook``), or an already loaded :class:`Codebook`
        (returned as is).

    Returns
    -------
    Codebook
        The frozen, validated codebook.

    Raises
    ------
    CodebookError
        The file is missing or not YAML, or an entry breaks the format. Every problem is listed,
        each naming the entry (``variables[3] ('price_value')``) and the key.

    Examples
    --------
    The demo study's codebook, from its YAML file:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import yaml
    >>> import cxresearch as cx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "codebook.yaml"
    ...     _ = path.write_text(yaml.safe_dump(cx.synth.codebook_dict(), allow_unicode=True),
    ...                         encoding="utf-8")
    ...     book = cx.codebook.load(path)
    >>> var = book.get("overall_sat")
    >>> var.label_for("en"), var.kind.value, var.scale
    ('Overall satisfaction', 'rating', (0, 10))
    >>> book.get("branch").value_label(1, "en")
    'Beijing'

    A broken entry is named with its key:

    >>> cx.codebook.load({"variables": [
    ...     {"name": "overall_sat", "kind": "rating", "min": 0, "max": 10},
    ...     {"name": "price_value", "kind": "likert", "min": 1},
    ... ]})
    Traceback (most recent call last):
        ...
    cxresearch.codebook.CodebookError: codebook: 1 problem:
      - variables[1] ('price_value'): kind 'likert' needs both 'min' and 'max' (the scale bounds)
    """
    if isinstance(source, Codebook):
        return source
    where = "codebook"
    if isinstance(source, Mapping):
        data: Any = source
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        where = f"codebook {str(path)!r}"
        if not path.is_file():
            raise CodebookError(f"{where}: no such file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CodebookError(
                f"{where}: not UTF-8 text (byte {exc.start}); save the codebook as UTF-8"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CodebookError(f"{where}: not valid YAML: {exc}") from None
    else:
        raise CodebookError(
            f"codebook must be a path, a dict or a Codebook; got {type(source).__name__}"
        )
    if not isinstance(data, Mapping):
        raise CodebookError(
            f"{where}: expected a mapping with 'variables'; got {type(data).__name__}"
        )
    try:
        return Codebook.model_validate(dict(data))
    except ValidationError as exc:
        raise CodebookError(_format_errors(where, data, exc)) from None


def _entry_name(data: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    """``variables[3] ('price_value')`` for a pydantic error location."""
    parts: list[str] = []
    node: Any = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, int) and parts:
            parts[-1] += f"[{key}]"
        else:
            parts.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(key, int) and isinstance(node, Mapping) and "name" in node:
            parts[-1] += f" ({node['name']!r})"
        i += 1
    return ".".join(parts)


def _format_errors(where: str, data: Mapping[str, Any], exc: ValidationError) -> str:
    lines: list[str] = []
    errors = exc.errors(include_url=False)
    # drop pydantic's union-branch markers from the locations ("int", "str", "function-after"...)
    locs = [
        tuple(p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p in _TYPE_MARKERS)))
        for e in errors
    ]
    for err, loc in zip(errors, locs, strict=True):
        typ = err["type"]
        if typ == "too_short" and any(
            len(other) > len(loc) and other[: len(loc)] == loc and isinstance(other[len(loc)], int)
            for other in locs
        ):
            continue  # its entries are broken (listed), not missing: pydantic counts none
        if typ == "extra_forbidden":
            parent, key = loc[:-1], loc[-1]
            entry = _entry_name(data, parent) or "top level"
            model = _model_at(parent)
            allowed = ", ".join(model.model_fields) if model is not None else "see docs/CONTRACT.md"
            lines.append(f"{entry}: unknown key {key!r}; allowed keys: {allowed}")
            continue
        if loc and isinstance(loc[-1], str):
            entry = f"{_entry_name(data, loc[:-1]) or 'top level'}, key {loc[-1]!r}"
        else:
            entry = _entry_name(data, loc) or "top level"
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if typ == "enum" and loc and loc[-1] == "kind":
            msg = f"unknown kind {err.get('input')!r}; kind must be one of {', '.join(KINDS)}"
        elif typ == "literal_error":
            msg = f"got {err.get('input')!r}; {msg[0].lower()}{msg[1:]}"
        elif typ == "missing":
            msg = "this key is required"
        for piece in msg.split("\n"):  # a model check packs several problems into one message
            lines.append(piece if entry == "top level" else f"{entry}: {piece}")
    for extra in _raw_name_problems(data):
        if extra not in lines:
            lines.append(extra)
    n = len(lines)
    return f"{where}: {n} problem{'s' if n != 1 else ''}:\n" + "\n".join(f"  - {x}" for x in lines)


def _raw_name_problems(data: Mapping[str, Any]) -> list[str]:
    """Duplicate names and alias collisions, checked on the raw data.

    The model's own check only runs once every entry is valid; this lets one error message list
    these too when other entries are broken.
    """
    variables = data.get("variables") if isinstance(data, Mapping) else None
    if not isinstance(variables, list):
        return []
    names: dict[str, int] = {}
    out: list[str] = []
    for i, v in enumerate(variables):
        name = v.get("name") if isinstance(v, Mapping) else None
        if not isinstance(name, str):
            continue
        if name in names:
            out.append(
                f"variables[{i}] ({name!r}): name {name!r} is already used by variables[{names[name]}]"
            )
        else:
            names[name] = i
    for i, v in enumerate(variables):
        if not isinstance(v, Mapping) or not isinstance(v.get("aliases"), list):
            continue
        for a in v["aliases"]:
            an = a.get("name") if isinstance(a, Mapping) else None
            if isinstance(an, str) and an in names and names[an] != i:
                out.append(
                    f"variables[{i}] ({v.get('name')!r}): alias {an!r} collides with the name of "
                    f"variables[{names[an]}]"
                )
    return out


_TYPE_MARKERS = {"int", "float", "str", "bool", "dict", "list", "tuple", "none"}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Codebook
    nested = {
        ("Codebook", "variables"): Variable,
        ("Codebook", "missing_codes"): MissingCode,
        ("Codebook", "multi_response"): MultiResponse,
        ("Variable", "aliases"): Alias,
        ("Variable", "missing_codes"): MissingCode,
        ("Variable", "label"): Label,
        ("Variable", "values"): Label,
        ("MultiResponse", "label"): Label,
        ("MissingCode", "label"): Label,
    }
    for key in loc:
        if isinstance(key, int) or model is None:
            continue
        nxt = nested.get((model.__name__, key))
        if nxt is None:
            if model is Variable and key not in Variable.model_fields:
                continue  # a value label key inside 'values'
            return None
        model = nxt
    return model


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise CXValueError(f"lang must be one of 'zh', 'en'; got {lang!r}")


def _clean(obj: Any) -> Any:
    """Plain YAML-ready values: drop None, enums to their value, tuples to lists."""
    if isinstance(obj, dict):
        return {_clean(k): _clean(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, StrEnum):
        return obj.value
    return obj


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def _dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(data),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    atomic_write(path, text)

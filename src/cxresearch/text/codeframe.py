"""The codeframe: themes with Chinese and English keywords, polarity words, masking forms.

:func:`load_codeframe` reads a YAML file (or a ``dict`` of the same shape) and validates it whole,
naming the theme or section at fault; :func:`default_codeframe` is the one shipped as package data
(``cxresearch/data/codeframe.yaml``, found with :mod:`importlib.resources`). Keywords are stored
lower-case and in simplified characters through the codeframe's own traditional-character map.

Why hand-written: the codeframe is this package's own format (themes, polarity and masking in one
file a researcher edits); no schema library would give messages that name the theme and key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import CXValueError

_LANGS = ("zh", "en")


class CodeframeError(CXValueError):
    """A codeframe is malformed: names the theme (or section) and the key at fault."""


@dataclass(frozen=True)
class Theme:
    """One theme of a codeframe.

    Attributes
    ----------
    name : str
        Identifier used in every returned frame (``courtesy``, ``waiting_time`` …).
    label : dict
        ``{"zh": ..., "en": ...}`` display labels.
    keywords : dict
        ``{"zh": (...), "en": (...)}`` keywords and phrases (stored lower-case).
    """

    name: str
    label: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]

    def label_for(self, lang: str) -> str:
        """Display label in ``lang`` (``"zh"`` or ``"en"``), falling back to the name."""
        return self.label.get(lang) or self.name


@dataclass(frozen=True)
class Codeframe:
    """A validated codeframe (see :func:`load_codeframe`).

    Attributes
    ----------
    themes : tuple of Theme
    positive, negative, negators, post_negators, clause_breaks, neutral : frozenset of str
        Polarity words and phrases; negators (reverse a polarity word that follows them);
        post-negators (make a polarity word before them negative: "专业水平不够"; negative on
        their own); contrastive words that end a clause; neutral words only added to the
        segmenter's dictionary so that they are not split ("好几次" is not "好"). Both
        languages, lower-case, simplified characters.
    window : int
        How many tokens before a polarity word a negator may stand.
    surnames, titles_zh, titles_en : tuple of str
        Name forms masked in quotes.
    replacement : dict
        Mask text for ``phone``, ``email`` and ``name``.
    traditional : dict
        Traditional -> simplified character map.
    version : str
    """

    themes: tuple[Theme, ...]
    positive: frozenset[str]
    negative: frozenset[str]
    negators: frozenset[str]
    post_negators: frozenset[str]
    clause_breaks: frozenset[str]
    neutral: frozenset[str]
    window: int
    surnames: tuple[str, ...]
    titles_zh: tuple[str, ...]
    titles_en: tuple[str, ...]
    replacement: Mapping[str, str]
    traditional: Mapping[str, str]
    version: str = "1"
    _coder: list = field(default_factory=list, repr=False, compare=False, hash=False)
    _names: list = field(default_factory=list, repr=False, compare=False, hash=False)

    @property
    def theme_names(self) -> tuple[str, ...]:
        """Theme names in codeframe order."""
        return tuple(t.name for t in self.themes)

    def theme(self, name: str) -> Theme:
        """The theme called ``name``; raises :class:`CXValueError` listing the names otherwise."""
        for t in self.themes:
            if t.name == name:
                return t
        raise CXValueError(f"theme must be one of {list(self.theme_names)}; got {name!r}")

    def terms(self) -> set[str]:
        """Every keyword and polarity word of the codeframe (lower-case, simplified)."""
        out = set(
            self.positive
            | self.negative
            | self.negators
            | self.post_negators
            | self.clause_breaks
            | self.neutral
        )
        for t in self.themes:
            for words in t.keywords.values():
                out.update(words)
        return out


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise CodeframeError(f"{where} must be a list of strings; got {value!r}")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise CodeframeError(f"{where}[{i}] must be a string; got {v!r}")
        s = str(v).strip()
        if not s:
            raise CodeframeError(f"{where}[{i}] is an empty keyword")
        out.append(s)
    return tuple(out)


def _by_lang(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CodeframeError(f"{where} must be a mapping with keys 'zh' and/or 'en'; got {value!r}")
    bad = [k for k in value if k not in _LANGS]
    if bad:
        raise CodeframeError(f"{where} has unknown language key {bad[0]!r}; allowed: 'zh', 'en'")
    return {k: _str_list(v, f"{where}.{k}") for k, v in value.items()}


def _parse_traditional(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        s = "".join(value.split())
        if len(s) % 2:
            raise CodeframeError(
                "traditional must be a string of character pairs (traditional then simplified); "
                f"got an odd number of characters ({len(s)})"
            )
        pairs = [(s[i], s[i + 1]) for i in range(0, len(s), 2)]
    else:
        raise CodeframeError(f"traditional must be a string of pairs or a mapping; got {value!r}")
    out: dict[str, str] = {}
    for trad, simp in pairs:
        if not (
            isinstance(trad, str) and isinstance(simp, str) and len(trad) == 1 and len(simp) == 1
        ):
            raise CodeframeError(
                f"traditional entries map one character to one character; got {trad!r}: {simp!r}"
            )
        if trad in out and out[trad] != simp:
            raise CodeframeError(
                f"traditional maps {trad!r} to both {out[trad]!r} and {simp!r}; keep one"
            )
        if trad != simp:
            out[trad] = simp
    return out


_TOP_KEYS = {"version", "themes", "polarity", "masking", "traditional"}


def load_codeframe(source: str | Path | Mapping | None = None) -> Codeframe:
    """Load and validate a codeframe.

    Parameters
    ----------
    source : str, Path, dict or None
        A YAML file, a ``dict`` of the same shape, or None for the default codeframe shipped with
        the package (``cxresearch/data/codeframe.yaml``).

    Returns
    -------
    Codeframe

    Raises
    ------
    CodeframeError
        A theme without keywords, a duplicate theme name, a keyword that is not a string, an unknown
        key or language, a malformed traditional-character map; the message names the theme/section.

    Notes
    -----
    Keywords are stored lower-case and in simplified characters (traditional characters in the
    file are mapped), so a keyword may be written in either form.

    Examples
    --------
    A client's own codeframe, given as the ``dict`` a YAML file holds; the traditional
    keyword 價格 is stored as 价格 through the file's character map:

    >>> import cxresearch as cx
    >>> cf = cx.text.load_codeframe({
    ...     "themes": [
    ...         {"name": "price", "label": {"zh": "价格", "en": "Price"},
    ...          "keywords": {"zh": ["價格", "太贵"], "en": ["price", "Expensive"]}},
    ...         {"name": "delivery", "label": {"zh": "交货", "en": "Delivery"},
    ...          "keywords": {"zh": ["交货", "送货"], "en": ["delivery", "late"]}},
    ...     ],
    ...     "polarity": {"negative": {"zh": ["太贵", "慢"], "en": ["late", "slow"]}},
    ...     "traditional": {"價": "价"},
    ... })
    >>> cf.theme_names
    ('price', 'delivery')
    >>> dict(cf.theme("price").keywords)
    {'zh': ('价格', '太贵'), 'en': ('price', 'expensive')}
    >>> cf.theme("delivery").label_for("zh")
    '交货'

    A theme without keywords is refused, naming it:

    >>> cx.text.load_codeframe({"themes": [{"name": "price", "keywords": {"zh": []}}]})
    Traceback (most recent call last):
    ...
    cxresearch.text.codeframe.CodeframeError: theme 'price' has no keywords; give at least one
    under keywords.zh or keywords.en
    """
    if source is None:
        raw = yaml.safe_load(
            resources.files("cxresearch")
            .joinpath("data/codeframe.yaml")
            .read_text(encoding="utf-8")
        )
    elif isinstance(source, Mapping):
        raw = dict(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise CodeframeError(f"codeframe file not found: {str(path)!r}")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    else:
        raise CodeframeError(
            f"codeframe must be a path, a dict or None; got {type(source).__name__}"
        )
    if not isinstance(raw, Mapping):
        raise CodeframeError(
            f"codeframe must be a mapping at the top level; got {type(raw).__name__}"
        )
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise CodeframeError(
            f"codeframe has unknown key {unknown[0]!r}; allowed: {sorted(_TOP_KEYS)}"
        )
    trad = _parse_traditional(raw.get("traditional"))
    table = str.maketrans(trad)

    def norm(words: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.lower().translate(table) for w in words))

    themes_raw = raw.get("themes")
    if not isinstance(themes_raw, list) or not themes_raw:
        raise CodeframeError("codeframe needs a non-empty list 'themes'")
    themes: list[Theme] = []
    seen: set[str] = set()
    for i, t in enumerate(themes_raw):
        if not isinstance(t, Mapping):
            raise CodeframeError(f"themes[{i}] must be a mapping; got {t!r}")
        name = t.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise CodeframeError(
                f"themes[{i}].name must be an identifier (letters, digits, _); got {name!r}"
            )
        if name in seen:
            raise CodeframeError(f"theme {name!r} is listed twice")
        seen.add(name)
        bad = sorted(set(t) - {"name", "label", "keywords"})
        if bad:
            raise CodeframeError(
                f"theme {name!r} has unknown key {bad[0]!r}; allowed: name, label, keywords"
            )
        kw = _by_lang(t.get("keywords"), f"theme {name!r} keywords")
        kw = {k: norm(v) for k, v in kw.items() if v}
        if not any(kw.values()):
            raise CodeframeError(
                f"theme {name!r} has no keywords; give at least one under keywords.zh or keywords.en"
            )
        label = t.get("label") or {}
        if not isinstance(label, Mapping):
            raise CodeframeError(f"theme {name!r} label must be a mapping {{zh: ..., en: ...}}")
        themes.append(
            Theme(name=name, label={str(k): str(v) for k, v in label.items()}, keywords=kw)
        )

    pol = raw.get("polarity") or {}
    if not isinstance(pol, Mapping):
        raise CodeframeError(f"polarity must be a mapping; got {pol!r}")
    pol_keys = ("positive", "negative", "negators", "post_negators", "clause_breaks", "neutral")
    bad = sorted(set(pol) - {*pol_keys, "window"})
    if bad:
        raise CodeframeError(
            f"polarity has unknown key {bad[0]!r}; allowed: {', '.join(pol_keys)}, window"
        )
    words = {}
    for key in pol_keys:
        words[key] = frozenset(
            w for v in _by_lang(pol.get(key), f"polarity.{key}").values() for w in norm(v)
        )
    both = words["positive"] & words["negative"]
    if both:
        raise CodeframeError(
            f"polarity word {sorted(both)[0]!r} is listed as both positive and negative"
        )
    window = pol.get("window", 2)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 10:
        raise CodeframeError(f"polarity.window must be an integer 0..10; got {window!r}")

    mask = raw.get("masking") or {}
    if not isinstance(mask, Mapping):
        raise CodeframeError(f"masking must be a mapping; got {mask!r}")
    bad = sorted(set(mask) - {"surnames", "titles", "replacement"})
    if bad:
        raise CodeframeError(
            f"masking has unknown key {bad[0]!r}; allowed: surnames, titles, replacement"
        )
    titles = _by_lang(mask.get("titles"), "masking.titles")
    replacement = {"phone": "[phone]", "email": "[email]", "name": "[name]", "id": "[id]"}
    rep = mask.get("replacement") or {}
    if not isinstance(rep, Mapping) or set(rep) - set(replacement):
        raise CodeframeError(
            f"masking.replacement may set 'phone', 'email', 'name', 'id'; got {rep!r}"
        )
    replacement.update({k: str(v) for k, v in rep.items()})
    return Codeframe(
        themes=tuple(themes),
        positive=words["positive"],
        negative=words["negative"],
        negators=words["negators"],
        post_negators=words["post_negators"],
        clause_breaks=words["clause_breaks"],
        neutral=words["neutral"],
        window=window,
        surnames=_str_list(mask.get("surnames"), "masking.surnames"),
        titles_zh=titles.get("zh", ()),
        titles_en=titles.get("en", ()),
        replacement=replacement,
        traditional=trad,
        version=str(raw.get("version", "1")),
    )


_DEFAULT: list[Codeframe] = []


def default_codeframe() -> Codeframe:
    """The codeframe shipped with the package (loaded once and reused).

    Examples
    --------
    >>> import cxresearch as cx
    >>> cf = cx.text.default_codeframe()
    >>> cf.theme_names
    ('courtesy', 'competence', 'responsiveness', 'price', 'product_quality', 'transfers',
     'waiting_time', 'parts_availability')
    >>> cf.theme("transfers").label_for("zh"), cf.theme("transfers").label_for("en")
    ('转接', 'Transfers')
    >>> cf.theme("transfers").keywords["zh"][:4]
    ('转接', '转来转去', '推来推去', '踢皮球')
    >>> cf is cx.text.default_codeframe()
    True
    """
    if not _DEFAULT:
        _DEFAULT.append(load_codeframe(None))
    return _DEFAULT[0]


def _resolve_codeframe(codeframe) -> Codeframe:
    if codeframe is None:
        return default_codeframe()
    if isinstance(codeframe, Codeframe):
        return codeframe
    return load_codeframe(codeframe)

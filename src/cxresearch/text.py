"""Verbatim coding of open comments in Chinese and English.

A **codeframe** (YAML; the default ships as ``cxresearch/data/codeframe.yaml``) lists themes with
Chinese and English keywords and phrases, polarity words, negators, and the name forms that are
masked in quotes. :func:`code_comments` gives every comment zero or more themes and a polarity;
:func:`theme_frequencies`, :func:`theme_satisfaction`, :func:`example_quotes` and
:func:`coding_agreement` build the tables of a verbatim section on top of it.

How a comment is coded (the per-comment path is kept lean: one ``str.translate``, one ``jieba.lcut``
and dictionary look-ups):

1. lower-case; traditional characters mapped to simplified ones with the codeframe's character
   map; punctuation (ASCII and full-width) mapped to a clause mark; ``n't`` spelled ``not``;
2. segmented with a private :class:`jieba.Tokenizer` (the process-wide ``jieba.dt`` is left alone)
   whose dictionary has every Chinese codeframe term added, without the HMM for unknown words (only
   dictionary words can match). jieba keeps runs of Latin letters and digits together, so English
   words come out as tokens of the same pass and mixed-language comments need no special case;
3. keywords are looked up by token; a keyword that is several tokens (an English phrase, or a
   Chinese term jieba splits in context) is looked up as a run of tokens;
4. polarity words count +1/-1, reversed when a negator precedes them within ``window`` tokens of the
   same clause. The comment's polarity is ``positive``/``negative``/``mixed``/``neutral`` from the
   counts; each theme mention gets the sign of the clauses it occurs in.

Identical comments are coded once per call (a dictionary cache), which matters for templated or
repeated short answers ("好", "no comment"); the segmentation of each clause is memoised on the
coder (clauses such as "服务态度很好" recur across many different comments), and so is the search
for keywords hidden inside jieba's own compound words ("经验丰富" contains "经验").

Why hand-written: jieba does the segmentation; no maintained package does dictionary-based theme
coding with polarity for Chinese and English together, and a lexicon approach keeps the coding
transparent to the client (every theme is traceable to a listed keyword). Comments are data: they
are only ever matched against word lists, never evaluated or interpreted as markup or code.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from statsmodels.stats.proportion import proportion_confint

from .errors import CXValueError, NotEstimableWarning, SmallBaseWarning

__all__ = [
    "CodeframeError",
    "Codeframe",
    "Theme",
    "CodingResult",
    "load_codeframe",
    "default_codeframe",
    "code_comments",
    "mask_pii",
    "theme_frequencies",
    "theme_satisfaction",
    "example_quotes",
    "coding_agreement",
    "polarity_agreement",
    "detect_language",
]

POLARITY_LABELS = ("positive", "negative", "mixed", "neutral")
_LANGS = ("zh", "en")
_CLAUSE = "|"
# ASCII and full-width punctuation -> clause mark (a character jieba yields as a token of its own).
_PUNCT = '.,;:!?()[]{}"/\\<>~`^*=+\n\r\t' + "。，、；：！？（）【】《》「」『』“”‘’…—～·"
_EN_SUFFIXES = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


class CodeframeError(CXValueError):
    """A codeframe is malformed: names the theme (or section) and the key at fault."""


# --------------------------------------------------------------------------------------------
# Codeframe
# --------------------------------------------------------------------------------------------


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
    """The codeframe shipped with the package (loaded once and reused)."""
    if not _DEFAULT:
        _DEFAULT.append(load_codeframe(None))
    return _DEFAULT[0]


def _resolve_codeframe(codeframe) -> Codeframe:
    if codeframe is None:
        return default_codeframe()
    if isinstance(codeframe, Codeframe):
        return codeframe
    return load_codeframe(codeframe)


# --------------------------------------------------------------------------------------------
# The coder: jieba set-up once per codeframe, lean per-comment path
# --------------------------------------------------------------------------------------------

_JIEBA_LOCK = threading.Lock()


def _new_tokenizer():
    """A private, initialised jieba Tokenizer; jieba's start-up log lines are silenced."""
    import jieba  # a hard dependency; imported lazily to keep `import cxresearch.text` cheap

    logger = logging.getLogger("jieba")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)  # even "cache dump failed" on a read-only /tmp
    try:
        tok = jieba.Tokenizer()
        tok.initialize()
    finally:
        logger.setLevel(level)
    return tok


class _Coder:
    """Compiled form of a codeframe: translation table, jieba tokenizer and look-up tables."""

    def __init__(self, cf: Codeframe):
        self.cf = cf
        table = {ord(k): v for k, v in cf.traditional.items()}
        table.update({ord(c): f" {_CLAUSE} " for c in _PUNCT})
        self.table = table
        self.tok = _new_tokenizer()
        for term in sorted(cf.terms()):
            if _HAN.search(term) and not _LATIN.search(term) and " " not in term:
                # suggest_freq-style default: high enough that the term is kept whole.
                self.tok.add_word(term, freq=None)
        # keyword -> theme indices, keyed by the token tuple the same pipeline produces.
        single: dict[str, set[int]] = {}
        multi: dict[tuple[str, ...], set[int]] = {}
        for i, theme in enumerate(cf.themes):
            for words in theme.keywords.values():
                for w in words:
                    toks = tuple(self.tokens(w))
                    if not toks:
                        continue
                    if len(toks) == 1:
                        single.setdefault(toks[0], set()).add(i)
                    else:
                        multi.setdefault(toks, set()).add(i)
        # A dictionary term that is not a keyword but contains one (polarity words such as
        # "被转接", "没有库存") is one token after segmentation; it carries the themes of the
        # Chinese keywords inside it, or those keywords would be hidden.
        zh_kw: dict[str, set[int]] = {}
        for i, theme in enumerate(cf.themes):
            for w in theme.keywords.get("zh", ()):
                zh_kw.setdefault(w, set()).add(i)
        for term in cf.terms() - cf.neutral:
            toks = self.tokens(term)
            if len(toks) != 1 or toks[0] in single or not _HAN.search(term):
                continue
            inside = {i for w, ii in zh_kw.items() if w in term for i in ii}
            if inside:
                single[toks[0]] = set(inside)
        self.single = {k: tuple(sorted(v)) for k, v in single.items()}
        # jieba's own dictionary has compounds such as "经验丰富" or "质量问题" that hide a
        # keyword; a Chinese token of 3+ characters is searched once for keywords of 2+
        # characters (single-character keywords such as "贵" are too ambiguous inside words:
        # "贵公司"), and the answer is memoised per token.
        self.zh_long = {w: ii for w, ii in zh_kw.items() if len(w) >= 2}
        self.zh_long_lens = sorted({len(w) for w in self.zh_long})
        self.memo: dict[str, tuple[int, ...]] = {}
        self.seg: dict[str, list[str]] = {}
        self.multi = {k: tuple(sorted(v)) for k, v in multi.items()}
        self.multi_lens = sorted({len(k) for k in self.multi})
        self.multi_first = {k[0] for k in self.multi}
        pol: dict[str, int] = {}
        pol_multi: dict[tuple[str, ...], int] = {}
        for words, sign in ((cf.positive, 1), (cf.negative, -1)):
            for w in words:
                toks = tuple(self.tokens(w))
                if len(toks) == 1:
                    pol[toks[0]] = sign
                elif toks:
                    pol_multi[toks] = sign
        self.pol = pol
        self.pol_multi = pol_multi
        self.pol_lens = sorted({len(k) for k in pol_multi}, reverse=True)
        self.pol_first = frozenset(k[0] for k in pol_multi)
        self.neg = frozenset(t for w in cf.negators for t in self._single_token(w))
        self.post_neg = frozenset(t for w in cf.post_negators for t in self._single_token(w))
        self.breaks = frozenset(t for w in cf.clause_breaks for t in self._single_token(w))
        self.window = cf.window

    def _segment(self, piece: str) -> list[str]:
        """Tokens of one clause (memoised: clauses repeat far more often than comments)."""
        breaks = self.breaks
        part = [
            _CLAUSE if t in breaks else t
            for t in self.tok.lcut(piece, HMM=False)
            if not t.isspace()
        ]
        if len(self.seg) < 200_000:
            self.seg[piece] = part
        return part

    def _segment_all(self, norm: str, pieces: list[str], parts: list) -> list:
        """Segment a whole normalised comment once and split the tokens at the clause marks."""
        breaks = self.breaks
        out: list[list[str]] = [[]]
        for t in self.tok.lcut(norm, HMM=False):
            if t == _CLAUSE:
                out.append([])
            elif not t.isspace():
                out[-1].append(_CLAUSE if t in breaks else t)
        if len(out) != len(pieces):  # cannot happen with jieba's rules; stay correct if it does
            return parts
        for piece, part, new in zip(pieces, parts, out, strict=True):
            if part is None and len(self.seg) < 200_000:
                self.seg[piece] = new
        return out

    def _inside(self, tok: str) -> tuple[int, ...]:
        """Themes of a token that is not itself a keyword (memoised).

        Chinese: the 2+ character keywords inside it. English (letters only, 4+): the keyword
        it inflects — plural/third person ``-s``/``-es``, past ``-ed``/``-d``, ``-ing``
        (``invoices`` → ``invoice``, ``charging`` → ``charge``); a light suffix rule, not a
        stemmer, applied only to look up listed keywords.
        """
        found: set[int] = set()
        if _HAN.search(tok):
            for m in self.zh_long_lens:
                for a in range(len(tok) - m + 1):
                    ii = self.zh_long.get(tok[a : a + m])
                    if ii:
                        found.update(ii)
        elif len(tok) >= 4 and tok.isascii() and tok.isalpha():
            for cut, add in _EN_SUFFIXES:
                if tok.endswith(cut) and len(tok) - len(cut) >= 3:
                    ii = self.single.get(tok[: len(tok) - len(cut)] + add)
                    if ii:
                        found.update(ii)
                        break
        out = tuple(sorted(found))
        if len(self.memo) < 500_000:
            self.memo[tok] = out
        return out

    def _single_token(self, w: str) -> list[str]:
        toks = self.tokens(w)
        return [toks[0]] if len(toks) == 1 else []

    def normalise(self, text: str) -> str:
        return text.lower().replace("n't", " not").replace("n’t", " not").translate(self.table)

    def tokens(self, text: str) -> list[str]:
        return [t for t in self.tok.lcut(self.normalise(text), HMM=False) if not t.isspace()]

    def code(self, text: str) -> tuple[tuple[tuple[int, int], ...], int, int]:
        """Themes with their sign, and the positive and negative counts of one comment."""
        toks: list[str] = []
        seg = self.seg
        norm = self.normalise(text)
        pieces = norm.split(_CLAUSE)
        parts = [seg.get(p) for p in pieces]
        missing = sum(p is None for p in parts)
        if missing > 1:
            # several new clauses: one jieba pass over the whole comment is cheaper than one per
            # clause; clause marks are tokens of their own, so the pass splits back exactly.
            parts = self._segment_all(norm, pieces, parts)
        for piece, part in zip(pieces, parts, strict=True):
            toks += self._segment(piece) if part is None else part
            toks.append(_CLAUSE)
        single, pol, neg, window = self.single, self.pol, self.neg, self.window
        pol_first, post_neg = self.pol_first, self.post_neg
        n = len(toks)
        hits: list[tuple[int, int]] = []  # (theme, token position)
        signs = [0] * n
        clause_of = [0] * n
        clause = 0
        for j, t in enumerate(toks):
            if t == _CLAUSE:
                clause += 1
                continue
            clause_of[j] = clause
            th = single.get(t)
            if th is None and len(t) >= 3:
                th = self.memo.get(t)
                if th is None:
                    th = self._inside(t)
            if th:
                for i in th:
                    hits.append((i, j))
            p = pol.get(t)
            if p is None and t in pol_first:
                for m in self.pol_lens:
                    p = self.pol_multi.get(tuple(toks[j : j + m]))
                    if p is not None:
                        break
            if t in post_neg:
                # "专业水平不够": the polarity word before it (same clause, within the window)
                # becomes negative; alone ("水平不够") the post-negator itself is negative,
                # unless a polarity word follows ("不够专业": handled as a negator of it).
                p = None
                for k in range(j - 1, max(-1, j - 1 - window), -1):
                    if toks[k] == _CLAUSE:
                        break
                    if signs[k]:
                        signs[k] = -1
                        break
                else:
                    ahead = toks[j + 1 : j + 1 + window]
                    if not any(a in pol for a in ahead):
                        p = -1
            if p is not None:
                for k in range(j - 1, max(-1, j - 1 - window), -1):
                    if toks[k] == _CLAUSE:
                        break
                    if toks[k] in neg or toks[k] in post_neg:
                        p = -p
                        break
                signs[j] = p
            if self.multi and t in self.multi_first:
                for m in self.multi_lens:
                    key = tuple(toks[j : j + m])
                    th = self.multi.get(key)
                    if th is not None:
                        for i in th:
                            hits.append((i, j))
        n_pos = sum(1 for v in signs if v > 0)
        n_neg = sum(1 for v in signs if v < 0)
        # Chinese terms jieba split in context: look up concatenated neighbours (2-3 tokens).
        if not hits:
            for j in range(n - 1):
                joined = toks[j] + toks[j + 1]
                th = single.get(joined)
                if th is None and j + 2 < n:
                    th = single.get(joined + toks[j + 2])
                if th is not None:
                    for i in th:
                        hits.append((i, j))
        if not hits:
            return (), n_pos, n_neg
        clause_sign: dict[int, int] = {}
        for j, s in enumerate(signs):
            if s:
                c = clause_of[j]
                clause_sign[c] = clause_sign.get(c, 0) + s
        theme_sign: dict[int, int] = {}
        for i, j in hits:
            theme_sign[i] = theme_sign.get(i, 0) + clause_sign.get(clause_of[j], 0)
        return tuple(sorted((i, (s > 0) - (s < 0)) for i, s in theme_sign.items())), n_pos, n_neg


def _coder(cf: Codeframe) -> _Coder:
    if not cf._coder:
        with _JIEBA_LOCK:
            if not cf._coder:
                cf._coder.append(_Coder(cf))
    return cf._coder[0]


def detect_language(text: str) -> str:
    """``"zh"``, ``"en"``, ``"mixed"`` (Han characters and Latin letters) or ``""`` (neither)."""
    han = _HAN.search(text) is not None
    lat = _LATIN.search(text) is not None
    if han and lat:
        return "mixed"
    return "zh" if han else ("en" if lat else "")


# --------------------------------------------------------------------------------------------
# Coding comments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodingResult:
    """Themes and polarity of every comment of a frame (see :func:`code_comments`).

    Attributes
    ----------
    codes : DataFrame
        Indexed like the input frame; one boolean column per theme (codeframe order), then
        ``has_comment`` (bool: non-empty text), ``lang`` (``zh``/``en``/``mixed``/``""``),
        ``n_themes`` (int), ``n_positive``, ``n_negative`` (int: polarity words after negation),
        ``polarity_score`` (float in [-1, 1]: (pos - neg) / (pos + neg), 0 when neither, NaN
        without comment) and ``polarity`` (``positive``/``negative``/``mixed``/``neutral``, ``""``
        without comment).
    mentions : DataFrame
        Long form, one row per comment × theme mentioned: ``row`` (index label of the input),
        ``position`` (int, 0-based row position in the input), ``theme``, ``polarity`` (float -1, 0, +1: the sign of the polarity words in the clauses
        that mention the theme).
    themes : tuple of str
    text : str
        The comment column coded.
    codeframe : Codeframe
    n_unique : int
        Distinct comment texts coded (identical texts are coded once).
    """

    codes: pd.DataFrame
    mentions: pd.DataFrame
    themes: tuple[str, ...]
    text: str
    codeframe: Codeframe
    n_unique: int

    def to_frame(self) -> pd.DataFrame:
        """The per-comment frame (:attr:`codes`)."""
        return self.codes.copy()


def _text_series(data: pd.DataFrame, text: str) -> pd.Series:
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if not isinstance(text, str) or text not in data.columns:
        raise CXValueError(
            f"text must name a column of data; got {text!r} (columns: {list(data.columns)[:20]})"
        )
    s = data[text]
    if (
        pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_datetime64_any_dtype(s)
    ):
        if s.notna().any():
            raise CXValueError(f"column {text!r} must hold text (comments); got dtype {s.dtype}")
        return pd.Series([""] * len(s), index=s.index, dtype=object)
    mask = s.notna()
    vals = s[mask]
    is_str = vals.map(lambda v: isinstance(v, str))
    if not bool(is_str.all()):
        first = vals[~is_str].index[0]
        v = vals[first]
        first = first.item() if isinstance(first, np.generic) else first
        raise CXValueError(
            f"column {text!r} must hold text (comments); row {first!r} holds "
            f"{type(v).__name__} {v!r}"
        )
    return s.astype(object).where(mask.to_numpy(), "")


def code_comments(data: pd.DataFrame, *, text: str = "comment", codeframe=None) -> CodingResult:
    """Code every comment of ``data`` to themes and a polarity.

    Parameters
    ----------
    data : DataFrame
        One row per comment (or per respondent; empty/missing comments get no themes).
    text : str, default ``"comment"``
        Column holding the comments (str; NaN/None/"" mean no comment).
    codeframe : Codeframe, dict, path or None
        The codeframe (None: the package default).

    Returns
    -------
    CodingResult
        ``codes`` (per comment), ``mentions`` (long, per comment × theme); see
        :class:`CodingResult` for every column.

    Raises
    ------
    CXValueError
        ``text`` is not a column, or the column holds something other than text (numbers, dates,
        or a non-string value in some row — the row is named).
    CodeframeError
        The codeframe is malformed.

    Notes
    -----
    A theme is mentioned when one of its keywords occurs as a token (or run of tokens) of the
    segmented comment. The polarity score is :math:`(P - N)/(P + N)` with :math:`P, N` the
    positive and negative polarity words after negation (0 when neither). Text is only matched
    against word lists; nothing in a comment is evaluated.

    References
    ----------
    Sun, J. (2012–). jieba: Chinese text segmentation. https://github.com/fxsjy/jieba
    """
    cf = _resolve_codeframe(codeframe)
    series = _text_series(data, text)
    coder = _coder(cf)
    themes = cf.theme_names
    k = len(themes)
    values = series.to_numpy(dtype=object)
    n = len(values)
    cache: dict[str, tuple] = {}
    ind = np.zeros((n, k), dtype=bool)
    n_pos = np.zeros(n, dtype=np.int64)
    n_neg = np.zeros(n, dtype=np.int64)
    has = np.zeros(n, dtype=bool)
    langs = np.empty(n, dtype=object)
    m_row: list[int] = []
    m_theme: list[int] = []
    m_pol: list[int] = []
    for r, v in enumerate(values):
        res = cache.get(v)
        if res is None:
            if v.strip():
                th, p, q = coder.code(v)
                res = (th, p, q, detect_language(v), True)
            else:
                res = ((), 0, 0, "", False)
            cache[v] = res
        th, p, q, lang, nonempty = res
        has[r] = nonempty
        langs[r] = lang
        n_pos[r] = p
        n_neg[r] = q
        for i, s in th:
            ind[r, i] = True
            m_row.append(r)
            m_theme.append(i)
            m_pol.append(s)
    codes = pd.DataFrame(ind, index=series.index, columns=list(themes))
    codes["has_comment"] = has
    codes["lang"] = langs
    codes["n_themes"] = ind.sum(axis=1).astype(np.int64)
    codes["n_positive"] = n_pos
    codes["n_negative"] = n_neg
    tot = n_pos + n_neg
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(tot > 0, (n_pos - n_neg) / np.where(tot > 0, tot, 1), 0.0)
    codes["polarity_score"] = np.where(has, score, np.nan)
    label = np.select(
        [~has, (n_pos > 0) & (n_neg > 0), n_pos > 0, n_neg > 0],
        ["", "mixed", "positive", "negative"],
        default="neutral",
    )
    codes["polarity"] = label.astype(object)
    idx = series.index
    mentions = pd.DataFrame(
        {
            "row": idx.take(np.asarray(m_row, dtype=np.int64)),
            "position": np.asarray(m_row, dtype=np.int64),
            "theme": pd.Categorical.from_codes(
                np.asarray(m_theme, dtype=np.int64), categories=list(themes)
            )
            if m_theme
            else pd.Categorical([], categories=list(themes)),
            "polarity": np.asarray(m_pol, dtype=float),
        }
    )
    mentions["theme"] = mentions["theme"].astype(object)
    return CodingResult(
        codes=codes,
        mentions=mentions,
        themes=themes,
        text=text,
        codeframe=cf,
        n_unique=len(cache),
    )


# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------

# Chinese resident identity card number: 17 digits and a check digit or X (before phones, which
# would otherwise take its first 11 digits).
_ID_CARD = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx](?![\dA-Za-z])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONES = (
    # Chinese mobile: 1[3-9]x xxxx xxxx, optionally +86/0086, spaces or dashes between the groups.
    re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?![\d])"),
    # Chinese landline: 0xx(x)-xxxxxxx(x), area code optionally in parentheses, extension optional.
    re.compile(
        r"(?<![\d])(?:\(0\d{2,3}\)|0\d{2,3})[\s\-]?\d{7,8}(?:[\s\-]?(?:ext|转|x)\.?\s?\d{1,5})?(?![\d])"
    ),
    # International numbers with a leading +: at least 8 digits in all.
    re.compile(r"(?<![\w])\+\d{1,3}(?:[\s\-.]?\(?\d+\)?){2,6}(?![\d])"),
    # Any other long run of digits grouped by spaces/dashes (10+ digits, e.g. 400-xxx-xxxx).
    re.compile(r"(?<![\d])\d{3,4}[\s\-]\d{3,4}[\s\-]\d{3,4}(?![\d])"),
)


def _name_patterns(cf: Codeframe) -> list[re.Pattern]:
    pats = []
    if cf.surnames:
        sur = "|".join(map(re.escape, sorted(cf.surnames, key=len, reverse=True)))
        trad_rev: dict[str, list[str]] = {}
        for t, s in cf.traditional.items():
            trad_rev.setdefault(s, []).append(t)

        def both(word: str) -> str:
            return "".join(
                f"[{re.escape(c)}{''.join(map(re.escape, trad_rev.get(c, [])))}]" for c in word
            )

        sur_both = "|".join([sur] + [both(s) for s in cf.surnames if s in trad_rev])
        if cf.titles_zh:
            tit = "|".join(both(t) for t in sorted(cf.titles_zh, key=len, reverse=True))
            pats.append(re.compile(rf"(?:{sur_both})[\u4e00-\u9fff]{{0,2}}?(?:{tit})"))
        pats.append(re.compile(rf"[小老](?:{sur_both})(?![\u4e00-\u9fff]{{0,1}}(?:师傅))"))
    if cf.titles_en:
        tit = "|".join(map(re.escape, sorted(cf.titles_en, key=len, reverse=True)))
        pats.append(re.compile(rf"\b(?:{tit})\.?\s+[A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+)?"))
    return pats


def mask_pii(text: str, *, codeframe=None) -> str:
    """Mask phone numbers, e-mail addresses and names of the codeframe's listed forms.

    Parameters
    ----------
    text : str
        One comment (returned unchanged when not a string, e.g. NaN).
    codeframe : Codeframe, dict, path or None
        Supplies the name forms and the replacement texts (default codeframe if None).

    Returns
    -------
    str
        The comment with each e-mail address replaced by ``replacement.email``, each phone number
        (Chinese mobile ``1[3-9]x xxxx xxxx`` with optional ``+86``, landline ``0xx-xxxxxxxx``,
        ``+``-prefixed international numbers, grouped 10–12 digit numbers) by ``replacement.phone``,
        each Chinese identity card number (18 characters) by ``replacement.id`` and each listed
        name form by ``replacement.name``.

    Notes
    -----
    Masking is pattern based: it removes the listed forms, not every possible name. Quotes should
    still be read before they leave the building.
    """
    if not isinstance(text, str):
        return text
    cf = _resolve_codeframe(codeframe)
    rep = cf.replacement
    out = _EMAIL.sub(rep["email"], text)
    out = _ID_CARD.sub(rep["id"], out)
    for p in _PHONES:
        out = p.sub(rep["phone"], out)
    if not cf._names:
        cf._names.append(_name_patterns(cf))
    pats = cf._names[0]
    for p in pats:
        out = p.sub(rep["name"], out)
    return out


# --------------------------------------------------------------------------------------------
# Tables built on the coding
# --------------------------------------------------------------------------------------------


def _coding_for(
    data: pd.DataFrame, coding: CodingResult | None, text: str, codeframe
) -> CodingResult:
    if coding is None:
        return code_comments(data, text=text, codeframe=codeframe)
    if not isinstance(coding, CodingResult):
        raise CXValueError(
            f"coding must be a CodingResult from code_comments; got {type(coding).__name__}"
        )
    if len(coding.codes) != len(data) or not coding.codes.index.equals(data.index):
        raise CXValueError(
            "coding does not belong to data: its index differs from data's index "
            f"({len(coding.codes)} coded rows, {len(data)} data rows); code this frame with code_comments"
        )
    return coding


def _by_list(data: pd.DataFrame, by) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise CXValueError(f"by must name columns of data; {missing[0]!r} is not a column")
    return cols


def _wilson(k: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = np.full(k.shape, np.nan)
    hi = np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(k[ok], n[ok], alpha=alpha, method="wilson")
    return lo, hi


def _check_count(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise CXValueError(f"{name} must be a non-negative integer; got {v!r}")
    return int(v)


def _check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise CXValueError(f"alpha must be a number between 0 and 1 (exclusive); got {alpha!r}")
    return float(alpha)


def theme_frequencies(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    text: str = "comment",
    by=("segment", "wave"),
    codeframe=None,
    alpha: float = 0.05,
    min_base: int = 30,
    min_n: int = 5,
) -> pd.DataFrame:
    """Share of comments mentioning each theme, by segment and wave, with bases.

    Parameters
    ----------
    data : DataFrame
        Responses or comments, with the comment column and the ``by`` columns.
    coding : CodingResult, optional
        The result of :func:`code_comments` on ``data`` (coded here when omitted).
    text : str, default ``"comment"``
    by : str, sequence of str or None, default ``("segment", "wave")``
        Grouping columns (missing group values are dropped). None: one overall row per theme.
    codeframe : optional
        Used only when ``coding`` is omitted.
    alpha : float, default 0.05
        1 - confidence level of the Wilson interval.
    min_base : int, default 30
        Reporting minimum: groups with fewer comments get ``small_base = True`` (and a
        :class:`~cxresearch.errors.SmallBaseWarning`).
    min_n : int, default 5
        Anonymity minimum: groups with fewer comments are left out of the frame.

    Returns
    -------
    DataFrame
        One row per group (with at least ``min_n`` comments) × theme: the ``by`` columns, ``theme``, ``n_respondents`` (rows in the
        group), ``n`` (the base: rows with a non-empty comment), ``n_mentions`` (comments
        mentioning the theme), ``estimate`` (n_mentions / n), ``ci_lower``, ``ci_upper`` (Wilson),
        ``n_positive``, ``n_negative`` (mentions with positive / negative polarity),
        ``small_base`` (bool).

    Notes
    -----
    Unweighted: a verbatim share describes what was said by those who commented. The Wilson
    interval is :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1+z^2/n}`.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22(158), 209–212. doi:10.1080/01621459.1927.10502953
    """
    alpha = _check_alpha(alpha)
    min_base = _check_count("min_base", min_base)
    min_n = _check_count("min_n", min_n)
    cols = _by_list(data, by)
    cod = _coding_for(data, coding, text, codeframe)
    themes = list(cod.themes)
    has = cod.codes["has_comment"].to_numpy()
    pos_rows = cod.mentions["position"].to_numpy()
    pol = cod.mentions["polarity"].to_numpy()
    theme_of = cod.mentions["theme"].to_numpy()
    frame = pd.DataFrame({c: data[c].to_numpy() for c in cols}, index=np.arange(len(data)))
    frame["_has"] = has.astype(np.int64)
    for t in themes:
        frame[t] = (cod.codes[t].to_numpy() & has).astype(np.int64)
        sel = theme_of == t
        p = np.zeros(len(data), dtype=np.int64)
        q = np.zeros(len(data), dtype=np.int64)
        p[pos_rows[sel & (pol > 0)]] = 1
        q[pos_rows[sel & (pol < 0)]] = 1
        frame[f"_pos_{t}"] = p
        frame[f"_neg_{t}"] = q
    if cols:
        g = frame.groupby(cols, dropna=True, sort=True, observed=True)
        agg = g.sum(numeric_only=False)
        size = g.size()
    else:
        agg = frame.sum().to_frame().T
        size = pd.Series([len(frame)])
    rows = []
    for t in themes:
        part = pd.DataFrame(
            {
                "theme": t,
                "n_respondents": size.to_numpy().astype(np.int64),
                "n": agg["_has"].to_numpy().astype(np.int64),
                "n_mentions": agg[t].to_numpy().astype(np.int64),
                "n_positive": agg[f"_pos_{t}"].to_numpy().astype(np.int64),
                "n_negative": agg[f"_neg_{t}"].to_numpy().astype(np.int64),
            },
            index=agg.index if cols else None,
        )
        rows.append(part)
    out = pd.concat(rows)
    if cols:
        out = out.reset_index()
    else:
        out = out.reset_index(drop=True)
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["estimate"] = np.where(n > 0, out["n_mentions"] / np.where(n > 0, n, 1), np.nan)
    out["ci_lower"], out["ci_upper"] = _wilson(out["n_mentions"].to_numpy(), n, alpha)
    out["small_base"] = n < min_base
    out = out[n >= min_n]
    order = cols + [
        "theme",
        "n_respondents",
        "n",
        "n_mentions",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n_positive",
        "n_negative",
        "small_base",
    ]
    out = out[order]
    if cols:
        out["_t"] = out["theme"].map({t: i for i, t in enumerate(themes)})
        out = (
            out.sort_values(cols + ["_t"], kind="stable").drop(columns="_t").reset_index(drop=True)
        )
    if bool(out["small_base"].any()):
        warnings.warn(
            f"{int(out.loc[out['small_base'], cols].drop_duplicates().shape[0]) if cols else 1} group(s) "
            f"have fewer than min_base={min_base} comments; their shares are flagged small_base",
            SmallBaseWarning,
            stacklevel=2,
        )
    return out


def theme_satisfaction(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    score: str = "overall_sat",
    text: str = "comment",
    by=None,
    codeframe=None,
    alpha: float = 0.05,
    min_n: int = 5,
) -> pd.DataFrame:
    """Mean satisfaction of the comments that mention each theme (and of those that do not).

    Parameters
    ----------
    data : DataFrame
        With the comment column and the numeric ``score`` column.
    coding : CodingResult, optional
        :func:`code_comments` of ``data`` (coded here when omitted).
    score : str, default ``"overall_sat"``
    text : str, default ``"comment"``
    by : str or sequence, optional
        Grouping columns (e.g. ``"wave"``).
    codeframe : optional
    alpha : float, default 0.05
    min_n : int, default 5
        Anonymity minimum: a theme (in a group) mentioned by fewer scored comments is left out.

    Returns
    -------
    DataFrame
        One row per (group ×) theme mentioned by at least ``min_n`` scored comments: ``theme``,
        ``n`` (comments mentioning it with a score),
        ``estimate`` (mean score), ``se`` (s / sqrt(n)), ``ci_lower``, ``ci_upper`` (t interval,
        n - 1 df), ``n_other`` and ``mean_other`` (commenters not mentioning the theme),
        ``difference`` (estimate - mean_other), ``p_value`` (Welch t test of the difference).

    Raises
    ------
    CXValueError
        ``score`` is not a numeric column.

    Notes
    -----
    Only rows with a non-empty comment and a non-missing score enter. Means are unweighted.
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    min_n = _check_count("min_n", min_n)
    if score not in data.columns:
        raise CXValueError(f"score must name a column of data; got {score!r}")
    if not pd.api.types.is_numeric_dtype(data[score]) or pd.api.types.is_bool_dtype(data[score]):
        raise CXValueError(f"column {score!r} must be numeric; got dtype {data[score].dtype}")
    cols = _by_list(data, by)
    cod = _coding_for(data, coding, text, codeframe)
    y = data[score].astype(float)
    keep = cod.codes["has_comment"].to_numpy() & y.notna().to_numpy()
    groups = [((), np.ones(len(data), dtype=bool))]
    if cols:
        keys = data[cols]
        groups = []
        for key, idx in keys.groupby(cols, dropna=True, sort=True, observed=True).indices.items():
            m = np.zeros(len(data), dtype=bool)
            m[idx] = True
            groups.append((key if isinstance(key, tuple) else (key,), m))
    rows = []
    yv = y.to_numpy()
    for key, gm in groups:
        for t in cod.themes:
            men = cod.codes[t].to_numpy()
            a = yv[gm & keep & men]
            b = yv[gm & keep & ~men]
            n = len(a)
            if n < min_n:
                continue
            est = float(a.mean()) if n else np.nan
            se = float(a.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            if n > 1 and se > 0:
                lo, hi = stats.t.interval(1 - alpha, n - 1, loc=est, scale=se)
            elif n > 1:
                lo = hi = est
            else:
                lo = hi = np.nan
            mo = float(b.mean()) if len(b) else np.nan
            p = np.nan
            if n > 1 and len(b) > 1 and (a.std() > 0 or b.std() > 0):
                with warnings.catch_warnings():
                    # scipy warns on a constant group; the Welch statistic is still defined
                    warnings.simplefilter("ignore", RuntimeWarning)
                    p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
            row = dict(zip(cols, key, strict=True))
            row.update(
                theme=t,
                n=n,
                estimate=est,
                se=se,
                ci_lower=float(lo),
                ci_upper=float(hi),
                n_other=len(b),
                mean_other=mo,
                difference=est - mo,
                p_value=p,
            )
            rows.append(row)
    return pd.DataFrame(
        rows,
        columns=cols
        + [
            "theme",
            "n",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
            "n_other",
            "mean_other",
            "difference",
            "p_value",
        ],
    )


def example_quotes(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    text: str = "comment",
    n: int = 3,
    polarity: str | None = None,
    max_chars: int = 200,
    codeframe=None,
    seed: int | None = None,
    with_row: bool = False,
) -> pd.DataFrame:
    """Example quotes per theme, anonymised.

    Parameters
    ----------
    data : DataFrame
    coding : CodingResult, optional
    text : str, default ``"comment"``
    n : int, default 3
        Quotes per theme (fewer when fewer distinct comments mention it).
    polarity : {"positive", "negative", None}
        Only mentions of this polarity (None: any).
    max_chars : int, default 200
        Longer quotes are cut and end with "…".
    codeframe : optional
        Supplies masking forms (default: the coding's codeframe).
    seed : int, optional
        Quotes are drawn at random among the distinct comments mentioning the theme; a seed makes
        the draw reproducible (None: the first ``n`` in data order).
    with_row : bool, default False
        Add ``row`` (the index label in data) for internal follow-up; never for a client's table.

    Returns
    -------
    DataFrame
        ``theme``, ``rank`` (1..n), ``quote`` (masked text), ``polarity`` (float, the theme's
        polarity in that comment), and ``row`` with ``with_row=True``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CXValueError(f"n must be a positive integer; got {n!r}")
    if polarity not in (None, "positive", "negative"):
        raise CXValueError(
            f"polarity must be one of 'positive', 'negative', None; got {polarity!r}"
        )
    cod = _coding_for(data, coding, text, codeframe)
    cf = cod.codeframe if codeframe is None else _resolve_codeframe(codeframe)
    texts = _text_series(data, cod.text)
    rng = np.random.default_rng(seed) if seed is not None else None
    rows = []
    m = cod.mentions
    for t in cod.themes:
        sub = m[m["theme"] == t]
        if polarity == "positive":
            sub = sub[sub["polarity"] > 0]
        elif polarity == "negative":
            sub = sub[sub["polarity"] < 0]
        if sub.empty:
            continue
        q = texts.to_numpy()[sub["position"].to_numpy()]
        _, first = np.unique(q, return_index=True)
        first = np.sort(first)
        if rng is not None:
            first = rng.permutation(first)
        for rank, j in enumerate(first[:n], start=1):
            quote = mask_pii(q[j].strip(), codeframe=cf)
            if len(quote) > max_chars:
                quote = quote[: max_chars - 1].rstrip() + "…"
            rows.append(
                dict(
                    theme=t,
                    rank=rank,
                    row=sub["row"].iloc[j],
                    quote=quote,
                    polarity=float(sub["polarity"].iloc[j]),
                )
            )
    out = pd.DataFrame(rows, columns=["theme", "rank", "row", "quote", "polarity"])
    return out if with_row else out.drop(columns="row")


def _kappa(a: np.ndarray, b: np.ndarray, k: int) -> tuple[float, float, float, float]:
    """Observed and chance agreement, Cohen's kappa and its FCE (1969) standard error.

    ``a`` and ``b`` are integer codes 0..k-1 of the two coders (rows: ``a``).
    """
    n = len(a)
    p = np.zeros((k, k))
    np.add.at(p, (a, b), 1.0)
    p /= n
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    po = float(np.trace(p))
    pe = float(r @ c)
    if np.isclose(pe, 1.0):
        return po, pe, np.nan, np.nan
    kappa = (po - pe) / (1 - pe)
    diag = sum(p[i, i] * (1 - (r[i] + c[i]) * (1 - kappa)) ** 2 for i in range(k))
    off = (1 - kappa) ** 2 * sum(
        p[i, j] * (c[i] + r[j]) ** 2 for i in range(k) for j in range(k) if i != j
    )
    var = (diag + off - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return po, pe, float(kappa), float(np.sqrt(max(var, 0.0)))


def polarity_agreement(
    coding: CodingResult, hand: pd.DataFrame, *, column: str = "polarity", alpha: float = 0.05
) -> pd.DataFrame:
    """Cohen's kappa between the automatic polarity and a hand-coded one.

    Parameters
    ----------
    coding : CodingResult
    hand : DataFrame
        Indexed like the coded data, with ``column`` holding ``positive``, ``negative``,
        ``mixed`` or ``neutral`` for each hand-coded comment (rows without a comment are left out).
    column : str, default ``"polarity"``
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        One row: ``n``, ``agreement`` (p_o), ``expected`` (p_e), ``estimate`` (kappa over the four
        categories), ``se`` (Fleiss, Cohen & Everitt 1969), ``ci_lower``, ``ci_upper``.

    Raises
    ------
    CXValueError
        ``column`` missing, an unknown label, no shared index labels.

    Notes
    -----
    As :func:`coding_agreement`, with four categories instead of two.
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    if not isinstance(coding, CodingResult):
        raise CXValueError(f"coding must be a CodingResult; got {type(coding).__name__}")
    if not isinstance(hand, pd.DataFrame) or column not in hand.columns:
        raise CXValueError(f"hand must be a DataFrame with a {column!r} column")
    common = hand.index.intersection(coding.codes.index)
    if len(common) == 0:
        raise CXValueError(
            "hand shares no index labels with the coded comments; index hand like data"
        )
    labels = POLARITY_LABELS
    h = hand.loc[common, column]
    keep = coding.codes.loc[common, "has_comment"].to_numpy() & h.notna().to_numpy()
    h = h[keep]
    bad = sorted({v for v in h if v not in labels}, key=str)
    if bad:
        raise CXValueError(f"hand polarity must be one of {list(labels)}; got {bad[0]!r}")
    code = {v: i for i, v in enumerate(labels)}
    hv = np.array([code[v] for v in h], dtype=int)
    av = np.array([code[v] for v in coding.codes.loc[h.index, "polarity"]], dtype=int)
    po, pe, kappa, se = _kappa(av, hv, len(labels))
    if not np.isfinite(kappa):
        warnings.warn(
            "polarity kappa is not estimable: both codings are constant on the sample",
            NotEstimableWarning,
            stacklevel=2,
        )
    z = stats.norm.ppf(1 - alpha / 2)
    ok = np.isfinite(kappa)
    return pd.DataFrame(
        [
            dict(
                n=len(hv),
                agreement=po,
                expected=pe,
                estimate=kappa,
                se=se,
                ci_lower=max(-1.0, kappa - z * se) if ok else np.nan,
                ci_upper=min(1.0, kappa + z * se) if ok else np.nan,
            )
        ]
    )


def coding_agreement(
    coding: CodingResult,
    hand: pd.DataFrame,
    *,
    themes=None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cohen's kappa per theme between the automatic coding and a hand-coded sample.

    Parameters
    ----------
    coding : CodingResult
        Automatic coding; rows are matched to ``hand`` by index label.
    hand : DataFrame
        The hand-coded sample: indexed by the same labels as the coded data, one 0/1 (or bool)
        column per theme.
    themes : sequence of str, optional
        Themes to compare (default: the coding's themes that are columns of ``hand``).
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        One row per theme: ``theme``, ``n`` (comments compared), ``n_auto``, ``n_hand`` (positives
        per coder), ``agreement`` (observed, p_o), ``expected`` (chance, p_e), ``estimate``
        (kappa), ``se`` (asymptotic standard error), ``ci_lower``, ``ci_upper`` (normal
        interval, clipped to [-1, 1]).

    Raises
    ------
    CXValueError
        ``hand`` shares no index labels with the coding, a theme is not a column of ``hand`` or
        not in the codeframe, or a hand code is not 0/1.

    Warns
    -----
    NotEstimableWarning
        A theme on which both coders are constant (p_e = 1): kappa is NaN.

    Notes
    -----
    :math:`\\kappa = (p_o - p_e)/(1 - p_e)` with :math:`p_e = \\sum_c p_{c\\cdot} p_{\\cdot c}`
    (Cohen 1960). The standard error is the large-sample one of Fleiss, Cohen & Everitt (1969),
    :math:`\\mathrm{se}^2 = [\\sum_c p_{cc}(1-(p_{c\\cdot}+p_{\\cdot c})(1-\\kappa))^2
    + (1-\\kappa)^2\\sum_{c\\neq d} p_{cd}(p_{\\cdot c}+p_{d\\cdot})^2
    - (\\kappa - p_e(1-\\kappa))^2] / (n(1-p_e)^2)`.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
    Measurement 20(1), 37–46. doi:10.1177/001316446002000104
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa and
    weighted kappa. Psychological Bulletin 72(5), 323–327. doi:10.1037/h0028106
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    if not isinstance(coding, CodingResult):
        raise CXValueError(f"coding must be a CodingResult; got {type(coding).__name__}")
    if not isinstance(hand, pd.DataFrame):
        raise CXValueError(f"hand must be a DataFrame of 0/1 codes; got {type(hand).__name__}")
    if themes is None:
        themes = [t for t in coding.themes if t in hand.columns]
        if not themes:
            raise CXValueError(
                f"hand has no column named after a theme; themes: {list(coding.themes)}"
            )
    else:
        themes = [themes] if isinstance(themes, str) else list(themes)
        for t in themes:
            if t not in coding.themes:
                raise CXValueError(f"theme must be one of {list(coding.themes)}; got {t!r}")
            if t not in hand.columns:
                raise CXValueError(f"theme {t!r} is not a column of hand")
    common = hand.index.intersection(coding.codes.index)
    if len(common) == 0:
        raise CXValueError(
            "hand shares no index labels with the coded comments; index hand like data"
        )
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for t in themes:
        h = hand.loc[common, t]
        if h.isna().any():
            h = h.dropna()
        hv = h.to_numpy()
        ok = (
            np.isin(hv.astype(object), [0, 1, True, False])
            if hv.dtype == object
            else np.isin(hv, [0, 1])
        )
        if not bool(np.all(ok)):
            bad = hv[~ok][0]
            raise CXValueError(f"hand codes of theme {t!r} must be 0/1; got {bad!r}")
        hv = hv.astype(int)
        av = coding.codes.loc[h.index, t].to_numpy().astype(int)
        n = len(hv)
        po, pe, kappa, se = _kappa(av, hv, 2)
        if not np.isfinite(kappa):
            warnings.warn(
                f"kappa of theme {t!r} is not estimable: both codings are constant on the sample",
                NotEstimableWarning,
                stacklevel=2,
            )
        rows.append(
            dict(
                theme=t,
                n=n,
                n_auto=int(av.sum()),
                n_hand=int(hv.sum()),
                agreement=po,
                expected=pe,
                estimate=kappa,
                se=se,
                ci_lower=max(-1.0, kappa - z * se) if np.isfinite(kappa) else np.nan,
                ci_upper=min(1.0, kappa + z * se) if np.isfinite(kappa) else np.nan,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "theme",
            "n",
            "n_auto",
            "n_hand",
            "agreement",
            "expected",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
        ],
    )

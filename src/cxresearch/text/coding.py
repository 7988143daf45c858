"""Coding comments to themes and a polarity: a private jieba tokenizer and dictionary look-ups.

:func:`code_comments` gives every comment of a frame zero or more themes of the codeframe and a
polarity (see the package docstring for the steps); :func:`detect_language` tells Chinese, English
and mixed comments apart. A codeframe is compiled once into a ``_Coder`` (translation table, jieba
tokenizer with every Chinese codeframe term added, keyword and polarity look-up tables, memos),
kept on the codeframe and shared by every later call.

Why hand-written: jieba does the segmentation; no maintained package does dictionary-based theme
coding with polarity for Chinese and English together, and a lexicon approach keeps the coding
transparent to the client (every theme is traceable to a listed keyword). Comments are data: they
are only ever matched against word lists, never evaluated or interpreted as markup or code.

References
----------
Sun, J. (2012–). jieba: Chinese text segmentation. https://github.com/fxsjy/jieba
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxresearch._results import ResultDisplay

from ..errors import CXValueError
from .codeframe import Codeframe, _resolve_codeframe

POLARITY_LABELS = ("positive", "negative", "mixed", "neutral")
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
    """``"zh"``, ``"en"``, ``"mixed"`` (Han characters and Latin letters) or ``""`` (neither).

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.text.detect_language("配件經常缺貨")
    'zh'
    >>> cx.text.detect_language("Spare parts are often out of stock")
    'en'
    >>> cx.text.detect_language("工程师很专业, very professional")
    'mixed'
    >>> cx.text.detect_language("10/10 !!!")
    ''
    """
    han = _HAN.search(text) is not None
    lat = _LATIN.search(text) is not None
    if han and lat:
        return "mixed"
    return "zh" if han else ("en" if lat else "")


# --------------------------------------------------------------------------------------------
# Coding comments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CodingResult(ResultDisplay):
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

    Examples
    --------
    Comments in Chinese (simplified and traditional), English and both; polarity words are
    counted per clause, so a "but" splits praise from complaint:

    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> data = pd.DataFrame({"comment": [
    ...     "工程师很专业，但是价格太贵",
    ...     "一個問題被轉接三個部門",
    ...     "The staff were very friendly",
    ...     "Spare parts are often out of stock",
    ...     "服务不错, but the waiting time was too long",
    ...     None,
    ... ]})
    >>> coding = cx.text.code_comments(data)
    >>> coding.codes[["lang", "n_themes", "polarity"]]
        lang  n_themes  polarity
    0     zh         2     mixed
    1     zh         1  negative
    2     en         1  positive
    3     en         1  negative
    4  mixed         1     mixed
    5                0
    >>> coding.mentions
       row  position               theme  polarity
    0    0         0          competence       1.0
    1    0         0               price      -1.0
    2    1         1           transfers      -1.0
    3    2         2            courtesy       1.0
    4    3         3  parts_availability      -1.0
    5    4         4        waiting_time      -1.0
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

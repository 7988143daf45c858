"""Drafting a codebook from a data file (``cxresearch codebook draft DATA --out codebook.yaml``).

From a ``.sav`` the draft takes the variable labels, value labels, measurement levels and
user-missing values. From CSV, Excel and Parquet it guesses each column's kind from its values:

* ``id``: unique strings or integers in a column named like an id, or unique in every row;
* ``wave``: a column named ``wave``/``year`` (or 波次/年度) holding whole years;
* ``weight``: a column named like a weight holding non-negative numbers;
* ``binary``: only 0 and 1 (or booleans);
* ``likert`` (up to 7 points) and ``rating`` (0–10, 1–10) / ``nps`` (0–10 named like
  "recommend"/NPS): few whole-number levels in a small range, snapped to the usual scale;
* ``category``: few distinct values (value labels from the ``.sav`` when it has them);
* ``text``: long or many distinct strings; ``numeric`` otherwise.

Likely missing-value sentinels (negative codes such as -99/-9 on an otherwise positive scale;
97/98/99/997/998/999/9999 beside a 1–5/1–7/0–10 scale) become per-variable ``missing_codes``
marked with a ``review:`` note, as does every other guess a consultant should check. The draft is
checked against the file before it is returned: it loads with :func:`cxresearch.codebook.load`
unchanged and :func:`cxresearch.io.read` accepts the same file with it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.codebook import CODED_KINDS, Codebook, CodebookError, Kind, write_text_atomic
from cxresearch.errors import CXValueError, DataValidationError, Problem
from cxresearch.io._raw import RawTable, read_raw
from cxresearch.io._validate import _numbers, build_frame, guess_meaning

__all__ = ["Draft", "draft_codebook", "write_draft"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ID_NAME = re.compile(r"id$|^id_|(^|_)(uid|key|no|number)$|编号|序号", re.IGNORECASE)
_WAVE_NAME = re.compile(r"^(wave|year|yr|survey_year|波次|年度|调查年度|年份)$", re.IGNORECASE)
_WEIGHT_NAME = re.compile(r"^(weight|wt|wgt|weights|w|pweight|权重|加权)$|_weight$|^weight_", re.I)
_NPS_NAME = re.compile(r"nps|recommend|推荐", re.IGNORECASE)
_TEXT_NAME = re.compile(r"comment|verbatim|open|remark|text|意见|建议|评论|备注", re.IGNORECASE)
#: the word in the first cell of a totals or averages row under the data (an Excel export's
#: "Total" line): a row holding one such word and otherwise only numbers is not an answer
_TOTAL_WORD = re.compile(
    r"^(grand\s+)?(total|totals|sum|subtotal|overall|average|mean|"
    r"合计|总计|小计|总和|合計|總計|小計|平均|均值)\s*[:：]?$",
    re.IGNORECASE,
)
#: the rows at the end of a file searched for totals rows
_TOTALS_TAIL = 3
_NEG_SENTINELS = (-1.0, -7.0, -8.0, -9.0, -97.0, -98.0, -99.0)
#: sentinel codes proposed beside a small positive scale, with the meaning they usually carry
_HIGH_SENTINELS = {
    97: "not_applicable",
    98: "dont_know",
    99: "refused",
    997: "not_applicable",
    998: "dont_know",
    999: "refused",
    9999: "other",
}


#: files with at most this many cells are also checked with the full validation after drafting
FULL_CHECK_CELLS = 2_000_000


@dataclass(frozen=True)
class Draft:
    """A drafted codebook and the notes a consultant should review.

    Attributes
    ----------
    codebook : Codebook
        The validated draft (each uncertain guess carries a ``review`` note).
    notes : tuple of (str, str)
        ``(variable, note)`` for every entry to review.
    file : str
        The file the draft was made from.
    format : str
        Its format (``csv``, ``xlsx``, ``sav``, ``parquet``).
    encoding : str or None
        The text encoding detected (CSV, ``.sav``).
    """

    codebook: Codebook
    notes: tuple[tuple[str, str], ...]
    file: str
    format: str
    encoding: str | None

    def to_yaml(self) -> str:
        """The draft as YAML, headed by comments listing what to review."""
        when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        head = [
            f"# Codebook drafted by `cxresearch codebook draft` from {Path(self.file).name} "
            f"({self.format}{', ' + self.encoding if self.encoding else ''}) on {when}.",
            "# Edit labels, roles and dimensions; check every entry that has a `review:` note",
            "# (then delete the note). Missing-value codes proposed from the data are marked too.",
        ]
        if self.notes:
            head.append(
                f"# {len(self.notes)} entr{'y' if len(self.notes) == 1 else 'ies'} to review:"
            )
            head += [f"#   - {var}: {note}" for var, note in self.notes]
        return "\n".join(head) + "\n" + self.codebook.to_yaml()


def _label(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    text = str(text).strip()
    if not text:
        return None
    return {"zh": text} if _CJK.search(text) else {"en": text}


def _is_whole(x: np.ndarray) -> bool:
    return bool(len(x)) and bool(np.all(np.mod(x, 1) == 0))


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _standard_scale(lo: float, hi: float) -> tuple[str, int, int] | None:
    """``(kind, min, max)`` of the usual scale covering ``lo..hi`` whole numbers, or None."""
    if lo >= 1 and hi <= 5:
        return ("likert", 1, 5)
    if lo >= 1 and hi <= 7:
        return ("likert", 1, 7)
    if lo >= 0 and hi <= 10:
        return ("rating", 0 if lo == 0 else 1, 10)
    return None


def _sentinels(values: np.ndarray) -> tuple[list[float], np.ndarray]:
    """Split distinct whole values into proposed sentinel codes and the remaining scale values.

    High codes (97/98/99, 997/998/999, 9999) are proposed beside values up to 10; negative ones
    (-1, -7/-8/-9, -97/-98/-99 and below -90) beside non-negative values. A column holding other
    small negatives (-2 ... -6) is a bipolar scale: nothing is proposed.
    """
    vals = values
    codes: list[float] = []
    positive = vals[vals >= 0]
    if len(positive):
        small = positive[positive <= 10]
        high = positive[positive > 10]
        if len(small) and len(high) and all(int(h) in _HIGH_SENTINELS for h in high):
            codes += list(high)
        neg = vals[vals < 0]
        if len(neg) and all(
            float(v).is_integer() and (v in _NEG_SENTINELS or v <= -90) for v in neg
        ):
            codes += list(neg)
    rest = np.array([v for v in vals if v not in codes], dtype=float)
    return sorted(codes), rest


def _sentinel_meaning(code: float) -> str:
    if code < 0:
        return "system"
    return _HIGH_SENTINELS.get(int(code), "other")


def _guess_variable(
    name: str,
    s: pd.Series,
    raw: RawTable,
    wave_col: str | None,
    *,
    max_levels: int,
    seen: dict[str, np.ndarray] | None = None,
    stray: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The codebook entry for one column and the review notes about it.

    ``seen`` receives the column's distinct numeric values (to check the draft covers them);
    ``stray`` the mask of text cells in a column of numbers (a few words such as "Don't know"
    among hundreds of numbers: the column is guessed from its numbers and a note names the
    cells, which import refuses until they are recoded).
    """
    notes: list[str] = []
    sav = raw.sav
    entry: dict[str, Any] = {"name": name}
    lab = _label(sav.variable_labels.get(name)) if sav else None
    if lab:
        entry["label"] = lab
    n = len(s)
    num, blank, nonnum = _numbers(s)
    filled = ~blank
    n_filled = int(filled.sum())
    value_labels: dict[float, str] = {}
    if sav is not None:
        value_labels = {
            float(k): str(v)
            for k, v in sav.value_labels.get(name, {}).items()
            if isinstance(k, int | float)
        }
    measure = sav.measure.get(name) if sav is not None else None

    # -- no numbers at all or any non-number: strings ------------------------------------------
    if n_filled == 0:
        entry.update(kind="text", role="text", required=True)
        notes.append("the column is empty in this file; kind 'text' is a placeholder")
        return entry, notes
    n_text = int(nonnum.sum())
    if 0 < n_text <= max(3, 0.02 * n_filled) and n_filled - n_text >= 20:
        where = np.flatnonzero(nonnum)
        shown = ", ".join(
            f"row {int(raw.rows[i])}: {str(s.iloc[i]).strip()!r}" for i in where[:3]
        ) + (f" and {n_text - 3} more" if n_text > 3 else "")
        notes.append(
            f"{n_text} cell(s) hold text in a column of numbers ({shown}): guessed from the "
            "numbers; recode the text to a missing code declared here (e.g. 98) or blank it in "
            "the file (import refuses text in this column)"
        )
        if stray is not None:
            stray[name] = nonnum
        s = s.astype(object).where(~nonnum, None)
        num, blank, nonnum = _numbers(s)
        filled = ~blank
        n_filled = int(filled.sum())
    if nonnum.any():
        strs = s.astype(object).where(filled).dropna().astype(str).str.strip()
        strs = strs[strs != ""]
        uniq = strs.nunique()
        unique_rows = _unique_in_wave(s.astype(object).astype(str), raw, wave_col) and n_filled == n
        mean_len = float(strs.str.len().mean()) if len(strs) else 0.0
        spaced = float(strs.str.contains(r"\s", regex=True).mean()) if len(strs) else 0.0
        if unique_rows and (
            _ID_NAME.search(name) or (uniq > max_levels and mean_len <= 40 and spaced < 0.1)
        ):
            entry.update(kind="id", role="id")
            return entry, notes
        if (
            uniq <= max_levels
            and mean_len <= 30
            and not _TEXT_NAME.search(name)
            and uniq < max(2, 0.5 * len(strs))
        ):
            levels = sorted(strs.unique())
            whole = [lv for lv in levels if re.fullmatch(r"-?\d+", lv)]
            if whole and len(whole) < len(levels):  # codes are all numbers or all text
                entry.update(kind="text", role="text")
                notes.append(
                    f"numbers ({', '.join(whole[:5])}) and words "
                    f"({', '.join(repr(x) for x in levels if x not in whole)[:80]}) mixed in one "
                    "column: drafted as text; recode the words to numbers (or the numbers to "
                    "words) in the file to make it a category"
                )
                return entry, notes
            entry.update(kind="category", values={lv: _label(lv) for lv in levels})
            notes.append(
                f"category guessed from {uniq} distinct text values; add labels (zh/en) and check the codes"
            )
            return entry, notes
        entry.update(kind="text", role="text")
        return entry, notes

    # -- numbers -----------------------------------------------------------------------------
    vals = num[filled]
    # one sort per column; everything below works on the distinct values and their counts
    uniq_all, counts_all = np.unique(vals, return_counts=True)
    if seen is not None:
        seen[name] = uniq_all
    whole = _is_whole(uniq_all)
    user_missing: dict[float, str] = {}
    if sav is not None and name in sav.missing_ranges:
        for lo, hi in sav.missing_ranges[name]:
            try:
                lo_f, hi_f = float(lo), float(hi)
            except (TypeError, ValueError):
                continue
            hits = uniq_all[(uniq_all >= lo_f) & (uniq_all <= hi_f)]
            points = set(hits.tolist())
            if lo_f == hi_f:
                points.add(lo_f)
            points |= {v for v in value_labels if lo_f <= v <= hi_f}
            for p in sorted(points):
                user_missing[p] = guess_meaning(value_labels.get(p))
            if lo_f != hi_f and len(points) == 0:
                notes.append(
                    f"the .sav declares the range {lo_f:g} to {hi_f:g} missing but no value in it "
                    "occurs or has a label; nothing was recorded for it"
                )
    if (
        _WAVE_NAME.match(name)
        and whole
        and n_filled == n
        and uniq_all[0] >= 1900
        and uniq_all[-1] <= 2100
    ):
        entry.update(kind="wave", role="wave")
        return entry, notes
    if _WEIGHT_NAME.search(name) and n_filled == n and uniq_all[0] >= 0 and not user_missing:
        entry.update(kind="weight", role="weight")
        return entry, notes
    if (
        whole
        and n_filled == n
        and not value_labels
        and (_ID_NAME.search(name) or (not user_missing and len(uniq_all) > 50))
        and (counts_all.max() == 1 or _unique_in_wave(pd.Series(vals), raw, wave_col))
    ):
        entry.update(kind="id", role="id")
        return entry, notes

    in_um = np.isin(uniq_all, list(user_missing))
    answer_u = uniq_all[~in_um]
    proposed: list[float] = []
    if whole and len(answer_u) and (not value_labels or measure != "nominal"):
        proposed, rest = _sentinels(answer_u)
        # a sentinel must leave a scale behind; otherwise it is just a value
        if proposed and (len(rest) == 0 or _standard_scale(rest.min(), rest.max()) is None):
            proposed = []
    distinct = answer_u[~np.isin(answer_u, proposed)]
    # a value label on a sentinel code that never occurs (an export template's "-99 No answer" on
    # every item) is a missing code too, when the other values make a usual scale
    unused: list[float] = []
    if whole and value_labels and measure != "nominal" and len(distinct):
        unused = sorted(
            k
            for k in value_labels
            if k not in user_missing
            and k not in proposed
            and not np.isin(k, uniq_all)
            and float(k).is_integer()
            and (k in _NEG_SENTINELS or k <= -90 or (k > 10 and int(k) in _HIGH_SENTINELS))
        )
        rest = [
            *distinct.tolist(),
            *(k for k in value_labels if k not in unused and k not in user_missing),
        ]
        if unused and _standard_scale(min(rest), max(rest)) is None:
            unused = []
    missing_codes: list[dict[str, Any]] = []
    for code, meaning in sorted(user_missing.items()):
        mc: dict[str, Any] = {"code": _num(code), "meaning": meaning}
        lab2 = _label(value_labels.get(code))
        if lab2:
            mc["label"] = lab2
        if meaning == "other":
            mc["review"] = "user-missing in the .sav; set its meaning"
        missing_codes.append(mc)
    for code in proposed:
        cnt = int(counts_all[uniq_all == code].sum())
        missing_codes.append(
            {
                "code": _num(code),
                "meaning": _sentinel_meaning(code),
                "review": (
                    f"proposed: {_num(code)} occurs {cnt} time(s) outside the scale; "
                    "confirm it is a missing-value code and its meaning"
                ),
            }
        )
        notes.append(f"proposed missing code {_num(code)} ({_sentinel_meaning(code)}), {cnt} rows")
    for code in unused:
        lab3 = _label(value_labels.get(code))
        mc = {"code": _num(code), "meaning": guess_meaning(value_labels.get(code))}
        if lab3:
            mc["label"] = lab3
        mc["review"] = (
            f"proposed: {_num(code)} has a value label but does not occur; confirm it "
            "is a missing-value code and its meaning"
        )
        missing_codes.append(mc)
        notes.append(f"proposed missing code {_num(code)} (labelled, not in the data)")
    proposed = [*proposed, *unused]

    labelled = {
        k: v for k, v in value_labels.items() if k not in user_missing and k not in proposed
    }
    lo = min([*distinct.tolist(), *labelled]) if (len(distinct) or labelled) else None
    hi = max([*distinct.tolist(), *labelled]) if (len(distinct) or labelled) else None
    all_whole = whole and all(float(k).is_integer() for k in labelled)

    if (
        all_whole
        and lo is not None
        and set(distinct.tolist()) <= {0.0, 1.0}
        and set(labelled) <= {0.0, 1.0}
    ):
        if s.dtype == bool or set(distinct.tolist()) == {0.0, 1.0} or not labelled:
            entry.update(kind="binary")
            if labelled:
                entry["values"] = {int(k): _label(v) for k, v in labelled.items() if _label(v)}
            _finish(entry, missing_codes)
            if len(distinct) < 2:
                notes.append("only one value occurs; binary (0/1) is a guess")
            return entry, notes

    # a scale reaches one of the usual tops (5, 7, 10) or is declared ordinal; whole codes from 1
    # that stop elsewhere (branch 1-8, segment 1-2) are categories; counts from 0 are numeric
    top_ok = hi is not None and (
        hi in (5.0, 7.0, 9.0, 10.0) or measure == "ordinal" or len(vals) < 30
    )
    if measure == "nominal" or (
        measure != "scale"
        and measure != "ordinal"
        and all_whole
        and lo is not None
        and lo >= 1
        and (hi <= 20 or labelled)
        and (not top_ok or (labelled and _standard_scale(lo, hi) is None))
    ):
        if all_whole and lo is not None:
            codes = sorted({*distinct.tolist(), *labelled})
            if len(codes) <= max(max_levels, len(labelled)):
                entry.update(
                    kind="category",
                    values={
                        int(c): (_label(labelled.get(c)) or {"en": str(int(c))}) for c in codes
                    },
                )
                unl = [int(c) for c in codes if c not in labelled]
                if unl:
                    notes.append(f"codes without a value label: {unl}; label them")
                _finish(entry, missing_codes)
                return entry, notes

    if all_whole and lo is not None and len(distinct) <= 11 and top_ok:
        std = _standard_scale(lo, hi)
        if std is not None and measure != "scale":
            kind, smin, smax = std
            # value labels on every point of a contiguous scale (bfi's 1-6 items) give its bounds;
            # the usual scale that covers the values (1-7) would invent a point no one could answer
            lab = sorted(float(k) for k in labelled if float(k).is_integer())
            if (
                len(lab) >= 3
                and lab == [float(x) for x in range(int(lab[0]), int(lab[-1]) + 1)]
                and lab[0] <= lo
                and hi <= lab[-1]
                and lab[0] >= 0
            ):
                smin, smax = int(lab[0]), int(lab[-1])
                if (smin, smax) not in ((0, 10), (1, 10)):
                    kind = "likert" if smax - smin <= 6 else "rating"
            if kind == "rating" and _NPS_NAME.search(name):
                entry.update(kind="nps")
            else:
                entry.update(kind=kind, min=smin, max=smax)
            if labelled:
                entry["values"] = {int(k): _label(v) for k, v in labelled.items() if _label(v)}
            if not value_labels or measure is None:
                notes.append(
                    f"{entry['kind']} scale guessed from values {_num(lo)}-{_num(hi)}; check the bounds"
                )
            _finish(entry, missing_codes)
            return entry, notes

    entry.update(kind="numeric")
    if labelled:
        entry["values"] = None
        notes.append("value labels on a numeric variable were left out")
    entry.pop("values", None)
    if lo is not None:
        notes.append(f"numeric; observed range {_num(lo)} to {_num(hi)} (no bounds set)")
    _finish(entry, missing_codes)
    return entry, notes


_SET_STEM = re.compile(r"^(.*?)(?:[_.\-]?(\d+)|_([A-Za-z]+))$")


def _propose_sets(variables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Binary columns sharing a stem (``q5_1, q5_2 ...`` or ``ch_phone, ch_web ...``), proposed as
    "select all that apply" sets for the consultant to confirm."""
    groups: dict[str, list[str]] = {}
    for v in variables:
        if v.get("kind") != "binary":
            continue
        m = _SET_STEM.match(v["name"])
        if m and m.group(1):
            groups.setdefault(m.group(1).rstrip("_.-"), []).append(v["name"])
    names = {v["name"] for v in variables}
    out = []
    for stem, opts in groups.items():
        if len(opts) < 2 or not stem:
            continue
        name = stem if stem not in names else f"{stem}_set"
        if name in names or any(o["name"] == name for o in out):
            continue
        out.append(
            {
                "name": name,
                "options": opts,
                "review": (
                    f"proposed: {len(opts)} binary columns named {stem}...; confirm they are one "
                    "'select all that apply' question, or delete this set"
                ),
            }
        )
    return out


def _totals_rows(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    """``(position, column, word)`` of each totals row among the last rows of ``frame``: one cell
    holds a totals word (:data:`_TOTAL_WORD`) that is no other row's value in its column, and
    every other filled cell is a number."""
    out = []
    n = len(frame)
    for pos in range(max(0, n - _TOTALS_TAIL), n):
        row = frame.iloc[pos]
        words = [
            (str(c), v.strip())
            for c, v in row.items()
            if isinstance(v, str) and _TOTAL_WORD.match(v.strip())
        ]
        if len(words) != 1:
            continue
        col, word = words[0]
        others = frame[col].drop(index=frame.index[pos]).astype(str).str.strip()
        if others.eq(word).any():  # a category level such as "Overall", not a totals line
            continue
        rest = [v for c, v in row.items() if str(c) != col and not _empty(v)]
        if rest and all(_number_like(v) for v in rest):
            out.append((pos, col, word))
    return out


def _empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
        or value is pd.NA
    )


def _number_like(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    try:
        float(str(value).strip().replace(",", ""))
    except ValueError:
        return False
    return True


def _check_covers(cb: Codebook, seen: dict[str, np.ndarray], file: str) -> None:
    for v in cb.variables:
        if v.kind not in CODED_KINDS or v.name not in seen:
            continue
        codes = {float(m.code) for m in cb.missing_codes_for(v.name)}
        for u in seen[v.name].tolist():
            if u in codes:
                continue
            if v.kind is Kind.numeric and v.scale is None:
                continue
            if v.valid_value(u) is None:
                raise CodebookError(
                    f"{file}: the drafted entry of {v.name!r} does not cover the value {u!r} "
                    "found in the file (please report this)"
                )


#: an item of a battery: a stem and a number (A1 … A5, Q3_1 … Q3_8, sat.01)
_ITEM_NAME = re.compile(r"^(.*?\D)[_.\-]?(\d{1,3})$")
#: items in one battery, at least, for their shared codes to make a scale
MIN_BATTERY = 3


def _batteries(variables: list[dict[str, Any]], notes: list[tuple[str, str]]):
    """Unlabelled whole codes ``1..k`` that stop short of the usual tops (1–6, 1–8 …) are guessed
    categories one column at a time (a branch 1–8 is one); when at least :data:`MIN_BATTERY`
    columns named as items of one battery (``A1`` … ``A5``) share the same codes, they are the
    points of one rating scale (psych's ``bfi``: 25 items on 1–6, five batteries): make them a
    likert (up to 7 points) or rating scale of ``1..k`` and say so in the review note."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for v in variables:
        m = _ITEM_NAME.match(v["name"])
        values = v.get("values") or {}
        if not m or v.get("kind") != "category" or v.get("missing_codes"):
            continue
        codes = sorted(values)
        auto = all(values[c] == {"en": str(c)} for c in codes if isinstance(c, int))
        if (
            auto
            and len(codes) >= 4
            and all(isinstance(c, int) for c in codes)
            and codes[0] in (0, 1)
            and codes == list(range(codes[0], codes[-1] + 1))
            and codes[-1] <= 11
        ):
            groups.setdefault(f"{m.group(1)}|{codes[0]}-{codes[-1]}", []).append(v)
    changed: set[str] = set()
    for key, items in groups.items():
        if len(items) < MIN_BATTERY:
            continue
        lo, hi = (int(x) for x in key.rsplit("|", 1)[1].split("-"))
        kind = "likert" if hi - lo <= 6 else "rating"
        note = (
            f"{kind} scale {lo}-{hi} guessed from a battery of {len(items)} items "
            f"({items[0]['name']} … {items[-1]['name']}) sharing these codes; check the bounds"
        )
        for v in items:
            v.pop("values", None)
            v.update(kind=kind, min=lo, max=hi, review=note)
            changed.add(v["name"])
    if not changed:
        return notes
    kept = [(var, n) for var, n in notes if var not in changed]
    return kept + [(v["name"], v["review"]) for v in variables if v["name"] in changed]


def _finish(entry: dict[str, Any], missing_codes: list[dict[str, Any]]) -> None:
    if missing_codes:
        entry["missing_codes"] = missing_codes


def _unique_in_wave(s: pd.Series, raw: RawTable, wave_col: str | None) -> bool:
    s = s.reset_index(drop=True)
    if s.is_unique:
        return True
    if wave_col is None or wave_col not in raw.frame.columns:
        return False
    key = pd.DataFrame({"v": s, "w": raw.frame[wave_col].reset_index(drop=True)})
    return not key.duplicated().any()


def draft_codebook(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    study: str | None = None,
    max_levels: int = 20,
) -> Draft:
    """Draft a codebook from one data file.

    Parameters
    ----------
    path : str or path-like
        A ``.sav``/``.zsav``, ``.csv``, ``.xlsx`` or ``.parquet`` file (never modified).
    encoding : str, optional
        Force the text encoding (CSV, ``.sav``); detected otherwise.
    sheet : str or int, optional
        The worksheet of an ``.xlsx``.
    study : str, optional
        The ``study`` id written in the draft (default: the file's stem).
    max_levels : int, default 20
        Most distinct values a column may have to be guessed a category.

    Returns
    -------
    Draft
        The validated codebook, the review notes, and the file's format and encoding.

    Raises
    ------
    DataValidationError
        The file is empty, has no data rows, or cannot be read or decoded.
    CXValueError
        A parameter is wrong.

    Examples
    --------
    A real survey (statsmodels' ``fair``, 400 of its respondents) exported as CSV:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import statsmodels.api as sm
    >>> import cxresearch as cx
    >>> folder = Path(tempfile.mkdtemp())
    >>> fair = sm.datasets.fair.load_pandas().data.head(400)
    >>> fair.to_csv(folder / "fair.csv", index_label="resp_id")
    >>> draft = cx.io.draft_codebook(folder / "fair.csv")
    >>> [(v.name, v.kind.value) for v in draft.codebook.variables][:6]
    [('resp_id', 'id'), ('rate_marriage', 'likert'), ('age', 'numeric'), \
('yrs_married', 'numeric'), ('children', 'numeric'), ('religious', 'category')]
    >>> draft.codebook.get("rate_marriage").scale
    (1, 5)
    >>> draft.notes[0]
    ('rate_marriage', 'likert scale guessed from values 1-5; check the bounds')
    """
    if isinstance(max_levels, bool) or not isinstance(max_levels, int) or max_levels < 2:
        raise CXValueError(f"max_levels must be a whole number >= 2; got {max_levels!r}")
    p = Path(path)
    # CSV numbers parsed by pandas' C reader (text_columns empty): the guesses only need values
    with warnings.catch_warnings(record=True) as caught:  # what the reader says goes in the notes
        warnings.simplefilter("always")
        raw = read_raw(p, encoding=encoding, sheet=sheet, text_columns=frozenset())
    said = [str(w.message).removeprefix(f"{p.name}: ") for w in caught]
    if len(raw.frame) == 0:
        raise DataValidationError(
            [Problem(p.name, None, None, "no data rows", "at least one data row below the header")],
            header=f"{p.name}: a codebook cannot be drafted from a file without data",
        )
    notes: list[tuple[str, str]] = [(p.name, x) for x in said]
    totals = _totals_rows(raw.frame)
    if totals and len(totals) < len(raw.frame):
        keep = np.ones(len(raw.frame), dtype=bool)
        for pos, col, word in totals:
            keep[pos] = False
            notes.append(
                (
                    p.name,
                    f"row {int(raw.rows[pos])} looks like a totals row ({col} = {word!r}, numbers "
                    "elsewhere), not an answer: left out of the draft; delete it from the file "
                    "(import refuses it)",
                )
            )
        raw = dataclasses.replace(
            raw, frame=raw.frame.loc[keep].reset_index(drop=True), rows=raw.rows[keep]
        )
    wave_col = next((c for c in raw.frame.columns if _WAVE_NAME.match(str(c))), None)
    variables: list[dict[str, Any]] = []
    seen: dict[str, np.ndarray] = {}
    stray: dict[str, np.ndarray] = {}
    for col in raw.frame.columns:
        entry, vnotes = _guess_variable(
            str(col),
            raw.frame[col],
            raw,
            wave_col,
            max_levels=max_levels,
            seen=seen,
            stray=stray,
        )
        if vnotes:
            entry["review"] = "; ".join(vnotes)
            notes += [(str(col), x) for x in vnotes]
        variables.append(entry)
    notes = _batteries(variables, notes)
    # the respondent key is the first id: put the most id-like one first among ids
    ids = [v for v in variables if v.get("kind") == "id"]
    if len(ids) > 1:
        first = next((v for v in ids if re.search(r"respond|resp|受访", v["name"], re.I)), ids[0])
        if first is not ids[0]:
            i, j = variables.index(ids[0]), variables.index(first)
            variables[i], variables[j] = variables[j], variables[i]
    data: dict[str, Any] = {"study": study or p.stem, "version": "1", "variables": variables}
    sets = _propose_sets(variables)
    if sets:
        data["multi_response"] = sets
        notes += [(m["name"], m["review"]) for m in sets]
    try:
        cb = Codebook.model_validate(data)
    except Exception as exc:  # a guess the model refuses is a bug in the guesser: say which
        raise CodebookError(f"{p.name}: the drafted codebook does not validate: {exc}") from exc
    # the draft must accept the file it came from: every distinct value is a valid answer or a
    # missing code; small files are also read through the full validation
    _check_covers(cb, seen, p.name)
    if raw.frame.shape[0] * raw.frame.shape[1] <= FULL_CHECK_CELLS:
        if stray:  # the text cells the notes tell the user to recode: import refuses them
            frame = raw.frame.copy()
            for col, mask in stray.items():
                frame[col] = frame[col].astype(object).where(~mask, None)
            raw = dataclasses.replace(raw, frame=frame)
        build_frame(raw, cb)
    return Draft(
        codebook=cb,
        notes=tuple(notes),
        file=str(path),
        format=raw.format,
        encoding=raw.encoding,
    )


def write_draft(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    **options: Any,
) -> Draft:
    """Draft a codebook from ``path`` and write it as YAML to ``out`` (atomically).

    Parameters
    ----------
    path : str or path-like
        The data file.
    out : str or path-like
        The YAML file to write (temporary file and rename, so no half-written codebook is left).
    overwrite : bool, default False
        Replace ``out`` if it exists.
    **options
        Passed to :func:`draft_codebook` (``encoding``, ``sheet``, ``study``, ``max_levels``).

    Returns
    -------
    Draft

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import statsmodels.api as sm
    >>> import cxresearch as cx
    >>> folder = Path(tempfile.mkdtemp())
    >>> sm.datasets.fair.load_pandas().data.head(400).to_csv(folder / "fair.csv", index=False)
    >>> draft = cx.io.write_draft(folder / "fair.csv", folder / "codebook.yaml")
    >>> print((folder / "codebook.yaml").read_text(encoding="utf-8").splitlines()[3])
    # 9 entries to review:
    >>> len(cx.codebook.load(folder / "codebook.yaml").variables)
    9
    """
    dest = Path(out)
    if dest.exists() and not overwrite:
        raise CXValueError(f"{dest}: already exists; pass overwrite=True (--force) to replace it")
    if dest.resolve() == Path(path).resolve():
        raise CXValueError(f"--out {dest} is the data file itself")
    draft = draft_codebook(path, **options)
    write_text_atomic(dest, draft.to_yaml())
    return draft

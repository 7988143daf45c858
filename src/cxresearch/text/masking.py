"""Masking personal data in quotes: e-mail addresses, phone and identity card numbers, names.

:func:`mask_pii` replaces what the patterns find with the codeframe's replacement texts; the name
patterns are built from the codeframe's surnames and titles (in simplified and traditional forms)
once per codeframe.

Why hand-written: the forms are Chinese (mobile and landline numbers, resident identity cards,
"王经理", "小李") as well as English; general PII tools target English text and would need a model.
"""

from __future__ import annotations

import re

from .codeframe import Codeframe, _resolve_codeframe

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

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

# Identity numbers, before phones (which would otherwise take part of their digits):
_IDS = (
    # mainland resident identity card: 17 digits and a check digit or X, optionally spaced 6 8 4
    re.compile(
        r"(?<![\dA-Za-z])[1-9]\d{5}\s?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\s?\d{3}[\dXx](?![\dA-Za-z])"
    ),
    # mainland first-generation card: 15 digits (6 region, yymmdd, 3)
    re.compile(
        r"(?<![\dA-Za-z])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![\dA-Za-z])"
    ),
    # Hong Kong identity card: one or two letters, six digits, check digit in parentheses
    re.compile(r"(?<![A-Za-z\d])[A-Z]{1,2}\d{6}\s?[(（][\dA][)）]"),
    # Taiwan national identification number: a letter, 1 or 2, eight digits
    re.compile(r"(?<![A-Za-z\d])[A-Z][12]\d{8}(?![\dA-Za-z])"),
    # US social security number
    re.compile(r"(?<![\d\-])\d{3}-\d{2}-\d{4}(?![\d\-])"),
    # UK National Insurance number (spaced or not)
    re.compile(r"(?<![A-Za-z\d])[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![A-Za-z\d])"),
)
_ID_CARD = _IDS[0]  # kept for callers of the earlier name
# e-mail: ASCII local part, '@' or the full-width '＠', domain labels in any script
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s?[@＠]\s?[\w\-]+(?:\.[\w\-]+)*\.(?:[A-Za-z]{2,}|[\u4e00-\u9fff]{1,4})"
)
_SEP = r"[\s\-.]"
_PHONES = (
    # international: +CC or 00CC (optionally in parentheses), then 2-6 groups spaced or dashed (not
    # dotted: "+11.53 0.034" is a table row); 8+ digits in all
    re.compile(
        r"(?<![\w+])(?=(?:[^\d\n]{0,3}\d){8})"  # 8+ digits ahead: not a signed number (+11.53)
        r"(?:\(?\+\d{1,3}\)?|\b00\d{1,3})[\s\-]?(?:\(?\d{1,5}\)?[\s\-]?){1,5}\d{2,}(?![\d.,])"
    ),
    # Chinese mobile: 1[3-9]x xxxx xxxx, groups spaced, dashed or dotted
    re.compile(rf"(?<![\d])1[3-9]\d{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?![\d])"),
    # area code in parentheses: (415) 555-0199, (010)12345678, (02) 2345-6789, (020) 7946 0958
    re.compile(rf"(?<![\w])\(\d{{2,5}}\)\s?\d{{3,4}}{_SEP}?\d{{3,4}}(?![\d])"),
    # trunk prefix 0 and an area or mobile code: 010-12345678, 0755-8765432转123, 02-2345-6789,
    # 020 7946 0958, 0161 496 0000, 0912-345-678, 07700 900123
    re.compile(
        rf"(?<![\d.,])(?=(?:[^\d\n]{{0,3}}\d){{8}})0\d{{1,4}}{_SEP}\d{{3,8}}(?:{_SEP}\d{{3,4}})?(?:\s?(?:ext|转|x)\.?\s?\d{{1,5}})?(?![\d])"
    ),
    # three groups of 3-4 digits (US 415-555-0199 / 415.555.0199, 400 820 8820), optional 1- prefix
    re.compile(rf"(?<![\d.,])(?:1{_SEP})?\d{{3,4}}{_SEP}\d{{3,4}}{_SEP}\d{{3,4}}(?![\d])"),
    # eight-digit local numbers written 4+4 (Hong Kong, Taiwan, mainland), not two years
    re.compile(r"(?<![\d\-.])(?!19\d\d|20\d\d)[2-9]\d{3}[\s\-]\d{4}(?![\d\-.])"),
    # a bare run of 10 or 11 digits (a phone written without separators), not inside a Latin
    # alphanumeric token such as a file hash (31830632130d) or a reference number (INV3183063213)
    re.compile(r"(?<![\d.,A-Za-z])\d{10,11}(?![\d.,A-Za-z])"),
)


# One-character titles that begin common words: 于总 in 低于总体 ("below the total") or 张工 in
# 主张工作 is not a name form. The title does not count when one of these characters follows it.
_WORD_AFTER = {
    "总": "体计数结分共额和量值部监裁是算归之得价",
    "工": "作程人厂资具艺期单业位序种龄会商号件地时",
}


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
            tit = "|".join(
                both(t) + (f"(?![{_WORD_AFTER[t]}])" if t in _WORD_AFTER else "")
                for t in sorted(cf.titles_zh, key=len, reverse=True)
            )
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
        The comment with each e-mail address (``@`` or full-width ``＠``, domains in any script)
        replaced by ``replacement.email``; each identity number (mainland identity cards of 18 and
        15 characters, Hong Kong ``A123456(7)``, Taiwan ``A123456789``, US social security
        ``123-45-6789``, UK National Insurance ``QQ 12 34 56 C``) by ``replacement.id``; each phone
        number by ``replacement.phone`` — international (``+44 20 7946 0958``, ``0086 …``,
        ``(+86)…``), Chinese mobile (spaced, dashed or dotted), an area code in parentheses
        (``(415) 555-0199``, ``(02) 2345-6789``), a trunk ``0`` prefix (``010-12345678``,
        ``020 7946 0958``, ``0912-345-678``, ``07700 900123``), three groups of 3–4 digits
        (``415.555.0199``, ``400 820 8820``), eight digits written 4+4 (``9123 4567``; not two
        years) and bare runs of 10–11 digits; and each listed name form by ``replacement.name``.
        The forms are tested on a corpus of zh/en examples (``tests/test_text_masking.py``).

    Notes
    -----
    Masking is pattern based: it removes the listed forms, not every possible name. Quotes should
    still be read before they leave the building.

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.text.mask_pii("王经理说会回电，请打13963657645或发邮件到li.ming@example.com")
    '[name]说会回电，请打[phone]或发邮件到[email]'
    >>> cx.text.mask_pii("小李很负责，座机010-12345678")
    '[name]很负责，座机[phone]'
    >>> cx.text.mask_pii("Ask Mr. Smith to call me on +44 20 7946 0958")
    'Ask [name] to call me on [phone]'
    >>> cx.text.mask_pii("Nothing personal here")
    'Nothing personal here'
    """
    if not isinstance(text, str):
        return text
    cf = _resolve_codeframe(codeframe)
    rep = cf.replacement
    out = _EMAIL.sub(rep["email"], text)
    for p in _IDS:
        out = p.sub(rep["id"], out)
    for p in _PHONES:
        out = p.sub(rep["phone"], out)
    if not cf._names:
        cf._names.append(_name_patterns(cf))
    pats = cf._names[0]
    for p in pats:
        out = p.sub(rep["name"], out)
    return out

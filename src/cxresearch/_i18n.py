"""The report's words and sentences in each language, read from the package's gettext catalog.

Every piece of language the report shows — a column header (``"n_eff"`` -> ``"Effective n"`` /
``"有效样本量"``), a quadrant of the importance–performance map, an alert rule stated in words, the
caveat of an employee analysis — is one entry of the message catalog
``cxresearch/locale/<lang>/LC_MESSAGES/cxresearch.po`` (``zh`` and ``en``), compiled beside it to
``cxresearch.mo`` and read here with the standard library's :func:`gettext.translation`. Code names
a message by its *key*; the words live only in the catalog, so the computation modules hold codes and
numbers, never prose, and a translator edits one file per language.

Keys are the msgids. Why keys, not the English text: the keys are identifiers the code already uses
(a result column such as ``n_eff`` is looked up as its header word; a quadrant code such as
``keep_up`` as its label), English is a translation like Chinese (its ``.po`` can be copy-edited
without invalidating the Chinese one, as an English msgid would), and short English words such as
``"n"`` or ``"no"`` would be ambiguous msgids. The Chinese catalog carries the English text of every
entry as a translator comment (``#. en: ...``), so the zh file reads on its own.

Sentences with numbers or names are brace templates (``"Only {k} units: ..."``) filled by
:func:`message` with :meth:`str.format` (every entry is formatted, so a literal brace is written
``{{``); the numbers are formatted by the caller. Some fields come in two forms, and a translation
uses whichever its language needs: ``x_lower`` is the label ``x`` in lower case (a label inside an
English sentence), ``month_name`` the name of the month whose number is ``month``.

The ``.mo`` files are committed beside the ``.po`` (an editable install has no build step that
could compile them); ``tests/test_i18n.py`` compiles every ``.po`` with Babel and checks that the
committed ``.mo`` is identical. After editing a ``.po``::

    pybabel compile -d src/cxresearch/locale -D cxresearch

Why hand-written: the stdlib's gettext reads the catalog; this module adds only the package's
conventions (two languages, keys as msgids, an error for an unknown key instead of gettext's silent
fall-back to the key).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from cxresearch.errors import CXValueError

__all__ = [
    "LANGS",
    "DOMAIN",
    "LOCALEDIR",
    "check_lang",
    "message",
    "both",
    "known",
    "sentences",
    "Labels",
]

#: Languages of the report.
LANGS = ("zh", "en")
#: gettext domain (the catalog's file name).
DOMAIN = "cxresearch"
#: Folder of the compiled catalogs (``<lang>/LC_MESSAGES/cxresearch.mo``).
LOCALEDIR = Path(__file__).resolve().parent / "locale"

# How sentences follow one another: English separates them by a space, Chinese writes them on.
_SENTENCE_SEP = {"zh": "", "en": " "}


class _UnknownKey(gettext.NullTranslations):
    """Fallback of a catalog: a key it lacks is an error, not the key echoed back as text."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def gettext(self, message: str) -> str:
        raise KeyError(message)


def check_lang(lang: str) -> None:
    """Raise :class:`CXValueError` unless ``lang`` is one of :data:`LANGS`."""
    if lang not in LANGS:
        raise CXValueError(f"lang must be one of 'zh', 'en'; got {lang!r}")


@cache
def _catalog(lang: str) -> gettext.GNUTranslations:
    try:
        t = gettext.translation(DOMAIN, localedir=str(LOCALEDIR), languages=[lang])
    except OSError as exc:  # FileNotFoundError: the package was installed without its catalogs
        raise CXValueError(
            f"the {lang!r} message catalog is missing: expected "
            f"{LOCALEDIR / lang / 'LC_MESSAGES' / (DOMAIN + '.mo')}"
        ) from exc
    t.add_fallback(_UnknownKey(lang))
    return t


def known(key: str) -> bool:
    """Whether ``key`` is an entry of the catalog (of every language)."""
    if not isinstance(key, str) or not key:
        return False
    try:
        for lang in LANGS:
            _catalog(lang).gettext(key)
    except KeyError:
        return False
    return True


def message(key: str, lang: str, /, **params: object) -> str:
    """The catalog entry ``key`` in ``lang``, its ``{name}`` fields filled from ``params``.

    Raises
    ------
    CXValueError
        Unknown language or key, or a template field without a value.
    """
    check_lang(lang)
    if not isinstance(key, str) or not key:
        raise CXValueError(f"a message key must be a non-empty string; got {key!r}")
    try:
        text = _catalog(lang).gettext(key)
    except KeyError:
        raise CXValueError(
            f"unknown report word {key!r}: not in the message catalog "
            f"{LOCALEDIR / lang / 'LC_MESSAGES' / (DOMAIN + '.po')}"
        ) from None
    try:
        return text.format(**params)
    except (KeyError, IndexError) as exc:
        raise CXValueError(
            f"message {key!r} ({lang}) needs the field {exc}; given {sorted(params)}"
        ) from None


def both(key: str, /, **params: object) -> dict[str, str]:
    """``{"zh": ..., "en": ...}``: the entry ``key`` in each language (see :func:`message`)."""
    return {lang: message(key, lang, **params) for lang in LANGS}


def sentences(parts, lang: str) -> str:
    """Sentences (already in ``lang``) run together as the language writes them; empty ones dropped."""
    check_lang(lang)
    return _SENTENCE_SEP[lang].join(p for p in parts if p)


class Labels(Mapping):
    """Read-only ``code -> {"zh": ..., "en": ...}`` for a family of catalog entries
    (``prefix + code``), e.g. the quadrants of the importance–performance map."""

    def __init__(self, prefix: str, codes) -> None:
        self._prefix = prefix
        self._codes = tuple(codes)

    def __getitem__(self, code: str) -> dict[str, str]:
        if code not in self._codes:
            raise KeyError(code)
        return both(self._prefix + code)

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

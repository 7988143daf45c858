"""House chart style: seaborn theme plus a CJK-capable sans-serif font.

``sns.set_theme()`` resets matplotlib's font settings, so :func:`apply` sets the theme *first* and the
font family afterwards. If matplotlib's font cache predates the installation of the Noto CJK fonts
(the font is on the system but matplotlib does not list it), the cache is rebuilt once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cxresearch.errors import CXError, CXValueError

__all__ = ["CJK_FONT", "PALETTE", "apply", "font_available"]

#: The font family used for every chart (Debian package ``fonts-noto-cjk``).
CJK_FONT = "Noto Sans CJK SC"

#: Default categorical palette (colour-blind safe, prints well in greyscale).
PALETTE = ("#1f4e79", "#e07b39", "#5b9e5b", "#b5443c", "#7f6aa8", "#8c6d46", "#c45c9c", "#7f7f7f")

_CONTEXTS = ("paper", "notebook", "talk", "poster")


def font_available(family: str = CJK_FONT) -> bool:
    """Return whether matplotlib's font manager knows ``family``.

    Parameters
    ----------
    family : str
        Font family name as fontconfig reports it, e.g. ``"Noto Sans CJK SC"``.

    Returns
    -------
    bool
    """
    from matplotlib import font_manager

    return any(f.name == family for f in font_manager.fontManager.ttflist)


def _system_font_files(family: str) -> list[str]:
    """Font files on the system whose file name matches ``family`` (spaces removed)."""
    from matplotlib import font_manager

    stem = family.replace(" ", "").lower()
    # "Noto Sans CJK SC" ships inside NotoSansCJK-*.ttc; match on the family stem without the region.
    prefix = stem[:-2] if stem.endswith(("sc", "tc", "jp", "kr", "hk")) else stem
    return [
        path
        for path in font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(fontext="otf")
        if os.path.basename(path).replace("-", "").replace("_", "").lower().startswith(prefix)
    ]


def _refresh_font_cache(family: str) -> bool:
    """Make matplotlib see ``family`` if it is installed; return whether it is now available."""
    from matplotlib import font_manager

    if font_available(family):
        return True
    files = _system_font_files(family)
    if not files:
        return False
    # The cache predates the font install: rebuild it (matplotlib's own loader, cache not read).
    loader = getattr(font_manager, "_load_fontmanager", None)
    if loader is not None:
        font_manager.fontManager = loader(try_read_cache=False)
    if not font_available(family):
        for path in files:
            font_manager.fontManager.addfont(path)
    return font_available(family)


def apply(
    *,
    context: str = "notebook",
    palette: Sequence[str] | None = None,
    font: str = CJK_FONT,
    font_scale: float = 1.0,
) -> None:
    """Set the house chart style for every following figure.

    Parameters
    ----------
    context : {'paper', 'notebook', 'talk', 'poster'}, default 'notebook'
        seaborn plotting context.
    palette : sequence of str, optional
        Colours (any matplotlib colour spec) for categorical series; default :data:`PALETTE`.
        Reports pass the branding colours here.
    font : str, default :data:`CJK_FONT`
        Sans-serif family placed first; it must cover Chinese for zh reports.
    font_scale : float, default 1.0
        Passed to :func:`seaborn.set_theme`.

    Raises
    ------
    CXValueError
        If ``context`` is not one of the allowed values or ``palette`` is empty.
    CXError
        If ``font`` is not installed (the message names the Debian package to install).

    Notes
    -----
    Order matters: ``sns.set_theme`` resets ``font.sans-serif``, so the font is set afterwards.
    ``axes.unicode_minus`` is switched off so negative tick labels use an ASCII hyphen, which every
    font has.
    """
    import matplotlib as mpl
    import seaborn as sns

    if context not in _CONTEXTS:
        raise CXValueError(f"context must be one of {', '.join(map(repr, _CONTEXTS))}; got {context!r}")
    colours = list(PALETTE if palette is None else palette)
    if not colours:
        raise CXValueError("palette must hold at least one colour; got an empty sequence")
    if not _refresh_font_cache(font):
        hint = " (Debian: apt-get install fonts-noto-cjk)" if "CJK" in font else ""
        raise CXError(f"font {font!r} is not installed, so Chinese chart labels cannot render{hint}")

    sns.set_theme(context=context, style="whitegrid", palette=colours, font_scale=font_scale)
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["figure.dpi"] = 110
    mpl.rcParams["savefig.dpi"] = 150
    mpl.rcParams["savefig.bbox"] = "tight"
    mpl.rcParams["pdf.fonttype"] = 42
    mpl.rcParams["svg.fonttype"] = "none"
    mpl.rcParams["axes.titleweight"] = "bold"

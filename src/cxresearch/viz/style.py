"""House chart style: seaborn theme plus a CJK-capable sans-serif font.

``sns.set_theme()`` resets matplotlib's font settings, so :func:`apply` sets the theme *first* and the
font family afterwards. If matplotlib's font cache predates the installation of the Noto CJK fonts
(the font is on the system but matplotlib does not list it), the cache is rebuilt once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cxresearch.errors import CXError, CXValueError

__all__ = [
    "CHART_MIME",
    "CJK_FONT",
    "PALETTE",
    "apply",
    "attach_data",
    "chart_data",
    "font_available",
]

#: MIME type under which a figure shown in a notebook carries the data it draws (a table payload:
#: ``name``, ``title``, ``columns``, ``formats``, ``rows``, ``base``, ``notes``). The report
#: runner writes it to ``tables.xlsx`` and titles the figure with it.
CHART_MIME = "application/vnd.cxresearch.chart+json"

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

    Examples
    --------
    >>> import cxresearch as cx
    >>> cx.viz.style.font_available("DejaVu Sans")  # ships with matplotlib
    True
    >>> cx.viz.style.font_available("No Such Sans")
    False
    >>> cx.viz.style.font_available()  # Noto Sans CJK SC, for Chinese labels (fonts-noto-cjk)
    True
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
        for path in font_manager.findSystemFonts(fontext="ttf")
        + font_manager.findSystemFonts(fontext="otf")
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


def attach_data(
    fig,
    frame,
    *,
    name: str,
    title: str,
    columns: Sequence[str],
    labels: Sequence[str],
    formats: Sequence[str],
    base: str | None = None,
    notes: Sequence[str] = (),
) -> None:
    """Keep the data a chart draws on its figure (shown under :data:`CHART_MIME` in a notebook).

    Parameters
    ----------
    fig : matplotlib Figure
    frame : DataFrame
        The values drawn (raw, not formatted).
    name : str
        Sheet name in ``tables.xlsx``.
    title : str
        What the chart shows, in the report language (the figure caption and the sheet title).
    columns, labels, formats : sequence of str
        Columns of ``frame`` to keep, their headers and their formats (``cxresearch.tables.FORMATS``).
    base : str, optional
        The chart's base line.
    notes : sequence of str

    Examples
    --------
    A chart drawn by hand keeps the numbers it shows, for the report's ``tables.xlsx``:

    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> nps = pd.DataFrame({"branch": ["Beijing", "Wuhan"], "estimate": [-18.4, -31.2],
    ...                     "n": [412, 96]})
    >>> fig, ax = plt.subplots()
    >>> bars = ax.barh(nps["branch"], nps["estimate"])
    >>> cx.viz.style.attach_data(fig, nps, name="nps_branch", title="NPS by branch",
    ...                          columns=["branch", "estimate", "n"], labels=["Branch", "NPS", "n"],
    ...                          formats=["text", "num1", "int"],
    ...                          base=cx.tables.fmt_base(nps["n"].sum(), "en"))
    >>> data = cx.viz.style.chart_data(fig)
    >>> data["title"], data["columns"], data["formats"]
    ('NPS by branch', ['Branch', 'NPS', 'n'], ['text', 'num1', 'int'])
    >>> data["rows"], data["base"]
    ([['Beijing', -18.4, 412], ['Wuhan', -31.2, 96]], 'Base: n = 508')
    >>> plt.close(fig)
    """
    import math

    def plain(v):
        if v is None:
            return None
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v if isinstance(v, (int, float, str, bool)) else str(v)

    rows = [
        [plain(v) for v in row] for row in frame[list(columns)].itertuples(index=False, name=None)
    ]
    fig._cx_data = {
        "name": name,
        "title": title,
        "columns": [str(x) for x in labels],
        "formats": list(formats),
        "rows": rows,
        "base": base,
        "notes": list(notes),
    }


def chart_data(fig) -> dict | None:
    """The data attached to ``fig`` by :func:`attach_data` (None when there is none).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")  # no window: draw off screen
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> fig, ax = plt.subplots()
    >>> print(cx.viz.style.chart_data(fig))  # a figure drawn without attach_data
    None
    >>> plt.close(fig)

    Every chart of :mod:`cxresearch.viz.charts` attaches its numbers:

    >>> shares = pd.DataFrame({"wave": [2024, 2024, 2025, 2025], "stage": ["repeat", "loyal"] * 2,
    ...                        "share": [0.62, 0.38, 0.55, 0.45]})
    >>> ax = cx.viz.charts.stacked_shares(shares, x="wave", stack="stage", value="share", lang="en",
    ...                                   order=["repeat", "loyal"], caption="Repeat and loyal")
    >>> data = cx.viz.style.chart_data(ax.figure)
    >>> data["name"], data["title"], data["columns"]
    ('shares', 'Repeat and loyal', ['Wave', 'repeat', 'loyal'])
    >>> data["rows"]
    [[2024, 0.62, 0.38], [2025, 0.55, 0.45]]
    >>> plt.close(ax.figure)
    """
    return getattr(fig, "_cx_data", None)


def _inline_setup(figure_format: str) -> None:
    """In an IPython kernel: figures shown as ``figure_format`` (SVG: vector, sharp in print and
    on zoom), and each figure's attached data shown alongside under :data:`CHART_MIME`."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing is displayed
        return
    ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    set_matplotlib_formats(figure_format, **({"dpi": 220} if figure_format == "png" else {}))
    formatters = ip.display_formatter.formatters
    if CHART_MIME not in formatters:
        from IPython.core.formatters import JSONFormatter
        from traitlets import ObjectName, Unicode

        class _ChartFormatter(JSONFormatter):
            format_type = Unicode(CHART_MIME)
            print_method = ObjectName("_repr_cx_chart_")

        formatters[CHART_MIME] = _ChartFormatter(parent=ip.display_formatter)
    from matplotlib.figure import Figure

    # set_matplotlib_formats removes Figure from every formatter, ours included: register again
    formatters[CHART_MIME].for_type(Figure, chart_data)


def apply(
    *,
    context: str = "notebook",
    palette: Sequence[str] | None = None,
    font: str = CJK_FONT,
    font_scale: float = 1.0,
    figure_format: str = "svg",
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
    figure_format : {'svg', 'png', 'retina'}, default 'svg'
        How figures show in a notebook (and so in the report): SVG is vector, sharp at any zoom
        and in print; its text is drawn as glyph outlines (``svg.fonttype = 'path'``), so Chinese
        labels look the same on a computer without the CJK font. PNG is written at 220 dpi.

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

    Examples
    --------
    The house style for the charts that follow (here inside ``rc_context``, which puts
    matplotlib's settings back afterwards):

    >>> import matplotlib as mpl
    >>> import cxresearch as cx
    >>> with mpl.rc_context():
    ...     cx.viz.style.apply(context="paper", palette=["#1f4e79", "#e07b39"])
    ...     print(mpl.rcParams["font.sans-serif"][:2], mpl.rcParams["axes.unicode_minus"])
    ...     colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    ...     print([mpl.colors.to_hex(c) for c in colours], mpl.rcParams["svg.fonttype"])
    ['Noto Sans CJK SC', 'DejaVu Sans'] False
    ['#1f4e79', '#e07b39'] path
    >>> cx.viz.style.apply(context="slides")
    Traceback (most recent call last):
        ...
    cxresearch.errors.CXValueError: context must be one of 'paper', ..., 'poster'; got 'slides'
    >>> cx.viz.style.apply(font="No Such Sans CJK")
    Traceback (most recent call last):
        ...
    cxresearch.errors.CXError: font 'No Such Sans CJK' is not installed, ... fonts-noto-cjk)
    """
    import matplotlib as mpl
    import seaborn as sns

    if context not in _CONTEXTS:
        raise CXValueError(
            f"context must be one of {', '.join(map(repr, _CONTEXTS))}; got {context!r}"
        )
    colours = list(PALETTE if palette is None else palette)
    if not colours:
        raise CXValueError("palette must hold at least one colour; got an empty sequence")
    if figure_format not in ("svg", "png", "retina"):
        raise CXValueError(
            f"figure_format must be one of 'svg', 'png', 'retina'; got {figure_format!r}"
        )
    if not _refresh_font_cache(font):
        hint = " (Debian: apt-get install fonts-noto-cjk)" if "CJK" in font else ""
        raise CXError(
            f"font {font!r} is not installed, so Chinese chart labels cannot render{hint}"
        )

    sns.set_theme(context=context, style="whitegrid", palette=colours, font_scale=font_scale)
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["figure.dpi"] = 110
    mpl.rcParams["savefig.dpi"] = (
        220  # a raster copy stays sharp in print (>= 200 ppi at full width)
    )
    mpl.rcParams["savefig.bbox"] = "tight"
    mpl.rcParams["pdf.fonttype"] = 42
    mpl.rcParams["svg.fonttype"] = "path"  # glyphs embedded as outlines: CJK renders anywhere
    mpl.rcParams["svg.hashsalt"] = "cxresearch"  # stable element ids: the same chart, the same SVG
    mpl.rcParams["axes.titleweight"] = "bold"
    _inline_setup(figure_format)

"""The brand logo (``params.branding.logo``): read and checked once, then drawn in the deck and the report.

PNG and JPEG logos are used as they are. An SVG logo:

* in the HTML/PDF report, is embedded as it is (a ``data:image/svg+xml`` URI in an ``<img>``, where an
  SVG runs no script and loads nothing; Chromium prints it as vectors);
* in the deck, python-pptx cannot place an SVG picture, so :func:`svg_to_png` rasterises it to a
  transparent PNG at :data:`LOGO_PPI` (300 ppi) for the largest size the deck shows it at, drawn by the
  system Chromium (the browser the PDF report is printed with, :mod:`cxresearch.report.webpdf`, so
  no further dependency such as cairosvg, and the same SVG engine as the report's). The deck attaches
  the SVG too, the way PowerPoint 2016+ writes a vector picture: the picture's blip is the PNG, and
  its ``asvg:svgBlip`` extension names the SVG part. PowerPoint shows the vector; any reader that does
  not know the extension (older PowerPoint, LibreOffice, Keynote, viewers) shows the PNG.

:func:`read_logo` is called when the params are loaded (a bad logo is refused before anything runs)
and again by the deck; its errors name the params key and the file.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cxresearch.errors import CXError, CXValueError

__all__ = ["LOGO_PPI", "Logo", "LogoError", "read_logo", "svg_to_png"]

#: Resolution of a rasterised SVG logo at the largest size a deck shows it (pixels per inch).
LOGO_PPI = 300
SVG_NS = "http://www.w3.org/2000/svg"
# CSS absolute units in CSS px (96 per inch); an SVG length without a unit is in px
_UNITS = {
    "": 1.0,
    "px": 1.0,
    "pt": 96 / 72,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
    "q": 96 / 101.6,
}
_LENGTH = re.compile(r"^\s*([+]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)\s*$")


class LogoError(CXValueError):
    """The logo file cannot be used; ``reason`` says why (the message also names the key and the file)."""

    def __init__(self, key: str, path: Path, reason: str):
        self.key, self.path, self.reason = key, path, reason
        super().__init__(f"{key}: {reason}: {path}")


@dataclass(frozen=True)
class Logo:
    """A checked logo: its bytes, kind (``png``, ``jpeg`` or ``svg``) and intrinsic size (CSS px)."""

    path: Path
    kind: str
    data: bytes
    width: float
    height: float

    @property
    def aspect(self) -> float:
        """Width over height."""
        return self.width / self.height


def _length(value: str | None) -> float | None:
    """An absolute SVG length in CSS px (None for a missing, relative or malformed one)."""
    if value is None:
        return None
    m = _LENGTH.match(value)
    if not m or m.group(2).lower() not in _UNITS:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def _svg_root(data: bytes):
    """The parsed ``<svg>`` root (no DTD loaded, no entity expanded, nothing fetched)."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)


def _svg_size(root) -> tuple[float, float] | None:
    """Intrinsic (width, height) in CSS px: absolute width and height, else the viewBox's."""
    w, h = _length(root.get("width")), _length(root.get("height"))
    box = None
    if root.get("viewBox"):
        try:
            box = [float(x) for x in re.split(r"[\s,]+", root.get("viewBox").strip())]
        except ValueError:
            box = None
        if box is not None and (len(box) != 4 or box[2] <= 0 or box[3] <= 0):
            box = None
    if w and h and w > 0 and h > 0:
        return w, h
    if box is not None:
        bw, bh = box[2], box[3]
        if w and w > 0:  # one absolute side: the other from the viewBox's proportions
            return w, w * bh / bw
        if h and h > 0:
            return h * bw / bh, h
        return bw, bh
    return None


def read_logo(path: str | Path, *, key: str = "branding.logo") -> Logo:
    """Read and check a logo file.

    Parameters
    ----------
    path : str or Path
        A ``.png``, ``.jpg``/``.jpeg`` or ``.svg`` file.
    key : str, default 'branding.logo'
        The params key named in errors.

    Returns
    -------
    Logo

    Raises
    ------
    LogoError
        The file is missing or unreadable, is not the image its name says, or is an SVG whose
        proportions are unknown (neither a ``viewBox`` nor an absolute width and height).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg", ".svg"):
        raise LogoError(
            key,
            path,
            f"a logo must be a .png, .jpg or .svg file, not {suffix or 'a file without extension'}",
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LogoError(key, path, "file not found") from None
    except OSError as exc:
        raise LogoError(
            key, path, f"cannot be read ({exc.strerror or type(exc).__name__})"
        ) from None
    if not data:
        raise LogoError(key, path, "the file is empty")
    if suffix == ".svg":
        from lxml import etree

        try:
            root = _svg_root(data)
        except etree.XMLSyntaxError as exc:
            raise LogoError(key, path, f"not a readable SVG file (XML error: {exc})") from None
        if root.tag != f"{{{SVG_NS}}}svg":
            raise LogoError(
                key,
                path,
                f"not an SVG image: its root element is <{etree.QName(root).localname}>, "
                f"expected <svg> in the SVG namespace {SVG_NS}",
            )
        size = _svg_size(root)
        if size is None:
            raise LogoError(
                key,
                path,
                "the SVG has neither a viewBox nor an absolute width and height, "
                "so its proportions are unknown; add a viewBox",
            )
        return Logo(path=path, kind="svg", data=data, width=size[0], height=size[1])
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format
            im.load()  # a truncated file fails here, not when the deck is saved
            width, height = im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise LogoError(key, path, f"not a readable PNG or JPEG image ({exc})") from None
    if fmt not in ("PNG", "JPEG"):
        raise LogoError(key, path, f"not a PNG or JPEG image (the file holds a {fmt} image)")
    if width < 1 or height < 1:
        raise LogoError(key, path, f"the image is {width} × {height} pixels")
    return Logo(
        path=path,
        kind="png" if fmt == "PNG" else "jpeg",
        data=data,
        width=float(width),
        height=float(height),
    )


def _drawable_svg(data: bytes, width: float, height: float) -> bytes:
    """The SVG with a viewBox (from its px size when it had none), so that it scales to the raster."""
    from lxml import etree

    root = _svg_root(data)
    if not root.get("viewBox"):
        root.set("viewBox", f"0 0 {width:g} {height:g}")
    return etree.tostring(root)


def svg_to_png(
    logo: Logo,
    *,
    height_in: float,
    ppi: int = LOGO_PPI,
    chromium: str | None = None,
    key: str = "branding.logo",
) -> bytes:
    """Rasterise an SVG logo to a transparent PNG ``ceil(height_in × ppi)`` pixels high.

    Drawn by headless Chromium as an ``<img>`` (an SVG image runs no script and loads nothing; the
    page may load nothing but ``data:`` URLs).

    Raises
    ------
    LogoError
        Chromium is missing or fails (the message says how to install it), cannot draw the SVG, or
        the SVG draws nothing (every pixel transparent).
    """
    if logo.kind != "svg":
        raise CXValueError(f"svg_to_png needs an SVG logo; got a {logo.kind} file: {logo.path}")
    h = max(1, math.ceil(height_in * ppi))
    w = max(1, round(h * logo.aspect))
    from cxresearch.report.webpdf import find_chromium

    try:
        png = _rasterise(
            _drawable_svg(logo.data, logo.width, logo.height), w, h, find_chromium(chromium)
        )
    except (
        CXError
    ) as exc:  # no Chromium, or it failed: the message says which and how to install it
        raise LogoError(
            key, logo.path, f"an SVG logo is drawn for the deck by Chromium, which failed ({exc})"
        ) from None
    if png is None:
        raise LogoError(key, logo.path, "Chromium could not draw this SVG image")
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        if im.convert("RGBA").getchannel("A").getextrema()[1] == 0:
            raise LogoError(
                key, logo.path, "the SVG draws nothing (every pixel of it is transparent)"
            )
    return png


@lru_cache(maxsize=8)
def _rasterise(svg: bytes, width: int, height: int, exe: str) -> bytes | None:
    """PNG bytes of ``svg`` drawn by Chromium ``exe`` at ``width`` × ``height`` px on a transparent page
    (None: the image did not load)."""
    from cxresearch.report.webpdf import BROWSER_ARGS

    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    html = (
        "<!DOCTYPE html><html><head><style>html,body{margin:0;padding:0;background:transparent}"
        f"img{{display:block;width:{width}px;height:{height}px}}</style></head>"
        f'<body><img src="{uri}" alt=""></body></html>'
    )

    async def main() -> bytes | None:
        from playwright.async_api import async_playwright

        async with async_playwright() as pw:
            try:
                browser = await pw.chromium.launch(
                    executable_path=exe,
                    args=list(BROWSER_ARGS),
                    handle_sigint=False,
                    handle_sigterm=False,
                    handle_sighup=False,
                )
            except Exception as exc:  # playwright raises its own Error type
                raise CXError(
                    f"could not start Chromium at {exe}: {str(exc).splitlines()[0]}"
                ) from None
            try:
                page = await browser.new_page(
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    java_script_enabled=False,
                )

                async def data_only(route):
                    if route.request.url.startswith(("data:", "about:")):
                        await route.continue_()
                    else:
                        await route.abort()

                await page.route("**/*", data_only)
                await page.set_content(html, wait_until="load")
                loaded = await page.evaluate(
                    "() => { const i = document.images[0];"
                    " return i.complete && i.naturalWidth > 0; }"
                )
                if not loaded:
                    return None
                return await page.screenshot(
                    type="png",
                    omit_background=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height},
                )
            except Exception as exc:  # playwright's own errors (a timeout, a crashed page)
                raise CXError(f"Chromium at {exe}: {str(exc).splitlines()[0]}") from None
            finally:
                await browser.close()

    # a fresh thread: the caller may be inside an event loop (a Jupyter kernel)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()

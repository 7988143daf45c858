"""nbconvert exporter: PDF through the system's Chromium, A4, honouring CSS ``@page``.

nbconvert's own ``webpdf`` exporter cannot be pointed at a browser binary and prints on Letter
paper; this subclass launches the Chromium that the system provides (Debian package ``chromium``)
through playwright's ``executable_path`` — playwright never downloads a browser — and prints with
``prefer_css_page_size`` so the report template's ``@page`` rule (A4, margins, page numbers in the
margin boxes) decides the layout.

Registered as the nbconvert exporter ``cxwebpdf``::

    jupyter nbconvert --to cxwebpdf --no-input notebook.ipynb
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from nbconvert.exporters.webpdf import WebPDFExporter
from traitlets import Bool, List, Unicode, default

from cxresearch.errors import CXError

__all__ = ["BROWSER_ARGS", "CXWebPDFExporter", "ChromiumNotFound", "find_chromium"]

#: Flags for a quiet, offline, container-friendly headless Chromium.
BROWSER_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ChromiumNotFound(CXError):
    """No system Chromium to print the PDF with."""


def find_chromium(path: str | os.PathLike[str] | None = None) -> str:
    """Locate the Chromium executable used for PDF printing.

    Parameters
    ----------
    path : str or PathLike, optional
        Explicit executable. Default: ``$CX_CHROMIUM`` if set, else the first of ``chromium``,
        ``chromium-browser``, ``google-chrome`` on ``PATH``, else ``/usr/bin/chromium``.

    Returns
    -------
    str
        Absolute path of an executable file.

    Raises
    ------
    ChromiumNotFound
        With the Debian package to install.
    """
    explicit = path or os.environ.get("CX_CHROMIUM")
    if explicit:
        found = shutil.which(str(explicit))
        if found is None:
            raise ChromiumNotFound(
                f"Chromium executable {str(explicit)!r} (from {'CX_CHROMIUM' if not path else 'chromium_path'}) "
                "does not exist or is not executable"
            )
        return found
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    raise ChromiumNotFound(
        "no Chromium found for the PDF (looked for chromium, chromium-browser, google-chrome); "
        "install it with: sudo apt-get install -y chromium  (or set CX_CHROMIUM to its path)"
    )


class CXWebPDFExporter(WebPDFExporter):
    """Export a notebook to PDF with the system Chromium, A4 paper and CSS ``@page`` honoured.

    Traits (configurable like any nbconvert option, e.g. ``--CXWebPDFExporter.paper=Letter``):

    ``chromium_path``
        Browser executable (default: :func:`find_chromium`).
    ``paper``
        Fallback paper size when the page's CSS sets none (default ``A4``).
    ``outline``
        Write PDF bookmarks from the headings (default True).
    """

    export_from_notebook = "PDF via system Chromium (A4)"

    chromium_path = Unicode(
        "", help="Chromium executable; empty = $CX_CHROMIUM or chromium on PATH."
    ).tag(config=True)
    paper = Unicode("A4", help="Paper format when the CSS sets no @page size.").tag(config=True)
    outline = Bool(True, help="Add PDF bookmarks (document outline) from headings.").tag(
        config=True
    )
    extra_browser_args = List(Unicode(), help="Browser flags added to BROWSER_ARGS.").tag(
        config=True
    )

    @default("disable_sandbox")
    def _disable_sandbox_default(self):
        return True

    @default("template_name")
    def _template_name_default(self):
        return "cxreport"  # the house template: print CSS, no CDN scripts

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(Path(__file__).resolve().parent.parent / "templates")]

    def run_playwright(self, html: str) -> bytes:
        """Print ``html`` to PDF bytes with the system Chromium (never downloads a browser)."""
        return print_pdf(
            html,
            chromium=find_chromium(self.chromium_path or None),
            paper=self.paper,
            outline=self.outline,
            args=[*BROWSER_ARGS, *self.extra_browser_args],
            render_timeout_ms=self.page_render_timeout,
        )


def print_pdf(
    html: str,
    *,
    chromium: str | None = None,
    paper: str = "A4",
    outline: bool = True,
    args: list[str] | tuple[str, ...] = BROWSER_ARGS,
    render_timeout_ms: int = 100,
    base_dir: str | os.PathLike[str] | None = None,
    then: Callable[[bytes], str | None] | None = None,
    javascript: bool = False,
) -> bytes:
    """Print an HTML document to PDF bytes with headless Chromium.

    Parameters
    ----------
    html : str
        A complete HTML document. Images should be embedded (data URIs); nothing is fetched from
        the network (navigation is restricted to ``file:`` and ``data:`` URLs).
    chromium : str, optional
        Executable; default :func:`find_chromium`.
    paper : str, default 'A4'
        Paper format used if the document's CSS ``@page`` sets no size.
    outline : bool, default True
        Write PDF bookmarks.
    args : sequence of str
        Browser flags.
    render_timeout_ms : int, default 100
        Extra wait after load, for late layout.
    base_dir : path, optional
        Folder the temporary HTML file is written to (relative resources resolve from there).
    then : callable, optional
        Called with the first PDF; when it returns an HTML document, that document is printed in
        the same browser session and its PDF returned instead (used to put page numbers in the
        table of contents without launching Chromium twice).
    javascript : bool, default False
        Let the page run scripts. Off: a report has no script (its Content-Security-Policy forbids
        them too), and neither print needs one — the contents' page numbers come from the PDF's
        named destinations (:func:`cxresearch.report.render.anchor_pages`), not from the page. The
        wait for web fonts is evaluated by the driver, which works with page scripts off.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ChromiumNotFound
        No browser.
    CXError
        The browser failed to start or print (the message holds its error).
    """
    exe = chromium or find_chromium()

    async def print_one(browser, html_path: str) -> bytes:
        page = await browser.new_page(java_script_enabled=javascript)

        async def block_network(route):
            if route.request.url.startswith(("file:", "data:", "about:")):
                await route.continue_()
            else:
                await route.abort()

        try:
            await page.route("**/*", block_network)
            await page.emulate_media(media="print")
            await page.goto(Path(html_path).as_uri(), wait_until="load")
            await page.evaluate("document.fonts.ready.then(() => true)")
            await page.wait_for_timeout(render_timeout_ms)
            options = {"print_background": True, "prefer_css_page_size": True, "format": paper}
            if outline:
                options.update({"outline": True, "tagged": True})
            return await page.pdf(**options)
        finally:
            await page.close()

    async def main(html_path: str) -> bytes:
        from playwright.async_api import async_playwright

        async with async_playwright() as pw:
            try:
                browser = await pw.chromium.launch(
                    executable_path=exe,
                    args=list(args),
                    handle_sigint=False,
                    handle_sigterm=False,
                    handle_sighup=False,
                )
            except Exception as exc:  # playwright raises its own Error type
                raise CXError(
                    f"could not start Chromium at {exe}: {str(exc).splitlines()[0]}"
                ) from None
            try:
                pdf = await print_one(browser, html_path)
                second = then(pdf) if then is not None else None
                if second is not None:
                    Path(html_path).write_text(second, encoding="utf-8")
                    pdf = await print_one(browser, html_path)
                return pdf
            finally:
                await browser.close()

    fd, tmp = tempfile.mkstemp(suffix=".html", dir=base_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        # Run in a fresh thread: the caller may already be inside an event loop (Jupyter).
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, main(tmp)).result()
    finally:
        os.unlink(tmp)

"""Escaping text from params and codebooks where it meets HTML, CSS or JavaScript, and the
Content-Security-Policy of every report.

The report HTML is built by nbconvert's Jinja templates: element text and attributes go through
Jinja's ``| e`` (HTML escaping). The only place params text meets CSS is the running footer, a
CSS string inside ``<style>`` (``@page { @bottom-left { content: "..." } }``): HTML escaping does not
help there (``</style>`` ends the style element whatever its CSS), so :func:`css_string` writes every
ASCII character that is not a letter, digit or space as a CSS escape (``<`` as ``\\3c ``), which
neither the HTML tokenizer nor the CSS parser can read as markup or the end of the string.

:data:`CSP` forbids scripts, plugins, frames, forms, base URLs and any network load in the report
(images and fonts only from ``data:`` URIs, styles inline): a script that got into the page despite
the escaping would still not run in a browser or in the Chromium that prints the PDF.
"""

from __future__ import annotations

__all__ = ["CSP", "css_string", "csp_meta"]

#: Content-Security-Policy of the report HTML (a ``<meta http-equiv>`` in its head).
CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'; img-src data:; font-src data:; "
    "style-src 'unsafe-inline'"
)

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")


def css_string(text: object) -> str:
    """``text`` escaped for the inside of a double-quoted CSS string in an HTML ``<style>``.

    ASCII letters, digits and spaces stay; every other ASCII character (quotes, backslash, ``<``,
    ``>``, ``&``, ``/``, ``;``, braces, control characters, newlines) becomes ``\\<hex> `` (a CSS
    escape with its terminating space); characters beyond ASCII (Chinese, ``·``, accents) stay as
    they are, except the line and paragraph separators and NUL, which are escaped too.

    >>> css_string('Acme</style><script>x()</script>')
    'Acme\\\\3c \\\\2f style\\\\3e \\\\3c script\\\\3e x\\\\28 \\\\29 \\\\3c \\\\2f script\\\\3e '
    """
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in _SAFE or (code > 0x7F and ch not in "\u2028\u2029"):
            out.append(ch)
        elif code == 0:
            out.append("\\fffd ")  # CSS: NUL is not allowed in a stylesheet
        else:
            out.append(f"\\{code:x} ")
    return "".join(out)


def csp_meta() -> str:
    """The ``<meta http-equiv="Content-Security-Policy">`` element of :data:`CSP`."""
    return f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

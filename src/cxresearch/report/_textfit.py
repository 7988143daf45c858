"""Text that fits its box: widths and line heights measured with the deck's fonts.

Slides are laid out before PowerPoint sees them, so the deck measures its text with the same fonts
it declares (a Latin face and an East Asian face, each located with ``fc-match``) through Pillow's
FreeType bindings: a line's width is the sum of its Latin runs measured in the Latin font and its
CJK runs in the CJK font; a line's height is the larger font's ascent + descent (PowerPoint's single
line spacing). Text is wrapped greedily at spaces and between CJK characters (as PowerPoint does)
and shrunk until it fits; :func:`fit_size` returns None when even the smallest size overflows, so
the caller can split the content over more slides.
"""

from __future__ import annotations

import functools
import itertools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Metrics", "font_file", "is_cjk"]

# CJK ideographs, kana, hangul, CJK punctuation and full-width forms: drawn by the East Asian font
_CJK = re.compile(
    r"[\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF"
    r"\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]"
)
# a token: one CJK character (breakable anywhere) or a Latin word with its trailing spaces
_TOKEN = re.compile(
    r"[\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF"
    r"\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]|[^\s\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF"
    r"\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]+\s*|\s+"
)
# line-breaking rules (kinsoku): no line starts with a closing mark, none ends with an opening one
_NO_START = set("，。、；：！？）」』】》〉”’%‰·…—－,.;:!?)]}%")
_NO_END = set("（「『【《〈“‘([{")
_FALLBACK = {
    "latin": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    "cjk": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    ),
}
_EM = 100  # pixel size fonts are loaded at; widths scale linearly to points


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is drawn with the East Asian font."""
    return bool(_CJK.match(ch))


@functools.lru_cache(maxsize=16)
def font_file(family: str, *, kind: str = "latin") -> str:
    """The file of the installed font ``family`` (``fc-match``); a bundled default when fontconfig is
    absent. Raises FileNotFoundError when no font can be found."""
    exe = shutil.which("fc-match")
    if exe:
        try:
            out = subprocess.run(
                [exe, "-f", "%{file}", family], capture_output=True, text=True, timeout=20
            )
            if out.returncode == 0 and out.stdout.strip() and Path(out.stdout.strip()).is_file():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    for path in _FALLBACK[kind]:
        if Path(path).is_file():
            return path
    raise FileNotFoundError(
        f"no font file found for {family!r} (install fontconfig and the fonts in "
        "scripts/sysdeps.sh: fonts-dejavu-core, fonts-noto-cjk)"
    )


@functools.lru_cache(maxsize=16)
def _load(path: str, bold: bool):
    from PIL import ImageFont

    font = ImageFont.truetype(path, _EM)
    if bold:
        try:  # a bold face of the same family when the collection/variable font has one
            font.set_variation_by_name("Bold")
        except (OSError, ValueError, AttributeError):
            pass
    return font


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces of a paragraph: CJK characters and Latin words, with closing marks glued to
    what precedes them and opening marks to what follows (kinsoku)."""
    out: list[str] = []
    glue_next = False
    for tok in _TOKEN.findall(text):
        if out and (glue_next or tok[0] in _NO_START) and not tok.isspace():
            out[-1] += tok
        else:
            out.append(tok)
        glue_next = tok.rstrip()[-1:] in _NO_END if tok.strip() else False
    return out


@functools.lru_cache(maxsize=65536)
def _em_width(latin: str, cjk: str, text: str) -> float:
    total = 0.0
    for is_east_asian, chars in itertools.groupby(text, key=is_cjk):
        total += _load(cjk if is_east_asian else latin, False).getlength("".join(chars))
    return total


@dataclass(frozen=True)
class Metrics:
    """Text measurement with a Latin font file and a CJK font file (sizes in points)."""

    latin: str
    cjk: str

    @classmethod
    def for_families(cls, latin: str, cjk: str) -> Metrics:
        return cls(latin=font_file(latin, kind="latin"), cjk=font_file(cjk, kind="cjk"))

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        """Width of ``text`` on one line at ``size`` points (bold adds 6%: faux-bold allowance)."""
        if not text:
            return 0.0
        return _em_width(self.latin, self.cjk, text) * size / _EM * (1.06 if bold else 1.0)

    def line_height(self, size: float) -> float:
        """Single line spacing at ``size`` points: the larger of the two fonts' ascent + descent."""
        heights = []
        for path in (self.latin, self.cjk):
            asc, desc = _load(path, False).getmetrics()
            heights.append(asc + desc)
        return max(heights) * size / _EM

    def wrap(self, text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
        """Greedy line breaks of one paragraph in ``width`` points (at spaces and between CJK characters;
        a word wider than the line is broken between characters)."""
        lines: list[str] = []
        line = ""
        for tok in _tokens(text):
            cand = line + tok
            if self.width(cand.rstrip(), size, bold=bold) <= width or not line.strip():
                if not line.strip() and self.width(cand.rstrip(), size, bold=bold) > width:
                    # a single token wider than the line: break it between characters
                    for ch in tok:
                        if line and self.width((line + ch).rstrip(), size, bold=bold) > width:
                            lines.append(line.rstrip())
                            line = ""
                        line += ch
                    continue
                line = cand
            else:
                lines.append(line.rstrip())
                line = tok.lstrip() if tok.isspace() else tok
        if line.strip() or not lines:
            lines.append(line.rstrip())
        return lines

    def height(
        self,
        paragraphs: list[str],
        width: float,
        size: float,
        *,
        bold: bool = False,
        space_after: float = 0.0,
    ) -> float:
        """Height of ``paragraphs`` wrapped in ``width`` points at ``size`` points."""
        n = sum(len(self.wrap(p, width, size, bold=bold)) for p in paragraphs)
        return n * self.line_height(size) + space_after * max(0, len(paragraphs) - 1)

    def fit_size(
        self,
        paragraphs: list[str],
        width: float,
        height: float,
        *,
        max_size: float,
        min_size: float,
        bold: bool = False,
        space_after: float = 0.0,
        step: float = 1.0,
    ) -> float | None:
        """The largest size in ``[min_size, max_size]`` (in ``step`` points) at which the paragraphs fit
        in ``width`` × ``height`` points; None when they do not fit even at ``min_size``."""
        size = max_size
        while size >= min_size - 1e-9:
            if self.height(paragraphs, width, size, bold=bold, space_after=space_after) <= height:
                return size
            size -= step
        return None

"""Chart style: CJK font after the seaborn theme, stale font cache repaired, no missing glyphs."""

from __future__ import annotations

import copy
import warnings

import matplotlib
import matplotlib.colors
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from cxresearch.errors import CXError, CXValueError  # noqa: E402
from cxresearch.viz import style  # noqa: E402

pytestmark = pytest.mark.report


def _draw_chinese() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar(["产品质量", "价格价值", "北京"], [1.0, -0.5, 2.0])
        ax.set_title("总体满意度 −1")
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_apply_sets_cjk_font_after_theme_and_no_missing_glyphs():
    style.apply()
    assert matplotlib.rcParams["font.sans-serif"][0] == style.CJK_FONT
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    messages = _draw_chinese()
    assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages


def test_apply_again_after_set_theme_restores_font():
    import seaborn as sns

    sns.set_theme()
    assert matplotlib.rcParams["font.sans-serif"][0] != style.CJK_FONT
    style.apply(palette=["#123456", "#abcdef"])
    assert matplotlib.rcParams["font.sans-serif"][0] == style.CJK_FONT
    first = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0]
    assert matplotlib.colors.to_hex(first) == "#123456"


def test_stale_font_cache_is_rebuilt(monkeypatch):
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    assert not style.font_available()
    style.apply()
    assert style.font_available()
    assert not [m for m in _draw_chinese() if "missing from font" in m]


def test_bad_options_name_the_value():
    with pytest.raises(CXValueError, match="context must be one of .*got 'slides'"):
        style.apply(context="slides")
    with pytest.raises(CXValueError, match="palette"):
        style.apply(palette=[])
    with pytest.raises(CXError, match="'No Such Font 42' is not installed"):
        style.apply(font="No Such Font 42")

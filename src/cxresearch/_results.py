"""How result objects show themselves: one-screen ``repr``, a text ``summary()``, an HTML table.

Every ``*Result`` class of the package inherits :class:`ResultDisplay` and is declared with
``@dataclass(frozen=True, repr=False)`` (a dataclass would otherwise write its own ``__repr__`` over
the mixin's). The mixin only *reads* the result: the data stay raw floats, ``to_frame()`` is
unchanged; numbers are formatted for the eye here and nowhere else in the computation floor.

What a class may set (all optional):

* ``_display_title`` — a human title (default: the class name);
* ``_display_frame()`` — the headline frame (default: ``to_frame()``);
* ``_display_facts()`` — the one-line scalars shown above it (default: the scalar fields and the
  ``settings`` dict).

The headline table puts identifying columns first, then the bases (``n``, ``n_eff``, ...), the
estimate columns, and the interval as one ``ci`` column (``ci_lower`` – ``ci_upper``), then
``p_value`` / ``p_adj``; it shows at most :data:`MAX_ROWS` rows in a ``repr``.
"""

from __future__ import annotations

import dataclasses
import html
import math
from pathlib import PurePath
from typing import Any, ClassVar

__all__ = ["MAX_ROWS", "ResultDisplay", "Summary"]

#: Rows of the headline frame shown by ``repr`` and ``_repr_html_``.
MAX_ROWS = 12
#: Columns of the headline frame shown by ``repr`` (``summary()`` shows them all).
MAX_COLUMNS = 8
_REPR_LINES = 25
_REPR_CHARS = 2000
_BASES = ("n", "n_eff", "base", "n_obs", "n_customers", "n_events", "events", "at_risk", "rows")
_ESTIMATES = (
    "estimate",
    "share",
    "retention",
    "lmg",
    "raw_weight",
    "beta",
    "pratt",
    "r",
    "rho",
    "odds_ratio",
    "log_ratio",
    "mean",
    "value",
    "index",
    "alpha",
    "omega",
    "se",
)
_KEYS = ("years", "year", "wave", "lag")
_TESTS = ("p_value", "p_adj", "letters", "sig")


class Summary(str):
    """Text of ``result.summary()``: a ``str`` that a notebook shows as text, not as a quoted string."""

    def __repr__(self) -> str:  # noqa: D105 - shown as itself
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def _fmt(v: Any) -> str:
    """A value as a short string for display (never used for stored numbers)."""
    import numpy as np

    if v is None:
        return "—"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "—"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e6):
            return f"{f:.3g}"
        if float(f).is_integer():
            return str(int(f))
        return f"{f:.1f}" if abs(f) >= 100 else f"{f:.3f}"
    if isinstance(v, (tuple, list)):
        inner = ", ".join(_fmt(x) for x in v[:6])
        return f"({inner}{', …' if len(v) > 6 else ''})"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(f"{k}: {_fmt(x)}" for k, x in list(v.items())[:4])
            + (", …}" if len(v) > 4 else "}")
        )
    s = str(v)
    return s if len(s) <= 40 else s[:37] + "…"


def _is_frame(v: Any) -> bool:
    import pandas as pd

    return isinstance(v, pd.DataFrame)


def _display_columns(frame) -> list[str]:
    """Headline columns: identifiers, bases, estimates, interval, tests; at most MAX_COLUMNS."""
    import pandas as pd

    cols = [str(c) for c in frame.columns]
    chosen: list[str] = []
    ids = [
        c
        for c in cols
        if (c in _KEYS or not pd.api.types.is_float_dtype(frame[c]))
        and c not in _BASES
        and c not in _TESTS
        and not pd.api.types.is_bool_dtype(frame[c])
    ][:3]
    chosen += ids
    chosen += [c for c in _BASES if c in cols and c not in chosen][:2]
    chosen += [c for c in _ESTIMATES if c in cols and c not in chosen][:3]
    if "ci_lower" in cols and "ci_upper" in cols:
        chosen.append("ci")
    chosen += [c for c in _TESTS if c in cols and c not in chosen]
    rest = [c for c in cols if c not in chosen and c not in ("ci_lower", "ci_upper")]
    chosen += rest[: max(0, MAX_COLUMNS - len(chosen))]
    return chosen[:MAX_COLUMNS]


def _formatted(frame, columns: list[str] | None = None, max_rows: int | None = MAX_ROWS):
    """A string frame for display: chosen columns, the interval in one column, at most max_rows."""
    import pandas as pd

    cols = _display_columns(frame) if columns is None else columns
    head = frame if max_rows is None else frame.head(max_rows)
    out = pd.DataFrame(index=range(len(head)))
    for c in cols:
        if c == "ci":
            lo = head["ci_lower"].to_numpy()
            hi = head["ci_upper"].to_numpy()
            out["ci"] = [f"[{_fmt(a)}, {_fmt(b)}]" for a, b in zip(lo, hi, strict=True)]
        else:
            out[c] = [_fmt(v) for v in head[c].to_numpy()]
    return out


class ResultDisplay:
    """Mixin: ``__repr__`` (one screen), ``summary()`` (text) and ``_repr_html_`` (a table)."""

    _display_title: ClassVar[str | None] = None

    # -- what to show ---------------------------------------------------------------------------
    def _display_frame(self):
        to_frame = getattr(self, "to_frame", None)
        if to_frame is None:
            return None
        try:
            frame = to_frame()
        except Exception:  # noqa: BLE001 - display must never raise; the data stay reachable
            return None
        return frame if _is_frame(frame) else None

    def _display_facts(self) -> dict[str, Any]:
        import numpy as np

        facts: dict[str, Any] = {}
        if not dataclasses.is_dataclass(self):
            return facts
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "settings" and isinstance(v, dict):
                for k, x in v.items():
                    if (
                        isinstance(x, (str, int, float, bool, np.integer, np.floating, tuple, list))
                        or x is None
                    ):
                        facts.setdefault(k, x)
            elif isinstance(v, (str, int, float, bool, np.integer, np.floating)) or v is None:
                if isinstance(v, str) and len(v) > 60:
                    continue
                facts[f.name] = v
            elif isinstance(v, tuple) and all(isinstance(x, (str, int, float)) for x in v):
                facts[f.name] = v
            elif isinstance(v, PurePath):
                facts[f.name] = str(v)
        return facts

    def _title(self) -> str:
        return self._display_title or type(self).__name__

    def _tables(self) -> dict[str, Any]:
        if not dataclasses.is_dataclass(self):
            return {}
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if _is_frame(getattr(self, f.name))
        }

    @staticmethod
    def _facts_lines(facts: dict[str, Any], width: int = 96, max_lines: int = 3) -> list[str]:
        lines, cur = [], ""
        for k, v in facts.items():
            item = f"{k}={_fmt(v)}"
            if cur and len(cur) + 2 + len(item) > width:
                lines.append(cur)
                cur = item
            else:
                cur = f"{cur}  {item}" if cur else item
        if cur:
            lines.append(cur)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][: width - 2] + " …"
        return lines

    # -- the three faces -----------------------------------------------------------------------
    def __repr__(self) -> str:
        frame = self._display_frame()
        shape = f" ({len(frame)} rows)" if frame is not None else ""
        lines = [
            f"<{type(self).__name__}{shape}>"
            if self._display_title is None
            else f"<{type(self).__name__}: {self._display_title}{shape}>"
        ]
        lines += ["  " + s for s in self._facts_lines(self._display_facts())]
        if frame is not None and len(frame.columns):
            text = _formatted(frame).to_string(index=False, max_colwidth=24)
            lines += text.splitlines()
            if len(frame) > MAX_ROWS:
                lines.append(f"… {len(frame) - MAX_ROWS} more rows")
        lines.append("(.summary() for every table, .to_frame() for the data)")
        if len(lines) > _REPR_LINES:
            lines = lines[: _REPR_LINES - 1] + ["…"]
        out = "\n".join(line[:160] for line in lines)
        if len(out) > _REPR_CHARS:
            out = out[: _REPR_CHARS - 2] + " …"
        return out

    def summary(self, *, max_rows: int = 40) -> Summary:
        """Everything in the result as text: the settings, then every table in full (up to ``max_rows``).

        Numbers are rounded for reading only; take them from the result's frames, not from here.
        """
        rule = "=" * 78
        lines = [rule, self._title(), rule]
        lines += self._facts_lines(self._display_facts(), width=78, max_lines=40)
        for name, frame in self._tables().items():
            lines += ["", f"{name} ({len(frame)} rows)", "-" * 78]
            if frame.empty:
                lines.append("(empty)")
                continue
            shown = _formatted(frame, columns=[*self._summary_columns(frame)], max_rows=max_rows)
            lines += shown.to_string(index=False, max_colwidth=30).splitlines()
            if len(frame) > max_rows:
                lines.append(f"… {len(frame) - max_rows} more rows")
        lines.append(rule)
        return Summary("\n".join(lines))

    @staticmethod
    def _summary_columns(frame) -> list[str]:
        cols = [str(c) for c in frame.columns]
        head = _display_columns(frame)
        rest = [c for c in cols if c not in head and c not in ("ci_lower", "ci_upper")]
        return head + rest

    def _repr_html_(self) -> str:
        frame = self._display_frame()
        facts = self._facts_lines(self._display_facts(), width=120, max_lines=4)
        parts = [f'<div class="cx-result"><strong>{html.escape(self._title())}</strong>']
        if facts:
            parts.append("<br><small>" + "<br>".join(html.escape(f) for f in facts) + "</small>")
        if frame is not None and len(frame.columns):
            table = _formatted(frame).to_html(index=False, escape=True, border=0)
            parts.append(table)
            if len(frame) > MAX_ROWS:
                parts.append(f"<small>… {len(frame) - MAX_ROWS} more rows</small>")
        parts.append("</div>")
        return "\n".join(parts)

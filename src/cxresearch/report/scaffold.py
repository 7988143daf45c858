"""A first params file for a new client × period, drafted from the codebook and the data
(``cxresearch init``).

The roles come from the codebook (``role: outcome/driver/segment/weight``, kinds and scales); where
the codebook does not decide, the draft guesses from names, labels and scales and marks the guess
``# review:`` in the YAML, as ``cxresearch codebook draft`` marks its guesses. The rules:

* ``nps``: only an item of kind ``nps``, or a 0–10 ``rating`` named like "recommend"/NPS/推荐. A
  recommend item on any other scale (1–7, 1–10 …) is never NPS; it is proposed as ``loyalty``.
* ``outcome``: an outcome named like overall satisfaction, else the first outcome, else the first
  scale item named like satisfaction, else the first scale item (a guess).
* ``loyalty``: another outcome (or scale item) named like repurchase/loyalty/recommend; else none.
* ``drivers``: the codebook's driver role outside ``process:*`` dimensions; else every other scale
  item (a guess). ``processes``: drivers of dimension ``process:<name>``.
* ``by``: the segment role; else categories with 2–20 levels (a guess); none: totals only.
* ``weight``: the weight role or kind.
* ``wave``/``first_wave``: the waves the store holds for the client; ``dissatisfied_cut`` and
  ``early_warning`` follow the outcome's scale.

Only variables the data hold (a column with at least one answer) are proposed. The draft is
checked with :func:`cxresearch.report.params.load_params` before it is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cxresearch.errors import CXError, CXValueError

__all__ = ["ParamsDraft", "draft_params", "write_params"]

_SAT_NAME = re.compile(r"overall|satisf|\bsat\b|_sat\b|^sat|csat|满意", re.IGNORECASE)
_NPS_NAME = re.compile(r"nps|recommend|推荐|推薦", re.IGNORECASE)
_LOYAL_NAME = re.compile(
    r"repurchase|re_purchase|loyal|retain|retention|renew|continue|again|recommend|return|"
    r"再购|回购|复购|忠诚|继续|推荐|續|续约",
    re.IGNORECASE,
)
_SCALE_KINDS = ("likert", "rating", "nps")
_MAX_SEGMENT_LEVELS = 20


@dataclass(frozen=True)
class ParamsDraft:
    """A drafted params file.

    Attributes
    ----------
    params : dict
        The parameters (as ``load_params`` reads them; paths relative to the params file).
    notes : tuple of (key, note)
        Every guess to review, by params key.
    facts : tuple of str
        What the draft saw in the data (waves, rows, tables without data), for the summary.
    sources : dict
        ``{"from": ...}``: what the draft was made from, for the file's header.
    """

    params: dict[str, Any]
    notes: tuple[tuple[str, str], ...] = ()
    facts: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    def to_yaml(self) -> str:
        """The params as YAML, headed by the entries to review; each guessed key carries a
        ``# review:`` comment."""
        notes: dict[str, list[str]] = {}
        for key, note in self.notes:
            notes.setdefault(key, []).append(note)
        head = [
            f"# Params drafted by `cxresearch init` for client {self.params['client']!r}, period "
            f"{self.params['period']!r}, from {self.sources.get('from', 'the codebook and the data')}.",
            "# Check every key marked `# review:` (then delete the comment). The chapters run are",
            "# not listed: add `notebooks: [...]` to choose them (params/README.md).",
        ]
        for fact in self.facts:
            head.append(f"# data: {fact}")
        if self.notes:
            n = len(self.notes)
            head.append(f"# {n} entr{'y' if n == 1 else 'ies'} to review:")
            head += [f"#   - {key}: {note}" for key, note in self.notes]
        lines: list[str] = []

        def emit(key: str, value: Any, indent: int, path: str) -> None:
            pad = "  " * indent
            comment = ""
            if path in notes:
                comment = "  # review: " + "; ".join(notes[path])
            if isinstance(value, dict) and value and not _flow_dict(value):
                lines.append(f"{pad}{key}:{comment}")
                for k, v in value.items():
                    emit(str(k), v, indent + 1, f"{path}.{k}")
                return
            lines.append(f"{pad}{key}: {_flow(value)}{comment}")

        for k, v in self.params.items():
            emit(k, v, 0, k)
        return "\n".join(head) + "\n" + "\n".join(lines) + "\n"


def _flow_dict(value: dict) -> bool:
    """Small leaf mappings (``client_name: {zh, en}``) are written on one line."""
    return (
        all(not isinstance(v, dict | list) for v in value.values())
        and len(value) <= 3
        and all(k in ("zh", "en") for k in value)
    )


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def _text(var) -> str:
    """Name and labels of a variable, for the name rules."""
    label = getattr(var, "label", None)
    parts = [var.name]
    if label is not None:
        parts += [label.zh or "", label.en or ""]
    return " ".join(parts)


def _scale_text(var) -> str:
    sc = var.scale
    return "no scale" if sc is None else f"{sc[0]:g}-{sc[1]:g}"


def _is_nps_item(var) -> bool:
    if var.kind.value == "nps":
        return True
    return (
        var.kind.value == "rating"
        and var.scale is not None
        and tuple(float(x) for x in var.scale) == (0.0, 10.0)
        and bool(_NPS_NAME.search(_text(var)))
    )


def _dissatisfied_cut(scale: tuple[float, float] | None) -> tuple[float, float, str | None]:
    """(dissatisfied_cut, early_warning, note) for an outcome scale: the bottom of the scale."""
    if scale is None:
        return 6.0, 5.0, "the outcome has no scale in the codebook; 0-10 defaults kept"
    lo, hi = float(scale[0]), float(scale[1])
    if (lo, hi) in ((0.0, 10.0), (1.0, 10.0)):
        return 6.0, 5.0, None
    if (lo, hi) == (1.0, 7.0):
        return 3.0, 3.0, "dissatisfied = 1-3 of a 1-7 scale"
    if (lo, hi) == (1.0, 5.0):
        return 2.0, 2.0, "dissatisfied = 1-2 of a 1-5 scale (the bottom two boxes)"
    cut = lo + (hi - lo) // 3
    return float(cut), float(cut), f"dissatisfied = the bottom third of {lo:g}-{hi:g}"


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def _store_facts(store_path: Path, client: str, names: list[str]):
    """(waves {wave: rows}, answered {name: n}, counts) of the client in the store."""
    from cxresearch.store import Store
    from cxresearch.store._sql import quote

    with Store(store_path, read_only=True) as st:
        if client not in st.clients():
            raise CXError(
                f"store {str(store_path)!r} has no data for client {client!r}; clients: "
                f"{st.clients() or 'none'} (import the client's files first: cxresearch import)"
            )
        counts = st.counts(client)
        waves = st.sql(
            client, "SELECT wave, count(*) AS n FROM responses GROUP BY wave ORDER BY wave"
        )
        stored = {c.lower(): c for c in st.columns("responses")}
        cols = [stored[n.lower()] for n in names if n.lower() in stored]
        answered: dict[str, int] = {}
        if cols:
            sel = ", ".join(f"count({quote(c)}) AS {quote(c)}" for c in cols)
            row = st.sql(client, f"SELECT {sel} FROM responses")
            answered = {c: int(row[c].iloc[0]) for c in cols}
        book = st.codebook(client)
    return (
        {int(w): int(n) for w, n in zip(waves["wave"], waves["n"], strict=True)},
        answered,
        counts,
        book,
    )


def draft_params(
    *,
    client: str,
    period: str,
    store: str | os.PathLike[str] | None = None,
    codebook: str | os.PathLike[str] | None = None,
    files: list[str | os.PathLike[str]] | None = None,
    out: str | os.PathLike[str] | None = None,
    language: str | None = None,
) -> ParamsDraft:
    """Draft the params of a client × period from the codebook and the data.

    Parameters
    ----------
    client : str
        The client id (as imported into the store).
    period : str
        The report period, e.g. ``"2024"`` (a year is the focus wave).
    store : path, optional
        The study store holding the client's imports. Either ``store`` or ``files``.
    codebook : path, optional
        The codebook YAML; default the store's (of the client's latest import). Required with
        ``files``.
    files : list of paths, optional
        Data files the report imports at run time (instead of a store). Each must hold a wave
        column (import files without one into a store: ``cxresearch import --wave``).
    out : path, optional
        Where the params file will be written (relative paths in it are made relative to its
        folder); default ``params/<client>-<period>.yaml``.
    language : {'zh', 'en'}, optional
        Report language; default ``zh`` when the codebook has Chinese labels, else ``en``.

    Returns
    -------
    ParamsDraft

    Raises
    ------
    CXValueError
        A bad argument (both or neither of store and files, period not a wave the data hold …).
    CXError
        The store has no such client; the codebook has no scale item for an outcome.
    """
    from cxresearch import codebook as cbmod

    if (store is None) == (not files):
        raise CXValueError("give either store= (--store) or files= (--files), not both or neither")
    if files and codebook is None:
        raise CXValueError("files= (--files) need codebook= (--codebook) to be checked against")
    if language is not None and language not in ("zh", "en"):
        raise CXValueError(f"language must be 'zh' or 'en'; got {language!r}")
    period = str(period).strip()
    out_path = Path(out) if out is not None else Path("params") / f"{client}-{period}.yaml"
    base = out_path.resolve().parent
    notes: list[tuple[str, str]] = []
    facts: list[str] = []

    book = cbmod.load(codebook) if codebook is not None else None
    if store is not None:
        store = Path(store)
        if not store.is_file():
            raise CXValueError(f"store {str(store)!r} not found")
        names = [v.name for v in (book.variables if book is not None else ())]
        waves, answered, counts, stored_book = _store_facts(store, client, names)
        if book is None:
            book = stored_book
            _, answered, _, _ = _store_facts(store, client, [v.name for v in book.variables])
        facts.append(
            f"{sum(waves.values()):,} responses in {len(waves)} wave(s) "
            f"({', '.join(f'{w}: {n:,}' for w, n in waves.items())})"
        )
        empty = [t for t in ("customers", "employees", "comments") if not counts.get(t)]
        if empty:
            facts.append(f"no rows in {', '.join(empty)}")
        source_from = f"store {store.name} and its codebook"
    else:
        waves, answered = _file_waves(files, book), None
        facts.append(f"{len(files)} data file(s); waves {', '.join(map(str, waves)) or 'none'}")
        source_from = f"{len(files)} data file(s) and codebook {Path(codebook).name}"

    def has_data(var) -> bool:
        return answered is None or answered.get(var.name, 0) > 0

    # A numeric item (test scores, amounts) is a scale item when the codebook gives it bounds and
    # the role of outcome or driver: the consultant said so; unassigned numerics (age, income) are
    # never guessed into the model.
    scale_items = [
        v
        for v in book.variables
        if v.scale is not None
        and has_data(v)
        and (
            v.kind.value in _SCALE_KINDS
            or (v.kind.value == "numeric" and v.role in ("outcome", "driver"))
        )
    ]
    if not scale_items:
        raise CXError(
            "the codebook has no scale item (kind likert, rating or nps with min/max, or a numeric "
            "item with min/max and role outcome or driver) with answers in the data: there is no "
            "outcome to report on; set kinds, scales and roles in the codebook"
        )
    outcomes = [v for v in scale_items if v.role == "outcome"]

    # -- NPS: only a 0-10 recommend item --------------------------------------------------------
    nps_items = [v for v in scale_items if _is_nps_item(v)]
    nps = next((v for v in nps_items if v.role == "outcome"), nps_items[0] if nps_items else None)
    off_scale = [
        v
        for v in scale_items
        if v is not nps and _NPS_NAME.search(_text(v)) and not _is_nps_item(v)
    ]
    if nps is None:
        if off_scale:
            v = off_scale[0]
            notes.append(
                (
                    "variables.nps",
                    f"no NPS: {v.name!r} asks about recommending on "
                    f"{_scale_text(v)}, not 0-10 (proposed as loyalty)",
                )
            )
        else:
            notes.append(("variables.nps", "no 0-10 likelihood-to-recommend item: no NPS"))
    elif nps.kind.value != "nps":
        notes.append(
            (
                "variables.nps",
                f"{nps.name!r} is a 0-10 rating named like a recommend "
                "item; check it asks likelihood to recommend",
            )
        )
    taken = {nps.name} if nps is not None else set()

    # -- outcome ----------------------------------------------------------------------------------
    pool = [v for v in outcomes if v.name not in taken]
    outcome = next((v for v in pool if _SAT_NAME.search(_text(v))), None)
    if outcome is None:
        outcome = next((v for v in pool if not _LOYAL_NAME.search(_text(v))), None)
        if outcome is not None:
            notes.append(
                (
                    "variables.outcome",
                    f"the first outcome of the codebook, "
                    f"{_scale_text(outcome)}; check it is overall satisfaction",
                )
            )
    if outcome is None:
        rest = [v for v in scale_items if v.name not in taken and v not in off_scale]
        outcome = next((v for v in rest if _SAT_NAME.search(_text(v))), None)
        why = "named like satisfaction"
        if outcome is None:
            outcome = (rest or [v for v in scale_items if v.name not in taken])[0]
            why = "the first scale item; no item is named like overall satisfaction"
        notes.append(
            (
                "variables.outcome",
                f"guessed: {why} ({_scale_text(outcome)}); the codebook gives no outcome role",
            )
        )
    taken.add(outcome.name)

    # -- loyalty ----------------------------------------------------------------------------------
    loyalty = next(
        (v for v in outcomes if v.name not in taken and _LOYAL_NAME.search(_text(v))), None
    )
    if loyalty is None:
        loyalty = next((v for v in off_scale if v.name not in taken), None)
        if loyalty is None:
            loyalty = next(
                (v for v in scale_items if v.name not in taken and _LOYAL_NAME.search(_text(v))),
                None,
            )
        if loyalty is not None:
            notes.append(
                (
                    "variables.loyalty",
                    f"guessed from its name ({_scale_text(loyalty)}); check it measures loyalty",
                )
            )
    if loyalty is None:
        notes.append(("variables.loyalty", "no loyalty item (repurchase, recommend …) found"))
    else:
        taken.add(loyalty.name)

    # -- drivers and processes --------------------------------------------------------------------
    role_drivers = [v for v in book.by_role("driver") if has_data(v) and v.name not in taken]
    processes = [v.name for v in role_drivers if (v.dimension or "").startswith("process:")]
    drivers = [v.name for v in role_drivers if not (v.dimension or "").startswith("process:")]
    if not drivers:
        drivers = [v.name for v in scale_items if v.name not in taken and v.name not in processes]
        if drivers:
            notes.append(
                (
                    "variables.drivers",
                    f"guessed: every other scale item ({len(drivers)}); "
                    "the codebook gives no driver role",
                )
            )
        else:
            notes.append(("variables.drivers", "no driver items: no key-driver analysis"))
    process = next((p for p in processes if book.get(p).dimension == "process:service"), None)

    # -- segments and weight -----------------------------------------------------------------------
    by = [v.name for v in book.by_role("segment") if has_data(v)]
    if not by:
        cats = [
            v
            for v in book.variables
            if v.kind.value == "category"
            and has_data(v)
            and v.values
            and 2 <= len(v.values) <= _MAX_SEGMENT_LEVELS
        ]
        by = [v.name for v in cats]
        if by:
            notes.append(
                (
                    "variables.by",
                    f"guessed: the categories with 2-{_MAX_SEGMENT_LEVELS} "
                    "levels; the codebook gives no segment role",
                )
            )
        else:
            notes.append(("variables.by", "no segment variable: totals only"))
    weights = [
        v
        for v in book.variables
        if (v.role == "weight" or v.kind.value == "weight") and has_data(v)
    ]
    weight = weights[0].name if weights else None

    # -- waves and thresholds ----------------------------------------------------------------------
    wave: int | None = None
    if period.isdigit():
        if waves and int(period) not in waves:
            raise CXValueError(
                f"period {period!r} is not a wave the data hold; waves: {sorted(waves)} (give "
                "--period as one of them, or a label with --wave)"
            )
    else:
        wave = max(waves) if waves else None
        if wave is not None:
            notes.append(
                ("wave", f"the period is not a year: the latest wave ({wave}) is its focus")
            )
    focus = int(period) if period.isdigit() else wave
    first_wave = min(waves) if waves else None
    cut, warn, cut_note = _dissatisfied_cut(outcome.scale)
    if cut_note:
        notes.append(("thresholds.dissatisfied_cut", cut_note))

    has_zh = any(v.label is not None and v.label.zh for v in book.variables)
    lang = language or ("zh" if has_zh else "en")

    data: dict[str, Any]
    if store is not None:
        data = {"store": _rel(Path(store), base)}
        if codebook is not None:
            data["codebook"] = _rel(Path(codebook), base)
    else:
        data = {
            "files": [_rel(Path(f), base) for f in files],
            "codebook": _rel(Path(codebook), base),
        }

    params: dict[str, Any] = {
        "client": client,
        "client_name": {"zh": client, "en": client},
        "period": period,
    }
    notes.insert(0, ("client_name", "the client's display name on the cover (zh and en)"))
    if wave is not None:
        params["wave"] = wave
    if first_wave is not None and focus is not None and first_wave < focus:
        params["first_wave"] = first_wave
    params["language"] = lang
    params["data"] = data
    params["variables"] = {
        "outcome": outcome.name,
        "nps": None if nps is None else nps.name,
        "loyalty": None if loyalty is None else loyalty.name,
        "drivers": drivers,
        "processes": processes or None,
        "process": process,
        "by": by,
        "weight": weight,
    }
    params["thresholds"] = {"dissatisfied_cut": _num(cut), "early_warning": _num(warn)}
    return ParamsDraft(
        params=params, notes=tuple(notes), facts=tuple(facts), sources={"from": source_from}
    )


def _rel(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when on the same drive, else absolute (POSIX separators)."""
    path = path.resolve()
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # pragma: no cover - another drive on Windows
        return path.as_posix()


def _file_waves(files, book) -> list[int]:
    """The waves the files hold (each read through the codebook); a file without a wave refused."""
    import warnings

    from cxresearch import io as cxio

    waves: set[int] = set()
    for f in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cxio.read(f, book)
        if not res.waves:
            raise CXValueError(
                f"{Path(f).name} has no wave column; the report imports data files at run time "
                "without a wave of their own: import it into a store (cxresearch import --wave "
                "YEAR) and give --store"
            )
        waves |= set(res.waves)
    return sorted(waves)


def write_params(
    draft: ParamsDraft, out: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Check the drafted params with ``load_params`` and write them to ``out`` atomically.

    Raises
    ------
    CXValueError
        ``out`` exists and not ``overwrite``.
    ParamsError
        The draft does not validate (nothing is written).
    """
    from cxresearch.codebook import write_text_atomic
    from cxresearch.report.params import load_params

    dest = Path(out)
    if dest.exists() and not overwrite:
        raise CXValueError(f"{dest}: already exists; pass --force to replace it")
    text = draft.to_yaml()
    load_params(yaml.safe_load(text), base_dir=dest.resolve().parent)
    write_text_atomic(dest, text)
    return dest

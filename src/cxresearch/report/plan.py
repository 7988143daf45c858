"""The study plan: which chapters and sections a report runs, decided before any notebook runs.

From the codebook, the params and what the store holds for the client, :func:`make_plan` decides for
every chapter, and every section inside it, whether it runs or is left out, with the reason in
Chinese and English ("one wave: no trends or wave-on-wave tests", "no 0–10 recommend item: no NPS",
"no CRM data: no persistence or churn analysis" …). The runner prints the plan
(``cxresearch run --plan FILE``), keeps it in ``manifest.json`` and follows it: a chapter the plan
leaves out is not executed, and the cells of a section it leaves out are removed from the notebook
before papermill runs it. Notebooks mark their sections with cell tags (see :func:`keep_cell`), so
gating needs no ``if`` in a notebook cell. The notebooks read the same plan (``study.plan``) for the
"scope of this report" paragraph and for the inputs of a section that runs. Their words are entries
of the message catalog (:mod:`cxresearch._i18n`): ``plan.title.<name>`` (chapter and section
titles), ``plan.why.<code>`` (the reasons), ``plan.scope*`` and ``plan.text_*``.

Before the plan, :func:`~cxresearch.report.variables.resolve_variables` fills the variables the
params leave open from the codebook's roles and :func:`~cxresearch.report.variables.check_variables`
refuses a variable whose kind or scale does not fit its use (both re-exported here).

Why hand-written: the rules are this package's own (which chapter needs which input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxresearch._i18n import LANGS, Labels, both, message, sentences
from cxresearch.report.params import NOTEBOOKS, Params, ParamsError
from cxresearch.report.variables import StudyVariables, check_variables, resolve_variables

__all__ = [
    "CHAPTERS",
    "Plan",
    "Section",
    "Chapter",
    "StudyVariables",
    "check_variables",
    "keep_cell",
    "make_plan",
    "resolve_variables",
    "study_plan",
]

#: Sections of each chapter, in report order. A notebook cell tagged ``needs-<section>`` runs only
#: when the plan runs that section of the notebook's chapter; ``needs-<chapter>.<section>`` (or
#: ``needs-<chapter>``) refers to another chapter (the appendix describes only what ran).
CHAPTERS: dict[str, tuple[str, ...]] = {
    "00_summary": ("messages", "dashboard", "trend", "scorecard", "priorities"),
    "01_data_quality": ("scope", "bases", "missing"),
    "02_kpis": ("nps", "satisfaction", "trend", "wave_tests", "top_box", "segments"),
    "03_drivers": ("drivers", "ipa", "processes"),
    "04_persistence": ("loyalty_horizon", "process_horizon", "churn"),
    "05_loyalty": ("ladder", "retention", "transfers"),
    "06_alerts_text": ("alerts", "backtest", "themes", "quotes"),
    "07_employee": ("engagement", "programme", "linkage"),
    "09_appendix": (
        "bases",
        "segments",
        "fieldwork",
        "methods",
        "settings",
        "reliability",
        "diagnostics",
        "sources",
    ),
}

#: Section titles for the printed plan: ``TITLES[name]`` is ``{"zh": ..., "en": ...}`` (catalog
#: entries ``plan.title.<name>``).
TITLES = Labels(
    "plan.title.",
    dict.fromkeys(name for chapter, sections in CHAPTERS.items() for name in (chapter, *sections)),
)

_TAG = re.compile(r"^needs-(?P<a>[A-Za-z0-9_]+)(?:\.(?P<b>[A-Za-z0-9_]+))?$")


# -- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One section of a chapter: ``runs``, and when it does not, ``reason`` ``{'zh', 'en'}``."""

    chapter: str
    name: str
    runs: bool
    reason: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.name, "runs": self.runs, "reason": self.reason}


@dataclass(frozen=True)
class Chapter:
    """One chapter (notebook): ``runs``, its ``reason`` when left out, and its sections."""

    name: str
    runs: bool
    reason: dict[str, str] | None
    sections: tuple[Section, ...]
    listed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "chapter": self.name,
            "runs": self.runs,
            "reason": self.reason,
            "sections": [s.to_dict() for s in self.sections],
        }


@dataclass(frozen=True)
class Facts:
    """What the store holds for the client (the inputs of the plan)."""

    counts: dict[str, int]
    waves: tuple[int, ...]
    wave: int | None
    crm_years: tuple[int, ...]
    answered: dict[str, int]  # non-missing answers per variable in the focus wave
    comments: int  # non-empty comments in the focus wave
    missing: int  # declared missing answers in the report window
    employee_waves: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "waves": list(self.waves),
            "wave": self.wave,
            "crm_years": list(self.crm_years),
            "comments": self.comments,
            "missing_answers": self.missing,
            "employee_waves": list(self.employee_waves),
        }


@dataclass(frozen=True)
class Plan:
    """Which chapters and sections a report runs, and why the others are left out.

    Use :meth:`runs` to ask, :meth:`say_scope` for the reader's "scope of this report" paragraph,
    :meth:`to_text` for the printed plan and :meth:`to_dict` for the manifest.
    """

    client: str
    period: str
    chapters: tuple[Chapter, ...]
    variables: StudyVariables
    facts: Facts

    # -- questions --------------------------------------------------------------------------------
    def chapter(self, name: str) -> Chapter | None:
        """The chapter called ``name`` (None when the plan does not know it)."""
        return next((c for c in self.chapters if c.name == name), None)

    def runs(self, chapter: str, section: str | None = None) -> bool:
        """True when ``chapter`` (and ``section`` of it) runs. Chapters the plan does not know (a
        notebook added to ``notebooks:`` from elsewhere) run, and so do their sections."""
        ch = self.chapter(chapter)
        if ch is None:
            return True
        if not ch.runs:
            return False
        if section is None:
            return True
        sec = next((s for s in ch.sections if s.name == section), None)
        if sec is None:
            raise ParamsError(
                f"plan: chapter {chapter} has no section {section!r}; sections: "
                f"{', '.join(s.name for s in ch.sections)}"
            )
        return sec.runs

    def reason(self, chapter: str, section: str | None = None, *, lang: str = "en") -> str | None:
        """Why ``chapter`` (or its ``section``) is left out, in ``lang``; None when it runs."""
        ch = self.chapter(chapter)
        if ch is None:
            return None
        if not ch.runs:
            return (ch.reason or {}).get(lang)
        if section is None:
            return None
        sec = next((s for s in ch.sections if s.name == section), None)
        return None if sec is None or sec.runs else (sec.reason or {}).get(lang)

    @property
    def notebooks(self) -> list[str]:
        """The chapters that run, in order."""
        return [c.name for c in self.chapters if c.runs]

    @property
    def skipped(self) -> list[str]:
        """One line per listed chapter left out: ``"<chapter>: <reason>"`` (English)."""
        return [
            f"{c.name}: {c.reason['en']}"
            for c in self.chapters
            if c.listed and not c.runs and c.reason
        ]

    def left_out(self, *, lang: str = "en") -> list[tuple[str, str | None, str]]:
        """Every chapter and section left out: ``(chapter, section or None, reason)``."""
        out = []
        for c in self.chapters:
            if not c.listed:
                continue
            if not c.runs:
                out.append((c.name, None, (c.reason or {}).get(lang, "")))
                continue
            out += [
                (c.name, s.name, (s.reason or {}).get(lang, "")) for s in c.sections if not s.runs
            ]
        return out

    def _reasons(self, lang: str) -> list[str]:
        """The distinct reasons of what is left out, for the reader (no client ids, no repeats)."""
        out: list[str] = []
        for _, _, whys in self.left_out(lang=lang):
            for why in whys.split(message("plan.reason_separator", lang)):
                why = _plain(why)
                if why and why not in out:
                    out.append(why)
        return out

    def keep_cell(self, chapter: str, tags) -> bool:
        """True when a notebook cell of ``chapter`` with these tags runs (see :func:`keep_cell`)."""
        return keep_cell(self, chapter, tags)

    # -- output -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (kept in ``manifest.json`` as ``plan``)."""
        return {
            "client": self.client,
            "period": self.period,
            "variables": self.variables.to_dict(),
            "facts": self.facts.to_dict(),
            "chapters": [c.to_dict() for c in self.chapters if c.listed],
        }

    def to_text(self, *, lang: str = "en") -> str:
        """The plan as printed by ``cxresearch run --plan``: one line per chapter and section."""
        lines = [message("plan.text_head", lang, client=self.client, period=self.period)]
        v = self.variables
        none = message("plan.text_none", lang)
        lines.append(
            message("plan.text_variables", lang) + f": outcome={v.outcome} nps={v.nps or none} "
            f"loyalty={v.loyalty or none} by={','.join(v.by) or none} weight={v.weight or none} "
            f"drivers={len(v.drivers)} processes={len(v.processes)}"
        )
        lines.append(
            message("plan.text_data", lang)
            + f": waves={','.join(map(str, self.facts.waves)) or none} "
            f"crm_years={len(self.facts.crm_years)} comments={self.facts.comments} "
            f"employees={self.facts.counts.get('employees', 0)}"
        )
        for c in self.chapters:
            if not c.listed:
                continue
            mark = "run " if c.runs else "skip"
            title = _title(c.name, lang)
            tail = "" if c.runs else f"  — {(c.reason or {}).get(lang, '')}"
            lines.append(f"  [{mark}] {c.name}  {title}{tail}")
            if c.runs:
                for s in c.sections:
                    mark = "run " if s.runs else "skip"
                    tail = "" if s.runs else f"  — {(s.reason or {}).get(lang, '')}"
                    lines.append(f"      [{mark}] {s.name}  {_title(s.name, lang)}{tail}")
        return "\n".join(lines)

    def say_scope(self, *, lang: str, **_ignored):
        """The reader's "scope of this report" paragraph (a :class:`cxresearch.tables.Text`).

        Lists the waves and data the report rests on and each chapter or section left out, with its
        reason. Extra keyword arguments (``codebook``, ``min_base`` of ``study.fmt``) are ignored.
        """
        from cxresearch.tables import Text

        f = self.facts
        waves = list(f.waves)
        if len(waves) > 1:
            span = message("plan.span_waves", lang, first=waves[0], last=waves[-1], n=len(waves))
        elif waves:
            span = message("plan.span_wave", lang, wave=waves[0])
        else:
            span = message("plan.span_none", lang)
        extra = [
            message(f"plan.source.{key}", lang)
            for key in ("customers", "employees", "comments")
            if f.counts.get(key)
        ]
        if len(extra) > 1:
            joined = message(
                "list_and",
                lang,
                items=message("list_separator", lang).join(extra[:-1]),
                last=extra[-1],
            )
        else:
            joined = "".join(extra)
        s = message(
            "plan.scope",
            lang,
            span=span,
            extra=message("plan.scope_extra", lang, items=joined) if extra else "",
        )
        gone = self._reasons(lang)
        if gone:
            tail = message(
                "plan.scope_left_out",
                lang,
                reasons=message("plan.reason_separator", lang).join(gone),
            )
        else:
            tail = message("plan.scope_all", lang)
        s = sentences([s, tail], lang)
        return Text(s)


def _plain(why: str) -> str:
    """A reason as the reader sees it: without client ids, params keys or column names."""
    why = re.sub(r" for client '[^']*'", "", why)
    why = re.sub(r" \((?:dimension|variables\.|params|customer_id|transfers)[^)]*\)", "", why)
    why = re.sub(r"（(?:dimension|variables|params|customer_id|branch|transfers)[^）]*）", "", why)
    return why.replace("min_base = ", "").replace("max_lag + 2 = ", "")


def keep_cell(plan: Plan, chapter: str, tags) -> bool:
    """True when a cell of ``chapter`` with ``tags`` runs under ``plan``.

    A tag ``needs-<section>`` names a section of ``chapter``; ``needs-<chapter>.<section>`` a section
    of another chapter; ``needs-<chapter>`` (a known chapter's name) a whole chapter. The cell runs
    when every such tag's chapter/section runs. Other tags are ignored.
    """
    for tag in tags or ():
        m = _TAG.match(str(tag))
        if not m:
            continue
        a, b = m.group("a"), m.group("b")
        if b is not None:
            ok = plan.runs(a, b)
        elif a in CHAPTERS or plan.chapter(a) is not None:
            ok = plan.runs(a)
        else:
            ok = plan.runs(chapter, a) if plan.chapter(chapter) is not None else True
        if not ok:
            return False
    return True


def _title(name: str, lang: str) -> str:
    """The title of a chapter or section in ``lang`` (its name when the plan has no title for it)."""
    return TITLES[name][lang] if name in TITLES else name


def _facts(st, params: Params, sv: StudyVariables, book) -> Facts:
    client = params.client
    counts = st.counts(client)
    lo, hi = params.first_wave, params.wave
    waves = [
        int(w)
        for w in st.sql(
            client, "SELECT DISTINCT wave FROM responses WHERE wave IS NOT NULL ORDER BY wave"
        )["wave"]
    ]
    if hi is None and waves:
        hi = waves[-1]
    waves = [w for w in waves if (lo is None or w >= lo) and (hi is None or w <= hi)]
    focus = hi if hi in waves else (waves[-1] if waves else hi)
    years: list[int] = []
    if counts.get("customers"):
        years = [
            int(y)
            for y in st.sql(
                client, "SELECT DISTINCT year FROM customers WHERE year IS NOT NULL ORDER BY year"
            )["year"]
        ]
        years = [y for y in years if hi is None or y <= hi]
    columns = set(st.columns("responses"))
    wanted = {
        sv.outcome,
        sv.nps,
        sv.loyalty,
        *sv.drivers,
        *sv.processes,
        *sv.by,
        sv.weight,
        "transfers",
        "branch",
        "customer_id",
    }
    wanted = sorted(n for n in wanted if n and n in columns)
    answered: dict[str, int] = {}
    if wanted and focus is not None:
        sel = ", ".join(f'count("{n}") AS "{n}"' for n in wanted)
        row = st.sql(client, f"SELECT {sel} FROM responses WHERE wave = $w", params={"w": focus})
        answered = {n: int(row[n].iloc[0]) for n in wanted}
    comments = 0
    if counts.get("comments") and focus is not None:
        comments = int(
            st.sql(
                client,
                "SELECT count(*) AS n FROM comments WHERE wave = $w AND length(trim(text)) > 0",
                params={"w": focus},
            )["n"].iloc[0]
        )
    missing = 0
    if counts.get("missing_codes") and waves:
        missing = int(
            st.sql(
                client,
                "SELECT count(*) AS n FROM missing_codes WHERE wave BETWEEN $a AND $b",
                params={"a": waves[0], "b": waves[-1]},
            )["n"].iloc[0]
        )
    emp: list[int] = []
    if counts.get("employees"):
        emp = [
            int(w)
            for w in st.sql(
                client, "SELECT DISTINCT wave FROM employees WHERE wave IS NOT NULL ORDER BY wave"
            )["wave"]
        ]
        emp = [w for w in emp if hi is None or w <= hi]
    return Facts(
        counts=dict(counts),
        waves=tuple(waves),
        wave=focus,
        crm_years=tuple(years),
        answered=answered,
        comments=comments,
        missing=missing,
        employee_waves=tuple(emp),
    )


def _decide(
    params: Params, sv: StudyVariables, f: Facts, book
) -> dict[str, tuple[dict | None, dict]]:
    """For each chapter: (chapter reason or None, {section: reason or None})."""
    n_waves = len(f.waves)
    t = params.thresholds
    client = params.client
    ans = f.answered

    def has(name):
        return name is not None and ans.get(name, 0) > 0

    one_wave = (
        both("plan.why.one_wave", wave=f.waves[0])
        if n_waves == 1
        else both("plan.why.no_waves")
        if n_waves == 0
        else None
    )
    no_nps = None
    if sv.nps is None:
        no_nps = both("plan.why.no_nps_item")
    elif not has(sv.nps):
        no_nps = both("plan.why.nps_unanswered", item=sv.nps)
    no_by = both("plan.why.no_by") if not [b for b in sv.by if has(b)] else None
    kpis = [n for n in (sv.outcome, sv.loyalty) if n and n in book]
    no_top_box = (
        {
            lang: message(
                "plan.why.no_top_box_scale",
                lang,
                items=message("list_separator", lang).join(
                    book.get(n).label_for(lang) for n in kpis
                ),
            )
            for lang in LANGS
        }
        if kpis and not any(book.get(n).rating_scale for n in kpis)
        else None
    )
    drivers = [d for d in sv.drivers if has(d)]
    no_drivers = both("plan.why.few_drivers", n=len(drivers)) if len(drivers) < 2 else None
    procs = [p for p in sv.processes if has(p)]
    no_procs = (
        both("plan.why.no_processes")
        if not procs
        else both("plan.why.one_process")
        if len(procs) < 2
        else None
    )
    no_crm = not f.counts.get("customers")

    def crm(what: dict[str, str]) -> dict[str, str]:
        return {
            lang: message("plan.why.no_crm", lang, client=client, what=what[lang]) for lang in LANGS
        }

    out: dict[str, tuple[dict | None, dict]] = {}

    scales = _scales(sv, book)
    # 00 executive summary (runs last: it ranks the findings the other chapters recorded)
    out["00_summary"] = (
        None,
        {
            "messages": None,
            "dashboard": None,
            "trend": one_wave,
            "scorecard": no_by,
            "priorities": None,
        },
    )
    # 01 data quality
    out["01_data_quality"] = (
        None,
        {
            "scope": None,
            "bases": None,
            "missing": None if f.missing else both("plan.why.no_missing_codes"),
        },
    )
    # 02 KPIs
    out["02_kpis"] = (
        None,
        {
            "nps": no_nps,
            "satisfaction": None,
            "trend": one_wave,
            "wave_tests": one_wave,
            "top_box": no_top_box,
            "segments": no_by,
        },
    )
    # 03 drivers
    out["03_drivers"] = (None, {"drivers": no_drivers, "ipa": no_drivers, "processes": no_procs})
    # 04 persistence
    need = params.analysis.max_lag + 2
    covered = len(set(f.waves) & set(f.crm_years))
    ch4 = None
    if no_crm:
        ch4 = crm(both("plan.what.persistence"))
    elif n_waves < need:
        ch4 = both(
            "plan.why.lag_waves_one" if n_waves == 1 else "plan.why.lag_waves",
            n=n_waves,
            need=need,
        )
    elif covered < need:
        ch4 = both("plan.why.lag_crm", n=n_waves, covered=covered, need=need)
    out["04_persistence"] = (
        ch4,
        {
            "loyalty_horizon": None if has(sv.loyalty) else both("plan.why.no_loyalty_horizon"),
            "process_horizon": None if procs else both("plan.why.no_process_horizon"),
            "churn": None,
        },
    )
    # 05 loyalty
    no_transfers = None
    if not has("transfers"):
        no_transfers = both("plan.why.no_transfers_item")
    elif not has(sv.loyalty):
        no_transfers = both("plan.why.no_loyalty_transfers")
    out["05_loyalty"] = (
        crm(both("plan.what.loyalty")) if no_crm else None,
        {"ladder": None, "retention": None, "transfers": no_transfers},
    )
    # 06 alerts and comments
    earlier = [w for w in f.waves[:-1] if w in set(f.crm_years)]  # as cx.alerts.backtest (offset 0)
    if no_crm:
        no_bt = crm(both("plan.what.backtest"))
    elif not earlier:
        no_bt = both("plan.why.no_churn_outcome")
    else:
        no_bt = None
    few = None
    if not f.counts.get("comments"):
        few = both("plan.why.no_comments")
    elif f.comments < t.min_base:
        few = both("plan.why.few_comments", n=f.comments, min_base=t.min_base)
    alerts_ok = has("customer_id") and has("branch")
    no_alerts = None if alerts_ok else both("plan.why.no_alert_ids")
    out["06_alerts_text"] = (
        None,
        {
            "alerts": no_alerts,
            "backtest": no_bt if alerts_ok else no_alerts,
            "themes": few,
            "quotes": few,
        },
    )
    # 07 employees
    ch7 = None if f.counts.get("employees") else both("plan.why.no_employees", client=client)
    if params.programme is None:
        no_prog = both("plan.why.no_programme")
    elif not (
        any(w < params.programme.start for w in f.employee_waves)
        and any(w >= params.programme.start for w in f.employee_waves)
    ):
        no_prog = both("plan.why.programme_window", start=params.programme.start)
    else:
        no_prog = None
    no_link = None if has("branch") else both("plan.why.no_branch_link")
    out["07_employee"] = (ch7, {"engagement": None, "programme": no_prog, "linkage": no_link})
    # 09 appendix
    out["09_appendix"] = (
        None,
        {
            "bases": None,
            "segments": no_by,
            "fieldwork": None,
            "methods": None,
            "settings": None,
            "reliability": None
            if scales
            else both("plan.why.scales_differ")
            if len(sv.drivers) >= 2 and not _one_scale(list(sv.drivers), book)
            else both("plan.why.no_scales"),
            "diagnostics": no_drivers,
            "sources": None,
        },
    )
    return out


def _one_scale(items: list[str], book) -> bool:
    """True when the codebook gives every item the same scale (or gives none a scale to compare).
    Cronbach's α and ω add the raw items: of a 0–6 and a 1–7 item, or of centimetres and points,
    that sum is no scale and its reliability means nothing."""
    if book is None:
        return True
    scales = {book.get(n).scale for n in items if n in book}
    return len(scales) <= 1


def _scales(sv: StudyVariables, book) -> dict[str, list[str]]:
    """Item blocks whose reliability the appendix reports (all drivers; each dimension with two or
    more driver items), each on one codebook scale."""
    out: dict[str, list[str]] = {}
    if len(sv.drivers) >= 2 and _one_scale(list(sv.drivers), book):
        out["drivers"] = list(sv.drivers)
    if book is None:
        return out
    by_dim: dict[str, list[str]] = {}
    for name in sv.drivers:
        if name in book:
            by_dim.setdefault(book.get(name).dimension or "", []).append(name)
    out.update(
        {
            d: items
            for d, items in by_dim.items()
            if d and len(items) >= 2 and _one_scale(items, book)
        }
    )
    return out


_SUBSTANTIVE = {  # sections whose absence alone leaves a chapter with nothing to show
    "00_summary": ("messages",),
    "01_data_quality": ("bases",),
    "02_kpis": ("nps", "satisfaction"),
    "03_drivers": ("drivers", "processes"),
    "04_persistence": ("loyalty_horizon", "process_horizon", "churn"),
    "05_loyalty": ("ladder", "retention", "transfers"),
    "06_alerts_text": ("alerts", "backtest", "themes"),
    "07_employee": ("engagement", "programme", "linkage"),
    "09_appendix": ("methods",),
}


def make_plan(
    params: Params,
    *,
    store: str | Path | None = None,
    book=None,
    strict: bool = True,
    variables: StudyVariables | None = None,
) -> Plan:
    """Decide which chapters and sections of the report run.

    Parameters
    ----------
    params : Params
        Validated params (see :func:`cxresearch.report.load_params`).
    store : str or Path, optional
        The study store (default ``params.data.store``).
    book : Codebook, optional
        The codebook (default: ``data.codebook``, else the client's latest import).
    strict : bool, default True
        When the params list their chapters (``notebooks:``), a listed chapter that cannot run is an
        error; False leaves it out with its reason (what a notebook does when it reads the plan).
    variables : StudyVariables, optional
        Resolved variables (default :func:`check_variables`).

    Returns
    -------
    Plan

    Raises
    ------
    ParamsError
        A listed chapter cannot run (``strict``): the message names the chapter and the missing
        input; or no chapter can run; or a variable does not fit its use.
    """
    from cxresearch import codebook as cb
    from cxresearch.store import Store

    label = str(params.source) if params.source else "params"
    store = Path(store) if store is not None else params.data.store
    if store is None:
        raise ParamsError(f"{label}: data: no study store to plan from (import data.files first)")
    with Store(store, read_only=True) as st:
        if book is None:
            book = (
                cb.load(params.data.codebook)
                if params.data.codebook
                else st.codebook(params.client)
            )
        sv = variables or check_variables(params, book, label=label)
        facts = _facts(st, params, sv, book)
    if not facts.waves:
        raise ParamsError(
            f"{label}: client {params.client!r} has no survey responses"
            + (
                f" in the report window (first_wave {params.first_wave} … wave {params.wave})"
                if params.first_wave or params.wave
                else ""
            )
        )
    if params.wave is not None and params.wave not in facts.waves:
        raise ParamsError(
            f"{label}: period/wave: client {params.client!r} has no responses in wave "
            f"{params.wave}; waves in the store: {', '.join(map(str, facts.waves))} (set "
            "`period` or `wave` to one of them)"
        )
    decided = _decide(params, sv, facts, book)
    explicit = "notebooks" in params.model_fields_set
    listed = list(params.notebooks)
    chapters: list[Chapter] = []
    for stem in [*listed, *[n for n in NOTEBOOKS if n not in listed]]:
        is_listed = stem in listed
        if stem not in decided:
            chapters.append(
                Chapter(
                    stem,
                    runs=is_listed,
                    reason=None if is_listed else both("plan.why.not_listed"),
                    sections=(),
                    listed=is_listed,
                )
            )
            continue
        reason, secs = decided[stem]
        sections = tuple(
            Section(stem, name, runs=secs[name] is None, reason=secs[name])
            for name in CHAPTERS[stem]
        )
        if reason is None and not any(s.runs for s in sections if s.name in _SUBSTANTIVE[stem]):
            whys = [s.reason for s in sections if s.name in _SUBSTANTIVE[stem] and s.reason]
            reason = {
                lang: message("plan.reason_separator", lang).join(
                    dict.fromkeys(r[lang] for r in whys)
                )
                for lang in LANGS
            }
        if not is_listed:
            chapters.append(
                Chapter(
                    stem,
                    runs=False,
                    reason=both("plan.why.not_listed"),
                    sections=sections,
                    listed=False,
                )
            )
            continue
        if reason is not None and explicit and strict:
            raise ParamsError(
                f"{label}: notebooks: {stem} cannot run: {reason['en']} "
                "(remove it from `notebooks:` or provide the data)"
            )
        chapters.append(Chapter(stem, runs=reason is None, reason=reason, sections=sections))
    plan = Plan(
        client=params.client,
        period=params.period,
        chapters=tuple(chapters),
        variables=sv,
        facts=facts,
    )
    if not plan.notebooks:
        raise ParamsError(f"{label}: notebooks: no chapter can run for client {params.client!r}")
    return plan


def study_plan(params_file: str | Path, *, strict: bool = True) -> Plan:
    """The plan of the report a params file would produce, computed without running anything.

    Validates the params (:func:`cxresearch.report.run.check_inputs`: variables, kinds and scales,
    client in the store), imports ``data.files`` into a temporary store when the params give files,
    and returns :func:`make_plan`'s plan. ``cxresearch run --plan FILE`` prints it.

    Raises
    ------
    ParamsError
        Invalid params, a misused variable, or (``strict``) a listed chapter that cannot run.

    Examples
    --------
    What a report on a four-wave demo study without an employee survey would contain; the params
    name the data files, which are imported into a temporary store:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import yaml
    >>> import cxresearch as cx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> demo = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> demo.responses.to_parquet(folder / "survey.parquet")
    >>> demo.customers.to_parquet(folder / "customers.parquet")
    >>> _ = (folder / "codebook.yaml").write_text(yaml.safe_dump(demo.codebook), encoding="utf-8")
    >>> params = {"client": "acme", "client_name": {"zh": "阿克米", "en": "Acme"},
    ...           "period": "2017", "language": "en",
    ...           "data": {"files": ["survey.parquet", "customers.parquet"],
    ...                    "codebook": "codebook.yaml"}}
    >>> _ = (folder / "acme.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    >>> plan = cx.report.study_plan(folder / "acme.yaml")
    >>> plan.notebooks
    ['00_summary', '01_data_quality', '02_kpis', '03_drivers', '05_loyalty', '06_alerts_text',
    '09_appendix']
    >>> [chapter.name for chapter in plan.chapters if not chapter.runs]
    ['04_persistence', '07_employee']
    >>> plan.reason("04_persistence")
    '4 waves; the lag profile needs at least max_lag + 2 = 7 waves: no persistence analysis'
    >>> tmp.cleanup()
    """
    import shutil
    import tempfile

    from cxresearch.report.params import load_params
    from cxresearch.report.run import _import_files, check_inputs

    params = load_params(params_file)
    book = check_inputs(params)
    if not params.data.files:
        return make_plan(params, book=book, strict=strict)
    work = Path(tempfile.mkdtemp(prefix="cx-plan-"))
    try:
        store = _import_files(params, work, book)
        return make_plan(params, store=store, book=book, strict=strict)
    finally:
        shutil.rmtree(work, ignore_errors=True)

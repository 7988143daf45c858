"""What a study notebook opens first: the validated parameters, the codebook and the client's data.

A study notebook's parameters cell holds plain values only (the params file path, optionally a
store path and a language override); :func:`open_study` derives everything else::

    study = cx.report.open_study(params_file, store=store_file, lang=lang)
    responses = study.responses()          # this client only, waves up to the report period

Every read goes through :class:`cxresearch.store.Store` and names the client, so a report never
sees another client's rows. Opening a study also sets the house chart style (CJK font, branding
colours); under the report runner (``cxresearch run``) it also routes the package's data-quality
warnings to the report's notes, while in JupyterLab they show as ordinary warnings.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxresearch.errors import CXError, CXValueError, CXWarning
from cxresearch.report.params import Params, load_params

__all__ = ["FINDINGS_ENV", "RAKED_WEIGHT", "Study", "open_study"]

#: Environment variable naming the file where the report runner collects the chapters' findings.
FINDINGS_ENV = "CXRESEARCH_FINDINGS"

_WARNING_PREFIX = "CXWARNING\t"

#: Column holding the raked weights when the params give raking margins.
RAKED_WEIGHT = "raked_weight"  # same as cxresearch.report.render.WARNING_PREFIX


def _show_warning(
    message, category, filename, lineno, file=None, line=None, _orig=warnings.showwarning
):
    if isinstance(category, type) and issubclass(category, CXWarning):
        text = " ".join(str(message).split())
        print(f"{_WARNING_PREFIX}{category.__name__}: {text}", file=sys.stderr)
        return
    _orig(message, category, filename, lineno, file, line)


@dataclass
class Study:
    """A client's study as one report sees it (see :func:`open_study`).

    Attributes
    ----------
    params : Params
        Validated report parameters.
    codebook : cxresearch.codebook.Codebook
        The study codebook.
    store_path : Path
        The study store read from.
    """

    params: Params
    codebook: Any
    store_path: Path
    _cache: dict = field(default_factory=dict, repr=False)

    # -- parameters made handy ------------------------------------------------------------------
    @property
    def lang(self) -> str:
        """Report language, ``'zh'`` or ``'en'``."""
        return self.params.language

    @property
    def client(self) -> str:
        """Client id in the store."""
        return self.params.client

    @property
    def thresholds(self):
        """Reporting thresholds (``min_base``, ``anonymity_min``, ``dissatisfied_cut`` …)."""
        return self.params.thresholds

    @property
    def analysis(self):
        """Resampling settings: ``seed``, ``n_boot``, ``max_lag``."""
        return self.params.analysis

    @property
    def programme(self):
        """The improvement programme to evaluate (``units``, ``start``).

        Raises
        ------
        CXError
            The params file sets no ``programme``.
        """
        if self.params.programme is None:
            raise CXError(
                f"{self.params.source}: programme: not set; the employee chapter needs "
                "programme: {units: [...], start: YEAR}, or leave 07_employee out of `notebooks:`"
            )
        return self.params.programme

    @property
    def plan(self):
        """The study plan (:class:`cxresearch.report.plan.Plan`): which chapters and sections run.

        Computed from the params, the codebook and the store as the report runner computes it, but
        a listed chapter that cannot run is left out instead of refused."""
        if "plan" not in self._cache:
            from cxresearch.report.plan import make_plan

            self._cache["plan"] = make_plan(
                self.params,
                store=self.store_path,
                book=self.codebook,
                strict=False,
                variables=self.variables,
            )
        return self._cache["plan"]

    @property
    def variables(self):
        """Variables the analyses use (outcome, nps, loyalty, drivers, by, weight …), with what the
        params leave open filled from the codebook (:func:`cxresearch.report.plan.resolve_variables`);
        ``nps``/``loyalty`` are None and ``by`` empty when the study has none."""
        if "variables" not in self._cache:
            from cxresearch.report.plan import resolve_variables

            self._cache["variables"] = resolve_variables(self.params, self.codebook)
        return self._cache["variables"]

    @property
    def segment(self) -> str | None:
        """The first segment variable (``variables.by[0]``), None when the report has totals only."""
        return self.variables.by[0] if self.variables.by else None

    @property
    def segments(self) -> list[str]:
        """Every segment variable (``variables.by``), in order; empty when the report has totals
        only. Chapter 02 and the appendix report each (the first with its chart)."""
        return list(self.variables.by)

    @property
    def kpis(self) -> list[str]:
        """The scaled KPIs whose top-box shares chapter 02 reports: the outcome and the loyalty item."""
        return [n for n in (self.variables.outcome, self.variables.loyalty) if n]

    @property
    def top_box_kpis(self) -> list[str]:
        """The KPIs whose top-two box chapter 02 reports: those on an answer scale
        (:attr:`cxresearch.codebook.Variable.rating_scale`); a numeric score has no top box."""
        book = self.codebook
        return [n for n in self.kpis if n in book and book.get(n).rating_scale]

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The customer scores employee engagement is linked to: the outcome and the NPS item."""
        return tuple(n for n in (self.variables.outcome, self.variables.nps) if n)

    @property
    def crm(self):
        """The CRM rows (:meth:`customers`), or None when the client has no CRM data."""
        frame = self.customers()
        return frame if len(frame) else None

    @property
    def unit_labels(self) -> dict:
        """Value labels of the unit (branch) the employee survey reports by; empty without one."""
        return self.value_labels("branch") if "branch" in self.codebook else {}

    @property
    def wave(self) -> int:
        """The report's focus wave (the last wave available when the period names none)."""
        if self.params.wave is not None:
            return self.params.wave
        return int(max(self.waves))

    @property
    def waves(self) -> list[int]:
        """Waves in the report's window (``first_wave`` … ``wave``) that have responses."""
        key = "waves"
        if key not in self._cache:
            frame = self._read("responses", columns=["wave"])
            waves = sorted(int(w) for w in frame["wave"].dropna().unique())
            hi = (
                self.params.wave if self.params.wave is not None else (waves[-1] if waves else None)
            )
            lo = self.params.first_wave
            self._cache[key] = [
                w for w in waves if (hi is None or w <= hi) and (lo is None or w >= lo)
            ]
        return self._cache[key]

    @property
    def drivers(self) -> list[str]:
        """Driver variables: from the params, else the codebook's role ``driver`` outside processes,
        else every likert/rating item but the outcomes."""
        return list(self.variables.drivers)

    @property
    def processes(self) -> list[str]:
        """Business-process satisfaction variables (dimension ``process:<name>``)."""
        return list(self.variables.processes)

    @property
    def alert_rules(self) -> tuple:
        """Early-warning rules: the params' ``alerts`` list, else the package defaults with the
        low-score rule set to ``thresholds.early_warning`` on the outcome variable."""
        import dataclasses

        from cxresearch import alerts

        if self.params.alerts is not None:
            return alerts.rules_from_params(self.params.alerts)
        v = self.variables
        facts = self.plan.facts
        out = []
        for r in alerts.DEFAULT_RULES:
            if r.kind == "low_score":
                out.append(
                    dataclasses.replace(
                        r, score=v.outcome, below=self.params.thresholds.early_warning
                    )
                )
            elif r.kind == "drop":
                if len(facts.waves) > 1:  # a drop needs an earlier wave
                    out.append(dataclasses.replace(r, score=v.outcome))
            elif r.kind == "detractor_high_value":
                if v.nps and facts.counts.get(
                    "customers"
                ):  # needs a 0-10 item and the CRM's high_value
                    out.append(dataclasses.replace(r, score=v.nps))
            elif r.kind == "complaint_theme":
                if facts.counts.get("comments"):
                    out.append(r)
            else:
                out.append(r)
        return tuple(out)

    @property
    def focus_process(self) -> str:
        """The business process whose persistence the report follows: ``variables.process``, else
        the service process (dimension ``process:service``), else the first process."""
        if not self.variables.process:
            raise CXError(
                f"{self.params.source}: the codebook has no process variables (dimension process:<name>)"
            )
        return self.variables.process

    @property
    def scales(self) -> dict[str, list[str]]:
        """Item sets whose reliability the appendix reports: all drivers, and each codebook dimension
        with two or more driver items (business processes are separate measures, not a scale)."""
        from cxresearch.report.plan import _scales

        return _scales(self.variables, self.codebook)

    @property
    def design(self) -> dict[str, Any]:
        """Keyword arguments every survey estimate of this report shares.

        ``weights``, ``alpha``, ``min_base`` and ``anonymity_min`` — pass as
        ``cx.survey.mean(frame, score=..., **study.design)``. ``weights`` is a column name (the
        raked weight column when the params rake, held fixed), so it serves any frame and any
        function that reads the weights as a column; :meth:`design_for` gives the same keywords
        with calibration-aware weights for a frame of whole waves.
        """
        t = self.params.thresholds
        return {
            "weights": self.weight,
            "alpha": t.alpha,
            "min_base": t.min_base,
            "anonymity_min": t.anonymity_min,
        }

    @property
    def wave_design(self) -> dict[str, Any]:
        """:attr:`design` for comparisons across waves of :meth:`responses` (the report window) —
        ``cx.survey.trend(study.responses(), score=..., **study.wave_design)`` (issue 14):

        * ``respondent``: the customer id that links waves (``customer_id`` when the responses have
          it): repeat customers become clusters, so wave-on-wave tests include the covariance of a
          customer's answers;
        * ``weights``: when the params rake, the waves' rakes stacked (``cx.survey.stack_rakes``),
          so the SEs are calibration-aware (R ``rake`` + ``svyby``) rather than treating the raked
          weights as fixed. It belongs to the rows of ``study.responses()`` (same index); for
          other frames of whole waves use :meth:`design_for`.
        """
        frame = self.responses()
        weights = self._cache.get(("raking", False), self.design["weights"])
        # a survey without customer ids (e.g. a single-wave export whose ids were generated at
        # import) has the column, all empty: no clusters then
        linked = "customer_id" in frame.columns and bool(frame["customer_id"].notna().all())
        return {**self.design, "weights": weights, "respondent": "customer_id" if linked else None}

    def design_for(self, frame) -> dict[str, Any]:
        """:attr:`design` for ``frame``, calibration-aware when the params rake (issue 14) —
        ``cur = study.current(); cx.survey.mean(cur, score=..., by=..., **study.design_for(cur))``.

        ``frame`` holds whole waves of the report window as the study hands them out
        (:meth:`current`, :meth:`responses`, in any row order and with any index); its rows are
        found by ``respondent_id`` and ``wave``. When the params rake, ``weights`` is the waves'
        rakes (:meth:`responses` rakes each wave on its own) restricted to those rows, a
        :class:`~cxresearch.survey.RakeResult` indexed like ``frame``: the SEs are then those of
        R's ``rake`` (``calibrate(..., calfun = "raking")``), the influence values residualised on
        the raking margins, instead of treating the raked weights as fixed. A wave's own rake is
        the stacked rake restricted to its rows (each wave is calibrated on its own margins), so
        the restriction is exact for whole waves; a part of a wave is refused (estimate on the
        whole wave with ``by=`` instead). Without raking this is :attr:`design`.

        :attr:`design` itself keeps the raked weight column (held fixed): it is passed to
        functions that read the weights as a column and used with frames of other rows. The
        summary's segment scorecard takes this design (``cx.findings.scorecard(cur, ...,
        **study.design_for(cur))``), so its Total-vs-segment tests are calibration-aware too.

        Raises
        ------
        CXValueError
            The study rakes and ``frame`` has no ``respondent_id``/``wave``, rows that are not the
            study's, or only part of a wave.
        """
        import numpy as np
        import pandas as pd

        design = self.design
        if not self.params.variables.raking:
            return dict(design)
        resp = self.responses()  # also rakes, once
        stacked = self._cache[("raking", False)]
        keys = ["respondent_id", "wave"]
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise CXValueError(
                f"design_for: the frame has no {missing[0]!r} column; calibrated SEs need the "
                "rows of the responses as the study hands them out (current(), responses())"
            )
        pos_of = pd.Series(range(len(resp)), index=pd.MultiIndex.from_frame(resp[keys]))
        if pos_of.index.has_duplicates:
            raise CXValueError("design_for: respondent_id and wave do not identify the responses")
        pos = pos_of.reindex(pd.MultiIndex.from_frame(frame[keys])).to_numpy()
        if len(frame) == 0 or pd.isna(pos).any():
            raise CXValueError(
                "design_for: the frame holds rows that are not among the study's "
                "responses in the report window"
            )
        pos = pos.astype(np.int64)
        if len(np.unique(pos)) != len(pos):
            raise CXValueError("design_for: the frame holds a response twice")
        waves = resp["wave"].to_numpy()
        have = pd.Series(waves[pos]).value_counts()
        full = pd.Series(waves).value_counts().reindex(have.index)
        part = have[have != full]
        if len(part):
            w = part.index[0]
            raise CXValueError(
                f"design_for: the frame holds {int(part.iloc[0])} of the {int(full[w])} responses "
                f"of wave {w}; the raking calibrates whole waves, so pass the whole wave and "
                "choose the part with by="
            )
        from cxresearch import survey

        weights = pd.Series(stacked.weights.to_numpy()[pos], index=frame.index, name="weight")
        eff = survey.weighting_efficiency(weights.to_numpy())
        parts = [
            i for i, wv in enumerate(self._cache[("raking_waves", False)]) if wv in set(have.index)
        ]
        rake = dataclasses.replace(
            stacked,
            weights=weights,
            calibration=tuple(
                (np.asarray(code)[pos], np.asarray(psw)[pos]) for code, psw in stacked.calibration
            ),
            n=eff["n"],
            n_eff=eff["n_eff"],
            efficiency=eff["efficiency"],
            deff=eff["deff"],
            margins=stacked.margins[stacked.margins["part"].isin(parts)].reset_index(drop=True),
        )
        return {**design, "weights": rake}

    @property
    def fmt(self) -> dict[str, Any]:
        """Keyword arguments every report table of this study shares: ``lang``, ``codebook``,
        ``min_base`` — pass as ``cx.tables.estimates(result, **study.fmt, ...)``."""
        return {
            "lang": self.lang,
            "codebook": self.codebook,
            "min_base": self.params.thresholds.min_base,
        }

    @property
    def weight(self) -> str | None:
        """Weight column of the estimates: ``RAKED_WEIGHT`` when the params give raking margins
        (each wave raked to them from ``variables.weight``), else ``variables.weight`` (None:
        unweighted)."""
        if self.params.variables.raking:
            return RAKED_WEIGHT
        return self.params.variables.weight

    @property
    def survey_design(self):
        """The study's :class:`cxresearch.survey.Design` (its weight column, see :attr:`weight`);
        pass as ``design=`` to any survey estimate or test."""
        from cxresearch.survey import Design

        return Design(weights=self.weight)

    def survey_data(self, *, current: bool = False):
        """``(frame, design)``: the responses (all waves of the window, or the focus wave with
        ``current=True``) together with the design to analyse them with."""
        return (self.current() if current else self.responses()), self.survey_design

    @property
    def owners(self) -> dict[str, str]:
        """The params' ``owners`` map (driver, dimension, ``<segment variable>:<code>`` -> owner),
        in the report's language (an owner given in one language only is shown as given)."""
        return {k: v.for_lang(self.lang) for k, v in (self.params.owners or {}).items()}

    @property
    def dimensions(self) -> dict[str, str]:
        """``{variable: codebook dimension}`` of the variables that have one."""
        return {
            v.name: v.dimension for v in self.codebook.variables if getattr(v, "dimension", None)
        }

    @property
    def headline_kpis(self) -> list[tuple[str, str]]:
        """The executive summary's KPIs as ``(variable, statistic)``: NPS (when the plan runs it),
        the outcome's mean, loyalty's mean."""
        v = self.variables
        out = [(v.nps, "nps")] if v.nps and self.plan.runs("02_kpis", "nps") else []
        if v.outcome:
            out.append((v.outcome, "mean"))
        if v.loyalty:
            out.append((v.loyalty, "mean"))
        return out

    # -- findings -------------------------------------------------------------------------------
    def record(self, findings) -> None:
        """Keep a chapter's findings (``cx.findings.*`` records) for the executive summary.

        Under the report runner they are appended to the run's findings file (the summary chapter
        runs last and reads them; the runner writes them to ``findings.json``); in JupyterLab they
        are kept in this study object only.
        """
        from cxresearch import findings as fnd

        items = list(findings)
        self._cache.setdefault("findings", []).extend(items)
        path = os.environ.get(FINDINGS_ENV)
        if path:
            fnd.write_jsonl(items, path)

    def findings(self) -> list:
        """Every finding recorded in this run (all chapters under the runner; this session otherwise)."""
        from cxresearch import findings as fnd

        path = os.environ.get(FINDINGS_ENV)
        if path:
            return fnd.read_jsonl(path)
        return list(self._cache.get("findings", []))

    # -- labels ---------------------------------------------------------------------------------
    def label(self, name: str) -> str:
        """The codebook label of variable ``name`` in the report language."""
        return self.codebook.get(name).label_for(self.lang)

    def labels(self, names) -> dict[str, str]:
        """``{name: label}`` for several variables."""
        return {n: self.label(n) for n in names}

    def value_labels(self, name: str) -> dict:
        """``{code: label}`` of a categorical variable in the report language."""
        var = self.codebook.get(name)
        values = getattr(var, "values", None) or {}
        return {code: var.value_label(code, self.lang) for code in values}

    # -- data -----------------------------------------------------------------------------------
    def _read(self, table: str, **kwargs):
        from cxresearch.store import Store

        with Store(self.store_path, read_only=True) as st:
            return getattr(st, table)(self.client, **kwargs)

    def responses(self, *, all_waves: bool = False):
        """The client's survey responses in the report window (a copy; cached).

        Parameters
        ----------
        all_waves : bool, default False
            Ignore the report window and return every wave stored.
        """
        key = ("responses", all_waves)
        if key not in self._cache:
            waves = None if all_waves else self.waves
            frame = self._read("responses", waves=waves)
            if self.params.variables.raking:
                (
                    frame,
                    self._cache[("raking", all_waves)],
                    self._cache[("raking_waves", all_waves)],
                ) = self._rake(frame)
            self._cache[key] = frame
        return self._cache[key].copy()

    def _rake(self, frame):
        """Add ``RAKED_WEIGHT``: each wave raked to the params' margins (IPF, ``cx.survey.rake``);
        also return the waves' rakes stacked (``cx.survey.stack_rakes``), for calibrated SEs, and
        the wave of each stacked part."""

        from cxresearch import survey

        margins = self.params.variables.raking
        groups = list(frame.groupby("wave", sort=False))
        results = [
            survey.rake(part, margins=margins, weights=self.params.variables.weight)
            for _, part in groups
        ]
        stacked = survey.stack_rakes(results, index=frame.index)
        return frame.assign(**{RAKED_WEIGHT: stacked.weights}), stacked, [w for w, _ in groups]

    def with_comments(self, *, current: bool = False):
        """Responses with each open-text variable (e.g. ``comment``) joined back as a column.

        The store keeps comments in their own table; the text and alert analyses expect them on the
        response rows. Respondents without a comment get an empty string.

        Parameters
        ----------
        current : bool, default False
            Only the focus wave.
        """
        frame = self.current() if current else self.responses()
        comments = self.comments()
        if len(comments):
            wide = comments.pivot_table(
                index=["respondent_id", "wave"], columns="variable", values="text", aggfunc="first"
            ).reset_index()
            wide.columns.name = None
            frame = frame.merge(wide, on=["respondent_id", "wave"], how="left")
        for var in self.codebook.by_kind("text"):
            if var.name not in frame:
                frame[var.name] = ""
            frame[var.name] = frame[var.name].fillna("")
        return frame

    def current(self):
        """Responses of the focus wave only."""
        frame = self.responses()
        return frame[frame["wave"] == self.wave].reset_index(drop=True)

    def customers(self):
        """The client's CRM rows up to the focus wave's year (a copy; cached)."""
        if "customers" not in self._cache:
            frame = self._read("customers")
            self._cache["customers"] = frame[frame["year"] <= self.wave].reset_index(drop=True)
        return self._cache["customers"].copy()

    def employees(self):
        """The client's employee survey rows up to the focus wave (a copy; cached)."""
        if "employees" not in self._cache:
            frame = self._read("employees")
            self._cache["employees"] = frame[frame["wave"] <= self.wave].reset_index(drop=True)
        return self._cache["employees"].copy()

    def comments(self, *, all_waves: bool = False):
        """The client's open comments in the report window (a copy; cached)."""
        key = ("comments", all_waves)
        if key not in self._cache:
            self._cache[key] = self._read("comments", waves=None if all_waves else self.waves)
        return self._cache[key].copy()

    def imports(self):
        """Provenance of the client's loaded files."""
        return self._read("imports")

    def missing_codes(self):
        """The original code of every missing answer of the client, in the report window."""
        return self._read("missing_codes", waves=self.waves)


def open_study(
    params_file: str | Path,
    *,
    store: str | Path | None = None,
    lang: str | None = None,
    style: bool = True,
) -> Study:
    """Open the study a report runs on.

    Parameters
    ----------
    params_file : str or Path
        The report's params YAML (validated with :func:`cxresearch.report.load_params`).
    store : str or Path, optional
        Study store to read instead of ``data.store`` (the runner passes the store it built from
        ``data.files``).
    lang : {'zh', 'en'}, optional
        Override the params file's language.
    style : bool, default True
        Apply the house chart style (:func:`cxresearch.viz.style.apply`) with the branding colours.

    Returns
    -------
    Study

    Raises
    ------
    ParamsError
        Invalid params file.
    CXError
        No store to read, or the client is not in it.

    Examples
    --------
    A four-wave demo study imported into a store in a temporary folder, then opened as a report
    notebook opens it:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import yaml
    >>> import cxresearch as cx
    >>> from cxresearch.store import Store
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> demo = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> demo.responses.to_parquet(folder / "survey.parquet")
    >>> demo.customers.to_parquet(folder / "customers.parquet")
    >>> with Store(folder / "study.duckdb") as store:
    ...     _ = store.import_files([folder / "survey.parquet", folder / "customers.parquet"],
    ...                            client="acme", codebook=cx.codebook.load(demo.codebook))
    >>> params = {"client": "acme", "client_name": {"zh": "阿克米", "en": "Acme"},
    ...           "period": "2017", "language": "en", "data": {"store": "study.duckdb"}}
    >>> _ = (folder / "acme.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    >>> study = cx.report.open_study(folder / "acme.yaml", style=False)
    >>> study.wave, study.waves
    (2017, [2014, 2015, 2016, 2017])
    >>> study.variables.outcome, study.variables.by
    ('overall_sat', ('branch', 'segment'))
    >>> len(study.current()), study.label("overall_sat")
    (295, 'Overall satisfaction')
    >>> tmp.cleanup()
    """
    params: Params = load_params(params_file)
    if lang is not None:
        if lang not in ("zh", "en"):
            raise CXValueError(f"lang must be 'zh' or 'en'; got {lang!r}")
        params = params.model_copy(update={"language": lang})
    store_path = Path(store) if store is not None else params.data.store
    if store_path is None:
        raise CXError(
            f"{params_file}: data.files must be imported into a store first; run the report with "
            "'cxresearch run', or pass store=... to open_study"
        )
    from cxresearch import codebook as cb
    from cxresearch.store import Store

    with Store(store_path, read_only=True) as st:
        clients = st.clients()
        if params.client not in clients:
            raise CXError(
                f"{params_file}: client {params.client!r} is not in store {str(store_path)!r}; "
                f"clients there: {', '.join(clients) or '(none)'}"
            )
        book = cb.load(params.data.codebook) if params.data.codebook else st.codebook(params.client)
    if style:
        from cxresearch.viz import style as viz_style

        palette = [params.branding.primary_colour, params.branding.accent_colour]
        palette += [c for c in viz_style.PALETTE if c not in palette]
        viz_style.apply(palette=palette)
    if os.environ.get("CXRESEARCH_REPORT_RUN"):  # set by cxresearch.report.run for its kernel
        warnings.showwarning = _show_warning  # data-quality warnings go to the report's notes
    return Study(params=params, codebook=book, store_path=Path(store_path))

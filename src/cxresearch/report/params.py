"""Report parameters: one YAML file per client × period, validated before anything runs.

A params file names the client, the period, the language, where the data are (a study store or data
files plus a codebook), which variables the analyses use, the thresholds, the output formats and the
branding. Relative paths are resolved against the folder of the params file. Unknown keys, wrong
types and missing files raise :class:`ParamsError` naming the file and the key.

Example (``params/demo.yaml``)::

    client: demo
    client_name: {zh: 示范机械, en: Demo Machinery}
    period: "2025"
    language: zh
    data:
      store: ../demo_study/study.duckdb
      codebook: ../demo_study/codebook.yaml
    variables:
      outcome: overall_sat
      drivers: [product_quality, price_value, channel_ease]
      by: [branch, segment]
      weight: weight
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cxresearch._i18n import check_lang, message
from cxresearch.errors import CXValueError

__all__ = [
    "LANGUAGES",
    "NOTEBOOKS",
    "EXECUTE_LAST",
    "FORMATS",
    "Analysis",
    "Branding",
    "Fieldwork",
    "DataSource",
    "ClientName",
    "Localized",
    "Output",
    "Params",
    "Programme",
    "ParamsError",
    "Tabs",
    "Thresholds",
    "Variables",
    "load_params",
]

#: Report languages.
LANGUAGES = ("zh", "en")

#: Study notebooks in report order (file stem under ``notebooks/``); params may choose a subset.
#: ``00_summary`` (executive summary, KPI dashboard, priorities) is printed first but executed last,
#: after the chapters whose findings it ranks (see :data:`EXECUTE_LAST`).
NOTEBOOKS = (
    "00_summary",
    "01_data_quality",
    "02_kpis",
    "03_drivers",
    "04_persistence",
    "05_loyalty",
    "06_alerts_text",
    "07_employee",
    "09_appendix",
)

#: Notebooks executed after all the others, whatever their place in the report.
EXECUTE_LAST = ("00_summary",)

#: Output formats a report can produce (``tabs``: banner tables, ``tabs.<lang>.xlsx``;
#: ``pptx``: the deck, ``report.<lang>.pptx``).
FORMATS = ("html", "pdf", "xlsx", "tabs", "pptx")

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ParamsError(CXValueError):
    """A params file is missing, unreadable or invalid; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Localized(_Model):
    """A text in both report languages."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def for_lang(self, lang: str) -> str:
        """The text in ``lang`` (``'zh'`` or ``'en'``)."""
        check_lang(lang)
        return getattr(self, lang)


class ClientName(_Model):
    """The client's display name: ``{zh: 阿克米, en: Acme}``, only one language, or one plain text.

    A plain text (``client_name: Acme``) is the name in both languages, as given. A name given in one
    language only (``{en: Acme}``) is shown as it is in a report of the other language; that fallback
    is stated (:meth:`fallback`, :attr:`Params.fallbacks`, the ``run`` summary and the manifest), never
    silent.
    """

    zh: str | None = Field(default=None, min_length=1)
    en: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, value):
        if isinstance(value, str):
            return {"zh": value, "en": value}
        return value

    @model_validator(mode="after")
    def _one(self) -> ClientName:
        if self.zh is None and self.en is None:
            raise ValueError(
                "give the client's name: a text, or {zh: ..., en: ...} (one is enough)"
            )
        return self

    def fallback(self, lang: str) -> str | None:
        """The language whose text a ``lang`` report shows instead, or None when ``lang`` has its own."""
        check_lang(lang)
        if getattr(self, lang) is not None:
            return None
        return next(other for other in LANGUAGES if other != lang)

    def for_lang(self, lang: str) -> str:
        """The name in ``lang``; the other language's when ``lang`` has none (see :meth:`fallback`)."""
        other = self.fallback(lang)
        return getattr(self, other or lang)


class LocalText(ClientName):
    """A text shown in the report (e.g. an owner in the priorities table): one plain text for both
    languages, ``{zh: ..., en: ...}``, or one language only (shown as it is in the other
    language's report; the fallback is stated in :attr:`Params.fallbacks`)."""

    @model_validator(mode="after")
    def _one(self) -> LocalText:
        if self.zh is None and self.en is None:
            raise ValueError("give a text, or {zh: ..., en: ...} (one is enough)")
        return self


class DataSource(_Model):
    """Where the study data are: a study store, or data files imported into a fresh store at run time.

    ``codebook`` defaults to the one stored with the client's latest import.
    """

    store: Path | None = None
    files: list[Path] = Field(default_factory=list)
    codebook: Path | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSource:
        if self.store is None and not self.files:
            raise ValueError(
                "give either 'store' (a study store file) or 'files' (data files to import)"
            )
        if self.store is not None and self.files:
            raise ValueError("give either 'store' or 'files', not both")
        if self.files and self.codebook is None:
            raise ValueError("'files' need a 'codebook' to be checked against")
        return self


class Variables(_Model):
    """Which codebook variables the analyses use.

    A key left out is filled from the codebook's roles (see
    :func:`cxresearch.report.plan.resolve_variables`); a key set to ``null`` (``by: []``) is not used:
    ``nps: null`` — no NPS; ``loyalty: null`` — no loyalty measure; ``by: []`` — totals only;
    ``weight: null`` — unweighted (the default).
    """

    outcome: str | None = None
    nps: str | None = None
    loyalty: str | None = None
    drivers: list[str] | None = None
    processes: list[str] | None = None
    process: str | None = None  # the process whose horizon the persistence chapter reports
    by: list[str] | None = None
    weight: str | None = None
    raking: dict[str, dict[Any, float]] | None = None

    @field_validator("raking")
    @classmethod
    def _margins(cls, value):
        if value is None:
            return value
        for var, margin in value.items():
            if not margin:
                raise ValueError(f"raking margin for {var!r} is empty")
            if any(share < 0 for share in margin.values()):
                raise ValueError(f"raking margin for {var!r} has a negative share")
            total = sum(margin.values())
            if total <= 0:
                raise ValueError(
                    f"raking margin for {var!r} sums to {total}; give shares or counts > 0"
                )
        return value


class Thresholds(_Model):
    """Reporting rules (defaults follow the study conventions)."""

    min_base: Annotated[int, Field(ge=1)] = 30
    anonymity_min: Annotated[int, Field(ge=1)] = 5
    dissatisfied_cut: Annotated[float, Field(ge=0)] = 6
    early_warning: Annotated[float, Field(ge=0)] = (
        5  # outcome below this raises an early-warning alert
    )
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.anonymity_min > self.min_base:
            raise ValueError(
                f"anonymity_min ({self.anonymity_min}) must not exceed min_base ({self.min_base})"
            )
        return self


class Analysis(_Model):
    """Settings of the resampling analyses (fixed so a report re-runs to the same numbers)."""

    seed: Annotated[int, Field(ge=0)] = 2026
    n_boot: Annotated[int, Field(ge=50, le=10_000)] = 200
    max_lag: Annotated[int, Field(ge=1, le=10)] = 5


class Programme(_Model):
    """An improvement programme to evaluate (employee engagement chapter)."""

    units: list[int] = Field(min_length=1)
    start: int


class Fieldwork(_Model):
    """How the survey was fielded, for the methods appendix (every key optional).

    ``invited`` and ``completed`` give the response rate (completed / invited) unless
    ``response_rate`` (0–1) is stated.
    """

    start: _dt.date | None = None
    end: _dt.date | None = None
    method: Localized | None = None  # e.g. {zh: 电话访问（CATI）, en: Telephone (CATI)}
    frame: Localized | None = None  # the sample frame: who could be invited
    invited: Annotated[int, Field(ge=1)] | None = None
    completed: Annotated[int, Field(ge=0)] | None = None
    response_rate: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Fieldwork:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if (
            self.invited is not None
            and self.completed is not None
            and self.completed > self.invited
        ):
            raise ValueError(f"completed ({self.completed}) exceeds invited ({self.invited})")
        return self

    @property
    def rate(self) -> float | None:
        """The response rate: ``response_rate`` if stated, else completed / invited (None if unknown)."""
        if self.response_rate is not None:
            return self.response_rate
        if self.invited and self.completed is not None:
            return self.completed / self.invited
        return None


class Output(_Model):
    """What to write and where."""

    formats: list[Literal["html", "pdf", "xlsx", "tabs", "pptx"]] = Field(
        default_factory=lambda: ["html", "pdf", "xlsx"]
    )
    dir: Path | None = None
    toc_page_numbers: bool = True  # print the PDF twice so its contents list page numbers

    @field_validator("formats")
    @classmethod
    def _nonempty(cls, value):
        if not value:
            raise ValueError(f"list at least one of {', '.join(FORMATS)}")
        return list(dict.fromkeys(value))


class Tabs(_Model):
    """Banner tables (``output.formats: [..., tabs]``; see :mod:`cxresearch.report.tabs`)."""

    banners: list[str] | None = None  # banner variables; None = variables.by; [] = Total only
    questions: list[str] | None = None  # variables / multi-response sets to tabulate; None = all
    alpha: tuple[float, float] = (0.01, 0.05)  # (strict: UPPER CASE letters, loose: lower case)
    correction: Literal["holm", "bonferroni", "bh", "none"] = "holm"

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, value):
        strict, loose = value
        if not 0 < strict < loose < 1:
            raise ValueError(
                f"alpha must be [strict, loose] with 0 < strict < loose < 1; got {list(value)}"
            )
        return value


class Branding(_Model):
    """Cover and colours of the report."""

    title: Localized | None = None
    subtitle: Localized | None = None
    prepared_by: str | None = None
    primary_colour: str = "#1f4e79"
    accent_colour: str = "#e07b39"
    logo: Path | None = None
    pptx_template: Path | None = None  # client .pptx whose masters and layouts the deck uses
    font: str = "DejaVu Sans"  # deck text (Latin); measured with the installed font of that name
    font_cjk: str = "Noto Sans CJK SC"  # deck text (East Asian, a:ea)

    @field_validator("pptx_template")
    @classmethod
    def _template(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() != ".pptx":
            raise ValueError(f"pptx_template must be a .pptx file; got {value.name!r}")
        return value

    @field_validator("primary_colour", "accent_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"a colour must be written #rrggbb; got {value!r}")
        return value.lower()

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
            raise ValueError(f"logo must be a .png, .jpg or .svg file; got {value.name!r}")
        return value


class Params(_Model):
    """A validated report specification (one client × period).

    Build it with :func:`load_params`; paths are absolute after loading.
    """

    client: str
    client_name: ClientName
    period: str
    wave: int | None = None
    first_wave: int | None = None
    language: Literal["zh", "en"] = "zh"
    data: DataSource
    variables: Variables = Field(default_factory=Variables)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    analysis: Analysis = Field(default_factory=Analysis)
    programme: Programme | None = None
    fieldwork: Fieldwork | None = None  # fieldwork dates, frame, response rate (methods appendix)
    alerts: list[dict[str, Any]] | None = None  # early-warning rules (cx.alerts.AlertRule fields)
    owners: dict[str, LocalText] | None = (
        None  # priorities' owner per driver, dimension, "<segment var>:<code>"
    )
    output: Output = Field(default_factory=Output)
    tabs: Tabs = Field(default_factory=Tabs)
    branding: Branding = Field(default_factory=Branding)
    notebooks: list[str] = Field(default_factory=lambda: list(NOTEBOOKS))
    notebook_dir: Path | None = None
    source: Path | None = Field(default=None, description="the params file this came from")

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        if not _SAFE_ID.match(value):
            raise ValueError(
                f"client must be letters, digits, '_', '-' or '.' (max 64, used as a folder name); got {value!r}"
            )
        return value

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not _SAFE_ID.match(value.strip()):
            raise ValueError(
                f"period must be a short label such as '2025' or '2025H1' (used as a folder name); got {value!r}"
            )
        return value

    @field_validator("notebooks")
    @classmethod
    def _notebooks(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"list at least one notebook; allowed: {', '.join(NOTEBOOKS)}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _waves(self) -> Params:
        if self.wave is None and self.period.isdigit():
            object.__setattr__(self, "wave", int(self.period))
        if self.first_wave is not None and self.wave is not None and self.first_wave > self.wave:
            raise ValueError(f"first_wave ({self.first_wave}) is after wave ({self.wave})")
        return self

    # -- derived values -------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        """Report language (``'zh'`` or ``'en'``)."""
        return self.language

    @property
    def display_name(self) -> str:
        """Client display name in the report language."""
        return self.client_name.for_lang(self.language)

    @property
    def fallbacks(self) -> tuple[str, ...]:
        """Texts of the report language the params do not give, and what the report shows instead.

        One sentence each, for the ``run`` summary and the manifest: ``client_name has no zh text:
        the zh report shows the en name 'Acme' (add client_name.zh)``.
        """
        lang = self.language
        out = []
        other = self.client_name.fallback(lang)
        if other is not None:
            shown = self.client_name.for_lang(lang)
            out.append(
                f"client_name has no {lang} text: the {lang} report shows the "
                f"{other} name {shown!r} (add client_name.{lang})"
            )
        for key, owner in (self.owners or {}).items():
            other = owner.fallback(lang)
            if other is not None:
                out.append(
                    f"owners[{key!r}] has no {lang} text: the {lang} report shows the {other} "
                    f"text {owner.for_lang(lang)!r} (add owners.{key}.{lang})"
                )
        return tuple(out)

    @property
    def title(self) -> str:
        """Report title in the report language (branding title, or a default)."""
        if self.branding.title is not None:
            return self.branding.title.for_lang(self.language)
        return message("params.default_title", self.language)

    def notebook_paths(self) -> list[Path]:
        """Absolute paths of the notebooks this report runs, in order."""
        folder = self.notebook_dir or default_notebook_dir()
        return [folder / f"{stem}.ipynb" for stem in self.notebooks]

    def to_plain(self) -> dict[str, Any]:
        """JSON-safe dict of every parameter (for the manifest)."""
        return self.model_dump(mode="json")


def project_path(*parts: str) -> Path:
    """A file or folder of the project that the package ships: ``notebooks``, ``params/demo.yaml``.

    An installed package holds a copy under ``cxresearch/_bundled/`` (``setup.py`` copies it into the
    wheel); an editable install (a checkout) has none and reads the checkout's own, next to ``src/``.
    """
    package = Path(__file__).resolve().parents[1]
    bundled = package.joinpath("_bundled", *parts)
    if bundled.exists():
        return bundled
    return package.parents[1].joinpath(*parts)


def default_notebook_dir() -> Path:
    """The study notebooks: the package's copy, else the checkout's ``notebooks/``."""
    return project_path("notebooks")


def demo_params_file() -> Path:
    """The demo study's parameters: the package's copy, else the checkout's ``params/demo.yaml``."""
    return project_path("params", "demo.yaml")


def _key_of(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in ("function-after", "function-before") or str(item).startswith(
            ("function-", "literal[")
        ):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _explain(exc: ValidationError, source: str) -> ParamsError:
    lines = []
    for err in exc.errors():
        key = _key_of(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see cxresearch.report.params)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        value = err.get("input")
        skip = (
            err["type"] in ("missing", "extra_forbidden")
            or isinstance(value, dict)
            or "; got " in msg
        )
        shown = "" if skip else f"; got {value!r}"
        lines.append(f"  - {key}: {msg}{shown}")
    n = len(lines)
    return ParamsError(
        f"{source}: {n} invalid parameter{'s' if n != 1 else ''}:\n" + "\n".join(lines)
    )


def _resolve(path: Path | None, base: Path) -> Path | None:
    if path is None:
        return None
    path = Path(path).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def load_params(
    source: str | Path | dict, *, base_dir: str | Path | None = None, check_files: bool = True
) -> Params:
    """Read and validate a params file.

    Parameters
    ----------
    source : str, Path or dict
        Path of a YAML params file, or the parsed mapping.
    base_dir : str or Path, optional
        Folder that relative paths are resolved against; default the params file's folder (the current
        folder for a dict).
    check_files : bool, default True
        Check that every referenced file (store, data files, codebook, logo, notebooks) exists.

    Returns
    -------
    Params
        Frozen, with absolute paths.

    Raises
    ------
    ParamsError
        The file is missing or not YAML, or a key is unknown, has the wrong type or names a missing
        file. The message names the params file and each bad key with its value.

    Examples
    --------
    A minimal params mapping (a YAML file holds the same keys); the defaults fill the rest:

    >>> import cxresearch as cx
    >>> raw = {"client": "acme", "client_name": {"zh": "阿克米", "en": "Acme"}, "period": "2025",
    ...        "language": "en", "data": {"store": "study.duckdb"}}
    >>> params = cx.report.load_params(raw, check_files=False)
    >>> params.display_name, params.thresholds.min_base, params.output.formats
    ('Acme', 30, ['html', 'pdf', 'xlsx'])
    >>> params.notebooks[:3]
    ['00_summary', '01_data_quality', '02_kpis']

    Every bad key is named, with its value:

    >>> cx.report.load_params({**raw, "langauge": "zh", "thresholds": {"min_base": -3}},
    ...                       check_files=False)
    Traceback (most recent call last):
        ...
    cxresearch.report.params.ParamsError: params: 2 invalid parameters:
      - thresholds.min_base: Input should be greater than or equal to 1; got -3
      - langauge: unknown key (check the spelling; see cxresearch.report.params)
    """
    if isinstance(source, dict):
        raw, label = dict(source), "params"
        base = Path(base_dir or Path.cwd()).resolve()
        origin = None
    else:
        origin = Path(source).expanduser().resolve()
        label = str(source)
        if not origin.is_file():
            raise ParamsError(f"{label}: params file not found")
        try:
            raw = yaml.safe_load(origin.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ParamsError(f"{label}: not a readable YAML file ({exc})") from None
        if not isinstance(raw, dict):
            raise ParamsError(
                f"{label}: must be a mapping of keys (client, period, data, …); got {type(raw).__name__}"
            )
        base = Path(base_dir).resolve() if base_dir else origin.parent
    if "source" in raw:
        raise ParamsError(f"{label}: key 'source' is set by the loader; remove it from the file")
    try:
        params = Params.model_validate({**raw, "source": origin})
    except ValidationError as exc:
        raise _explain(exc, label) from None

    # Resolve paths relative to the params file.
    data = params.data.model_copy(
        update={
            "store": _resolve(params.data.store, base),
            "files": [_resolve(p, base) for p in params.data.files],
            "codebook": _resolve(params.data.codebook, base),
        }
    )
    update: dict[str, Any] = {"data": data}
    update["output"] = params.output.model_copy(update={"dir": _resolve(params.output.dir, base)})
    update["branding"] = params.branding.model_copy(
        update={
            "logo": _resolve(params.branding.logo, base),
            "pptx_template": _resolve(params.branding.pptx_template, base),
        }
    )
    update["notebook_dir"] = _resolve(params.notebook_dir, base)
    params = params.model_copy(update=update)

    unknown = [nb for nb in params.notebooks if nb not in NOTEBOOKS and params.notebook_dir is None]
    if unknown:
        raise ParamsError(
            f"{label}: notebooks: unknown notebook {unknown[0]!r}; allowed: {', '.join(NOTEBOOKS)}"
        )
    if check_files:
        _check_files(params, label)
    return params


def _check_files(params: Params, label: str) -> None:
    problems = []

    def need(key: str, path: Path | None) -> None:
        if path is not None and not path.is_file():
            problems.append(f"  - {key}: file not found: {path}")

    need("data.store", params.data.store)
    for i, path in enumerate(params.data.files):
        need(f"data.files[{i}]", path)
    need("data.codebook", params.data.codebook)
    need("branding.logo", params.branding.logo)
    if params.branding.logo is not None and params.branding.logo.is_file():
        from cxresearch.report.logo import LogoError, read_logo

        try:
            read_logo(
                params.branding.logo
            )  # unreadable, not the image its name says, SVG of unknown shape
        except LogoError as exc:
            problems.append(f"  - branding.logo: {exc.reason}: {exc.path}")
    need("branding.pptx_template", params.branding.pptx_template)
    template = params.branding.pptx_template
    if template is not None and template.is_file():
        import zipfile

        try:
            with zipfile.ZipFile(template) as zf:
                ok = "ppt/presentation.xml" in zf.namelist()
        except (zipfile.BadZipFile, OSError):
            ok = False
        if not ok:
            problems.append(f"  - branding.pptx_template: not a PowerPoint .pptx file: {template}")
    if params.notebook_dir is not None and not params.notebook_dir.is_dir():
        problems.append(f"  - notebook_dir: folder not found: {params.notebook_dir}")
    else:
        for stem, path in zip(params.notebooks, params.notebook_paths(), strict=True):
            if not path.is_file():
                problems.append(f"  - notebooks: notebook {stem!r} not found: {path}")
    if problems:
        n = len(problems)
        raise ParamsError(
            f"{label}: {n} missing or unusable file{'s' if n != 1 else ''}:\n" + "\n".join(problems)
        )

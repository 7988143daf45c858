"""Tables for the methods and validity appendix: settings, reliability, data sources."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cxresearch._i18n import known
from cxresearch.tables._core import (
    Table,
    _check_lang,
    _need_cols,
    _threshold,
    fmt_int,
    fmt_num,
    fmt_pct,
    table,
    var_label,
    word,
)

__all__ = [
    "settings_table",
    "reliability_table",
    "provenance_table",
    "fieldwork_table",
    "definitions_table",
]


def settings_table(
    params, *, name: str = "report_settings", lang: str, codebook=None, min_base: int | None = None
) -> Table:
    """The reporting rules this report ran with (from the validated params).

    Examples
    --------
    The settings of the demo report (``params/demo.yaml``):

    >>> import cxresearch as cx
    >>> from cxresearch.report.params import demo_params_file
    >>> params = cx.report.load_params(demo_params_file(), check_files=False)
    >>> t = cx.tables.settings_table(params, lang="en")
    >>> t.title, len(t.data)
    ('Report settings', 13)
    >>> t.data.iloc[4:8]
                      setting value
    4        Confidence level   95%
    5    Significance level α  0.05
    6  Reporting minimum base    30
    7  Anonymity minimum base     5
    >>> zh = cx.tables.settings_table(params, lang="zh")
    >>> zh.title, zh.data["setting"].iloc[4], zh.data["value"].iloc[4]
    ('报告设置', '置信水平', '95%')
    """
    _check_lang(lang)
    t, a = params.thresholds, params.analysis
    v = params.variables
    raking = [var_label(x, lang=lang, codebook=codebook) for x in v.raking or ()]
    sep = word("list_separator", lang)
    rows = [
        ("appendix.report_period", params.period),
        ("appendix.trend_from", str(params.first_wave) if params.first_wave else "–"),
        (
            "appendix.weight_variable",
            var_label(v.weight, lang=lang, codebook=codebook)
            if v.weight
            else word("appendix.no_weight", lang),
        ),
        (
            "appendix.raking",
            word(
                "appendix.raking_margins",
                lang,
                vars=sep.join(raking),
                vars_lower=sep.join(x.lower() for x in raking),
            )
            if raking
            else word("appendix.not_used", lang),
        ),
        ("appendix.confidence_level", fmt_pct(1 - t.alpha)),
        ("appendix.alpha", fmt_num(t.alpha, 2)),
        ("appendix.min_base", fmt_int(t.min_base)),
        ("appendix.anonymity_min", fmt_int(t.anonymity_min)),
        ("appendix.dissatisfied_cut", _threshold(t.dissatisfied_cut)),
        ("appendix.early_warning", _threshold(t.early_warning)),
        ("appendix.n_boot", fmt_int(a.n_boot)),
        ("appendix.seed", str(a.seed)),
        ("appendix.max_lag", str(a.max_lag)),
    ]
    frame = pd.DataFrame(
        [(word(key, lang), value) for key, value in rows], columns=["setting", "value"]
    )
    return table(
        frame,
        title=word("appendix.settings_title", lang),
        name=name,
        labels={"setting": word("appendix.setting", lang), "value": word("appendix.value", lang)},
        formats={"setting": "text", "value": "text"},
    )


def _scale_name(dimension, lang: str):
    """An item set's name (catalog ``scale.<dimension>``); the dimension itself when it has none."""
    key = f"scale.{dimension}"
    return word(key, lang) if known(key) else dimension


def reliability_table(
    result,
    *,
    name: str = "reliability",
    lang: str,
    codebook=None,
    min_base: int | None = None,
    title: str | None = None,
) -> Table:
    """Cronbach's alpha (with interval) and omega per item set (``cx.survey.reliability``).

    Examples
    --------
    Alpha and omega of the three service items in one wave of the demo study:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> wave = study.responses.query("wave == 2017")
    >>> res = cx.survey.reliability(
    ...     wave, dimensions={"service": ["svc_courtesy", "svc_competence", "svc_responsiveness"]})
    >>> t = cx.tables.reliability_table(res, lang="en")
    >>> t.title
    'Reliability of the item sets'
    >>> cols = ["scale_label", "n_items", "n", "estimate", "ci_lower", "ci_upper", "omega_total"]
    >>> t.data[cols].round(3)
      scale_label  n_items      n  estimate  ci_lower  ci_upper  omega_total
    0     Service        3  295.0     0.653     0.578     0.716        0.657
    >>> t.data["low_alpha"].tolist(), t.notes
    ([True], ('α below 0.70 flagged.',))
    >>> zh = cx.tables.reliability_table(res, lang="zh")
    >>> zh.title, zh.data["scale_label"].iloc[0], zh.labels["n_items"], zh.notes
    ('量表信度', '服务', '题数', ('α 低于 0.70 标红。',))
    """
    _check_lang(lang)
    frame = result.scales.copy()
    _need_cols(
        frame,
        ["dimension", "n", "n_items", "estimate", "ci_lower", "ci_upper", "omega_total"],
        "reliability_table",
    )
    frame["scale_label"] = frame["dimension"].map(lambda d: _scale_name(d, lang))
    flag = "low_alpha" if "low_alpha" in frame else None
    threshold = (
        result.settings.get("threshold", 0.7)
        if isinstance(getattr(result, "settings", None), Mapping)
        else 0.7
    )
    return table(
        frame,
        title=title or word("appendix.reliability_title", lang),
        name=name,
        columns=["scale_label", "n_items", "n", "estimate", "ci_lower", "ci_upper", "omega_total"],
        labels={
            "scale_label": word("appendix.item_set", lang),
            "n_items": word("appendix.n_items", lang),
            "n": word("n", lang),
            "estimate": "Cronbach α",
            "ci_lower": word("ci_lower", lang),
            "ci_upper": word("ci_upper", lang),
            "omega_total": "McDonald ω",
        },
        formats={
            "scale_label": "text",
            "n_items": "int",
            "n": "int",
            "estimate": "num2",
            "ci_lower": "num2",
            "ci_upper": "num2",
            "omega_total": "num2",
        },
        flags=({"estimate": flag} if flag else {})
        | ({"omega_total": "omega_improper"} if "omega_improper" in frame else {})
        or None,
        notes=[word("appendix.low_alpha_note", lang, threshold=fmt_num(threshold, 2))]
        + (
            [word("appendix.improper_omega_note", lang)]
            if "omega_improper" in frame and frame["omega_improper"].astype(bool).any()
            else []
        ),
    )


def provenance_table(
    imports: pd.DataFrame,
    *,
    name: str = "data_sources",
    lang: str,
    codebook=None,
    min_base: int | None = None,
) -> Table:
    """The data files behind the report: file, format, encoding, rows, sha256 (first 12),
    import time.

    Examples
    --------
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> imports = pd.DataFrame({
    ...     "file": ["survey_2025.csv", "crm_2025.xlsx"], "format": ["csv", "xlsx"],
    ...     "encoding": ["gb18030", None], "rows": [3778, 9000],
    ...     "sha256": ["9f2c4e1ab7d03c5e88f1", "04be7a9d1c2f6e3b5a90"],
    ...     "imported_at": ["2025-11-03 09:12:44", "2025-11-03 09:13:02"]})
    >>> t = cx.tables.provenance_table(imports, lang="en")
    >>> t.title
    'Data sources'
    >>> t.data[["file", "encoding", "rows", "sha", "when"]]
                  file encoding  rows           sha              when
    0  survey_2025.csv  gb18030  3778  9f2c4e1ab7d0  2025-11-03 09:12
    1    crm_2025.xlsx           9000  04be7a9d1c2f  2025-11-03 09:13
    >>> [t.labels[c] for c in ("file", "rows", "sha", "when")]
    ['File', 'Rows', 'SHA-256 (first 12)', 'Imported']
    >>> cx.tables.provenance_table(imports, lang="zh").title
    '数据来源'
    """
    _check_lang(lang)
    _need_cols(imports, ["file", "format", "rows", "sha256"], "provenance_table")
    frame = imports.copy()
    frame["sha"] = frame["sha256"].astype(str).str[:12]
    if "encoding" not in frame:
        frame["encoding"] = ""
    frame["encoding"] = frame["encoding"].fillna("")
    if "imported_at" in frame:
        frame["when"] = pd.to_datetime(frame["imported_at"]).dt.strftime("%Y-%m-%d %H:%M")
    else:
        frame["when"] = ""
    return table(
        frame,
        title=word("appendix.sources_title", lang),
        name=name,
        columns=["file", "format", "encoding", "rows", "sha", "when"],
        labels={
            "file": word("appendix.file", lang),
            "format": word("appendix.format", lang),
            "encoding": word("appendix.encoding", lang),
            "rows": word("appendix.rows", lang),
            "sha": word("appendix.sha", lang),
            "when": word("appendix.imported", lang),
        },
        formats={
            "file": "text",
            "format": "text",
            "encoding": "text",
            "rows": "int",
            "sha": "text",
            "when": "text",
        },
    )


def fieldwork_table(
    params, *, name: str = "fieldwork", lang: str, codebook=None, min_base: int | None = None
) -> Table | None:
    """Fieldwork dates, method, sample frame and response rate from the params' ``fieldwork:``
    block.

    Returns ``None`` (nothing shown) when the params give no fieldwork block.

    Examples
    --------
    The demo report's ``fieldwork:`` block, in both languages:

    >>> import cxresearch as cx
    >>> from cxresearch.report.params import demo_params_file
    >>> params = cx.report.load_params(demo_params_file(), check_files=False)
    >>> print(cx.tables.fieldwork_table(params, lang="en").data.to_string(index=False))
                    item                                                               value
         Fieldwork dates                                  1 September 2025 – 31 October 2025
                  Method                                         Telephone interviews (CATI)
            Sample frame Customers on the CRM with a purchase or service contact in the year
                 Invited                                                               9,000
    Completed interviews                                                               3,778
           Response rate                                         42.0% (completed ÷ invited)
    >>> zh = cx.tables.fieldwork_table(params, lang="zh")
    >>> zh.title, zh.data["value"].iloc[0], zh.data["value"].iloc[-1]
    ('调查实施', '2025年9月1日 – 2025年10月31日', '42.0%（完成数 ÷ 邀请数）')

    Without a ``fieldwork:`` block nothing is shown:

    >>> print(cx.tables.fieldwork_table(params.model_copy(update={"fieldwork": None}), lang="en"))
    None
    """
    _check_lang(lang)
    fw = getattr(params, "fieldwork", None)
    if fw is None:
        return None

    def day(d):
        return (
            "–"
            if d is None
            else word(
                "appendix.date",
                lang,
                year=d.year,
                month=d.month,
                day=d.day,
                month_name=d.strftime("%B"),
            )
        )

    rows = []
    if fw.start or fw.end:
        rows.append(("appendix.fieldwork_dates", f"{day(fw.start)} – {day(fw.end)}"))
    if fw.method:
        rows.append(("appendix.method", fw.method.for_lang(lang)))
    if fw.frame:
        rows.append(("appendix.sample_frame", fw.frame.for_lang(lang)))
    if fw.invited is not None:
        rows.append(("appendix.invited", fmt_int(fw.invited)))
    if fw.completed is not None:
        rows.append(("appendix.completed", fmt_int(fw.completed)))
    if fw.rate is not None:
        how = word("appendix.rate_computed", lang) if fw.response_rate is None else ""
        rows.append(("appendix.response_rate", fmt_pct(fw.rate, 1) + how))
    if not rows:
        return None
    frame = pd.DataFrame(
        [(word(key, lang), value) for key, value in rows], columns=["item", "value"]
    )
    return table(
        frame,
        title=word("appendix.fieldwork_title", lang),
        name=name,
        labels={"item": word("appendix.item", lang), "value": word("appendix.detail", lang)},
        formats={"item": "text", "value": "text"},
    )


def definitions_table(
    params,
    *,
    name: str = "definitions",
    lang: str,
    codebook=None,
    min_base: int | None = None,
    drivers=(),
    variables=None,
) -> Table:
    """Definitions of the report's measures: NPS bands, top-two box, and the scale of each measure
    and driver (from the codebook). ``variables``: the report's resolved variables
    (``study.variables``; default ``params.variables``); without an NPS item there is no NPS row.

    Examples
    --------
    The definitions the demo report prints, with two of its drivers:

    >>> import cxresearch as cx
    >>> from cxresearch.report.params import demo_params_file
    >>> params = cx.report.load_params(demo_params_file(), check_files=False)
    >>> cb = cx.codebook.load(cx.synth.codebook_dict())
    >>> t = cx.tables.definitions_table(params, lang="en", codebook=cb,
    ...                                 drivers=["product_quality", "price_value"])
    >>> t.title
    'Definitions'
    >>> for term in t.data["term"]:
    ...     print(term)
    Net Promoter Score (NPS)
    Top-two box
    Overall satisfaction
    Repurchase intent
    Likelihood to recommend
    Product quality
    Value for money
    >>> print(t.data["definition"].iloc[-1])
    Driver, rated on a 1–5 scale (higher is better).
    >>> zh = cx.tables.definitions_table(params, lang="zh", codebook=cb, drivers=["price_value"])
    >>> zh.title, zh.data["term"].iloc[-1], zh.data["definition"].iloc[-1]
    ('指标定义', '价格合理性', '驱动因素，1–5 分量表，分数越高越好。')
    >>> print(zh.data["definition"].iloc[1])
    回答量表最高两档的受访者比例：9–10 分（0–10 分量表）。
    """
    _check_lang(lang)
    v = variables if variables is not None else params.variables
    rows = [
        (word("appendix.nps_term", lang), word("appendix.nps_definition", lang)),
        (word("top_box", lang), word("appendix.top_box_definition", lang)),
    ]
    # the top-two box of the scales the report shows it on (outcome, loyalty), not of example scales
    tops = []
    for n in (v.outcome, v.loyalty):
        var = codebook.get(n) if codebook is not None and n and n in codebook else None
        if var is not None and var.rating_scale:
            lo, hi = float(var.scale[0]), float(var.scale[1])
            tops.append(
                word("appendix.top_box_scale", lang, top=f"{hi - 1:g}", lo=f"{lo:g}", hi=f"{hi:g}")
            )
    if tops:
        tops = list(dict.fromkeys(tops))
        rows[1] = (
            rows[1][0],
            word(
                "appendix.top_box_definition_scales",
                lang,
                scales=word("appendix.scales_separator", lang).join(tops),
            ),
        )
    scored = [
        codebook.get(n)
        for n in (v.outcome, v.loyalty)
        if codebook is not None and n and n in codebook
    ]
    if scored and not any(var.rating_scale for var in scored):
        rows = rows[:1]  # numeric scores only: the report shows no top-two box (study plan)
    if not v.nps:
        rows = [r for r in rows if r[0] != word("appendix.nps_term", lang)]
    names = [n for n in (v.outcome, v.loyalty, v.nps) if n] + list(drivers)
    for n in dict.fromkeys(names):
        if codebook is None or n not in codebook:
            continue
        var = codebook.get(n)
        scale = var.scale
        if scale is None:
            continue
        role = "appendix.scale_driver" if n in drivers else "appendix.scale_outcome"
        if var.kind.value == "numeric":  # a score, not an answer scale: no "rated on"
            role = role.replace(".scale_", ".score_")
        rows.append((var.label_for(lang), word(role, lang, lo=f"{scale[0]:g}", hi=f"{scale[1]:g}")))
    frame = pd.DataFrame(rows, columns=["term", "definition"])
    return table(
        frame,
        title=word("appendix.definitions_title", lang),
        name=name,
        labels={
            "term": word("appendix.measure", lang),
            "definition": word("appendix.definition", lang),
        },
        formats={"term": "text", "definition": "text"},
    )

"""The tables of a verbatim section, built on a coding: theme shares, satisfaction, quotes.

:func:`theme_frequencies` (share of comments mentioning each theme, Wilson intervals, bases),
:func:`theme_satisfaction` (mean score of the comments mentioning a theme against the others) and
:func:`example_quotes` (anonymised example comments per theme). Each codes ``data`` itself when no
:class:`~cxresearch.text.CodingResult` is given.

Why hand-written: the counting is plain pandas/numpy over the coding's indicator columns; the
interval is statsmodels' Wilson interval and the tests are scipy's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..errors import CXValueError, SmallBaseWarning
from ._checks import _check_alpha, _check_count
from .codeframe import _resolve_codeframe
from .coding import CodingResult, _coder, _text_series, code_comments
from .masking import mask_pii


def _coding_for(
    data: pd.DataFrame, coding: CodingResult | None, text: str, codeframe
) -> CodingResult:
    if coding is None:
        return code_comments(data, text=text, codeframe=codeframe)
    if not isinstance(coding, CodingResult):
        raise CXValueError(
            f"coding must be a CodingResult from code_comments; got {type(coding).__name__}"
        )
    if len(coding.codes) != len(data) or not coding.codes.index.equals(data.index):
        raise CXValueError(
            "coding does not belong to data: its index differs from data's index "
            f"({len(coding.codes)} coded rows, {len(data)} data rows); code this frame with code_comments"
        )
    return coding


def _by_list(data: pd.DataFrame, by) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise CXValueError(f"by must name columns of data; {missing[0]!r} is not a column")
    return cols


def _wilson(k: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = np.full(k.shape, np.nan)
    hi = np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo[ok], hi[ok] = proportion_confint(k[ok], n[ok], alpha=alpha, method="wilson")
    return lo, hi


def theme_frequencies(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    text: str = "comment",
    by=("segment", "wave"),
    codeframe=None,
    alpha: float = 0.05,
    min_base: int = 30,
    min_n: int = 5,
) -> pd.DataFrame:
    """Share of comments mentioning each theme, by segment and wave, with bases.

    Parameters
    ----------
    data : DataFrame
        Responses or comments, with the comment column and the ``by`` columns.
    coding : CodingResult, optional
        The result of :func:`code_comments` on ``data`` (coded here when omitted).
    text : str, default ``"comment"``
    by : str, sequence of str or None, default ``("segment", "wave")``
        Grouping columns (missing group values are dropped). None: one overall row per theme.
    codeframe : optional
        Used only when ``coding`` is omitted.
    alpha : float, default 0.05
        1 - confidence level of the Wilson interval.
    min_base : int, default 30
        Reporting minimum: groups with fewer comments get ``small_base = True`` (and a
        :class:`~cxresearch.errors.SmallBaseWarning`).
    min_n : int, default 5
        Anonymity minimum: groups with fewer comments are left out of the frame.

    Returns
    -------
    DataFrame
        One row per group (with at least ``min_n`` comments) × theme: the ``by`` columns, ``theme``, ``n_respondents`` (rows in the
        group), ``n`` (the base: rows with a non-empty comment), ``n_mentions`` (comments
        mentioning the theme), ``estimate`` (n_mentions / n), ``ci_lower``, ``ci_upper`` (Wilson),
        ``n_positive``, ``n_negative`` (mentions with positive / negative polarity),
        ``small_base`` (bool).

    Notes
    -----
    Unweighted: a verbatim share describes what was said by those who commented. The Wilson
    interval is :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1+z^2/n}`.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22(158), 209–212. doi:10.1080/01621459.1927.10502953

    Examples
    --------
    What the demo study's customers wrote about in the latest wave (Chinese and English
    comments together), then by wave:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> latest = study.responses.query("wave == 2017")
    >>> freq = cx.text.theme_frequencies(latest, by=None)
    >>> freq[["theme", "n", "n_mentions", "estimate", "ci_lower", "ci_upper"]].round(3)
                    theme    n  n_mentions  estimate  ci_lower  ci_upper
    0            courtesy  119          16     0.134     0.084     0.207
    1          competence  119          14     0.118     0.071     0.188
    2      responsiveness  119          23     0.193     0.132     0.273
    3               price  119          18     0.151     0.098     0.226
    4     product_quality  119          10     0.084     0.046     0.148
    5           transfers  119           9     0.076     0.040     0.138
    6        waiting_time  119           4     0.034     0.013     0.083
    7  parts_availability  119          15     0.126     0.078     0.198
    >>> by_wave = cx.text.theme_frequencies(study.responses, by="wave")
    >>> by_wave.pivot(index="theme", columns="wave", values="estimate").round(2).head(3)
    wave                2014  2015  2016  2017
    theme
    competence          0.11  0.11  0.08  0.12
    courtesy            0.19  0.16  0.19  0.13
    parts_availability  0.14  0.16  0.13  0.13
    """
    alpha = _check_alpha(alpha)
    min_base = _check_count("min_base", min_base)
    min_n = _check_count("min_n", min_n)
    cols = _by_list(data, by)
    cod = _coding_for(data, coding, text, codeframe)
    themes = list(cod.themes)
    has = cod.codes["has_comment"].to_numpy()
    pos_rows = cod.mentions["position"].to_numpy()
    pol = cod.mentions["polarity"].to_numpy()
    theme_of = cod.mentions["theme"].to_numpy()
    frame = pd.DataFrame({c: data[c].to_numpy() for c in cols}, index=np.arange(len(data)))
    frame["_has"] = has.astype(np.int64)
    for t in themes:
        frame[t] = (cod.codes[t].to_numpy() & has).astype(np.int64)
        sel = theme_of == t
        p = np.zeros(len(data), dtype=np.int64)
        q = np.zeros(len(data), dtype=np.int64)
        p[pos_rows[sel & (pol > 0)]] = 1
        q[pos_rows[sel & (pol < 0)]] = 1
        frame[f"_pos_{t}"] = p
        frame[f"_neg_{t}"] = q
    if cols:
        g = frame.groupby(cols, dropna=True, sort=True, observed=True)
        agg = g.sum(numeric_only=False)
        size = g.size()
    else:
        agg = frame.sum().to_frame().T
        size = pd.Series([len(frame)])
    rows = []
    for t in themes:
        part = pd.DataFrame(
            {
                "theme": t,
                "n_respondents": size.to_numpy().astype(np.int64),
                "n": agg["_has"].to_numpy().astype(np.int64),
                "n_mentions": agg[t].to_numpy().astype(np.int64),
                "n_positive": agg[f"_pos_{t}"].to_numpy().astype(np.int64),
                "n_negative": agg[f"_neg_{t}"].to_numpy().astype(np.int64),
            },
            index=agg.index if cols else None,
        )
        rows.append(part)
    out = pd.concat(rows)
    if cols:
        out = out.reset_index()
    else:
        out = out.reset_index(drop=True)
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["estimate"] = np.where(n > 0, out["n_mentions"] / np.where(n > 0, n, 1), np.nan)
    out["ci_lower"], out["ci_upper"] = _wilson(out["n_mentions"].to_numpy(), n, alpha)
    out["small_base"] = n < min_base
    out = out[n >= min_n]
    order = cols + [
        "theme",
        "n_respondents",
        "n",
        "n_mentions",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n_positive",
        "n_negative",
        "small_base",
    ]
    out = out[order]
    if cols:
        out["_t"] = out["theme"].map({t: i for i, t in enumerate(themes)})
        out = (
            out.sort_values(cols + ["_t"], kind="stable").drop(columns="_t").reset_index(drop=True)
        )
    if bool(out["small_base"].any()):
        warnings.warn(
            f"{int(out.loc[out['small_base'], cols].drop_duplicates().shape[0]) if cols else 1} group(s) "
            f"have fewer than min_base={min_base} comments; their shares are flagged small_base",
            SmallBaseWarning,
            stacklevel=2,
        )
    return out


def theme_satisfaction(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    score: str = "overall_sat",
    text: str = "comment",
    by=None,
    codeframe=None,
    alpha: float = 0.05,
    min_n: int = 5,
) -> pd.DataFrame:
    """Mean satisfaction of the comments that mention each theme (and of those that do not).

    Parameters
    ----------
    data : DataFrame
        With the comment column and the numeric ``score`` column.
    coding : CodingResult, optional
        :func:`code_comments` of ``data`` (coded here when omitted).
    score : str, default ``"overall_sat"``
    text : str, default ``"comment"``
    by : str or sequence, optional
        Grouping columns (e.g. ``"wave"``).
    codeframe : optional
    alpha : float, default 0.05
    min_n : int, default 5
        Anonymity minimum: a theme (in a group) mentioned by fewer scored comments is left out.

    Returns
    -------
    DataFrame
        One row per (group ×) theme mentioned by at least ``min_n`` scored comments: ``theme``,
        ``n`` (comments mentioning it with a score),
        ``estimate`` (mean score), ``se`` (s / sqrt(n)), ``ci_lower``, ``ci_upper`` (t interval,
        n - 1 df), ``n_other`` and ``mean_other`` (commenters not mentioning the theme),
        ``difference`` (estimate - mean_other), ``p_value`` (Welch t test of the difference).

    Raises
    ------
    CXValueError
        ``score`` is not a numeric column.

    Notes
    -----
    Only rows with a non-empty comment and a non-missing score enter. Means are unweighted.

    Examples
    --------
    Overall satisfaction of the demo study's commenters, by the theme they raised:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> sat = cx.text.theme_satisfaction(study.responses, score="overall_sat")
    >>> sat[["theme", "n", "estimate", "mean_other", "difference", "p_value"]].round(2)
                    theme   n  estimate  mean_other  difference  p_value
    0            courtesy  77      7.95        5.98        1.97     0.00
    1          competence  48      4.90        6.47       -1.58     0.00
    2      responsiveness  92      5.15        6.60       -1.45     0.00
    3               price  86      4.98        6.61       -1.64     0.00
    4     product_quality  38      4.74        6.45       -1.71     0.00
    5           transfers  35      6.89        6.26        0.62     0.05
    6        waiting_time  27      6.30        6.31       -0.01     0.97
    7  parts_availability  64      6.38        6.30        0.08     0.77
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    min_n = _check_count("min_n", min_n)
    if score not in data.columns:
        raise CXValueError(f"score must name a column of data; got {score!r}")
    if not pd.api.types.is_numeric_dtype(data[score]) or pd.api.types.is_bool_dtype(data[score]):
        raise CXValueError(f"column {score!r} must be numeric; got dtype {data[score].dtype}")
    cols = _by_list(data, by)
    cod = _coding_for(data, coding, text, codeframe)
    y = data[score].astype(float)
    keep = cod.codes["has_comment"].to_numpy() & y.notna().to_numpy()
    groups = [((), np.ones(len(data), dtype=bool))]
    if cols:
        keys = data[cols]
        groups = []
        for key, idx in keys.groupby(cols, dropna=True, sort=True, observed=True).indices.items():
            m = np.zeros(len(data), dtype=bool)
            m[idx] = True
            groups.append((key if isinstance(key, tuple) else (key,), m))
    rows = []
    yv = y.to_numpy()
    for key, gm in groups:
        for t in cod.themes:
            men = cod.codes[t].to_numpy()
            a = yv[gm & keep & men]
            b = yv[gm & keep & ~men]
            n = len(a)
            if n < min_n:
                continue
            est = float(a.mean()) if n else np.nan
            se = float(a.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            if n > 1 and se > 0:
                lo, hi = stats.t.interval(1 - alpha, n - 1, loc=est, scale=se)
            elif n > 1:
                lo = hi = est
            else:
                lo = hi = np.nan
            mo = float(b.mean()) if len(b) else np.nan
            p = np.nan
            if n > 1 and len(b) > 1 and (a.std() > 0 or b.std() > 0):
                with warnings.catch_warnings():
                    # scipy warns on a constant group; the Welch statistic is still defined
                    warnings.simplefilter("ignore", RuntimeWarning)
                    p = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
            row = dict(zip(cols, key, strict=True))
            row.update(
                theme=t,
                n=n,
                estimate=est,
                se=se,
                ci_lower=float(lo),
                ci_upper=float(hi),
                n_other=len(b),
                mean_other=mo,
                difference=est - mo,
                p_value=p,
            )
            rows.append(row)
    return pd.DataFrame(
        rows,
        columns=cols
        + [
            "theme",
            "n",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
            "n_other",
            "mean_other",
            "difference",
            "p_value",
        ],
    )


def example_quotes(
    data: pd.DataFrame,
    coding: CodingResult | None = None,
    *,
    text: str = "comment",
    n: int = 3,
    polarity: str | None = None,
    max_chars: int = 200,
    codeframe=None,
    seed: int | None = None,
    with_row: bool = False,
    lang: str | None = None,
    columns=(),
) -> pd.DataFrame:
    """Example quotes per theme, anonymised.

    Parameters
    ----------
    data : DataFrame
    coding : CodingResult, optional
    text : str, default ``"comment"``
    n : int, default 3
        Quotes per theme (fewer when fewer distinct comments mention it).
    polarity : {"positive", "negative", None}
        Only mentions of this polarity (None: any).
    max_chars : int, default 200
        Longer quotes are cut and end with "…".
    codeframe : optional
        Supplies masking forms (default: the coding's codeframe).
    seed : int, optional
        Quotes are drawn at random among the distinct comments mentioning the theme; a seed makes
        the draw reproducible (None: the first ``n`` in data order).
    with_row : bool, default False
        Add ``row`` (the index label in data) for internal follow-up; never for a client's table.
    lang : {'zh', 'en'}, optional
        The report's language: a theme's quotes are chosen among comments in this language, and
        among comments in another language only when the theme has none in it (their ``lang``
        column then says so). None: any language.
    columns : sequence of str, default ()
        Columns of ``data`` carried with each quote (e.g. the segment and the score it is
        attributed to). Never an identifier of the respondent.

    Returns
    -------
    DataFrame
        ``theme``, ``rank`` (1..n), ``quote`` (masked text), ``polarity`` (float, the theme's
        polarity in that comment), ``lang`` (the comment's language), ``n_themes`` (themes the
        comment mentions), the ``columns``, and ``row`` with ``with_row=True``.

    Notes
    -----
    Theme check: every quote is coded again as shown (masked, cut to ``max_chars``) and kept only
    if it still mentions its theme, so a quote under a theme always carries that theme's words.
    Comments that mention fewer themes come first (a quote about the theme, not one in passing);
    the random draw orders comments within the same number of themes.

    Examples
    --------
    Two negative quotes per theme for a Chinese report, phone numbers masked:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> quotes = cx.text.example_quotes(study.responses, n=2, polarity="negative", lang="zh",
    ...                                 seed=1)
    >>> quotes[["theme", "rank", "quote"]].head(4)
                theme  rank                      quote
    0      competence     1       維修人員不專業，请联系我 [phone]
    1      competence     2                 服务人员专业水平不够
    2  responsiveness     1               打電話沒人回复，響應很慢
    3  responsiveness     2  打电话没人回复，响应很慢，请联系我 [phone]
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CXValueError(f"n must be a positive integer; got {n!r}")
    if polarity not in (None, "positive", "negative"):
        raise CXValueError(
            f"polarity must be one of 'positive', 'negative', None; got {polarity!r}"
        )
    if lang not in (None, "zh", "en"):
        raise CXValueError(f"lang must be one of 'zh', 'en', None; got {lang!r}")
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise CXValueError(f"columns {missing} are not in data; columns: {list(data.columns)}")
    cod = _coding_for(data, coding, text, codeframe)
    cf = cod.codeframe if codeframe is None else _resolve_codeframe(codeframe)
    coder = _coder(cod.codeframe)
    names = list(cod.themes)
    texts = _text_series(data, cod.text)
    langs = cod.codes["lang"].to_numpy(dtype=object)
    n_themes = cod.codes["n_themes"].to_numpy()
    rng = np.random.default_rng(seed) if seed is not None else None
    rows = []
    m = cod.mentions
    for t in cod.themes:
        sub = m[m["theme"] == t]
        if polarity == "positive":
            sub = sub[sub["polarity"] > 0]
        elif polarity == "negative":
            sub = sub[sub["polarity"] < 0]
        if sub.empty:
            continue
        pos = sub["position"].to_numpy()
        q = texts.to_numpy()[pos]
        _, first = np.unique(q, return_index=True)
        first = np.sort(first)
        if rng is not None:
            first = rng.permutation(first)
        first = sorted(first, key=lambda j: n_themes[pos[j]])  # stable: the draw orders ties
        if lang is not None:
            own = [j for j in first if langs[pos[j]] == lang]
            first = own if own else [j for j in first if langs[pos[j]] != lang]
        rank = 0
        for j in first:
            if rank >= n:
                break
            quote = mask_pii(q[j].strip(), codeframe=cf)
            if len(quote) > max_chars:
                quote = quote[: max_chars - 1].rstrip() + "…"
            if t not in {names[i] for i, _ in coder.code(quote)[0]}:
                continue  # cut or masked away: the quote no longer says what its theme is about
            rank += 1
            row = dict(
                theme=t,
                rank=rank,
                row=sub["row"].iloc[j],
                quote=quote,
                polarity=float(sub["polarity"].iloc[j]),
                lang=langs[pos[j]],
                n_themes=int(n_themes[pos[j]]),
            )
            for c in columns:
                row[c] = data[c].iloc[pos[j]]
            rows.append(row)
    out = pd.DataFrame(
        rows, columns=["theme", "rank", "row", "quote", "polarity", "lang", "n_themes", *columns]
    )
    return out if with_row else out.drop(columns="row")

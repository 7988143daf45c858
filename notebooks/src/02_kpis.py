# %% [markdown] tags=["lang-zh"]
# # 核心指标
#
# 本章报告三个核心指标：净推荐值（NPS）、总体满意度和复购意向，包括历年趋势、本期各细分群体的表现，以及差异是否在统计上显著。
# 所有估计均已加权；区间为置信区间，置信水平见附录。

# %% [markdown] tags=["lang-en"]
# # Key performance indicators
#
# This chapter reports the three headline measures — Net Promoter Score (NPS), overall satisfaction and
# repurchase intent — as trends over the waves, by segment in the current wave, and whether the differences
# are statistically significant. All estimates are weighted; intervals are confidence intervals at the level given
# in the appendix.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %% [markdown] tags=["lang-zh"]
# ## 净推荐值（NPS）

# %% [markdown] tags=["lang-en"]
# ## Net Promoter Score

# %%
nps_trend = cx.survey.trend(study.responses(), score=v.nps, statistic="nps", **study.design)

# %%
cx.tables.say_trend(nps_trend, label="NPS", wave=study.wave, kind="nps", **study.fmt)

# %%
cx.viz.charts.trend(nps_trend, ylabel="NPS", scale=(-100, 100), caption=cx.tables.word("nps_trend", study.lang), name="nps_trend_chart", alpha=study.thresholds.alpha, lang=study.lang);

# %%
cx.tables.estimates(nps_trend, title="NPS", name="nps_trend", kind="nps", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 总体满意度

# %% [markdown] tags=["lang-en"]
# ## Overall satisfaction

# %%
sat_trend = cx.survey.trend(study.responses(), score=v.outcome, codebook=study.codebook, **study.design)

# %%
cx.tables.say_trend(sat_trend, label=study.label(v.outcome), wave=study.wave, **study.fmt)

# %%
cx.viz.charts.trend(sat_trend, ylabel=study.label(v.outcome), scale=study.codebook.get(v.outcome).scale, caption=cx.tables.word("sat_trend", study.lang), name="satisfaction_trend_chart", alpha=study.thresholds.alpha, lang=study.lang);

# %%
top_box = cx.survey.top_box(study.current(), score=[v.outcome, v.loyalty], codebook=study.codebook, **study.design)

# %%
cx.tables.estimates(top_box, title=cx.tables.word("top_box", study.lang), name="top_box", kind="share", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 本期各细分群体

# %% [markdown] tags=["lang-en"]
# ## Segments in the current wave

# %%
nps_segment = cx.survey.nps(study.current(), score=v.nps, by=v.by[0], **study.design)

# %%
nps_pairs = cx.survey.difference(study.current(), score=v.nps, by=v.by[0], statistic="nps", correction="holm", **study.design)

# %%
cx.tables.say_segments(nps_segment, label="NPS", kind="nps", differences=nps_pairs, **study.fmt)

# %%
cx.viz.charts.segment_bars(nps_segment, category=v.by[0], xlabel="NPS", labels=study.value_labels(v.by[0]), min_base=study.thresholds.min_base, caption=cx.tables.word("nps_segments", study.lang), name="nps_segments_chart", lang=study.lang);

# %%
cx.tables.estimates(nps_segment, title="NPS", name="nps_by_segment", kind="nps", extra={"promoters": "pct0", "detractors": "pct0"}, **study.fmt)

# %%
sat_segment = cx.survey.mean(study.current(), score=v.outcome, by=v.by, codebook=study.codebook, **study.design)

# %%
cx.tables.estimates(sat_segment, title=study.label(v.outcome), name="satisfaction_by_segment", **study.fmt)

# %%
cx.tables.differences(nps_pairs, name="nps_differences", kind="nps", only_significant=True, **study.fmt)

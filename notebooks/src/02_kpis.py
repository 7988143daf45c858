# %% [markdown] tags=["lang-zh"]
# # 核心指标
#
# 本章报告客户体验的核心指标——总体满意度，以及研究所含的净推荐值（NPS）和忠诚度指标：本期水平、历年趋势（多期研究）、
# 本期各细分群体的表现，以及差异是否在统计上显著。研究有调查权重时，所有估计均已加权；区间为置信区间，置信水平见附录。

# %% [markdown] tags=["lang-en"]
# # Key performance indicators
#
# This chapter reports the headline measures — overall satisfaction, and the Net Promoter Score (NPS) and
# loyalty measure where the study has them: their level in the current wave, their trend over the waves (in a
# study of several waves), the segments of the current wave, and whether the differences are statistically
# significant. Estimates are weighted when the study has survey weights; intervals are confidence intervals at
# the level given in the appendix.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %% [markdown] tags=["lang-zh", "needs-nps"]
# ## 净推荐值（NPS）

# %% [markdown] tags=["lang-en", "needs-nps"]
# ## Net Promoter Score

# %% tags=["needs-nps"]
nps_trend = cx.survey.trend(study.responses(), score=v.nps, statistic="nps", **study.wave_design)

# %% tags=["needs-nps"]
cx.tables.say_trend(nps_trend, label="NPS", wave=study.wave, kind="nps", **study.fmt)

# %% tags=["needs-nps", "needs-trend"]
cx.viz.charts.trend(nps_trend, ylabel="NPS", scale=(-100, 100), caption=cx.tables.word("nps_trend", study.lang), name="nps_trend_chart", alpha=study.thresholds.alpha, lang=study.lang);

# %% tags=["needs-nps", "needs-wave_tests"]
cx.tables.estimates(nps_trend, title="NPS", name="nps_trend", kind="nps", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-satisfaction"]
# ## 总体满意度

# %% [markdown] tags=["lang-en", "needs-satisfaction"]
# ## Overall satisfaction

# %% tags=["needs-satisfaction"]
sat_trend = cx.survey.trend(study.responses(), score=v.outcome, codebook=study.codebook, **study.wave_design)

# %% tags=["needs-satisfaction"]
cx.tables.say_trend(sat_trend, label=study.label(v.outcome), wave=study.wave, **study.fmt)

# %% tags=["needs-satisfaction", "needs-trend"]
cx.viz.charts.trend(sat_trend, ylabel=study.label(v.outcome), scale=study.codebook.get(v.outcome).scale, caption=cx.tables.word("sat_trend", study.lang), name="satisfaction_trend_chart", alpha=study.thresholds.alpha, lang=study.lang);

# %% tags=["needs-satisfaction", "needs-wave_tests"]
cx.tables.estimates(sat_trend, title=study.label(v.outcome), name="satisfaction_trend", **study.fmt)

# %%
cur = study.current()
cur_design = study.design_for(cur)  # calibration-aware SEs when the params rake (issue 14)

# %% tags=["needs-top_box"]
top_box = cx.survey.top_box(cur, score=study.top_box_kpis, codebook=study.codebook, **cur_design)

# %% tags=["needs-top_box"]
cx.tables.estimates(top_box, title=cx.tables.word("top_box", study.lang), name="top_box", kind="share", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-segments"]
# ## 本期各细分群体

# %% [markdown] tags=["lang-en", "needs-segments"]
# ## Segments in the current wave

# %% tags=["needs-segments", "needs-nps"]
nps_segment = cx.survey.nps(cur, score=v.nps, by=study.segment, **cur_design)

# %% tags=["needs-segments", "needs-nps"]
nps_pairs = cx.survey.difference(cur, score=v.nps, by=study.segment, statistic="nps", correction="holm", **cur_design)

# %% tags=["needs-segments", "needs-nps"]
cx.tables.say_segments(nps_segment, label="NPS", kind="nps", differences=nps_pairs, alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-segments", "needs-nps"]
cx.viz.charts.segment_bars(nps_segment, category=study.segment, xlabel="NPS", labels=study.value_labels(study.segment), min_base=study.thresholds.min_base, caption=cx.tables.word("nps_segments", study.lang), name="nps_segments_chart", lang=study.lang);

# %% tags=["needs-segments", "needs-nps"]
cx.tables.estimates(nps_segment, title="NPS", name="nps_by_segment", kind="nps", extra={"promoters": "pct0", "detractors": "pct0"}, **study.fmt)

# %% tags=["needs-segments"]
sat_segment = cx.survey.by_each(cur, score=v.outcome, by=list(v.by), codebook=study.codebook, **cur_design)

# %% tags=["needs-segments"]
sat_pairs = cx.survey.difference(cur, score=v.outcome, by=study.segment, correction="holm", **cur_design)

# %% tags=["needs-segments"]
sat_first_segment = cx.survey.mean(cur, score=v.outcome, by=study.segment, codebook=study.codebook, **cur_design)

# %% tags=["needs-segments"]
cx.tables.say_segments(sat_first_segment, label=study.label(v.outcome), differences=sat_pairs, alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-segments"]
cx.tables.estimates(sat_segment, title=study.label(v.outcome), name="satisfaction_by_segment", **study.fmt)

# %% tags=["needs-segments", "needs-nps"]
cx.tables.differences(nps_pairs, name="nps_differences", kind="nps", only_significant=True, measure="NPS", alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-segments"]
cx.tables.differences(sat_pairs, name="satisfaction_differences", only_significant=True, measure=study.label(v.outcome), alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-segments", "needs-nps"]
cx.tables.segment_exhibits(cur, by=study.segments[1:], score=v.nps, statistic="nps", label="NPS", name="nps", design=cur_design, correction="holm", **study.fmt)

# %% tags=["needs-segments"]
cx.tables.segment_exhibits(cur, by=study.segments[1:], score=v.outcome, label=study.label(v.outcome), name="satisfaction", design=cur_design, correction="holm", estimates_table=False, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 核心结论
#
# 本章汇总全报告中通过统计检验的主要发现，按效应大小与证据强度排序；每条结论都给出数字、区间或检验，并链接到展示证据的图表。

# %% [markdown] tags=["lang-en"]
# # Executive summary
#
# The report's main findings that passed their statistical tests, ranked by size of effect and strength of
# evidence. Each message gives its number with its interval or test and links to the exhibit that shows the
# evidence.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %%
trends = cx.findings.kpi_trends(study.responses(), kpis=study.headline_kpis, **study.wave_design)

# %% tags=["needs-scorecard"]
cur = study.current()
card = cx.findings.scorecard(cur, kpis=study.headline_kpis, by=study.segment, correction="holm", **study.design_for(cur))  # calibration-aware SEs when the params rake (issue 14)

# %% tags=["needs-scorecard"]
study.record(cx.findings.segment_findings(card, chapter="00_summary", exhibit="segment_scorecard", wave=study.wave))

# %% tags=["needs-scorecard"]
study.record(cx.findings.segment_findings_each(cur, kpis=[(v.outcome, "mean")], by=v.by[1:], correction="holm", chapter="02_kpis", exhibit="satisfaction_by_segment", wave=study.wave, **study.design_for(cur)))  # the other segment variables, each tested as the scorecard's

# %%
study.record(cx.findings.kpi_findings(trends, wave=study.wave, alpha=study.thresholds.alpha, chapter="00_summary", exhibit="kpi_dashboard"))

# %%
cx.tables.key_messages(study.findings(), headline=study.headline_kpis[0][0], **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 核心指标一览
#
# 本期各核心指标的水平及其置信区间；研究有上期数据时，同时给出与上期相比的变化，▲/▼ 表示变化在统计上显著。

# %% [markdown] tags=["lang-en"]
# ## KPI dashboard
#
# The headline measures of this period with their intervals and, when the study has a previous wave, their change
# on it; ▲/▼ mark significant changes.

# %%
cx.tables.kpi_dashboard(trends, wave=study.wave, alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-trend"]
cx.viz.charts.trend(trends[0][2], ylabel=cx.tables.kpi_label(trends[0][0], **study.fmt), caption=cx.tables.kpi_label(trends[0][0], **study.fmt), name="summary_trend_chart", alpha=study.thresholds.alpha, lang=study.lang);

# %% tags=["needs-scorecard"]
cx.tables.scorecard_table(card, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 优先事项与行动
#
# 把通过检验的发现放在一起——驱动因素的重要性与表现、显著落后的群体，以及研究有相应数据时改进效果的持续期、预警的命中率和
# 不满意客户最常反映的问题：先做什么、在哪里做、预期效果多大。驱动因素的预期效果是：若该因素的评价达到表现最好的群体的水平，总体得分预计提高多少分。

# %% [markdown] tags=["lang-en"]
# ## Priorities and actions
#
# The findings that passed their tests — driver importance and performance, the segments significantly behind
# and, where the study has the data, how long a gain lasts, how well the alerts predict churn and what dissatisfied
# customers complain about — joined into one list: what to fix first, where, and the effect to expect. A driver's expected effect is how many points the outcome would gain if the
# driver were rated as well as in the best segment.

# %%
cx.tables.priorities_table(cx.findings.priorities(study.findings(), owners=study.owners, dimensions=study.dimensions, data=study.current(), by=study.segment, min_base=study.thresholds.min_base), by=study.segment, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 员工敬业度
#
# 一线员工的状态会传导到客户体验。在数据允许的范围内，本章报告各分公司的员工敬业度、改进项目的效果，以及敬业度与客户评分之间的关联。
# 员工少于匿名下限的单位不予报告。

# %% [markdown] tags=["lang-en"]
# # Employee engagement
#
# How front-line staff feel carries through to customers. As far as the data allow, this chapter reports engagement by branch, the effect
# of the improvement programme, and how engagement relates to customer scores. Units with fewer employees than
# the anonymity minimum are not reported.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %% tags=["needs-engagement"]
engagement = cx.employee.engagement_index(study.employees(), min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %% tags=["needs-engagement"]
cx.viz.charts.trend(engagement.frame, by="unit", labels=study.unit_labels, ylabel=cx.tables.word("engagement", study.lang), scale=engagement.scale, caption=cx.tables.word("engagement_trend", study.lang), name="engagement_trend_chart", lang=study.lang);

# %% tags=["needs-engagement"]
cx.tables.engagement_table(engagement, wave=study.wave, name="engagement", **study.fmt)

# %% tags=["needs-engagement"]
study.record(cx.findings.engagement_findings(study.employees(), wave=study.wave, alpha=study.thresholds.alpha, anonymity_min=study.thresholds.anonymity_min, chapter="07_employee", exhibit="engagement"))

# %% [markdown] tags=["lang-zh", "needs-programme"]
# ## 改进项目的效果

# %% [markdown] tags=["lang-en", "needs-programme"]
# ## Effect of the improvement programme

# %% tags=["needs-programme"]
programme = cx.employee.programme_did(study.employees(), programme_units=study.programme.units, start=study.programme.start, min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %% tags=["needs-programme"]
study.record(cx.findings.programme_findings(programme, chapter="07_employee", exhibit="programme_did", wave=study.wave))

# %% tags=["needs-programme"]
cx.tables.say_programme(programme, **study.fmt)

# %% tags=["needs-programme"]
cx.tables.did_table(programme, name="programme_did", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-linkage"]
# ## 敬业度与客户评分

# %% [markdown] tags=["lang-en", "needs-linkage"]
# ## Engagement and customer scores

# %% tags=["needs-linkage"]
linkage = cx.employee.linkage(study.employees(), study.responses(), outcomes=study.outcomes, nps=v.nps, weights=study.weight, min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %% tags=["needs-linkage"]
cx.tables.linkage_table(linkage, name="engagement_linkage", **study.fmt)

# %% tags=["needs-linkage"]
link_found = cx.findings.linkage_findings(linkage, chapter="07_employee", exhibit="engagement_linkage", wave=study.wave)

# %% tags=["needs-linkage"]
study.record(link_found)

# %% tags=["needs-linkage"]
cx.tables.so_what(link_found, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 员工敬业度
#
# 一线员工的状态会传导到客户体验。本章报告各分公司的员工敬业度、改进项目的效果，以及敬业度与客户评分之间的关联。
# 员工少于匿名下限的单位不予报告。

# %% [markdown] tags=["lang-en"]
# # Employee engagement
#
# How front-line staff feel carries through to customers. This chapter reports engagement by branch, the effect
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

# %%
engagement = cx.employee.engagement_index(study.employees(), min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %%
cx.viz.charts.trend(engagement.frame, by="unit", labels=study.value_labels(v.by[0]), ylabel=cx.tables.word("engagement", study.lang), scale=engagement.scale, caption=cx.tables.word("engagement_trend", study.lang), name="engagement_trend_chart", lang=study.lang);

# %%
cx.tables.engagement_table(engagement, wave=study.wave, name="engagement", by=v.by[0], **study.fmt)

# %%
study.record(cx.findings.engagement_findings(study.employees(), wave=study.wave, segment=v.by[0], alpha=study.thresholds.alpha, anonymity_min=study.thresholds.anonymity_min, chapter="07_employee", exhibit="engagement"))

# %% [markdown] tags=["lang-zh"]
# ## 改进项目的效果

# %% [markdown] tags=["lang-en"]
# ## Effect of the improvement programme

# %%
programme = cx.employee.programme_did(study.employees(), programme_units=study.programme.units, start=study.programme.start, min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %%
study.record(cx.findings.programme_findings(programme, chapter="07_employee", exhibit="programme_did", wave=study.wave))

# %%
cx.tables.say_programme(programme, by=v.by[0], **study.fmt)

# %%
cx.tables.did_table(programme, name="programme_did", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 敬业度与客户评分

# %% [markdown] tags=["lang-en"]
# ## Engagement and customer scores

# %%
linkage = cx.employee.linkage(study.employees(), study.responses(), outcomes=(v.outcome, v.nps), nps=v.nps, weights=study.weight, min_n=study.thresholds.anonymity_min, alpha=study.thresholds.alpha)

# %%
cx.tables.linkage_table(linkage, name="engagement_linkage", **study.fmt)

# %%
link_found = cx.findings.linkage_findings(linkage, chapter="07_employee", exhibit="engagement_linkage", wave=study.wave)

# %%
study.record(link_found)

# %%
cx.tables.so_what(link_found, **study.fmt)

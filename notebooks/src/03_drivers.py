# %% [markdown] tags=["lang-zh"]
# # 满意度的关键驱动因素
#
# 哪些方面最能左右客户的总体满意度？本章衡量每个因素对总体满意度差异的贡献（方法见附录），
# 再把每个因素的重要性与客户对它的评价放在一起，找出最值得投入改进的环节。

# %% [markdown] tags=["lang-en"]
# # Key drivers of satisfaction
#
# Which aspects move overall satisfaction most? This chapter measures how much each aspect contributes to the
# differences in overall satisfaction (method in the appendix), then sets each driver's importance against how
# customers rate it to find where improvement pays most.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %%
drivers = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight, ci=True, n_boot=study.analysis.n_boot, seed=study.analysis.seed)

# %%
ipa = cx.drivers.importance_performance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight, codebook=study.codebook, lang=study.lang)

# %%
driver_found = cx.findings.driver_findings(drivers, ipa=ipa, chapter="03_drivers", exhibit="driver_importance", wave=study.wave)

# %%
study.record(driver_found)

# %%
cx.tables.say_drivers(drivers, ipa=ipa, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 驱动因素的重要性

# %% [markdown] tags=["lang-en"]
# ## Importance of each driver

# %%
cx.viz.drivers.importance_bars(drivers, labels=study.labels(study.drivers), lang=study.lang);

# %%
cx.tables.driver_table(drivers, ipa=ipa, name="driver_importance", **study.fmt)

# %%
cx.tables.so_what(driver_found, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 重要性—表现矩阵
#
# 横轴是客户对各因素的平均评价，纵轴是该因素的重要性；虚线为各自的平均水平。左上象限的因素重要但表现偏弱，是改进的重点。

# %% [markdown] tags=["lang-en"]
# ## Importance–performance map
#
# Across: how customers rate each driver; up: how much it matters. Dashed lines mark the averages. Drivers in
# the upper left matter and underperform: the place to concentrate.

# %%
cx.viz.drivers.importance_performance(ipa, lang=study.lang);

# %% [markdown] tags=["lang-zh"]
# ## 业务流程

# %% [markdown] tags=["lang-en"]
# ## Business processes

# %%
processes = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.processes, weights=study.weight)

# %%
process_found = cx.findings.driver_findings(processes, chapter="03_drivers", exhibit="process_importance", wave=study.wave)

# %%
study.record(process_found)

# %%
cx.tables.say_drivers(processes, **study.fmt)

# %%
cx.tables.driver_table(processes, name="process_importance", title=cx.tables.word("process_importance", study.lang), **study.fmt)

# %%
cx.tables.so_what(process_found, **study.fmt)

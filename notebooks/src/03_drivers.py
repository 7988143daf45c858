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

# %% tags=["needs-drivers"]
drivers = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight, ci=True, n_boot=study.analysis.n_boot, seed=study.analysis.seed)

# %% tags=["needs-ipa"]
ipa = cx.drivers.importance_performance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight, codebook=study.codebook, lang=study.lang)

# %% tags=["needs-drivers", "needs-ipa"]
driver_found = cx.findings.driver_findings(drivers, ipa=ipa, chapter="03_drivers", exhibit="driver_importance", wave=study.wave)

# %% tags=["needs-drivers", "needs-ipa"]
study.record(driver_found)

# %% tags=["needs-drivers", "needs-ipa"]
cx.tables.say_drivers(drivers, ipa=ipa, **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-drivers"]
# ## 驱动因素的重要性

# %% [markdown] tags=["lang-en", "needs-drivers"]
# ## Importance of each driver

# %% tags=["needs-drivers"]
cx.viz.drivers.importance_bars(drivers, labels=study.labels(study.drivers), lang=study.lang);

# %% tags=["needs-drivers", "needs-ipa"]
cx.tables.driver_table(drivers, ipa=ipa, name="driver_importance", **study.fmt)

# %% tags=["needs-drivers", "needs-ipa"]
cx.tables.so_what(driver_found, **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-ipa"]
# ## 重要性—表现矩阵
#
# 横轴是客户对各因素的平均评价，纵轴是该因素的重要性；虚线为各自的平均水平。左上象限的因素重要但表现偏弱，是改进的重点。

# %% [markdown] tags=["lang-en", "needs-ipa"]
# ## Importance–performance map
#
# Across: how customers rate each driver; up: how much it matters. Dashed lines mark the averages. Drivers in
# the upper left matter and underperform: the place to concentrate.

# %% tags=["needs-drivers", "needs-ipa"]
cx.viz.drivers.importance_performance(ipa, model=drivers, lang=study.lang);

# %% [markdown] tags=["lang-zh", "needs-processes"]
# ## 业务流程

# %% [markdown] tags=["lang-en", "needs-processes"]
# ## Business processes

# %% tags=["needs-processes"]
processes = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.processes, weights=study.weight, ci=True, n_boot=study.analysis.n_boot, seed=study.analysis.seed)

# %% tags=["needs-processes"]
process_found = cx.findings.driver_findings(processes, chapter="03_drivers", exhibit="process_importance", wave=study.wave)

# %% tags=["needs-processes"]
study.record(process_found)

# %% tags=["needs-processes"]
cx.tables.say_drivers(processes, **study.fmt)

# %% tags=["needs-processes"]
cx.tables.driver_table(processes, name="process_importance", title=cx.tables.word("process_importance", study.lang), **study.fmt)

# %% tags=["needs-processes"]
cx.tables.so_what(process_found, **study.fmt)

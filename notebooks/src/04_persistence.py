# %% [markdown] tags=["lang-zh"]
# # 满意度的持续效应
#
# 今天的满意度会影响客户多少年后的忠诚？本章在客户×年份面板上估计满意度对复购意向的逐年滞后效应，
# 给出影响的"持续期"，并考察连续多年不满意对客户流失的影响。

# %% [markdown] tags=["lang-en"]
# # How long satisfaction lasts
#
# How many years does today's satisfaction keep shaping loyalty? On the customer × year panel, this chapter
# estimates the effect of satisfaction on repurchase intent at each lag, gives the horizon of that effect,
# and shows what consecutive years of dissatisfaction do to churn.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %%
panel = cx.persistence.customer_years(study.customers(), study.responses(), columns=[*study.kpis, *study.processes])

# %% [markdown] tags=["lang-zh", "needs-loyalty_horizon"]
# ## 满意度对忠诚度的持续期

# %% [markdown] tags=["lang-en", "needs-loyalty_horizon"]
# ## Horizon of satisfaction on loyalty

# %% tags=["needs-loyalty_horizon"]
loyalty_horizon = cx.persistence.horizon(panel, id="customer_id", time="year", outcome=v.loyalty, exposure=v.outcome, max_lag=study.analysis.max_lag, n_boot=study.analysis.n_boot, seed=study.analysis.seed)

# %% tags=["needs-loyalty_horizon"]
study.record(cx.findings.horizon_findings(loyalty_horizon, chapter="04_persistence", exhibit="lags_loyalty", wave=study.wave))

# %% tags=["needs-loyalty_horizon"]
cx.tables.say_horizon(loyalty_horizon, **study.fmt)

# %% tags=["needs-loyalty_horizon"]
cx.viz.charts.coefficients(loyalty_horizon.primary.profile.table, x="lag", highlight="significant_positive", xlabel=cx.tables.word("lag", study.lang), ylabel=cx.tables.word("coefficient", study.lang), lang=study.lang);

# %% tags=["needs-loyalty_horizon"]
cx.tables.lag_table(loyalty_horizon.primary.profile, name="lags_loyalty", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-process_horizon"]
# ## 服务流程满意度对总体满意度的持续期

# %% [markdown] tags=["lang-en", "needs-process_horizon"]
# ## Horizon of service-process satisfaction on overall satisfaction

# %% tags=["needs-process_horizon"]
process_horizon = cx.persistence.horizon(panel, id="customer_id", time="year", outcome=v.outcome, exposure=study.focus_process, max_lag=study.analysis.max_lag, n_boot=study.analysis.n_boot, seed=study.analysis.seed)

# %% tags=["needs-process_horizon"]
study.record(cx.findings.horizon_findings(process_horizon, chapter="04_persistence", exhibit="lags_process", wave=study.wave))

# %% tags=["needs-process_horizon"]
cx.tables.say_horizon(process_horizon, **study.fmt)

# %% tags=["needs-process_horizon"]
cx.tables.lag_table(process_horizon.primary.profile, name="lags_process", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-churn"]
# ## 连续不满意与流失

# %% [markdown] tags=["lang-en", "needs-churn"]
# ## Runs of dissatisfaction and churn

# %% tags=["needs-churn"]
hazard = cx.persistence.churn_hazard(panel, id="customer_id", time="year", score=v.outcome, churn="churned", cut=study.thresholds.dissatisfied_cut)

# %% tags=["needs-churn"]
study.record(cx.findings.hazard_findings(hazard, chapter="04_persistence", exhibit="churn_by_run", wave=study.wave, alpha=study.thresholds.alpha))

# %% tags=["needs-churn"]
cx.tables.say_hazard(hazard, alpha=study.thresholds.alpha, **study.fmt)

# %% tags=["needs-churn"]
cx.tables.hazard_table(hazard, name="churn_by_run", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 忠诚度与客户流失
#
# 本章把每位客户每年放到忠诚度阶梯上（从潜在客户到推荐者），观察阶梯结构的变化、满意度不同的客户留存多久，
# 以及服务中部门间转接对忠诚度的代价。

# %% [markdown] tags=["lang-en"]
# # Loyalty and churn
#
# This chapter places every customer in every year on the loyalty ladder (from prospect to advocate), follows
# how the ladder changes, how long customers of different satisfaction stay, and what transfers between
# departments during service cost in loyalty.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %% [markdown] tags=["lang-zh"]
# ## 忠诚度阶梯

# %% [markdown] tags=["lang-en"]
# ## The loyalty ladder

# %%
ladder = cx.loyalty.stage_shares(cx.loyalty.ladder(study.customers(), survey=study.responses()))

# %%
cx.viz.charts.stacked_shares(ladder, x="year", stack="stage", value="share", order=list(cx.tables.stage_labels(study.lang)), labels=cx.tables.stage_labels(study.lang), caption=cx.tables.word("ladder", study.lang), name="loyalty_ladder_chart", lang=study.lang);

# %%
cx.tables.ladder_table(ladder, name="loyalty_ladder", waves=study.waves[-4:], **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 满意度与客户留存

# %% [markdown] tags=["lang-en"]
# ## Satisfaction and retention

# %%
retention = cx.loyalty.retention_curves(cx.persistence.customer_years(study.customers(), study.responses(), columns=[v.outcome]), score=v.outcome)

# %%
cx.viz.charts.retention(retention.curves, labels=cx.tables.band_labels(retention, score=v.outcome, **study.fmt), lang=study.lang);

# %%
cx.tables.retention_table(retention, name="retention", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 部门间转接的代价

# %% [markdown] tags=["lang-en"]
# ## The cost of transfers

# %%
penalty = cx.loyalty.transfer_penalty(study.responses(), outcome=v.loyalty, promoter=v.nps)

# %%
study.record(cx.findings.penalty_findings(penalty, chapter="05_loyalty", exhibit="transfer_penalty", wave=study.wave))

# %%
cx.tables.say_penalty(penalty, **study.fmt)

# %%
cx.tables.penalty_table(penalty, name="transfer_penalty", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 客户之声与预警
#
# 本章汇总本期的客户预警数量（个案名单另行分派给负责人跟进），检验预警规则在以往各期能否预测客户流失，
# 并对客户的开放式评论进行主题编码：
# 客户谈论最多的是什么、谈及这些主题的客户满意度如何，以及代表性的原话（已去除个人信息）。

# %% [markdown] tags=["lang-en"]
# # Voice of the customer and alerts
#
# This chapter counts this wave's customer alerts (the case list goes to the owners for follow-up), checks
# whether the alert rules predicted churn in earlier waves, and codes the open comments into themes: what
# customers talk about most, how satisfied those who raise each theme are, and representative quotes
# (personal details removed).

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables
codeframe = cx.text.default_codeframe()

# %% [markdown] tags=["lang-zh"]
# ## 客户预警

# %% [markdown] tags=["lang-en"]
# ## Customer alerts

# %%
cases = cx.alerts.alert_cases(study.with_comments(), rules=study.alert_rules, customers=study.customers(), current=study.wave, score=v.outcome)

# %%
alert_counts = cx.alerts.alert_counts(cases, by=v.by[0])

# %%
study.record(cx.findings.alert_concentration_findings(alert_counts, by=v.by[0], alpha=study.thresholds.alpha, chapter="06_alerts_text", exhibit="alerts", wave=study.wave))

# %%
cx.tables.say_alerts(cases, alert_counts, **study.fmt)

# %%
cx.tables.alert_table(alert_counts, name="alerts", by=v.by[0], **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 预警能否预测流失？
#
# 把同一套预警规则放回以往各期的调查数据中重新运行，再与客户关系管理系统中记录的流失情况对照：
# 被预警的客户是否比一般客户更容易流失（提升度），预警覆盖了多少流失客户（召回率）。
# 本期客户是否流失尚不可知，因此不在检验之内。

# %% [markdown] tags=["lang-en"]
# ## Do the alerts predict churn?
#
# The same alert rules are replayed on earlier waves and compared with the churn recorded in the CRM:
# are the customers they flag more likely to leave than customers in general (lift), and how many of
# the customers who left did they catch (recall)? This wave's churn is not yet known, so it is not part
# of the test.

# %%
backtest = cx.alerts.backtest(study.with_comments(), study.customers(), rules=study.alert_rules, codeframe=codeframe, alpha=study.thresholds.alpha, seed=study.analysis.seed, if_no_history="empty")

# %%
alert_found = cx.findings.backtest_findings(backtest, cases=cases, chapter="06_alerts_text", exhibit="alert_backtest", wave=study.wave)

# %%
study.record(alert_found)

# %%
cx.tables.say_backtest(backtest, codeframe=codeframe, **study.fmt)

# %%
cx.tables.backtest_table(backtest, name="alert_backtest", codeframe=codeframe, **study.fmt)

# %%
cx.tables.so_what(alert_found, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 评论主题

# %% [markdown] tags=["lang-en"]
# ## What customers talk about

# %%
comments = study.with_comments(current=True)
coding = cx.text.code_comments(comments, codeframe=codeframe)

# %%
themes = cx.text.theme_frequencies(comments, coding, by=None, codeframe=codeframe, min_base=study.thresholds.min_base)

# %%
cx.tables.say_themes(themes, codeframe=codeframe, **study.fmt)

# %%
cx.tables.theme_table(themes, cx.text.theme_satisfaction(comments, coding, score=v.outcome, codeframe=codeframe), codeframe=codeframe, name="comment_themes", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 客户原话
#
# 每个主题选取代表性的评论，电话、邮箱和姓名已隐去。

# %% [markdown] tags=["lang-en"]
# ## In customers' words
#
# Representative comments for each theme; phone numbers, e-mail addresses and names are masked.

# %%
cx.tables.quotes(cx.text.example_quotes(comments, coding, n=2, codeframe=codeframe, seed=study.analysis.seed, lang=study.lang, columns=[v.by[0], v.outcome]), codeframe=codeframe, by=v.by[0], score=v.outcome, **study.fmt)

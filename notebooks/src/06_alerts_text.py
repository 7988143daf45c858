# %% [markdown] tags=["lang-zh"]
# # 客户之声与预警
#
# 在数据允许的范围内，本章汇总本期的客户预警数量（个案名单另行分派给负责人跟进），检验预警规则在以往各期能否预测客户流失，
# 并对客户的开放式评论进行主题编码：
# 客户谈论最多的是什么、谈及这些主题的客户满意度如何，以及代表性的原话（已去除个人信息）。

# %% [markdown] tags=["lang-en"]
# # Voice of the customer and alerts
#
# As far as the data allow, this chapter counts this wave's customer alerts (the case list goes to the owners for follow-up), checks
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

# %% [markdown] tags=["lang-zh", "needs-alerts"]
# ## 客户预警

# %% [markdown] tags=["lang-en", "needs-alerts"]
# ## Customer alerts

# %% tags=["needs-alerts"]
cases = cx.alerts.alert_cases(study.with_comments(), rules=study.alert_rules, customers=study.crm, current=study.wave, score=v.outcome)

# %% tags=["needs-alerts"]
alert_counts = cx.alerts.alert_counts(cases, by="branch", anonymity_min=study.thresholds.anonymity_min)

# %% tags=["needs-alerts"]
study.record(cx.findings.alert_concentration_findings(alert_counts, by="branch", alpha=study.thresholds.alpha, chapter="06_alerts_text", exhibit="alerts", wave=study.wave))

# %% tags=["needs-alerts"]
cx.tables.say_alerts(cases, alert_counts, **study.fmt)

# %% tags=["needs-alerts"]
cx.tables.alert_table(alert_counts, name="alerts", by="branch", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-backtest"]
# ## 预警能否预测流失？
#
# 把同一套预警规则放回以往各期的调查数据中重新运行，再与客户关系管理系统中记录的流失情况对照：
# 被预警的客户是否比一般客户更容易流失（提升度），预警覆盖了多少流失客户（召回率）。
# 本期客户是否流失尚不可知，因此不在检验之内。

# %% [markdown] tags=["lang-en", "needs-backtest"]
# ## Do the alerts predict churn?
#
# The same alert rules are replayed on earlier waves and compared with the churn recorded in the CRM:
# are the customers they flag more likely to leave than customers in general (lift), and how many of
# the customers who left did they catch (recall)? This wave's churn is not yet known, so it is not part
# of the test.

# %% tags=["needs-backtest"]
backtest = cx.alerts.backtest(study.with_comments(), study.customers(), rules=study.alert_rules, codeframe=codeframe, alpha=study.thresholds.alpha, seed=study.analysis.seed, if_no_history="empty")

# %% tags=["needs-backtest"]
alert_found = cx.findings.backtest_findings(backtest, cases=cases, chapter="06_alerts_text", exhibit="alert_backtest", wave=study.wave)

# %% tags=["needs-backtest"]
study.record(alert_found)

# %% tags=["needs-backtest"]
cx.tables.say_backtest(backtest, codeframe=codeframe, **study.fmt)

# %% tags=["needs-backtest"]
cx.tables.backtest_table(backtest, name="alert_backtest", codeframe=codeframe, **study.fmt)

# %% tags=["needs-backtest"]
cx.tables.so_what(alert_found, **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-themes"]
# ## 评论主题

# %% [markdown] tags=["lang-en", "needs-themes"]
# ## What customers talk about

# %% tags=["needs-themes"]
comments = study.with_comments(current=True)
coding = cx.text.code_comments(comments, codeframe=codeframe)

# %% tags=["needs-themes"]
themes = cx.text.theme_frequencies(comments, coding, by=None, codeframe=codeframe, min_base=study.thresholds.min_base)

# %% tags=["needs-themes"]
cx.tables.say_themes(themes, codeframe=codeframe, **study.fmt)

# %% tags=["needs-themes"]
cx.tables.theme_table(themes, cx.text.theme_satisfaction(comments, coding, score=v.outcome, codeframe=codeframe), codeframe=codeframe, name="comment_themes", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-themes"]
# ## 不满意客户更常提到什么
#
# 把留言的客户分成不满意客户（总体满意度不高于不满意界限）和其他客户，比较两组提及每个主题的比例；
# 只有差异通过统计检验（多个主题一并校正）且样本足够时，才作为结论。

# %% [markdown] tags=["lang-en", "needs-themes"]
# ## What dissatisfied customers raise
#
# Commenters are split into dissatisfied customers (overall satisfaction at or below the dissatisfaction cut) and
# the others, and the share of each group mentioning every theme is compared; a difference becomes a finding only
# when it passes its test (corrected over the themes) on sufficient bases.

# %% tags=["needs-themes"]
theme_gaps = cx.findings.theme_gaps(comments, coding, score=v.outcome, cut=study.thresholds.dissatisfied_cut, **study.design)

# %% tags=["needs-themes"]
theme_found = cx.findings.theme_findings(theme_gaps, score=v.outcome, cut=study.thresholds.dissatisfied_cut, coding=coding, alpha=study.thresholds.alpha, chapter="06_alerts_text", exhibit="theme_gaps", wave=study.wave)

# %% tags=["needs-themes"]
study.record(theme_found)

# %% tags=["needs-themes"]
cx.tables.theme_gap_table(theme_gaps, codeframe=codeframe, name="theme_gaps", **study.fmt)

# %% tags=["needs-themes"]
cx.tables.so_what(theme_found, **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-quotes"]
# ## 客户原话
#
# 每个主题选取代表性的评论，电话、邮箱和姓名已隐去。

# %% [markdown] tags=["lang-en", "needs-quotes"]
# ## In customers' words
#
# Representative comments for each theme; phone numbers, e-mail addresses and names are masked.

# %% tags=["needs-quotes"]
cx.tables.quotes(cx.text.example_quotes(comments, coding, n=2, codeframe=codeframe, seed=study.analysis.seed, lang=study.lang, columns=[*v.by[:1], v.outcome]), codeframe=codeframe, by=study.segment, score=v.outcome, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# # 数据质量与样本基数
#
# 本章说明报告所依据的样本和缺失回答；各年份和各细分群体的样本基数见附录。
# 样本量低于报告下限的结果会被标注，低于匿名下限的结果不予展示。

# %% [markdown] tags=["lang-en"]
# # Data quality and bases
#
# This chapter describes the sample behind the report and the answers missing from it; the bases by wave
# and by segment are in the appendix. Results on a base below the reporting minimum are flagged; results
# below the anonymity minimum are not shown.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)

# %% tags=["needs-scope"]
study.plan.say_scope(**study.fmt)

# %%
bases = cx.survey.mean(study.responses(), score=study.variables.outcome, by="wave", **study.design)

# %%
cx.tables.say_bases(bases, wave=study.wave, respondents=study.responses(), **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-missing"]
# ## 缺失回答
#
# 问卷中"不知道""拒答"等回答单独记录，不计入均值和比例。

# %% [markdown] tags=["lang-en", "needs-missing"]
# ## Missing answers
#
# Answers such as "don't know" and "refused" are kept apart and left out of means and shares.

# %% tags=["needs-missing"]
cx.tables.missing_answers(study.missing_codes(), by_wave=True, **study.fmt)

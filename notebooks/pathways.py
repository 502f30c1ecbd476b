# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The identity-pathway model at one threshold: Tables 1-3, predictions, ELF bounds, census check
#
# All computation is in `multivector.pathways`; the threshold sweep is `pathway_sweep.py` and
# its summary `pathway_sensitivity.py`.

# %% tags=["parameters"]
homogeneity_threshold = 0.6        # largest group's share (fraction) from which a state counts as homogeneous
aggregates = {"slavs": ["russians", "ukrainians", "belarusians"]}   # printed aggregates -> member groups
census_tolerance = 0.05            # percentage points within which printed and summed shares agree

# %%
import pandas as pd
from reprobook import nb
from multivector import pathways

demo = nb.read_csv("data/demographics_1989.csv")
coding = nb.read_csv("data/state_coding.csv")
rules = nb.read_csv("data/pathway_rules.csv")
outcomes = nb.read_csv("data/pathway_outcomes.csv")
published = nb.read_csv("data/published_values.csv")

# %%
pred = pathways.predict(demo, coding, rules, outcomes, homogeneity_threshold)
nb.save_table("pathway_table1_outcomes", pathways.observed_outcomes(outcomes))
nb.save_table("pathway_rules", pathways.rules_table(rules))
nb.save_table("pathway_predictions", pred, decimals={"largest_share": 3, "threshold": 2})
nb.save_table("pathway_elf_bounds", pathways.elf_bounds(demo), decimals=3)
nb.save_table("pathway_census_check", pathways.census_check(published, demo, aggregates, census_tolerance), decimals=1)
pred

# %%
values = pathways.headline_values(demo, coding, rules, outcomes, published, homogeneity_threshold,
                                  aggregates, census_tolerance, demographics_file="data/demographics_1989.csv",
                                  published_file="data/published_values.csv")
for name, value in values.items():
    nb.save_value(name, **value)

# %% [markdown]
# ## Claims the book makes (a build stops when the data make a cited one false)

# %%
for claim in pathways.claims(demo, coding, rules, outcomes, homogeneity_threshold):
    nb.save_claim(**claim)

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
# # Threshold sweep: the identity-pathway classification of each state at every threshold of a chunk
#
# A sweep job: the engine splits the grid of `pipeline.yml` into chunks, fills in `thresholds`,
# caches each threshold and gathers the rows into one table.

# %% tags=["parameters"]
thresholds = [0.6]                 # the thresholds of this chunk (the engine fills it in)

# %%
import pandas as pd
from reprobook import nb
from multivector import pathways

demo = nb.read_csv("data/demographics_1989.csv")
coding = nb.read_csv("data/state_coding.csv")
rules = nb.read_csv("data/pathway_rules.csv")
outcomes = nb.read_csv("data/pathway_outcomes.csv")

# %%
sens = pathways.sensitivity(demo, coding, rules, outcomes, [round(t, 10) for t in thresholds])
nb.save_table("pathway_sensitivity", sens, decimals={"threshold": 2, "largest_share": 3})

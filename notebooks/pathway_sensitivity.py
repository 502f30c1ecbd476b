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
# # Threshold sensitivity: the exact matching band, the sweep's figure and its values
#
# Reads the table the sweep job gathered (`pathway_sweep.py`).

# %% tags=["parameters"]
homogeneity_threshold = 0.6        # the threshold the figure marks (the model's default)

# %%
import matplotlib.pyplot as plt
import pandas as pd
from reprobook import nb
from multivector import pathways

sens = nb.read_csv("results/tables/pathway_sensitivity.csv")
demo = nb.read_csv("data/demographics_1989.csv")
coding = nb.read_csv("data/state_coding.csv")
rules = nb.read_csv("data/pathway_rules.csv")
outcomes = nb.read_csv("data/pathway_outcomes.csv")

# %%
band = pathways.matching_band(demo, coding, rules, outcomes)
values = pathways.sensitivity_values(sens, band)
fig = pathways.sensitivity_figure(sens, band, homogeneity_threshold)
nb.save_figure("pathway_sensitivity", fig)
plt.close(fig)
for name, value in values.items():
    nb.save_value(name, **value)

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
# # Alignment history of Uzbekistan and Kazakhstan: events, counts, reversals and a timeline

# %% tags=["parameters"]
countries = ["UZB", "KAZ"]         # states shown, in this order

# %%
import matplotlib.pyplot as plt
import pandas as pd
from reprobook import nb
from multivector import alignment

events = nb.read_csv("data/alignment_events.csv")
orgs = nb.read_csv("data/organisations.csv")

# %%
nb.save_table("alignment_events", alignment.event_table(events, orgs, countries))
counts = alignment.counts(events, countries)
nb.save_table("alignment_counts", counts)
nb.save_table("alignment_kind_counts", alignment.kind_counts(events, countries))

fig = alignment.timeline_figure(events, countries)
nb.save_figure("alignment_timeline", fig)
plt.close(fig)

# %%
for name, value in alignment.count_values(counts).items():
    nb.save_value(name, **value)
counts

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
# # Anscombe's quartet: the same statistics, four different datasets
#
# Reads `data/anscombe.csv` and, for each dataset, computes the means and variances of x and y,
# their correlation and the least-squares line y = intercept + slope * x. Saves one table, one
# figure and two in-text values through `reprobook.nb`.
#
# `make book` runs this notebook when its code, its parameters or its input change. Opened by
# hand in Jupyter (from this folder), it reads the same file and writes to `_build/interactive/`
# under the project folder, never into `results/`.

# %% tags=["parameters"]
decimals = 3  # digits shown in the table and the text

# %%
import matplotlib.pyplot as plt
import pandas as pd

from reprobook import nb

# the declared input, with the types and missing values its data package declares
points = nb.read_csv("data/anscombe.csv")

# %% [markdown]
# One row per dataset. The slope is the covariance of x and y over the variance of x.

# %%
rows = []
for name, d in points.groupby("dataset", sort=True):
    slope = d["x"].cov(d["y"]) / d["x"].var()
    rows.append({
        "dataset": name,
        "n": len(d),
        "mean_x": d["x"].mean(),
        "mean_y": d["y"].mean(),
        "variance_x": d["x"].var(),
        "variance_y": d["y"].var(),
        "correlation": d["x"].corr(d["y"]),
        "slope": slope,
        "intercept": d["y"].mean() - slope * d["x"].mean(),
    })
summary = pd.DataFrame(rows)
nb.save_table("quartet_summary", summary, decimals=decimals)
summary

# %%
fig, axes = plt.subplots(2, 2, figsize=(7, 5.5), sharex=True, sharey=True)
line_x = pd.Series([points["x"].min() - 1, points["x"].max() + 1])
for ax, (name, d), fit in zip(axes.flat, points.groupby("dataset", sort=True), rows):
    ax.scatter(d["x"], d["y"], color="tab:blue", zorder=2)
    ax.plot(line_x, fit["intercept"] + fit["slope"] * line_x, color="tab:orange", zorder=1)
    ax.set_title(f"Dataset {name}")
for ax in axes[1]:
    ax.set_xlabel("x")
for ax in axes[:, 0]:
    ax.set_ylabel("y")
fig.tight_layout()
nb.save_figure("quartet_scatter", fig)

# %%
nb.save_value("correlation_min", summary["correlation"].min(), decimals=decimals,
              note="lowest correlation of x and y among the four datasets")
nb.save_value("correlation_max", summary["correlation"].max(), decimals=decimals,
              note="highest correlation of x and y among the four datasets")

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
# # The hedging matrix: coded evidence by state and hedging dimension or indicator
#
# Run once per level (`level = "dimension"` or `"indicator"`); output names end in the level.
# The framework tables, evidence list, partners and export concentration are `hedging_framework.py`.

# %% tags=["parameters"]
level = "dimension"          # "dimension" or "indicator"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from reprobook import nb
from multivector import hedging

dimensions = nb.read_csv("data/hedging_dimensions.csv")
evidence = nb.read_csv("data/hedging_evidence.csv")

# %%
counts = hedging.matrix(evidence, dimensions, level)
cell_table = hedging.cells(evidence, dimensions, level)
nb.save_table(f"hedging_matrix_{level}",
              counts if level == "dimension" else hedging.indicator_rows(counts, dimensions))
nb.save_table(f"hedging_cells_{level}", cell_table)

fig = hedging.heatmap_figure(counts, dimensions, level)
nb.save_figure(f"hedging_heatmap_{level}", fig)
plt.close(fig)

for name, value in hedging.matrix_values(counts, dimensions, level).items():
    nb.save_value(name, **value)
cell_table

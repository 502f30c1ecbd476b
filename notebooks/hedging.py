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
# Run twice: `level = "dimension"` (with the framework tables, evidence list, partner counts and
# export-market concentration) and `level = "indicator"` (matrix only). Output names end in the level.

# %% tags=["parameters"]
level = "dimension"          # "dimension" or "indicator"
include_framework = True     # Tables 1-2, evidence list, partners per state, export concentration
flag_printed_years = [2025]  # Table 3 column years labelled "(printed)" in the concentration table

# %%
import matplotlib.pyplot as plt
import pandas as pd
from reprobook import nb
from multivector import hedging

dimensions = pd.read_csv(nb.input_path("data/hedging_dimensions.csv"))
evidence = pd.read_csv(nb.input_path("data/hedging_evidence.csv"), dtype={"year": "Int64", "year_end": "Int64"})

# %% [markdown]
# ## Matrix, cells and heatmap at this level

# %%
counts = hedging.matrix(evidence, dimensions, level)
cell_table = hedging.cells(evidence, dimensions, level)
columns = hedging.matrix_columns(dimensions, level)
nb.save_table(f"hedging_matrix_{level}",
              counts if level == "dimension" else hedging.indicator_rows(counts, dimensions))
nb.save_table(f"hedging_cells_{level}", cell_table)

if level == "dimension":
    fig = hedging.heatmap(counts, columns, labels={d: d.capitalize() for d in columns}, figsize=(7, 4))
else:
    labels = dict(zip(dimensions["indicator_id"], dimensions["indicator"]))
    groups = {i: d.capitalize() for i, d in zip(dimensions["indicator_id"], dimensions["dimension"])}
    fig = hedging.heatmap(counts, columns, labels=labels, groups=groups, figsize=(8, 6))
nb.save_figure(f"hedging_heatmap_{level}", fig)
plt.close(fig)

grid = counts[columns]
nb.save_value(f"hedging_n_cells_{level}", int(grid.size))
nb.save_value(f"hedging_n_cells_nonempty_{level}", int((grid > 0).to_numpy().sum()))
nb.save_value(f"hedging_n_columns_empty_{level}", int((grid.sum(axis=0) == 0).sum()))
nb.save_value(f"hedging_max_cell_{level}", int(grid.to_numpy().max()))
cell_table

# %% [markdown]
# ## Framework tables, evidence list, partners, export concentration (dimension job only)

# %%
if include_framework:
    elements = pd.read_csv(nb.input_path("data/hedging_elements.csv"))
    markets = pd.read_csv(nb.input_path("data/export_markets.csv"))

    nb.save_table("hedging_framework", hedging.framework_table(dimensions))
    nb.save_table("hedging_elements", hedging.elements_table(elements))
    nb.save_table("hedging_evidence_list", hedging.evidence_table(evidence))
    partners = hedging.partners_by_state(evidence)
    nb.save_table("hedging_partners", partners)
    conc = hedging.market_concentration(markets, flag_years=flag_printed_years)
    share_cols = [c for c in conc.columns if c.startswith("share_")]
    nb.save_table("hedging_export_concentration", conc,
                  decimals={"total_listed_keur": 0, "hhi": 0, "equivalent_markets": 2, **{c: 1 for c in share_cols}})

    nb.save_value("hedging_n_evidence", len(evidence))
    nb.save_value("hedging_n_dimensions", dimensions["dimension"].nunique())
    nb.save_value("hedging_n_indicators", len(dimensions))
    nb.save_value("hedging_n_elements", len(elements))
    nb.save_value("hedging_n_elements_shared", hedging.shared_elements(elements))
    nb.save_value("hedging_n_partners", evidence["partner"].nunique())
    for dim in hedging.DIMENSIONS:
        nb.save_value(f"hedging_n_evidence_{dim}", int((evidence["dimension"] == dim).sum()))
    n_ca5 = int((evidence["state"] == "CA5").sum())
    n_eu = int((evidence["partner"] == "EU27").sum())
    nb.save_value("hedging_n_evidence_ca5", n_ca5)
    nb.save_value("hedging_share_evidence_ca5", 100.0 * n_ca5 / len(evidence), decimals=0, percent=True)
    nb.save_value("hedging_n_evidence_eu", n_eu)
    nb.save_value("hedging_share_evidence_eu", 100.0 * n_eu / len(evidence), decimals=0, percent=True)
    single = partners[partners["state"] != "CA5"]
    nb.save_value("hedging_partners_ca5", int(partners.loc[partners["state"] == "CA5", "n_partners_all"].iloc[0]))
    nb.save_value("hedging_partners_max_single_state", int(single["n_partners_all"].max()))

    first, last = conc.iloc[0], conc.iloc[-1]
    nb.save_value("hedging_export_hhi_first", first["hhi"], decimals=0)
    nb.save_value("hedging_export_hhi_last", last["hhi"], decimals=0)
    nb.save_value("hedging_export_equiv_first", first["equivalent_markets"], decimals=1)
    nb.save_value("hedging_export_equiv_last", last["equivalent_markets"], decimals=1)
    nb.save_value("hedging_export_eu_share_first", first["share_eu27_pct"], decimals=1, percent=True)
    nb.save_value("hedging_export_eu_share_last", last["share_eu27_pct"], decimals=1, percent=True)
    nb.save_value("hedging_export_eu_share_min", conc["share_eu27_pct"].min(), decimals=1, percent=True)
    nb.save_value("hedging_export_eu_share_max", conc["share_eu27_pct"].max(), decimals=1, percent=True)
    nb.save_value("hedging_export_n_markets", int(conc["n_markets"].max()))
    conc

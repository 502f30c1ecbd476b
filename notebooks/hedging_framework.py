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
# # The hedging framework and its evidence: Tables 1-2, the evidence list, partners per state and
# # the concentration of the listed export markets

# %% tags=["parameters"]
flag_printed_years = [2025]  # Table 3 column years labelled "(printed)" in the concentration table

# %%
import pandas as pd
from reprobook import nb
from multivector import hedging

dimensions = nb.read_csv("data/hedging_dimensions.csv")
evidence = nb.read_csv("data/hedging_evidence.csv")
elements = nb.read_csv("data/hedging_elements.csv")
markets = nb.read_csv("data/export_markets.csv")

# %%
nb.save_table("hedging_framework", hedging.framework_table(dimensions))
nb.save_table("hedging_elements", hedging.elements_table(elements))
nb.save_table("hedging_evidence_list", hedging.evidence_table(evidence))
partners = hedging.partners_by_state(evidence)
nb.save_table("hedging_partners", partners)
conc = hedging.market_concentration(markets, flag_years=flag_printed_years)
share_cols = [c for c in conc.columns if c.startswith("share_")]
nb.save_table("hedging_export_concentration", conc,
              decimals={"total_listed_keur": 0, "hhi": 0, "equivalent_markets": 2, **{c: 1 for c in share_cols}})

for name, value in hedging.evidence_values(evidence, dimensions, elements, partners, conc).items():
    nb.save_value(name, **value)
conc

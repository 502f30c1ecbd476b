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
# # EU-Central Asia trade: Kviklys Tables 3-6 transcribed, recomputed and checked
#
# Tables are saved long (one row per reporter, flow and year); in-text values carry the year they
# are about. All computation is in `multivector.trade`.

# %% tags=["parameters"]
flows_csv = "data/trade_flows.csv"
markets_csv = "data/export_markets.csv"
published_csv = "data/published_values.csv"
start_year = 2004
end_year = 2024
share_year = 2024  # year the text's undated Kazakh shares are compared with

# %%
import matplotlib.pyplot as plt
import pandas as pd
from reprobook import nb
from multivector import trade
from multivector.countries import KAZAKHSTAN

flows = nb.read_csv(flows_csv)
markets = nb.read_csv(markets_csv)
published = nb.read_csv(published_csv)

# %% [markdown]
# ## Tables

# %%
growth = trade.growth(flows, trade.REGION, start_year, end_year)
nb.save_table("trade_table4_growth", growth, decimals={"growth_factor": 3, "growth_pct": 1})
nb.save_table("trade_table5_balances", trade.balance_comparison(flows, published))
nb.save_table("trade_table6_flows", trade.table6_flows(flows))
nb.save_table("trade_table3_export_markets", trade.export_markets_table(markets))

text = trade.text_values(published)["trade_text_export_bn"]
nb.save_table("trade_table3_findings", trade.table3_findings(markets, flows, text["value"], text["about"]["year"]))

repro = trade.reproduction(published, flows, share_year, start_year, end_year)
nb.save_table("trade_reproduction", repro, decimals={"printed": 2, "computed": 2, "difference": 2})
summary = trade.reproduction_summary(repro)
nb.save_table("trade_reproduction_summary", summary)
nb.save_table("trade_kaz_shares", trade.shares_table(flows, KAZAKHSTAN), decimals={"share_pct": 2})
summary

# %% [markdown]
# ## Figures

# %%
for name, fig in (("trade_flows_series", trade.flows_figure(flows, start_year, end_year)),
                  ("trade_balances", trade.balances_figure(flows))):
    nb.save_figure(name, fig)
    plt.close(fig)

# %% [markdown]
# ## In-text values

# %%
files = trade.Files(flows=flows_csv, published=published_csv, markets=markets_csv)
values = trade.headline_values(flows, published, markets, start_year, end_year, share_year, files)
for name, value in values.items():
    nb.save_value(name, **value)
pd.DataFrame.from_dict(values, orient="index")[["value", "unit", "about"]]

# %% [markdown]
# ## Claims
#
# Sentences of the book that the data must keep true; a build whose data make a cited claim
# false stops before anything is published.

# %%
claims = trade.claims(flows, published, start_year, end_year, share_year)
for claim in claims:
    nb.save_claim(**claim)
pd.DataFrame(claims).set_index("name")[["holds", "statement"]]

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
# # Trade between Central Asia and the EU

# %% tags=["parameters"]
flows_csv = "data/trade_flows.csv"

# %%
import pandas as pd
from reprobook import nb
from multivector import trade

flows = pd.read_csv(nb.input_path(flows_csv))
bal = trade.balances(flows)
nb.save_table("trade_balance", bal)
nb.save_value("ca5_balance_2024", float(bal.query("reporter == 'CA5' and year == 2024")["balance_keur"].iloc[0]), unit="thousand EUR", decimals=0)

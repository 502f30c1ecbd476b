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

flows = pd.read_csv(nb.input_path(flows_csv))
markets = pd.read_csv(nb.input_path(markets_csv))
published = pd.read_csv(nb.input_path(published_csv))

# %% [markdown]
# ## Tables

# %%
growth = trade.growth(flows, "CA5", start_year, end_year)
nb.save_table("trade_table4_growth", growth, decimals={"growth_factor": 3, "growth_pct": 1})

t5 = trade.balance_comparison(flows, published)  # long form, for the values below
nb.save_table("trade_table5_balances", trade.table5_balances(flows, published))

t6 = trade.table6_flows(flows)
nb.save_table("trade_table6_flows", t6)

nb.save_table("trade_table3_export_markets", trade.export_markets_wide(markets))

text_export = published.set_index("value_id").loc[f"text_ca5_export_to_eu_{end_year}", "value"]
findings = trade.table3_findings(markets, flows, float(text_export), end_year)
nb.save_table("trade_table3_findings", findings)

repro = trade.reproduction(published, flows, share_year, start_year, end_year)
nb.save_table("trade_reproduction", repro, decimals={"printed": 2, "computed": 2, "difference": 2})
summary = trade.reproduction_summary(repro)
nb.save_table("trade_reproduction_summary", summary)

kaz = trade.shares(flows, "KAZ")
nb.save_table("trade_kaz_shares", trade.shares_wide(flows, "KAZ"), decimals=2)
summary

# %% [markdown]
# ## Figures

# %%
COLORS = {"export_to_eu": "#1f5fa8", "import_from_eu": "#e08a1e"}
NAMES = {"export_to_eu": "Exports to the EU", "import_from_eu": "Imports from the EU"}
bn = trade.KEUR_PER_BN
fig, axes = plt.subplots(2, 3, figsize=(7.5, 4.8))
for ax, code in zip(axes.flat, trade.COUNTRIES):
    sub = flows[flows["reporter"] == code]
    years = sorted(sub["year"].unique())
    for k, flow in enumerate(trade.FLOWS):
        vals = [trade.flow_value(flows, code, flow, y) / bn for y in years]
        ax.bar([i + (k - 0.5) * 0.38 for i in range(len(years))], vals, width=0.38, color=COLORS[flow])
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.set_title(trade.LABELS[code], fontsize=9)
ax = axes.flat[-1]
pair = [start_year, end_year]
for k, flow in enumerate(trade.FLOWS):
    vals = [trade.flow_value(flows, "CA5", flow, y) / bn for y in pair]
    ax.bar([i + (k - 0.5) * 0.38 for i in range(2)], vals, width=0.38, color=COLORS[flow])
ax.set_xticks(range(2), [str(y) for y in pair])
ax.set_title("All five (CA5)", fontsize=9)
for ax in axes.flat:
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
for ax in axes[:, 0]:
    ax.set_ylabel("billion EUR", fontsize=8)
handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[f]) for f in trade.FLOWS]
fig.legend(handles, [NAMES[f] for f in trade.FLOWS], loc="upper center", ncol=2, frameon=False, fontsize=9)
fig.tight_layout(rect=(0, 0, 1, 0.93))
nb.save_figure("trade_flows_series", fig)
plt.close(fig)

# %%
bal = trade.balances(flows)
bal = bal[bal["year"].isin(trade.regional_totals(flows)["year"].unique())]
years = sorted(bal["year"].unique())
order = [*trade.COUNTRIES, "CA5"]
shades = ["#9ecae1", "#4292c6", "#08519c"]
fig, ax = plt.subplots(figsize=(7, 4))
w = 0.8 / len(years)
for k, y in enumerate(years):
    vals = [float(bal[(bal["reporter"] == r) & (bal["year"] == y)]["balance_keur"].iloc[0]) / bn for r in order]
    ax.bar([i + (k - (len(years) - 1) / 2) * w for i in range(len(order))], vals, width=w, color=shades[k], label=str(y))
ax.axhline(0, color="black", linewidth=0.8)
ax.axvline(len(order) - 1.5, color="grey", linewidth=0.6, linestyle=":")
ax.set_xticks(range(len(order)), [trade.LABELS[r] if r != "CA5" else "All five (CA5)" for r in order], fontsize=8)
ax.set_ylabel("Balance with the EU, billion EUR\n(exports minus imports)", fontsize=9)
ax.tick_params(axis="y", labelsize=8)
ax.spines[["top", "right"]].set_visible(False)
ax.legend(frameon=False, fontsize=9, title="Year", title_fontsize=9)
fig.tight_layout()
nb.save_figure("trade_balances", fig)
plt.close(fig)

# %% [markdown]
# ## In-text values

# %%
g = growth.set_index("quantity")
sh = kaz.set_index(["flow", "year"])
t5i = t5.set_index(["reporter", "year"])
pub = published.set_index("value_id")
counts = summary.set_index("verdict")["total"]
flow = lambda r, f, y: trade.flow_value(flows, r, f, y)

nb.save_value("trade_ca5_export_2004_bn", flow("CA5", "export_to_eu", start_year) / bn, unit="billion EUR", decimals=2)
nb.save_value("trade_ca5_export_2024_bn", flow("CA5", "export_to_eu", end_year) / bn, unit="billion EUR", decimals=2)
nb.save_value("trade_ca5_import_2004_bn", flow("CA5", "import_from_eu", start_year) / bn, unit="billion EUR", decimals=2)
nb.save_value("trade_ca5_import_2024_bn", flow("CA5", "import_from_eu", end_year) / bn, unit="billion EUR", decimals=2)
nb.save_value("trade_ca5_export_growth_factor", g.loc["export_to_eu", "growth_factor"], unit="ratio", decimals=2)
nb.save_value("trade_ca5_import_growth_factor", g.loc["import_from_eu", "growth_factor"], unit="ratio", decimals=2)
nb.save_value("trade_ca5_export_growth_pct", g.loc["export_to_eu", "growth_pct"], unit="percent", decimals=0, percent=True)
nb.save_value("trade_ca5_import_growth_pct", g.loc["import_from_eu", "growth_pct"], unit="percent", decimals=0, percent=True)
nb.save_value("trade_ca5_balance_2004", g.loc["balance", f"value_{start_year}_keur"], unit="thousand EUR", decimals=0)
nb.save_value("trade_ca5_balance_2024", g.loc["balance", f"value_{end_year}_keur"], unit="thousand EUR", decimals=0)
nb.save_value("trade_kaz_balance_2024", t5i.loc[("KAZ", end_year), "balance_computed_keur"], unit="thousand EUR", decimals=0)
nb.save_value("trade_uzb_balance_2024", t5i.loc[("UZB", end_year), "balance_computed_keur"], unit="thousand EUR", decimals=0)
nb.save_value("trade_kaz_export_share_2024", sh.loc[("export_to_eu", 2024), "share_of_printed_pct"], unit="percent", decimals=1, percent=True)
nb.save_value("trade_kaz_export_share_2023", sh.loc[("export_to_eu", 2023), "share_of_printed_pct"], unit="percent", decimals=1, percent=True)
nb.save_value("trade_kaz_import_share_2024", sh.loc[("import_from_eu", 2024), "share_of_printed_pct"], unit="percent", decimals=1, percent=True)
nb.save_value("trade_kaz_import_share_2022", sh.loc[("import_from_eu", 2022), "share_of_printed_pct"], unit="percent", decimals=1, percent=True)
nb.save_value("trade_text_export_2024_bn", pub.loc["text_ca5_export_to_eu_2024", "value"], unit="billion EUR", decimals=1)
nb.save_value("trade_text_import_growth_factor", pub.loc["text_ca5_import_from_eu_growth_factor_2004_2024", "value"], unit="ratio", decimals=0)
nb.save_value("trade_text_kaz_export_share", pub.loc["text_kaz_share_of_ca5_exports", "value"], unit="percent", decimals=0, percent=True)
nb.save_value("trade_text_kaz_import_share", pub.loc["text_kaz_share_of_ca5_imports", "value"], unit="percent", decimals=0, percent=True)
eu_last = markets[(markets["partner"] == "EU27")].sort_values("year_printed").iloc[-1]
nb.save_value("trade_table3_eu_last_column", eu_last["value_printed"], unit="thousand EUR (per footnote)", decimals=0)
nb.save_value("trade_repro_total", int(counts.sum()), unit="printed values")
nb.save_value("trade_repro_exact", int(counts["exact"]), unit="printed values")
nb.save_value("trade_repro_rounding", int(counts["rounding (±1)"]), unit="printed values")
nb.save_value("trade_repro_mismatch", int(counts["mismatch"]), unit="printed values")
nb.save_value("trade_repro_consistent", int(counts["consistent"]), unit="printed values")
nb.save_value("trade_repro_inconsistent", int(counts["inconsistent"]), unit="printed values")
nb.save_value("trade_repro_not_computable", int(counts["not computable"]), unit="printed values")
nb.save_value("trade_repro_table_cells_checked", int(counts[["exact", "rounding (±1)", "mismatch"]].sum()), unit="printed values")
nb.save_value("trade_repro_t5_not_computable", int((t5["verdict"] == "not computable").sum()), unit="printed values")
nb.save_value("trade_repro_t6_inputs", int(((repro["table_ref"] == "Table 6") & (repro["verdict"] == "not computable")).sum()), unit="printed values")
kgz = t5i.loc[("KGZ", end_year)]
nb.save_value("trade_kgz_balance_gap_2024", abs(int(kgz["difference_keur"])), unit="thousand EUR", decimals=0)
nb.save_value("trade_kgz_balance_2024_computed", int(kgz["balance_computed_keur"]), unit="thousand EUR", decimals=0)
nb.save_value("trade_kgz_balance_2024_printed", int(kgz["balance_printed_keur"]), unit="thousand EUR", decimals=0)

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
# # The identity-pathway model: classification, predictions, ELF bounds and threshold sensitivity
# One notebook, three jobs: `mode = "main"` (tables 1-3, predictions at one threshold, ELF bounds,
# census check), `mode = "sweep"` (a sweep job: the classification at each threshold in
# `thresholds`, which the engine splits into chunks and gathers) and `mode = "sensitivity"`
# (reads the gathered sweep table: the matching band, its figure and values).

# %% tags=["parameters"]
mode = "main"                      # "main", "sweep" or "sensitivity"
thresholds = [0.6]                 # sweep: the thresholds of this chunk (the engine fills it in)
homogeneity_threshold = 0.6        # largest group's share (fraction) from which a state counts as homogeneous
aggregates = {"slavs": ["russians", "ukrainians", "belarusians"]}   # printed aggregates -> member groups
census_tolerance = 0.05            # percentage points within which printed and summed shares agree

# %%
import pandas as pd
from reprobook import nb
from multivector import pathways

demo = pd.read_csv(nb.input_path("data/demographics_1989.csv"))
coding = pd.read_csv(nb.input_path("data/state_coding.csv"))
rules = pd.read_csv(nb.input_path("data/pathway_rules.csv"))
outcomes = pd.read_csv(nb.input_path("data/pathway_outcomes.csv"))

# %%
if mode == "main":
    pred = pathways.predict(demo, coding, rules, outcomes, homogeneity_threshold)
    elf = pathways.elf_bounds(demo)
    census = pathways.census_check(pd.read_csv(nb.input_path("data/published_values.csv")), demo,
                                   aggregates, census_tolerance)
    nb.save_table("pathway_table1_outcomes", pathways.observed_outcomes(outcomes))
    nb.save_table("pathway_rules", pathways.rules_table(rules))
    nb.save_table("pathway_predictions", pred, decimals={"largest_share": 3, "threshold": 2})
    nb.save_table("pathway_elf_bounds", elf, decimals=3)
    nb.save_table("pathway_census_check", census, decimals=1)

    shares = pathways.share_summary(demo).set_index("country")
    groups = demo.set_index(["country", "group"])["share_pct"]
    nb.save_value("pathway_threshold", homogeneity_threshold, decimals=2)
    nb.save_value("pathway_n_states", len(pred), decimals=0)
    nb.save_value("pathway_n_match", int(pred["match"].sum()), decimals=0)
    for c in ("kaz", "uzb"):
        s, e = shares.loc[c.upper()], elf.set_index("country").loc[c.upper()]
        nb.save_value(f"pathway_{c}_largest_share_pct", 100 * s["largest_share"], unit="percent", decimals=1, percent=True)
        nb.save_value(f"pathway_{c}_largest_share", s["largest_share"], decimals=3)
        nb.save_value(f"pathway_{c}_known_total_pct", 100 * s["known_total"], unit="percent", decimals=1, percent=True)
        nb.save_value(f"pathway_{c}_unknown_pct", 100 * s["remainder"], unit="percent", decimals=1, percent=True)
        nb.save_value(f"pathway_{c}_n_groups_known", int(s["n_groups_known"]), decimals=0)
        nb.save_value(f"pathway_{c}_elf_lower", e["elf_lower"], decimals=3)
        nb.save_value(f"pathway_{c}_elf_upper", e["elf_upper"], decimals=3)
    nb.save_value("pathway_kaz_russians_pct", groups["KAZ", "russians"], unit="percent", decimals=1, percent=True)
    nb.save_value("pathway_kaz_germans_pct", groups["KAZ", "germans"], unit="percent", decimals=1, percent=True)
    nb.save_value("pathway_kaz_not_largest_pct", 100 - 100 * shares.loc["KAZ", "largest_share"],
                  unit="percent", decimals=1, percent=True)
    nb.save_value("pathway_kaz_slavs_germans_pct", groups.loc["KAZ"][["russians", "ukrainians", "belarusians", "germans"]].sum(),
                  unit="percent", decimals=1, percent=True)
    slavs = census.set_index("value_id").loc["census_KAZ_slavs_1989"]
    nb.save_value("pathway_census_slavs_printed_pct", slavs["printed_pct"], unit="percent", decimals=1, percent=True)
    nb.save_value("pathway_census_slavs_computed_pct", slavs["computed_pct"], unit="percent", decimals=1, percent=True)
    nb.save_value("pathway_census_n_checked", len(census), decimals=0)
    nb.save_value("pathway_census_n_agree", int((census["verdict"] == "agrees").sum()), decimals=0)

# %%
if mode == "sweep":
    sens = pathways.sensitivity(demo, coding, rules, outcomes, [round(t, 10) for t in thresholds])
    nb.save_table("pathway_sensitivity", sens, decimals={"threshold": 2, "largest_share": 3})

# %%
if mode == "sensitivity":
    import matplotlib.pyplot as plt

    sens = pd.read_csv(nb.input_path("results/tables/pathway_sensitivity.csv"))
    grid = sorted(sens["threshold"].unique())
    band = pathways.matching_band(demo, coding, rules, outcomes)
    assert len(band) == 1, f"expected one matching interval, got {band}"
    first, last = pathways.grid_matching_ends(sens)
    fig = pathways.sensitivity_figure(sens, band, homogeneity_threshold)
    nb.save_figure("pathway_sensitivity", fig)
    plt.close(fig)
    nb.save_value("pathway_band_lower", band[0][0], decimals=3, note="open end: not included")
    nb.save_value("pathway_band_upper", band[0][1], decimals=3, note="closed end: included")
    nb.save_value("pathway_grid_first_match", first, decimals=2)
    nb.save_value("pathway_grid_last_match", last, decimals=2)
    nb.save_value("pathway_grid_n_thresholds", len(grid), decimals=0)
    nb.save_value("pathway_grid_n_match", int(sens.groupby("threshold")["all_match"].first().sum()), decimals=0)
    nb.save_value("pathway_threshold_min", grid[0], decimals=2)
    nb.save_value("pathway_threshold_max", grid[-1], decimals=2)
    nb.save_value("pathway_threshold_step", round(grid[1] - grid[0], 10), decimals=2)

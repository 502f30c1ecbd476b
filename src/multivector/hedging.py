"""Omnidirectional hedging: the framework tables, the state x dimension/indicator evidence matrix,
partner counts and the concentration of Central Asia's listed export markets.

The evidence matrix counts coded evidence rows (data/hedging_evidence.csv); a count measures how
much attention the source document gives a cell, not how intensely a state hedges.
"""
from __future__ import annotations

import pandas as pd

from .countries import CENTRAL_ASIA, EUROPEAN_UNION, REGION
from .values import value

STATES = [*CENTRAL_ASIA, REGION]
DIMENSIONS = ["diplomatic", "economic", "security"]
LEVELS = ("dimension", "indicator")
LIST_SEP = ", "


def _yes_no(flag) -> str:
    return "Yes" if bool(flag) else "No"


def _ordered_indicators(dimensions: pd.DataFrame) -> pd.DataFrame:
    """Indicators grouped by dimension (Table 1 row order), in file order within a dimension."""
    out = dimensions.reset_index(drop=True).copy()
    out["_row"] = range(len(out))
    out["_dim"] = out["dimension"].map({d: i for i, d in enumerate(DIMENSIONS)})
    if out["_dim"].isna().any():
        unknown = sorted(set(out.loc[out["_dim"].isna(), "dimension"]))
        raise ValueError(f"unknown dimension(s) {unknown}; expected {DIMENSIONS}")
    return out.sort_values(["_dim", "_row"]).drop(columns=["_dim", "_row"]).reset_index(drop=True)


def framework_table(dimensions: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as data: one row per indicator with its dimension, grouped by dimension."""
    return _ordered_indicators(dimensions)[["dimension", "indicator_id", "indicator"]]


def elements_table(elements: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as data: each element with 'Yes'/'No' for hedging and multivector policy, as printed."""
    out = elements.sort_values("element_id").reset_index(drop=True)
    return pd.DataFrame({
        "element_id": out["element_id"],
        "element": out["element"],
        "omnidirectional_hedging": out["omnidirectional_hedging"].map(_yes_no),
        "multivector_policy": out["multivector_policy"].map(_yes_no),
    })


def shared_elements(elements: pd.DataFrame) -> int:
    """Number of elements that Table 2 marks for both strategies."""
    return int((elements["omnidirectional_hedging"].astype(bool) & elements["multivector_policy"].astype(bool)).sum())


def _year_text(year, year_end) -> str:
    """'' (no year), '2007' or a span '1992–2002' (en dash)."""
    if pd.isna(year):
        return ""
    text = str(int(year))
    if not pd.isna(year_end):
        text += f"\u2013{int(year_end)}"
    return text


def evidence_table(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows for the book: years as one text column (year or span), sorted by id."""
    out = evidence.sort_values("evidence_id").reset_index(drop=True)
    years = [_year_text(y, e) for y, e in zip(out["year"], out["year_end"])]
    return pd.DataFrame({
        "evidence_id": out["evidence_id"],
        "state": out["state"],
        "partner": out["partner"],
        "dimension": out["dimension"],
        "indicator_id": out["indicator_id"],
        "years": years,
        "observation": out["observation"],
        "source": out["source"],
        "locator": out["locator"],
    })


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def matrix_columns(dimensions: pd.DataFrame, level: str) -> list[str]:
    """Matrix columns: the three dimensions, or every Table 1 indicator grouped by dimension."""
    _check_level(level)
    if level == "dimension":
        return list(DIMENSIONS)
    return list(_ordered_indicators(dimensions)["indicator_id"])


def _unique_sorted(values) -> str:
    return LIST_SEP.join(sorted(set(values)))


def cells(evidence: pd.DataFrame, dimensions: pd.DataFrame, level: str) -> pd.DataFrame:
    """Long form of the matrix: one row per non-empty cell with its evidence ids and partners.

    Cells without evidence are not listed (they are the zeros of `matrix`). At the dimension
    level the cell also lists the indicators its evidence is coded to.
    """
    _check_level(level)
    col = "dimension" if level == "dimension" else "indicator_id"
    columns = matrix_columns(dimensions, level)
    unknown = set(evidence[col]) - set(columns)
    if unknown:
        raise ValueError(f"evidence uses {col} value(s) {sorted(unknown)} not in the framework")
    rows = []
    for (state, key), grp in evidence.groupby(["state", col], sort=False):
        grp = grp.sort_values("evidence_id")
        row = {"state": state}
        if level == "indicator":
            row["dimension"] = grp["dimension"].iloc[0]
            row["indicator_id"] = key
        else:
            row["dimension"] = key
        row["n_evidence"] = len(grp)
        row["n_partners"] = grp["partner"].nunique()
        row["partners"] = _unique_sorted(grp["partner"])
        if level == "dimension":
            row["indicators"] = _unique_sorted(grp["indicator_id"])
        row["evidence_ids"] = LIST_SEP.join(grp["evidence_id"])
        rows.append(row)
    out = pd.DataFrame(rows)
    state_rank = {s: i for i, s in enumerate(STATES)}
    col_rank = {c: i for i, c in enumerate(columns)}
    out = out.sort_values(["state", col], key=lambda s: s.map(state_rank if s.name == "state" else col_rank))
    return out.reset_index(drop=True)


def matrix(evidence: pd.DataFrame, dimensions: pd.DataFrame, level: str) -> pd.DataFrame:
    """State x dimension (or x indicator) counts of evidence rows; every cell present, 0 = no row."""
    columns = matrix_columns(dimensions, level)
    col = "dimension" if level == "dimension" else "indicator_id"
    counts = pd.crosstab(evidence["state"], evidence[col])
    counts = counts.reindex(index=STATES, columns=columns, fill_value=0).fillna(0).astype(int)
    counts["total"] = counts.sum(axis=1)
    counts.index.name = "state"
    counts.columns.name = None
    return counts.reset_index()


def partners_by_state(evidence: pd.DataFrame) -> pd.DataFrame:
    """Distinct external partners per state, per dimension and over all dimensions."""
    rows = []
    for state in STATES:
        sub = evidence[evidence["state"] == state]
        row = {"state": state}
        for dim in DIMENSIONS:
            row[f"n_partners_{dim}"] = sub.loc[sub["dimension"] == dim, "partner"].nunique()
        row["n_partners_all"] = sub["partner"].nunique()
        row["partners"] = _unique_sorted(sub["partner"])
        rows.append(row)
    return pd.DataFrame(rows)


def market_concentration(markets: pd.DataFrame, flag_years=()) -> pd.DataFrame:
    """Concentration of exports over the listed markets, per printed year.

    Shares are within the markets the table lists (not of total exports). hhi is the
    Herfindahl-Hirschman index on percentage shares (0-10,000); equivalent_markets = 10,000/hhi
    is the number of equal-sized markets with the same concentration. Years in `flag_years`
    are labelled '<year> (printed)'.
    """
    flagged = {int(y) for y in flag_years}
    partners = sorted(markets["partner"].unique())
    rows = []
    for year, grp in markets.groupby("year_printed", sort=True):
        total = float(grp["value_printed"].sum())
        share = grp.set_index("partner")["value_printed"] / total * 100.0
        hhi = float((share ** 2).sum())
        row = {
            "year_printed": int(year),
            "year_label": f"{int(year)} (printed)" if int(year) in flagged else str(int(year)),
            "n_markets": int(len(grp)),
            "total_listed_keur": total,
        }
        for p in partners:
            row[f"share_{p.lower()}_pct"] = float(share.get(p, float("nan")))
        row["hhi"] = hhi
        row["equivalent_markets"] = 10000.0 / hhi
        rows.append(row)
    return pd.DataFrame(rows)


def heatmap(counts: pd.DataFrame, columns: list[str], labels: dict[str, str] | None = None,
            groups: dict[str, str] | None = None, figsize=(7.0, 4.0)):
    """Annotated heatmap of a count matrix (rows = states); zero cells stay white and unlabelled.

    `labels` maps column -> axis label; `groups` maps column -> group name (drawn above the
    columns, with separators between groups). Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import colors

    values = counts.set_index("state")[columns].to_numpy(dtype=float)
    states = list(counts["state"])
    masked = np.ma.masked_equal(values, 0)
    cmap = plt.get_cmap("Blues").with_extremes(bad="white")
    vmax = max(float(values.max()), 1.0)
    fig, ax = plt.subplots(figsize=figsize)
    ax.imshow(masked, cmap=cmap, norm=colors.Normalize(vmin=0, vmax=vmax), aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if v > 0:
                ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=9,
                        color="white" if v > 0.6 * vmax else "black")
    ax.set_xticks(range(len(columns)))
    names = [(labels or {}).get(c, c) for c in columns]
    if groups:
        ax.set_xticklabels(names, rotation=40, ha="right", va="top", rotation_mode="anchor", fontsize=8.5)
    else:
        ax.set_xticklabels(names, fontsize=10)
    ax.set_yticks(range(len(states)))
    ax.set_yticklabels(states, fontsize=10)
    ax.set_xticks(np.arange(-0.5, len(columns), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(states), 1), minor=True)
    ax.grid(which="minor", color="0.8", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_ylabel("State (CA5 = region as a whole)")
    if groups:
        group_of = [groups[c] for c in columns]
        start = 0
        for j in range(1, len(columns) + 1):
            if j == len(columns) or group_of[j] != group_of[start]:
                if j < len(columns):
                    ax.axvline(j - 0.5, color="0.2", linewidth=1.2)
                ax.text((start + j - 1) / 2, -0.75, group_of[start], ha="center", va="bottom", fontsize=9,
                        fontweight="bold")
                start = j
    fig.tight_layout()
    return fig


def indicator_rows(counts: pd.DataFrame, dimensions: pd.DataFrame) -> pd.DataFrame:
    """The indicator-level matrix turned on its side: one row per indicator (with its dimension),
    one column per state, plus the row total, so that a narrow page can show it."""
    states = list(counts["state"])
    grid = counts.set_index("state").drop(columns=["total"], errors="ignore").T
    grid.columns = states
    grid = grid.reset_index().rename(columns={"index": "indicator_id"})
    dims = dimensions[["indicator_id", "dimension", "indicator"]]
    out = dims.merge(grid, on="indicator_id", how="right")
    out["total"] = out[states].sum(axis=1)
    return out[["dimension", "indicator_id", "indicator", *states, "total"]]


def heatmap_figure(counts: pd.DataFrame, dimensions: pd.DataFrame, level: str):
    """The matrix at `level` as a heatmap: dimensions labelled by name, or indicators labelled by
    their wording and grouped under their dimension. Returns the matplotlib figure."""
    columns = matrix_columns(dimensions, level)
    if level == "dimension":
        return heatmap(counts, columns, labels={d: d.capitalize() for d in columns}, figsize=(7, 4))
    labels = dict(zip(dimensions["indicator_id"], dimensions["indicator"]))
    groups = {i: d.capitalize() for i, d in zip(dimensions["indicator_id"], dimensions["dimension"])}
    return heatmap(counts, columns, labels=labels, groups=groups, figsize=(8, 6))


def matrix_values(counts: pd.DataFrame, dimensions: pd.DataFrame, level: str) -> dict[str, dict]:
    """In-text values of the matrix at `level` (names end in the level): cells, non-empty cells,
    columns without any evidence and the largest cell."""
    grid = counts[matrix_columns(dimensions, level)]
    return {f"hedging_n_cells_{level}": value(int(grid.size)),
            f"hedging_n_cells_nonempty_{level}": value(int((grid > 0).to_numpy().sum())),
            f"hedging_n_columns_empty_{level}": value(int((grid.sum(axis=0) == 0).sum())),
            f"hedging_max_cell_{level}": value(int(grid.to_numpy().max()))}


def evidence_values(evidence: pd.DataFrame, dimensions: pd.DataFrame, elements: pd.DataFrame,
                    partners: pd.DataFrame, concentration: pd.DataFrame) -> dict[str, dict]:
    """In-text values of the framework, the evidence and the export-market concentration: counts
    of evidence rows (all, per dimension, for the region and with the EU), framework size, shared
    elements, partner counts, and the first and last printed column's HHI, equivalent markets and
    EU share (each about the header year printed), with the EU share's range."""
    n_ca5 = int((evidence["state"] == REGION).sum())
    n_eu = int((evidence["partner"] == EUROPEAN_UNION).sum())
    single = partners[partners["state"] != REGION]
    out = {"hedging_n_evidence": value(len(evidence)),
           "hedging_n_dimensions": value(dimensions["dimension"].nunique()),
           "hedging_n_indicators": value(len(dimensions)),
           "hedging_n_elements": value(len(elements)),
           "hedging_n_elements_shared": value(shared_elements(elements)),
           "hedging_n_partners": value(evidence["partner"].nunique())}
    for dim in DIMENSIONS:
        out[f"hedging_n_evidence_{dim}"] = value(int((evidence["dimension"] == dim).sum()))
    out.update({
        "hedging_n_evidence_ca5": value(n_ca5),
        "hedging_share_evidence_ca5": value(100.0 * n_ca5 / len(evidence), decimals=0, percent=True),
        "hedging_n_evidence_eu": value(n_eu),
        "hedging_share_evidence_eu": value(100.0 * n_eu / len(evidence), decimals=0, percent=True),
        "hedging_partners_ca5": value(int(partners.loc[partners["state"] == REGION, "n_partners_all"].iloc[0])),
        "hedging_partners_max_single_state": value(int(single["n_partners_all"].max())),
    })
    first, last = concentration.iloc[0], concentration.iloc[-1]
    eu = f"share_{EUROPEAN_UNION.lower()}_pct"
    for key, row in (("first", first), ("last", last)):
        year = int(row["year_printed"])
        out[f"hedging_export_hhi_{key}"] = value(row["hhi"], decimals=0, year_printed=year)
        out[f"hedging_export_equiv_{key}"] = value(row["equivalent_markets"], decimals=1, year_printed=year)
        out[f"hedging_export_eu_share_{key}"] = value(row[eu], decimals=1, percent=True, year_printed=year)
    out["hedging_export_eu_share_min"] = value(concentration[eu].min(), decimals=1, percent=True)
    out["hedging_export_eu_share_max"] = value(concentration[eu].max(), decimals=1, percent=True)
    out["hedging_export_n_markets"] = value(int(concentration["n_markets"].max()))
    return out

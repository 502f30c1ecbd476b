"""Alignment history: memberships, partnerships and their reversals, from data/alignment_events.csv.

Event kinds are grouped into categories:
- entry: found, join, member (membership stated without a date), sign, partnership, open_base;
- suspension: suspend;
- exit: leave, terminate (a bilateral treaty), close_base;
- rejoining: rejoin;
- other: enter_into_force (a step of an agreement already signed, not a new decision to align).
A *reversal* is a suspension or exit of an alignment that the same state is recorded as having
entered (entry or rejoining) for the same organisation, not dated later than the reversal.
Undated events cannot be ordered; an undated entry or exit is taken as compatible with any
order, because the documents only report an exit of something the state belonged to.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch

from .countries import name
from .values import value

KIND_CATEGORY = {
    "found": "entry", "join": "entry", "member": "entry", "sign": "entry",
    "partnership": "entry", "open_base": "entry",
    "suspend": "suspension",
    "leave": "exit", "terminate": "exit", "close_base": "exit",
    "rejoin": "rejoining",
    "enter_into_force": "other",
}
CATEGORIES = ["entry", "suspension", "exit", "rejoining", "other"]
SHORT_LABELS = {"US_AIRBASE": "US troops at K2", "US_UZB_SP": "US-Uzbek partnership",
                "RUS_UZB_ALLIANCE": "Russia-Uzbek alliance", "NATO_IPAP": "NATO IPAP",
                "EPCA": "EU EPCA", "PCA": "EU PCA", "EU_SP": "EU strategic partnership",
                "EURASEC": "EurAsEC"}


def category(kind: str) -> str:
    """Category of an event kind (see module docstring); unknown kinds raise."""
    try:
        return KIND_CATEGORY[kind]
    except KeyError:
        raise ValueError(f"unknown event kind '{kind}'; add it to KIND_CATEGORY") from None


def _order(df: pd.DataFrame) -> pd.DataFrame:
    """Sort by country order given, then year (undated last), then event id."""
    return df.sort_values(["_c", "year", "event_id"], na_position="last").drop(columns="_c")


def event_table(events: pd.DataFrame, orgs: pd.DataFrame, countries: list[str]) -> pd.DataFrame:
    """The events of the given states with organisation names, categories and sources."""
    ev = events[events["country"].isin(countries)].copy()
    ev["year"] = ev["year"].astype("Int64")
    ev["_c"] = ev["country"].map({c: i for i, c in enumerate(countries)})
    ev = ev.merge(orgs[["code", "name"]].rename(columns={"code": "organisation", "name": "organisation_name"}),
                  on="organisation", how="left")
    ev["category"] = ev["kind"].map(category)
    cols = ["event_id", "country", "year", "organisation", "organisation_name", "kind", "category",
            "note", "source", "locator"]
    return _order(ev)[cols].reset_index(drop=True)


def _compatible(entry_year, exit_year) -> bool:
    """Could the entry have come no later than the exit? Undated years are compatible."""
    return pd.isna(entry_year) or pd.isna(exit_year) or int(entry_year) <= int(exit_year)


def reversals(events: pd.DataFrame) -> pd.DataFrame:
    """Suspension and exit events, each flagged ``after_entry`` when a recorded entry or
    rejoining of the same state and organisation is not dated later (a reversal)."""
    ev = events.copy()
    ev["category"] = ev["kind"].map(category)
    steps = ev[ev["category"].isin(["suspension", "exit"])].copy()
    entries = ev[ev["category"].isin(["entry", "rejoining"])]
    flags = []
    for r in steps.itertuples(index=False):
        prior = entries[(entries["country"] == r.country) & (entries["organisation"] == r.organisation)]
        flags.append(any(_compatible(y, r.year) for y in prior["year"]))
    steps["after_entry"] = flags
    return steps.sort_values("event_id").reset_index(drop=True)


def counts(events: pd.DataFrame, countries: list[str]) -> pd.DataFrame:
    """Per state: events, undated events, organisations, counts per category, reversals and
    suspensions/exits without any recorded entry (not counted as reversals)."""
    rev = reversals(events)
    rows = []
    for c in countries:
        ev = events[events["country"] == c]
        cats = ev["kind"].map(category).value_counts()
        rv = rev[rev["country"] == c]
        rows.append({"country": c, "events": len(ev), "undated": int(ev["year"].isna().sum()),
                     "organisations": ev["organisation"].nunique(),
                     "entries": int(cats.get("entry", 0)), "suspensions": int(cats.get("suspension", 0)),
                     "exits": int(cats.get("exit", 0)), "rejoinings": int(cats.get("rejoining", 0)),
                     "other": int(cats.get("other", 0)), "reversals": int(rv["after_entry"].sum()),
                     "steps_without_entry": int((~rv["after_entry"]).sum())})
    return pd.DataFrame(rows)


def count_values(counts_table: pd.DataFrame) -> dict[str, dict]:
    """In-text values from `counts`: ``alignment_<state code>_<count>`` for every state and count
    (events, undated, organisations, entries, ..., reversals, steps_without_entry)."""
    out = {}
    for row in counts_table.to_dict("records"):
        code = row.pop("country").lower()
        out.update({f"alignment_{code}_{k}": value(int(n), decimals=0) for k, n in row.items()})
    return out


def kind_counts(events: pd.DataFrame, countries: list[str]) -> pd.DataFrame:
    """Counts by event kind (rows) and state (columns n_<state>), kinds that occur for any of
    the states, in the order of KIND_CATEGORY."""
    ev = events[events["country"].isin(countries)]
    kinds = [k for k in KIND_CATEGORY if k in set(ev["kind"])]
    out = pd.DataFrame({"kind": kinds, "category": [KIND_CATEGORY[k] for k in kinds]})
    for c in countries:
        vc = ev.loc[ev["country"] == c, "kind"].value_counts()
        out[f"n_{c.lower()}"] = [int(vc.get(k, 0)) for k in kinds]
    return out


def spans(events: pd.DataFrame) -> pd.DataFrame:
    """Membership spans derivable from dated events only, per state and organisation.

    Walking the dated events in order: an entry or rejoining starts an ``active`` span, a
    suspension ends it and starts a ``suspended`` one, an exit ends the current span.
    A span is recorded only when both ends are dated; a start without a dated end gives no
    span (the documents do not say it lasted), nor does an end without a dated start.
    """
    rows = []
    dated = events.dropna(subset=["year"]).copy()
    dated["category"] = dated["kind"].map(category)
    for (c, org), g in dated.sort_values(["year", "event_id"]).groupby(["country", "organisation"], sort=True):
        start, status = None, None
        for r in g.itertuples(index=False):
            y = int(r.year)
            if r.category in ("entry", "rejoining") and start is None:
                start, status = y, "active"
            elif r.category == "suspension" and status == "active":
                rows.append({"country": c, "organisation": org, "start": start, "end": y, "status": status})
                start, status = y, "suspended"
            elif r.category == "exit" and start is not None:
                rows.append({"country": c, "organisation": org, "start": start, "end": y, "status": status})
                start, status = None, None
    return pd.DataFrame(rows, columns=["country", "organisation", "start", "end", "status"])


# --- Figure ---------------------------------------------------------------------------------------

_MARKERS = {  # kind -> (marker, face colour)
    "found": ("^", "#1b7837"), "join": ("^", "#5aae61"), "member": ("s", "#999999"),
    "rejoin": ("P", "#1b7837"), "sign": ("p", "#4c72b0"), "partnership": ("o", "#4c72b0"),
    "open_base": ("^", "#9ecae1"), "enter_into_force": ("o", "#ffffff"),
    "suspend": ("D", "#e08214"), "leave": ("v", "#c51b7d"), "terminate": ("X", "#c51b7d"),
    "close_base": ("v", "#404040"),
}


def _rows(ev: pd.DataFrame, countries: list[str]) -> list[tuple[str, str | None]]:
    """Figure rows top to bottom: a header per state, then its organisations by first dated year."""
    rows: list[tuple[str, str | None]] = []
    for c in countries:
        d = ev[ev["country"] == c]
        first = d.groupby("organisation")["year"].min()
        orgs = sorted(first.index, key=lambda o: (pd.isna(first[o]), first[o] if pd.notna(first[o]) else 0, o))
        rows += [(c, None)] + [(c, o) for o in orgs]
    return rows


def timeline_figure(events: pd.DataFrame, countries: list[str]):
    """Organisations per state (y) against year (x): membership spans as bars where both ends
    are dated, event markers by kind; events without a year in a separate 'year not printed'
    column on the right."""
    ev = events[events["country"].isin(countries)].copy()
    rows = _rows(ev, countries)
    ypos = {r: len(rows) - 1 - i for i, r in enumerate(rows)}
    sp = spans(ev)
    fig, (ax, axn) = plt.subplots(1, 2, figsize=(7, 0.3 * len(rows) + 1.2), sharey=True,
                                  gridspec_kw={"width_ratios": [7, 1], "wspace": 0.04})
    for r in sp.itertuples(index=False):
        y = ypos[(r.country, r.organisation)]
        ax.barh(y, r.end - r.start, left=r.start, height=0.4, zorder=1,
                color="#c6dbef" if r.status == "active" else "white",
                edgecolor="#6b8fb5", hatch=None if r.status == "active" else "////", lw=0.6)
    undated: dict[tuple, int] = {}
    for r in ev.sort_values("event_id").itertuples(index=False):
        y = ypos[(r.country, r.organisation)]
        marker, colour = _MARKERS[r.kind]
        style = dict(marker=marker, s=42, facecolor=colour, edgecolor="black", linewidth=0.5, zorder=3)
        if pd.isna(r.year):
            k = undated.get((r.country, r.organisation), 0)
            undated[(r.country, r.organisation)] = k + 1
            axn.scatter(0.35 + 0.3 * k, y, **style)
        else:
            ax.scatter(int(r.year), y, **style)
    years = ev["year"].dropna()
    ax.set_xlim(int(years.min()) - 1.5, int(years.max()) + 1.5)
    axn.set_xlim(0, 1.3)
    axn.set_xticks([0.65], ["year not\nprinted"], fontsize=8)
    ax.set_yticks(list(ypos.values()),
                  [name(c) if o is None else SHORT_LABELS.get(o, o) for c, o in ypos])
    for lab, (c, o) in zip(ax.get_yticklabels(), ypos):
        if o is None:
            lab.set_fontweight("bold")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    for (c, o), y in ypos.items():
        if o is None and y != len(rows) - 1:
            for a in (ax, axn):
                a.axhline(y + 0.5, color="grey", lw=0.6)
    for a in (ax, axn):
        a.grid(axis="y", color="#eeeeee", lw=0.5, zorder=0)
    ax.set_xlabel("Year")
    kinds = [k for k in _MARKERS if k in set(ev["kind"])]
    handles = [plt.Line2D([], [], ls="", marker=_MARKERS[k][0], markerfacecolor=_MARKERS[k][1],
                          markeredgecolor="black", markeredgewidth=0.5, label=k.replace("_", " "))
               for k in kinds]
    handles += [Patch(facecolor="#c6dbef", edgecolor="#6b8fb5", label="member (dated span)"),
                Patch(facecolor="white", edgecolor="#6b8fb5", hatch="////", label="suspended")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.55, 0.0), ncol=5, fontsize=7, frameon=False)
    fig.subplots_adjust(left=0.24, right=0.98, top=0.98, bottom=0.165)
    return fig

"""The identity-pathway model: demographic homogeneity, congruence and predicted foreign policy.

The model (kjis_identity, Tables 2-3) says: a heterogeneous state adopts a civic identity and
a multilateral foreign policy; a homogeneous state adopts an ethnonational identity and a
unilateral one, consistent when its demographics are congruent (Pathway A) and inconsistent
when they are incongruent (Pathway B). The article does not say how large the largest group
must be for a state to count as homogeneous; here that is the parameter ``threshold``
(a fraction of the population) and its consequences are shown over a range of thresholds.

Shares arrive in percent (as printed) and are used as fractions rounded to ``_DIGITS``
decimals, so that comparisons with thresholds such as 0.40 are exact and free of
floating-point residue (71.4 / 100 is 0.7140000000000001 in binary floating point).
"""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch

from .countries import KAZAKHSTAN, UZBEKISTAN, name
from .values import fed_by, value

_DIGITS = 10
HOMOGENEOUS = "homogeneous"
HETEROGENEOUS = "heterogeneous"
UNDETERMINED = "undetermined"
CASES = (KAZAKHSTAN, UZBEKISTAN)  # the identity article's two cases
SLAVS = "slavs"  # the census aggregate the article prints for Kazakhstan
GERMANS, RUSSIANS = "germans", "russians"


def _frac(pct: float) -> float:
    """Percent -> fraction, rounded so that printed one-decimal shares compare exactly."""
    return round(float(pct) / 100.0, _DIGITS)


# --- Tables 1-3 -----------------------------------------------------------------------------

def observed_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Table 1 of the article: condition and observed outcome per state, with the consistency
    the running text attributes (empty where the article does not characterise it)."""
    out = outcomes.copy()
    out.insert(1, "state", out["country"].map(name))
    cols = ["country", "state", "condition", "observed_outcome", "consistency", "source", "locator"]
    return out[cols].sort_values("country").reset_index(drop=True)


def rules_table(rules: pd.DataFrame) -> pd.DataFrame:
    """Tables 2-3 of the article as one rule table, with the article table each rule comes from."""
    out = rules.copy()
    out["article_table"] = out["locator"].str.extract(r"(Table \d+)", expand=False)
    cols = ["rule_id", "article_table", "label", "demographics", "congruence", "identity",
            "predicted_outcome", "source", "locator"]
    return out[cols].sort_values("rule_id").reset_index(drop=True)


# --- Shares, classification and rules ---------------------------------------------------------

def share_summary(demo: pd.DataFrame) -> pd.DataFrame:
    """Per country: the largest printed group, its share, the known total and the unknown rest.

    All shares are fractions. ``remainder`` = 1 - known total: the population in groups the
    source gives no share for (unknown, not zero). If the remainder exceeds the largest known
    share, the remainder could be a single group bigger than the largest known one, so the
    true largest share is only bounded: ``largest_share_upper`` = max(largest known, remainder)
    and ``remainder_could_be_largest`` is True.
    """
    rows = []
    for country, g in demo.groupby("country", sort=True):
        shares = g.assign(share=g["share_pct"].map(_frac)).sort_values(["share", "group"], ascending=[False, True])
        top = shares.iloc[0]
        known = round(float(shares["share"].sum()), _DIGITS)
        if known > 1 + 1e-6:
            raise ValueError(f"{country}: printed shares sum to {known:.3f} > 1")
        remainder = round(max(0.0, 1.0 - known), _DIGITS)
        rows.append({"country": country, "largest_group": top["group"],
                     "largest_share": float(top["share"]), "n_groups_known": len(shares),
                     "known_total": known, "remainder": remainder,
                     "largest_share_upper": max(float(top["share"]), remainder),
                     "remainder_could_be_largest": remainder > float(top["share"])})
    return pd.DataFrame(rows)


def classify(largest_share: float, threshold: float, largest_share_upper: float | None = None) -> str:
    """Homogeneous if the largest group's share >= threshold (both fractions), else heterogeneous.

    When the unknown remainder could itself be a larger group (``largest_share_upper`` above
    the known share), a state below the threshold on its known share but not on its upper
    bound is ``undetermined``.
    """
    t = round(float(threshold), _DIGITS)
    if round(float(largest_share), _DIGITS) >= t:
        return HOMOGENEOUS
    upper = largest_share if largest_share_upper is None else largest_share_upper
    if round(float(upper), _DIGITS) >= t:
        return UNDETERMINED
    return HETEROGENEOUS


def apply_rules(homogeneity: str, congruence: str, rules: pd.DataFrame) -> tuple[str, str, str]:
    """(rule_id, label, predicted_outcome) of the rule whose conditions the state meets.

    A rule with congruence ``any`` ignores congruence. A homogeneous state whose congruence is
    not coded (e.g. not_applicable) meets neither Pathway A nor B; both predict unilateralism,
    so the prediction is plain ``unilateralism`` with pathway ``undetermined``. An undetermined
    homogeneity gives an undetermined prediction.
    """
    if homogeneity == UNDETERMINED:
        return UNDETERMINED, "Undetermined", UNDETERMINED
    fit = rules[(rules["demographics"] == homogeneity)
                & ((rules["congruence"] == "any") | (rules["congruence"] == congruence))]
    if len(fit) == 1:
        r = fit.iloc[0]
        return r["rule_id"], r["label"], r["predicted_outcome"]
    if len(fit) > 1:
        raise ValueError(f"several rules fit {homogeneity}/{congruence}: {list(fit['rule_id'])}")
    outcomes = rules.loc[rules["demographics"] == homogeneity, "predicted_outcome"]
    bases = {_base(o) for o in outcomes}
    return UNDETERMINED, "Undetermined", (bases.pop() if len(bases) == 1 else UNDETERMINED)


def _base(outcome: str) -> str:
    """'inconsistent_unilateralism' -> 'unilateralism'; 'multilateralism' stays."""
    return outcome.split("_")[-1]


def observed_label(observed_outcome: str, consistency) -> str:
    """Observed outcome with the consistency qualifier when the text gives one."""
    if isinstance(consistency, str) and consistency:
        return f"{consistency}_{observed_outcome}"
    return observed_outcome


def outcome_matches(predicted: str, observed_outcome: str, consistency=None) -> bool:
    """True if the predicted outcome agrees with the observed one.

    The base outcome (multi- vs unilateralism) must agree; if both the prediction and the
    observation say consistent/inconsistent, that must agree too. An undetermined prediction
    never matches.
    """
    if predicted == UNDETERMINED or _base(predicted) != observed_outcome:
        return False
    qualified = "_" in predicted
    if qualified and isinstance(consistency, str) and consistency:
        return predicted == f"{consistency}_{observed_outcome}"
    return True


def predict(demo: pd.DataFrame, coding: pd.DataFrame, rules: pd.DataFrame,
            outcomes: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Predicted versus observed outcome per state at one homogeneity threshold.

    Homogeneity is ours (largest known share vs threshold); congruence is the article's coding
    (data/state_coding.csv); ``article_homogeneity`` shows the article's own verdict alongside.
    """
    shares = share_summary(demo)
    base = (shares.merge(coding[["country", "homogeneity", "congruence"]].rename(
        columns={"homogeneity": "article_homogeneity"}), on="country", how="left")
        .merge(outcomes[["country", "observed_outcome", "consistency"]], on="country", how="left"))
    rows = []
    for r in base.itertuples(index=False):
        hom = classify(r.largest_share, threshold, r.largest_share_upper)
        rule_id, label, pred = apply_rules(hom, r.congruence, rules)
        rows.append({"country": r.country, "largest_group": r.largest_group,
                     "largest_share": r.largest_share, "threshold": round(float(threshold), _DIGITS),
                     "homogeneity": hom, "article_homogeneity": r.article_homogeneity,
                     "congruence": r.congruence, "predicted_pathway": label,
                     "predicted_outcome": pred, "observed_outcome": r.observed_outcome,
                     "consistency": r.consistency if isinstance(r.consistency, str) else "",
                     "match": outcome_matches(pred, r.observed_outcome, r.consistency)})
    return pd.DataFrame(rows).sort_values("country").reset_index(drop=True)


# --- ELF bounds -----------------------------------------------------------------------------------

def elf_bounds(demo: pd.DataFrame) -> pd.DataFrame:
    """Bounds on ethnic fractionalisation ELF = 1 - sum(s_i^2) under an incomplete census.

    Only some groups' shares are printed; the remainder r = 1 - sum(known s_i) is unknown.
    - lower bound: r is one single group, ELF = 1 - sum(s_i^2) - r^2 (the largest possible
      sum of squares, since r^2 >= the sum of squares of any split of r);
    - upper bound: r is split into ever more, ever smaller groups, ELF -> 1 - sum(s_i^2).
      This is a supremum, not attained by any finite census: with r split evenly into k groups
      ELF = 1 - sum(s_i^2) - r^2 / k. It assumes nothing about the remainder except that it
      belongs to groups other than the printed ones.
    Both bounds treat the printed (rounded to 0.1 point) shares as exact. If r exceeds the
    largest known share, the single-group case makes the unknown group the largest one; the
    bound is unaffected but ``remainder_could_be_largest`` flags that the largest group (and
    hence the homogeneity classification) is then uncertain.
    """
    rows = []
    for country, g in demo.groupby("country", sort=True):
        s = g["share_pct"].map(_frac)
        known = round(float(s.sum()), _DIGITS)
        r = max(0.0, 1.0 - known)
        ssq = float((s ** 2).sum())
        rows.append({"country": country, "n_groups_known": len(s), "known_total": known,
                     "remainder": round(r, _DIGITS), "elf_lower": 1.0 - ssq - r * r,
                     "elf_upper": 1.0 - ssq, "remainder_could_be_largest": r > float(s.max())})
    return pd.DataFrame(rows)


# --- Sensitivity to the threshold ---------------------------------------------------------------

def threshold_grid(lo: float, hi: float, step: float) -> list[float]:
    """Thresholds lo, lo+step, ..., hi built from integer multiples (no float drift)."""
    if step <= 0 or hi < lo:
        raise ValueError("need step > 0 and hi >= lo")
    n = int(round((hi - lo) / step))
    grid = [round(lo + i * step, _DIGITS) for i in range(n + 1)]
    if abs(grid[-1] - hi) > step / 1000:
        raise ValueError(f"({hi} - {lo}) is not a whole multiple of {step}")
    return grid


def sensitivity(demo, coding, rules, outcomes, thresholds: list[float]) -> pd.DataFrame:
    """Each state's classification, prediction and match at every threshold, plus whether
    all states match at that threshold (``all_match``)."""
    parts = [predict(demo, coding, rules, outcomes, t) for t in thresholds]
    out = pd.concat(parts, ignore_index=True)
    out["all_match"] = out.groupby("threshold")["match"].transform("all")
    cols = ["country", "threshold", "largest_share", "homogeneity", "predicted_pathway",
            "predicted_outcome", "observed_outcome", "match", "all_match"]
    return out[cols].sort_values(["country", "threshold"]).reset_index(drop=True)


def matching_band(demo, coding, rules, outcomes) -> list[tuple[float, float]]:
    """Exact threshold intervals (lower, upper] in (0, 1] on which every prediction matches.

    The classification of a state changes only at its (known or upper) largest share s:
    t <= s is homogeneous, t > s is not. Between consecutive breakpoints b_k < b_(k+1) the
    outcome is therefore constant on (b_k, b_(k+1)] and is evaluated at t = b_(k+1).
    Adjacent matching intervals are merged. Lower ends are open, upper ends closed.
    """
    shares = share_summary(demo)
    points = sorted({0.0, 1.0, *shares["largest_share"], *shares["largest_share_upper"]})
    points = [p for p in points if 0.0 <= p <= 1.0]
    band: list[tuple[float, float]] = []
    for lo, hi in zip(points[:-1], points[1:]):
        if predict(demo, coding, rules, outcomes, hi)["match"].all():
            if band and band[-1][1] == lo:
                band[-1] = (band[-1][0], hi)
            else:
                band.append((lo, hi))
    return band


def grid_matching_ends(sens: pd.DataFrame) -> tuple[float | None, float | None]:
    """Lowest and highest grid threshold at which all predictions match (None if none)."""
    t = sens.loc[sens["all_match"], "threshold"]
    return (float(t.min()), float(t.max())) if len(t) else (None, None)


# --- Printed census aggregates versus the group shares -----------------------------------------

_CENSUS_ID = re.compile(r"^census_(?P<country>[A-Z]{3})_(?P<name>[a-z_]+?)_(?P<year>\d{4})$")


def census_check(published: pd.DataFrame, demo: pd.DataFrame, aggregates: dict[str, list[str]],
                 tolerance: float = 0.05) -> pd.DataFrame:
    """Compare census numbers the source prints with sums of the transcribed group shares.

    Published rows with quantity census_share (one group) or census_share_sum (an aggregate)
    and value_id ``census_<COUNTRY>_<name>_<year>`` are checked. An aggregate's member groups
    come from ``aggregates`` (name -> group codes, our reading of the text); a single share's
    group is ``name``. Verdict: ``agrees`` if |printed - computed| <= tolerance (percentage
    points), ``differs`` otherwise, ``not computable`` if a member group is missing.
    """
    rows = []
    pub = published[published["quantity"].astype(str).str.startswith("census_")]
    for p in pub.sort_values("value_id").itertuples(index=False):
        m = _CENSUS_ID.match(p.value_id)
        if not m:
            raise ValueError(f"cannot read country/name/year from value_id {p.value_id}")
        country, name, year = m["country"], m["name"], int(m["year"])
        members = list(aggregates.get(name, [])) if p.quantity == "census_share_sum" else [name]
        g = demo[(demo["country"] == country) & (demo["census_year"] == year)].set_index("group")["share_pct"]
        missing = [x for x in members if x not in g.index] or ([] if members else ["(no mapping)"])
        computed = None if missing else round(float(g[members].sum()), 6)
        diff = None if computed is None else round(float(p.value) - computed, 6)
        verdict = ("not computable" if computed is None
                   else "agrees" if abs(diff) <= tolerance + 1e-9 else "differs")
        rows.append({"value_id": p.value_id, "country": country, "year": year, "aggregate": name,
                     "groups": " + ".join(members), "printed_pct": float(p.value),
                     "computed_pct": computed, "difference_pct": diff, "verdict": verdict,
                     "source": p.source, "locator": p.locator})
    cols = ["value_id", "country", "year", "aggregate", "groups", "printed_pct", "computed_pct",
            "difference_pct", "verdict", "source", "locator"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("printed_pct", "computed_pct", "difference_pct"):
        out[c] = out[c].astype(float)
    return out


# --- Figure ---------------------------------------------------------------------------------------

_CLASS_COLOURS = {HOMOGENEOUS: "#4c72b0", HETEROGENEOUS: "#dd8452", UNDETERMINED: "#bbbbbb"}


def _runs(values: list) -> list[tuple[int, int]]:
    """Index ranges [i, j] of consecutive equal values."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((start, i - 1))
            start = i
    return runs


def sensitivity_figure(sens: pd.DataFrame, band: list[tuple[float, float]], threshold: float):
    """One bar per state across the threshold range, coloured by classification and hatched
    where the prediction does not match the observed outcome; matching band(s) shaded, chosen
    threshold dashed. Segment ends between grid points sit at the state's largest share."""
    countries = sorted(sens["country"].unique(), reverse=True)
    grid = sorted(sens["threshold"].unique())
    step = grid[1] - grid[0] if len(grid) > 1 else 0.01
    x0, x1 = grid[0] - step / 2, grid[-1] + step / 2
    fig, ax = plt.subplots(figsize=(7, 3.3))
    for lo, hi in band:
        ax.axvspan(max(lo, x0), min(hi, x1), color="#55a868", alpha=0.18, lw=0, zorder=0)
    for y, c in enumerate(countries):
        d = sens[sens["country"] == c].sort_values("threshold").reset_index(drop=True)
        share = float(d["largest_share"].iloc[0])
        keys = list(zip(d["homogeneity"], d["match"], d["predicted_pathway"], d["predicted_outcome"]))
        for i, j in _runs(keys):
            left = x0 if i == 0 else (share if d["threshold"][i - 1] <= share < d["threshold"][i]
                                      else (d["threshold"][i - 1] + d["threshold"][i]) / 2)
            right = x1 if j == len(d) - 1 else (share if d["threshold"][j] <= share < d["threshold"][j + 1]
                                                else (d["threshold"][j] + d["threshold"][j + 1]) / 2)
            hom, match, pathway, outcome = keys[i]
            ax.barh(y, right - left, left=left, height=0.5, color=_CLASS_COLOURS[hom],
                    hatch=None if match else "///", edgecolor="white", lw=0.8, zorder=2)
            head = f"{hom}, {pathway}" if pathway.startswith("Pathway") else hom
            label = f"{head}\n\u2192 {outcome.replace('_', ' ')}"
            ax.text((left + right) / 2, y, label + ("" if match else "\n(no match)"),
                    ha="center", va="center", fontsize=7, color="black", zorder=5,
                    bbox=dict(facecolor="white", alpha=0.75, lw=0, pad=1.2))
        ax.plot([share, share], [y - 0.32, y + 0.32], color="black", lw=1, zorder=3)
        ax.text(share, y + 0.34, f"{share:.3f}", ha="center", va="bottom", fontsize=7, zorder=5)
    ax.axvline(threshold, color="black", ls="--", lw=1, zorder=4)
    ax.set_yticks(range(len(countries)), [name(c) for c in countries])
    ax.set_xlim(x0, x1)
    ax.set_ylim(-0.6, len(countries) - 0.4)
    ax.set_xlabel("Homogeneity threshold (share of the largest group, fraction)")
    handles = [Patch(color=_CLASS_COLOURS[HOMOGENEOUS], label="homogeneous"),
               Patch(color=_CLASS_COLOURS[HETEROGENEOUS], label="heterogeneous"),
               Patch(facecolor="white", edgecolor="grey", hatch="///", label="prediction does not match"),
               Patch(color="#55a868", alpha=0.3, label="all predictions match"),
               plt.Line2D([], [], color="black", ls="--", lw=1, label=f"threshold used ({threshold:g})")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=7.5, frameon=False)
    fig.subplots_adjust(left=0.15, right=0.97, top=0.97, bottom=0.29)
    return fig


# --- In-text values -----------------------------------------------------------------------------

def headline_values(demo: pd.DataFrame, coding: pd.DataFrame, rules: pd.DataFrame, outcomes: pd.DataFrame,
                    published: pd.DataFrame, threshold: float, aggregates: dict[str, list[str]],
                    census_tolerance: float = 0.05, demographics_file: str | None = None,
                    published_file: str | None = None) -> dict[str, dict]:
    """Every in-text value of the pathway model at one threshold: name -> keyword arguments of
    ``nb.save_value``. Shares are percent of the population (about their census year), ELF bounds
    fractions; per case (Kazakhstan, Uzbekistan) the largest share, known total, unknown rest,
    number of printed groups and ELF bounds; Kazakhstan's Russian and German shares, the non-Kazakh
    total and the printed Slav aggregate against the sum of its groups. Shares of named groups
    carry the census rows that fed them (``rows``, by the primary key of `demographics_file`; the
    printed aggregate by its row of `published_file`) when the files are given."""
    pred = predict(demo, coding, rules, outcomes, threshold)
    shares = share_summary(demo).set_index("country")
    elf = elf_bounds(demo).set_index("country")
    census = census_check(published, demo, aggregates, census_tolerance)
    year = demo.groupby("country")["census_year"].first()

    def fed(c: str, groups=(), value_ids=()) -> dict | None:
        keys = [{"country": c, "census_year": int(year[c]), "group": g} for g in groups]
        out = fed_by(*([(demographics_file, keys)] if demographics_file and keys else []),
                     *([(published_file, [{"value_id": v} for v in value_ids])] if published_file and value_ids else []))
        return out or None

    pct = lambda v, c, groups=(), ids=(): value(v, "percent", 1, True, rows=fed(c, groups, ids),  # noqa: E731
                                                census_year=int(year[c]))
    out = {"pathway_threshold": value(threshold, decimals=2),
           "pathway_n_states": value(len(pred), decimals=0),
           "pathway_n_match": value(int(pred["match"].sum()), decimals=0)}
    for c in CASES:
        s, e, k = shares.loc[c], elf.loc[c], c.lower()
        out[f"pathway_{k}_largest_share_pct"] = pct(100 * s["largest_share"], c, [s["largest_group"]])
        out[f"pathway_{k}_largest_share"] = value(s["largest_share"], decimals=3, rows=fed(c, [s["largest_group"]]),
                                                  census_year=int(year[c]))
        out[f"pathway_{k}_known_total_pct"] = pct(100 * s["known_total"], c)
        out[f"pathway_{k}_unknown_pct"] = pct(100 * s["remainder"], c)
        out[f"pathway_{k}_n_groups_known"] = value(int(s["n_groups_known"]), decimals=0, census_year=int(year[c]))
        out[f"pathway_{k}_elf_lower"] = value(e["elf_lower"], decimals=3, census_year=int(year[c]))
        out[f"pathway_{k}_elf_upper"] = value(e["elf_upper"], decimals=3, census_year=int(year[c]))
    groups = demo[demo["country"] == KAZAKHSTAN].set_index("group")["share_pct"]
    out["pathway_kaz_russians_pct"] = pct(groups[RUSSIANS], KAZAKHSTAN, [RUSSIANS])
    out["pathway_kaz_germans_pct"] = pct(groups[GERMANS], KAZAKHSTAN, [GERMANS])
    out["pathway_kaz_not_largest_pct"] = pct(100 - 100 * shares.loc[KAZAKHSTAN, "largest_share"], KAZAKHSTAN,
                                             [shares.loc[KAZAKHSTAN, "largest_group"]])
    out["pathway_kaz_slavs_germans_pct"] = pct(groups[[*aggregates[SLAVS], GERMANS]].sum(), KAZAKHSTAN,
                                               [*aggregates[SLAVS], GERMANS])
    slavs = census[(census["country"] == KAZAKHSTAN) & (census["aggregate"] == SLAVS)]
    if len(slavs) != 1:
        raise ValueError(f"expected one printed {SLAVS} aggregate for {KAZAKHSTAN} in published_values.csv, "
                         f"found {len(slavs)}")
    slavs = slavs.iloc[0]
    out["pathway_census_slavs_printed_pct"] = pct(slavs["printed_pct"], KAZAKHSTAN, ids=[slavs["value_id"]])
    out["pathway_census_slavs_computed_pct"] = pct(slavs["computed_pct"], KAZAKHSTAN, aggregates[SLAVS])
    out["pathway_census_n_checked"] = value(len(census), decimals=0)
    out["pathway_census_n_agree"] = value(int((census["verdict"] == "agrees").sum()), decimals=0)
    return out


def claims(demo: pd.DataFrame, coding: pd.DataFrame, rules: pd.DataFrame, outcomes: pd.DataFrame,
           threshold: float) -> list[dict]:
    """The chapter's claim, as keyword arguments of ``nb.save_claim``: at `threshold` (the default
    the book uses) the model's prediction matches the observed outcome of every state, both cases
    of the article (``pathway_model_matches_observed``)."""
    pred = predict(demo, coding, rules, outcomes, threshold)
    holds = len(pred) == len(outcomes) and bool(pred["match"].all())
    return [{"name": "pathway_model_matches_observed", "holds": holds,
             "statement": f"At the default homogeneity threshold ({threshold:g}), the pathway model's predictions "
                          f"match the observed foreign-policy outcomes of all {len(outcomes)} states.",
             "values": ["pathway_threshold", "pathway_n_match", "pathway_n_states"]}]


def sensitivity_values(sens: pd.DataFrame, band: list[tuple[float, float]]) -> dict[str, dict]:
    """In-text values of the threshold sweep: the exact matching band (lower end open, upper end
    closed), the first and last matching grid thresholds, the grid and how many of its points
    match. Raises ValueError unless the predictions match on exactly one interval (the book
    describes one band)."""
    if len(band) != 1:
        raise ValueError(f"expected one interval of thresholds on which all predictions match, got {band}")
    grid = sorted(sens["threshold"].unique())
    first, last = grid_matching_ends(sens)
    return {"pathway_band_lower": value(band[0][0], decimals=3, note="open end: not included"),
            "pathway_band_upper": value(band[0][1], decimals=3, note="closed end: included"),
            "pathway_grid_first_match": value(first, decimals=2),
            "pathway_grid_last_match": value(last, decimals=2),
            "pathway_grid_n_thresholds": value(len(grid), decimals=0),
            "pathway_grid_n_match": value(int(sens.groupby("threshold")["all_match"].first().sum()), decimals=0),
            "pathway_threshold_min": value(grid[0], decimals=2),
            "pathway_threshold_max": value(grid[-1], decimals=2),
            "pathway_threshold_step": value(round(grid[1] - grid[0], 10), decimals=2)}

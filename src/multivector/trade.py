"""EU-Central Asia goods trade (Kviklys, Tables 3-6): balances, regional totals, growth,
Kazakhstan's shares, checks of Table 3 and a reproduction of every printed trade number.

All functions take the project's data frames (see data/schemas/) and return new frames;
they read no files and print nothing. Trade values are thousand EUR (``*_keur``) and seen
from Central Asia: ``export_to_eu`` = Central Asian exports to the EU (27),
``import_from_eu`` = Central Asian imports from it; balance = exports minus imports.
Every comparison reports ``difference = computed - printed``.

Tables for the book are long (one row per reporter, flow and year, keyed), so that no column name
carries a year; the book shows them wide with the years taken from the data. In-text values come
from `headline_values`, each with what it is about (its year) recorded next to it.
"""
from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import pandas as pd

from .countries import CENTRAL_ASIA, EUROPEAN_UNION, KAZAKHSTAN, KYRGYZSTAN, REGION, UZBEKISTAN, name
from .values import fed_by, value as _value, years_text as _years_text

COUNTRIES = CENTRAL_ASIA
EXPORT, IMPORT = "export_to_eu", "import_from_eu"
FLOWS = (EXPORT, IMPORT)

EXACT, ROUNDING, MISMATCH = "exact", "rounding (±1)", "mismatch"
CONSISTENT, INCONSISTENT, NOT_COMPUTABLE = "consistent", "inconsistent", "not computable"
VERDICTS = (EXACT, ROUNDING, MISMATCH, CONSISTENT, INCONSISTENT, NOT_COMPUTABLE)

FLOW_LABELS = {EXPORT: "Exports to the EU", IMPORT: "Imports from the EU",
               "balance": "Balance (exports minus imports)"}
FLOW_SHORT = {EXPORT: "Exports", IMPORT: "Imports"}
FLOW_COLOURS = {EXPORT: "#1f5fa8", IMPORT: "#e08a1e"}
YEAR_SHADES = ("#9ecae1", "#4292c6", "#08519c")  # light to dark, the years of the balance figure

KEUR_PER_BN = 1_000_000  # thousand EUR in one billion EUR
SOURCE = "kviklys_hedging"  # the document whose trade numbers are reproduced
KEUR, BN, PERCENT, RATIO = "thousand EUR", "billion EUR", "percent", "ratio"

# The one printed Table 5 balance that the source's own Table 6 flows contradict, as our reading of
# the source found it; the book describes it, and the claim `trade_single_balance_slip` checks that
# the data still say exactly this (see `claims`).
PRINTED_SLIP = {"reporter": KYRGYZSTAN, "year": 2024}


class Files:
    """Which input file holds each frame, to name the data rows behind a value (``rows=`` of
    ``nb.save_value``): `flows` (trade_flows.csv), `published` (published_values.csv),
    `markets` (export_markets.csv); a file left as None names no rows."""

    def __init__(self, flows: str | None = None, published: str | None = None, markets: str | None = None):
        self.flows, self.published, self.markets = flows, published, markets

    def rows(self, **keys: list[dict]) -> dict[str, list[dict]] | None:
        """``rows`` for `_value`: keyword = frame ('flows', ...), value = its primary keys."""
        groups = [(getattr(self, frame), k) for frame, k in keys.items() if getattr(self, frame) and k]
        return fed_by(*groups) or None


NO_FILES = Files()


def flow_keys(reporters, flows, years) -> list[dict]:
    """Primary keys (reporter, flow, year) of trade_flows.csv rows, every combination."""
    return [{"reporter": r, "flow": f, "year": int(y)} for r in reporters for f in flows for y in years]


# --------------------------------------------------------------------------- flows


def _check_unique(flows: pd.DataFrame) -> None:
    dup = flows.duplicated(["reporter", "flow", "year"])
    if dup.any():
        first = flows[dup].iloc[0]
        raise ValueError(f"more than one flow row for {first['reporter']}, {first['flow']}, {first['year']}")


def flow_value(flows: pd.DataFrame, reporter: str, flow: str, year: int) -> float | None:
    """The printed flow of one reporter, direction and year, or None if it is not printed."""
    hit = flows[(flows["reporter"] == reporter) & (flows["flow"] == flow) & (flows["year"] == year)]
    if hit.empty:
        return None
    if len(hit) > 1:
        raise ValueError(f"more than one flow row for {reporter}, {flow}, {year}")
    return float(hit["value_keur"].iloc[0])


def balances(flows: pd.DataFrame) -> pd.DataFrame:
    """Exports minus imports per reporter and year, only where both flows are printed.

    Columns: reporter, year, export_to_eu_keur, import_from_eu_keur, balance_keur (integers),
    sorted by reporter and year.
    """
    _check_unique(flows)
    wide = flows.pivot_table(index=["reporter", "year"], columns="flow", values="value_keur", aggfunc="first")
    wide = wide.reindex(columns=list(FLOWS)).dropna().reset_index()
    out = pd.DataFrame({
        "reporter": wide["reporter"],
        "year": wide["year"].astype(int),
        "export_to_eu_keur": wide[EXPORT].round().astype("Int64"),
        "import_from_eu_keur": wide[IMPORT].round().astype("Int64"),
    })
    out["balance_keur"] = out["export_to_eu_keur"] - out["import_from_eu_keur"]
    return out.sort_values(["reporter", "year"]).reset_index(drop=True)


def regional_totals(flows: pd.DataFrame, countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
    """Sum of the country rows next to the printed regional row, per flow and year.

    Only flow-years where every country and the region are printed. Columns: flow, year,
    country_sum_keur, ca5_printed_keur, difference_keur (= sum - printed).
    """
    countries = list(countries)
    rows = []
    for (flow, year), grp in flows.groupby(["flow", "year"]):
        have = set(grp["reporter"])
        if region not in have or not set(countries) <= have:
            continue
        total = grp.loc[grp["reporter"].isin(countries), "value_keur"].sum()
        printed = grp.loc[grp["reporter"] == region, "value_keur"].iloc[0]
        rows.append({"flow": flow, "year": int(year), "country_sum_keur": int(round(total)),
                     "ca5_printed_keur": int(round(printed))})
    out = pd.DataFrame(rows, columns=["flow", "year", "country_sum_keur", "ca5_printed_keur"])
    out["difference_keur"] = out["country_sum_keur"] - out["ca5_printed_keur"]
    return out.sort_values(["flow", "year"]).reset_index(drop=True)


def growth(flows: pd.DataFrame, reporter: str = REGION, start: int = 2004, end: int = 2024) -> pd.DataFrame:
    """Change of exports, imports and the balance of one reporter between two years.

    Columns: quantity (export_to_eu, import_from_eu, balance), quantity_label, start_year,
    start_keur, end_year, end_keur, change_keur, growth_factor (end / start), growth_pct (change
    in % of start). Raises ValueError if a flow is not printed for both years.
    """
    bal = balances(flows)
    rows = []
    for quantity in (*FLOWS, "balance"):
        if quantity == "balance":
            pick = bal[bal["reporter"] == reporter].set_index("year")["balance_keur"]
            a = float(pick[start]) if start in pick.index else None
            b = float(pick[end]) if end in pick.index else None
        else:
            a, b = flow_value(flows, reporter, quantity, start), flow_value(flows, reporter, quantity, end)
        if a is None or b is None:
            raise ValueError(f"{reporter} {quantity} is not printed for both {start} and {end}")
        rows.append({"quantity": quantity, "quantity_label": FLOW_LABELS[quantity],
                     "start_year": int(start), "start_keur": int(round(a)),
                     "end_year": int(end), "end_keur": int(round(b)),
                     "change_keur": int(round(b - a)), "growth_factor": b / a, "growth_pct": 100.0 * (b - a) / a})
    return pd.DataFrame(rows)


def shares(flows: pd.DataFrame, reporter: str = KAZAKHSTAN, countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
    """Share of one country in the region's exports and imports, per flow and year.

    Against the printed regional row and against the sum of the country rows. Columns: flow,
    year, reporter_keur, ca5_printed_keur, country_sum_keur, share_of_printed_pct,
    share_of_sum_pct.
    """
    tot = regional_totals(flows, countries, region)
    rows = []
    for rec in tot.itertuples(index=False):
        own = flow_value(flows, reporter, rec.flow, rec.year)
        rows.append({"flow": rec.flow, "year": rec.year, "reporter_keur": int(round(own)),
                     "ca5_printed_keur": rec.ca5_printed_keur, "country_sum_keur": rec.country_sum_keur,
                     "share_of_printed_pct": 100.0 * own / rec.ca5_printed_keur,
                     "share_of_sum_pct": 100.0 * own / rec.country_sum_keur})
    return pd.DataFrame(rows).sort_values(["flow", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- verdicts


def classify_difference(difference: float) -> str:
    """Verdict for a table cell: exact (0), rounding (±1) (|d| = 1 thousand EUR) or mismatch."""
    d = abs(round(difference))
    if d == 0:
        return EXACT
    if d == 1:
        return ROUNDING
    return MISMATCH


def printed_decimals(value: float, most: int = 6) -> int:
    """Number of decimals a printed number shows (35.1 -> 1, 8 -> 0)."""
    for d in range(most + 1):
        if math.isclose(round(value, d), value, rel_tol=0, abs_tol=1e-9):
            return d
    return most


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round as printed numbers are rounded (4.5 -> 5, not Python's 4)."""
    scale = 10 ** decimals
    return math.floor(value * scale + 0.5) / scale


def judge_qualified(printed: float, computed: float, qualifier: str | None = None) -> str:
    """Is a computed number consistent with a printed one and its hedge word?

    No qualifier, 'about', 'around': the computed value rounds (half up, to the printed
    decimals) to the printed one. 'almost', 'nearly': it rounds to it and lies below it.
    'more than', 'over': it lies above it. 'less than': it lies below it.
    """
    q = (qualifier or "").strip().lower()
    rounds_to = math.isclose(round_half_up(computed, printed_decimals(printed)), printed, abs_tol=1e-9)
    if q in ("", "about", "around"):
        ok = rounds_to
    elif q in ("almost", "nearly"):
        ok = rounds_to and computed < printed
    elif q in ("more than", "over"):
        ok = computed > printed
    elif q == "less than":
        ok = computed < printed
    else:
        raise ValueError(f"unknown qualifier {qualifier!r}")
    return CONSISTENT if ok else INCONSISTENT


def _size_note(difference: int) -> str:
    if difference == 0:
        return ""
    side = "above" if difference > 0 else "below"
    return f"computed {abs(difference)} thousand EUR {side} printed"


# --------------------------------------------------------------------------- book tables


def balance_comparison(flows: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Printed Table 5 balances next to balances computed from the printed flows (long form).

    One row per reporter and Table 5 year; the computed columns are empty where the flows
    are not printed (2020-2021). Columns: reporter, reporter_label, year, export_to_eu_keur,
    import_from_eu_keur, balance_computed_keur, balance_printed_keur, difference_keur, verdict.
    """
    printed = published[(published["table_ref"] == "Table 5") & (published["quantity"] == "balance")]
    printed = printed[["reporter", "year", "value"]].rename(columns={"value": "balance_printed_keur"})
    printed["year"] = printed["year"].astype(int)
    bal = balances(flows).rename(columns={"balance_keur": "balance_computed_keur"})
    out = printed.merge(bal, on=["reporter", "year"], how="left")
    out["balance_printed_keur"] = out["balance_printed_keur"].round().astype("Int64")
    out["difference_keur"] = out["balance_computed_keur"] - out["balance_printed_keur"]
    out["verdict"] = [NOT_COMPUTABLE if pd.isna(d) else classify_difference(d) for d in out["difference_keur"]]
    out["reporter_label"] = out["reporter"].map(name)
    cols = ["reporter", "reporter_label", "year", "export_to_eu_keur", "import_from_eu_keur",
            "balance_computed_keur", "balance_printed_keur", "difference_keur", "verdict"]
    return out[cols].sort_values(["reporter", "year"]).reset_index(drop=True)


def table6_flows(flows: pd.DataFrame, countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
    """Table 6 (imports and exports by reporter and year, as printed) in long form, with two
    computed rows per flow and year: the sum of the countries and its difference from the printed
    regional row (sum - printed).

    Columns: row_id (reporter code, <region>_country_sum or <region>_difference), row_label, flow,
    flow_label (Imports / Exports), year, value_keur; rows in the printed order (region,
    countries, the two computed rows), imports before exports, years ascending. Only flow-years
    where the region and every country are printed.
    """
    tot = regional_totals(flows, countries, region)
    cols = [(f, y) for f in (IMPORT, EXPORT) for y in sorted(tot.loc[tot["flow"] == f, "year"])]
    t = tot.set_index(["flow", "year"])
    rows = []
    for code in (region, *countries):
        rows += [{"row_id": code, "row_label": name(code), "flow": f, "year": y,
                  "value_keur": int(round(flow_value(flows, code, f, y)))} for f, y in cols]
    for suffix, label, col in (("country_sum", "Sum of countries (computed)", "country_sum_keur"),
                               ("difference", "Sum minus printed", "difference_keur")):
        rows += [{"row_id": f"{region}_{suffix}", "row_label": label, "flow": f, "year": y,
                  "value_keur": int(t.loc[(f, y), col])} for f, y in cols]
    out = pd.DataFrame(rows, columns=["row_id", "row_label", "flow", "year", "value_keur"])
    out.insert(3, "flow_label", out["flow"].map(FLOW_SHORT))
    return out


def shares_table(flows: pd.DataFrame, reporter: str = KAZAKHSTAN, countries=COUNTRIES,
                 region: str = REGION) -> pd.DataFrame:
    """`shares` for the book, long: one row per flow, denominator (basis: printed total or sum of
    countries) and year. Columns: flow, flow_label, basis, year, share_pct."""
    long = shares(flows, reporter, countries, region)
    rows = []
    for flow in FLOWS:
        sub = long[long["flow"] == flow]
        for basis, col in (("printed total", "share_of_printed_pct"), ("sum of countries", "share_of_sum_pct")):
            rows += [{"flow": flow, "flow_label": FLOW_LABELS[flow], "basis": basis, "year": int(y),
                      "share_pct": float(v)} for y, v in zip(sub["year"], sub[col])]
    return pd.DataFrame(rows, columns=["flow", "flow_label", "basis", "year", "share_pct"])


def export_markets_table(markets: pd.DataFrame) -> pd.DataFrame:
    """Table 3 as printed, long: one row per partner and printed header year.

    Columns: partner, partner_label, year_printed, value_printed (thousand EUR per the
    footnote). Partners in the printed order (largest value in the first column first, then
    partner code), years ascending.
    """
    out = markets[["partner", "partner_label", "year_printed", "value_printed"]].copy()
    out["year_printed"] = out["year_printed"].astype(int)
    out["value_printed"] = out["value_printed"].round().astype("Int64")
    first = out[out["year_printed"] == out["year_printed"].min()].set_index("partner")["value_printed"]
    out["_first"] = out["partner"].map(first)
    out = out.sort_values(["_first", "partner", "year_printed"], ascending=[False, True, True])
    return out.drop(columns="_first").reset_index(drop=True)


def _header_year_findings(markets: pd.DataFrame, flows: pd.DataFrame, partner: str, region: str) -> list[dict]:
    """Compare each printed EU (27) column of Table 3 with the region's printed exports."""
    ex = flows[(flows["reporter"] == region) & (flows["flow"] == EXPORT)]
    by_year = dict(zip(ex["year"].astype(int), ex["value_keur"]))
    rows = []
    eu = markets[markets["partner"] == partner].sort_values("year_printed")
    for rec in eu.itertuples(index=False):
        year, value = int(rec.year_printed), float(rec.value_printed)
        matched = sorted(y for y, v in by_year.items() if v == value)
        computed = "; ".join(f"{by_year[y]:,.0f} ({y})" for y in matched) or "no equal value in Tables 4/6"
        if year in by_year:
            verdict = CONSISTENT if year in matched else MISMATCH
            detail = (f"equals the {year} {region} export of Tables 4/6" if verdict == CONSISTENT
                      else f"differs from the {year} {region} export of Tables 4/6 ({by_year[year]:,.0f})")
            computed = f"{by_year[year]:,.0f} ({year})"
        elif matched:
            verdict = f"the column printed as {year} matches {', '.join(map(str, matched))} data"
            detail = (f"no {year} value is printed elsewhere; the value equals the {region} export of "
                      f"{', '.join(map(str, matched))}, so the header year is most likely a misprint")
        else:
            verdict = "not checkable"
            detail = f"Tables 4/6 print no {region} export for {year}"
        rows.append({"finding_id": f"t3_eu27_{year}", "table": "Table 3",
                     "check": f"{rec.partner_label} column headed {year} vs {region} exports in Tables 4/6",
                     "printed": f"{value:,.0f} ({year})", "computed": computed, "verdict": verdict, "detail": detail})
    return rows


def table3_findings(markets: pd.DataFrame, flows: pd.DataFrame, text_export_bn: float, text_year: int = 2024,
                    members=COUNTRIES, partner: str = EUROPEAN_UNION, region: str = REGION) -> pd.DataFrame:
    """Machine checks of Table 3 (as printed) against Tables 4/6 and the text.

    `text_export_bn` is the text's figure for the region's exports to the EU in `text_year`
    (billion EUR), used to fix the unit of the table. Columns: finding_id, table, check,
    printed, computed, verdict, detail; sorted by finding_id.
    """
    rows = _header_year_findings(markets, flows, partner, region)

    years = sorted(int(y) for y in markets["year_printed"].unique())
    missing = [y for y in range(years[0], years[-1] + 1) if y not in years]
    rows.append({"finding_id": "t3_header_years", "table": "Table 3", "check": "sequence of the header years",
                 "printed": ", ".join(map(str, years)),
                 "computed": ("missing: " + ", ".join(map(str, missing))) if missing else "consecutive",
                 "verdict": "gap in the year sequence" if missing else CONSISTENT,
                 "detail": ("no column for " + ", ".join(map(str, missing))) if missing else ""})

    units_printed = sorted(markets["unit_printed"].unique())
    units_note = sorted(markets["unit_note"].unique())
    end_value = flow_value(flows, region, EXPORT, text_year)
    as_thousands = end_value / KEUR_PER_BN
    as_eur = end_value / 1e9
    fits = judge_qualified(text_export_bn, as_thousands) == CONSISTENT
    rows.append({"finding_id": "t3_units", "table": "Table 3",
                 "check": "unit: headers vs footnote and the text's export figure",
                 "printed": f"headers: {', '.join(units_printed)}; footnote: {', '.join(units_note)}",
                 "computed": (f"{end_value:,.0f} read as thousand EUR = {as_thousands:.2f} bn EUR; "
                              f"read as EUR = {as_eur:.3f} bn EUR; text: {text_export_bn:g} bn EUR"),
                 "verdict": "values are thousand EUR; headers say EUR" if fits else "unit unresolved",
                 "detail": ("the footnote and the text agree on thousands; the headers omit the factor"
                            if fits else "neither reading reproduces the text figure")})

    inside = markets[markets["partner"].isin(members)][["partner", "partner_label"]].drop_duplicates()
    for rec in inside.sort_values("partner").itertuples(index=False):
        rows.append({"finding_id": f"t3_partner_{rec.partner.lower()}_in_region", "table": "Table 3",
                     "check": "partner outside the exporting region",
                     "printed": f"{rec.partner_label} listed as an export market of Central Asia",
                     "computed": f"{rec.partner} is one of the {region} states",
                     "verdict": "partner inside the region",
                     "detail": "this row can only be trade among the other Central Asian states"})

    wide = markets.pivot_table(index="partner", columns="year_printed", values="value_printed", aggfunc="first")
    top = wide.idxmax()
    n_first = int((top == partner).sum())
    rows.append({"finding_id": "t3_eu27_rank", "table": "Table 3", "check": f"{partner} the largest market per column",
                 "printed": f"{len(top)} columns", "computed": f"{partner} largest in {n_first} of {len(top)}",
                 "verdict": CONSISTENT if n_first == len(top) else INCONSISTENT,
                 "detail": "supports the text's description of the EU as a leading export market"})
    return pd.DataFrame(rows).sort_values("finding_id").reset_index(drop=True)


# --------------------------------------------------------------------------- reproduction


def _flow_of(value_id: str) -> str:
    for flow in FLOWS:
        if flow in value_id:
            return flow
    raise ValueError(f"cannot tell the flow of {value_id!r}")


def _span_of(value_id: str, start: int, end: int) -> tuple[int, int]:
    m = re.search(r"_(\d{4})_(\d{4})$", value_id)
    return (int(m.group(1)), int(m.group(2))) if m else (start, end)


def _compared(computed: int, printed: float, basis: str) -> dict:
    """A printed table cell against our computation: difference, verdict and how it was computed."""
    d = computed - int(round(printed))
    return {"computed": computed, "difference": d, "verdict": classify_difference(d),
            "note": "; ".join(filter(None, [basis, _size_note(d)]))}


def _reproduce_one(row, flows, bal, tot, share_year, start, end) -> dict:
    """Computed value, verdict and note for one printed value (see `reproduction`)."""
    quantity, reporter = row["quantity"], row["reporter"]
    year = None if pd.isna(row["year"]) else int(row["year"])
    printed = float(row["value"])
    is_table = row["table_ref"] != "text"
    if is_table and quantity == "balance":
        hit = bal[(bal["reporter"] == reporter) & (bal["year"] == year)]
        if hit.empty:
            return {"verdict": NOT_COMPUTABLE, "note": f"the flows for {year} are not printed (Table 6 covers 2022-2024)"}
        return _compared(int(hit["balance_keur"].iloc[0]), printed, "exports minus imports of Table 6")
    if is_table and quantity in FLOWS:
        if reporter != REGION:
            same = flow_value(flows, reporter, quantity, year) == printed
            return {"verdict": NOT_COMPUTABLE,
                    "note": "country cell: an input of the computations, no independent source"
                            + ("" if same else "; transcription differs in trade_flows.csv")}
        hit = tot[(tot["flow"] == quantity) & (tot["year"] == year)]
        if hit.empty:
            return {"verdict": NOT_COMPUTABLE, "note": f"no country rows for {year}; only this printed cell"}
        return _compared(int(hit["country_sum_keur"].iloc[0]), printed, "sum of the five country rows of Table 6")
    # running text: compare with the qualifier and the printed precision
    q = row["qualifier"] if isinstance(row["qualifier"], str) else ""
    qtext = f"'{q}' {printed:g}" if q else f"{printed:g} as printed"
    if quantity in FLOWS and row["unit"] == "billion EUR":
        v = flow_value(flows, reporter, quantity, year)
        if v is None:
            return {"verdict": NOT_COMPUTABLE, "note": f"no {reporter} {quantity} printed for {year}"}
        computed, note = v / KEUR_PER_BN, f"{reporter} row of Tables 4/6 in billion EUR vs {qtext}"
    elif quantity == "growth_factor":
        flow = _flow_of(row["value_id"])
        a, b = _span_of(row["value_id"], start, end)
        g = growth(flows, reporter, a, b).set_index("quantity")
        other = [f for f in FLOWS if f != flow][0]
        computed = float(g.loc[flow, "growth_factor"])
        note = (f"{flow} {b} / {a} vs {qtext}; {other} grew by a factor of "
                f"{g.loc[other, 'growth_factor']:.2f}")
    elif quantity in ("share_of_ca5_exports", "share_of_ca5_imports"):
        flow = EXPORT if quantity.endswith("exports") else IMPORT
        sh = shares(flows, reporter)
        sh = sh[sh["flow"] == flow].set_index("year")
        y = share_year if year is None else year
        computed = float(sh.loc[y, "share_of_printed_pct"])
        others = ", ".join(f"{yy}: {sh.loc[yy, 'share_of_printed_pct']:.1f}" for yy in sh.index if yy != y)
        note = f"{y} share of the printed CA5 total vs {qtext} (text gives no year); other years {others}"
    else:
        return {"verdict": NOT_COMPUTABLE, "note": f"the trade flows do not measure {quantity}"}
    return {"computed": computed, "difference": computed - printed,
            "verdict": judge_qualified(printed, computed, q), "note": note}


def reproduction(published: pd.DataFrame, flows: pd.DataFrame, share_year: int = 2024,
                 start: int = 2004, end: int = 2024) -> pd.DataFrame:
    """Every printed trade number of `published` (source kviklys_hedging) against the flows.

    Table cells: exact / rounding (±1) / mismatch by computed - printed in thousand EUR
    (Table 5 balances from the flows, Table 4/6 regional cells from the country rows);
    text numbers: consistent / inconsistent with their qualifier and printed precision;
    everything else: not computable, with the reason in `note`. Text shares without a year
    are compared with `share_year`.
    """
    pub = published[published["source"] == SOURCE].sort_values("value_id")
    bal, tot = balances(flows), regional_totals(flows)
    rows = []
    for _, row in pub.iterrows():
        res = _reproduce_one(row, flows, bal, tot, share_year, start, end)
        rows.append({"value_id": row["value_id"], "table_ref": row["table_ref"], "quantity": row["quantity"],
                     "reporter": row["reporter"], "year": row["year"], "unit": row["unit"],
                     "qualifier": row["qualifier"] if isinstance(row["qualifier"], str) else "",
                     "printed": float(row["value"]), "computed": float(res["computed"]) if "computed" in res else math.nan,
                     "difference": float(res["difference"]) if "difference" in res else math.nan,
                     "verdict": res["verdict"], "note": res["note"]})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out.reset_index(drop=True)


def reproduction_summary(repro: pd.DataFrame) -> pd.DataFrame:
    """Count of printed values per verdict (every verdict listed, also when zero), by table."""
    refs = sorted(repro["table_ref"].unique(), key=lambda r: (r == "text", r))
    counts = pd.crosstab(repro["verdict"], repro["table_ref"]).reindex(index=list(VERDICTS), columns=refs, fill_value=0)
    counts.columns = [r.lower().replace(" ", "_") for r in refs]
    counts["total"] = counts.sum(axis=1)
    counts = counts.astype(int).reset_index().rename(columns={"index": "verdict"})
    return counts.rename(columns={counts.columns[0]: "verdict"})


# --------------------------------------------------------------------------- in-text values


def _one(rows: pd.DataFrame, what: str) -> pd.Series:
    if len(rows) != 1:
        raise ValueError(f"expected one {what} in published_values.csv, found {len(rows)}: {list(rows['value_id'])}")
    return rows.iloc[0]


def growth_values(flows: pd.DataFrame, start: int, end: int, region: str = REGION,
                  files: Files = NO_FILES) -> dict[str, dict]:
    """The region's exports, imports and balance in `start` and `end` (billion EUR; the balance in
    thousand EUR) and their growth (factor, percent), each about its year or its two years, with
    the flow rows that fed it."""
    g = growth(flows, region, start, end).set_index("quantity")
    span = {"start_year": int(start), "end_year": int(end)}
    out = {}
    for flow, key in ((EXPORT, "export"), (IMPORT, "import")):
        at = lambda *years: files.rows(flows=flow_keys([region], [flow], years))  # noqa: E731
        out[f"trade_ca5_{key}_start_bn"] = _value(g.loc[flow, "start_keur"] / KEUR_PER_BN, BN, 2, rows=at(start),
                                                  year=int(start))
        out[f"trade_ca5_{key}_end_bn"] = _value(g.loc[flow, "end_keur"] / KEUR_PER_BN, BN, 2, rows=at(end),
                                                year=int(end))
        out[f"trade_ca5_{key}_growth_factor"] = _value(g.loc[flow, "growth_factor"], RATIO, 2, rows=at(start, end),
                                                       **span)
        out[f"trade_ca5_{key}_growth_pct"] = _value(g.loc[flow, "growth_pct"], PERCENT, 0, True, rows=at(start, end),
                                                    **span)
    for when, year in (("start", start), ("end", end)):
        out[f"trade_ca5_balance_{when}"] = _value(g.loc["balance", f"{when}_keur"], KEUR, 0,
                                                  rows=files.rows(flows=flow_keys([region], FLOWS, [year])),
                                                  year=int(year))
    return out


def balance_values(flows: pd.DataFrame, year: int, files: Files = NO_FILES) -> dict[str, dict]:
    """Kazakhstan's and Uzbekistan's balance with the EU in `year`, computed from the flows alone
    (thousand EUR). Raises ValueError if the flows of that year are not printed."""
    bal = balances(flows).set_index(["reporter", "year"])["balance_keur"]
    out = {}
    for code in (KAZAKHSTAN, UZBEKISTAN):
        if (code, year) not in bal.index:
            raise ValueError(f"the trade flows do not give {name(code)}'s balance for {year}: both its exports "
                             f"and imports must be printed; years with both: {sorted(bal[code].index)}")
        out[f"trade_{code.lower()}_balance"] = _value(int(bal[(code, year)]), KEUR, 0,
                                                     rows=files.rows(flows=flow_keys([code], FLOWS, [year])),
                                                     year=int(year))
    return out


def share_values(flows: pd.DataFrame, share_year: int, files: Files = NO_FILES) -> dict[str, dict]:
    """Kazakhstan's share of the region's exports and imports (of the printed regional total) in
    `share_year`, with the lowest export share and the highest import share of all printed years,
    each about its year. Raises ValueError if `share_year` has no regional totals."""
    sh = shares(flows, KAZAKHSTAN)
    out = {}
    for flow, key, extreme in ((EXPORT, "export", "min"), (IMPORT, "import", "max")):
        s = sh[sh["flow"] == flow].set_index("year")["share_of_printed_pct"]
        if share_year not in s.index:
            raise ValueError(f"no {flow} share for {share_year}: the region and every country must be printed; "
                             f"years with shares: {list(s.index)}")
        y = int(s.idxmin() if extreme == "min" else s.idxmax())
        at = lambda year: files.rows(flows=flow_keys([KAZAKHSTAN, REGION], [flow], [year]))  # noqa: E731
        out[f"trade_kaz_{key}_share"] = _value(s[share_year], PERCENT, 1, True, rows=at(share_year),
                                               year=int(share_year))
        out[f"trade_kaz_{key}_share_{extreme}"] = _value(s[y], PERCENT, 1, True, rows=at(y), year=y)
    return out


def text_values(published: pd.DataFrame, files: Files = NO_FILES) -> dict[str, dict]:
    """The source's own running-text figures that the book quotes: the region's exports to the EU
    in the latest year the text gives (billion EUR), its 'almost'-fold import growth and
    Kazakhstan's undated shares, each with its year(s) and hedge word (qualifier)."""
    t = published[(published["source"] == SOURCE) & (published["table_ref"] == "text")]
    exports = t[(t["quantity"] == EXPORT) & (t["reporter"] == REGION) & (t["unit"] == BN)].sort_values("year")
    if exports.empty:
        raise ValueError(f"published_values.csv has no text figure for {REGION} {EXPORT} in {BN}")
    latest = exports.iloc[-1]
    factors = t[t["quantity"] == "growth_factor"]
    gf = _one(factors[factors["value_id"].map(_flow_of) == IMPORT], "text growth factor of imports")
    span = re.search(r"_(\d{4})_(\d{4})$", gf["value_id"])
    qual = lambda r: r["qualifier"] if isinstance(r["qualifier"], str) and r["qualifier"] else None
    row = lambda r: files.rows(published=[{"value_id": r["value_id"]}])  # noqa: E731
    out = {"trade_text_export_bn": _value(float(latest["value"]), BN, 1, rows=row(latest), year=int(latest["year"])),
           "trade_text_import_growth_factor": _value(float(gf["value"]), RATIO, 0, rows=row(gf), qualifier=qual(gf),
                                                     start_year=int(span[1]) if span else None,
                                                     end_year=int(span[2]) if span else None)}
    for flow, key in (("exports", "export"), ("imports", "import")):
        r = _one(t[(t["quantity"] == f"share_of_ca5_{flow}") & (t["reporter"] == KAZAKHSTAN)], f"text share of {flow}")
        out[f"trade_text_kaz_{key}_share"] = _value(float(r["value"]), PERCENT, 0, True, rows=row(r), qualifier=qual(r))
    return out


def table3_values(markets: pd.DataFrame, flows: pd.DataFrame, partner: str = EUROPEAN_UNION,
                  region: str = REGION, files: Files = NO_FILES) -> dict[str, dict]:
    """The EU value of Table 3's last column, about the year its header prints and the year whose
    regional exports (Tables 4/6) it equals (left out unless exactly one year matches)."""
    eu = markets[markets["partner"] == partner].sort_values("year_printed").iloc[-1]
    ex = flows[(flows["reporter"] == region) & (flows["flow"] == EXPORT)]
    matched = sorted(int(y) for y, v in zip(ex["year"], ex["value_keur"]) if v == eu["value_printed"])
    rows = files.rows(markets=[{"partner": eu["partner"], "year_printed": int(eu["year_printed"])}],
                      flows=flow_keys([region], [EXPORT], matched))
    return {"trade_table3_eu_last_column": _value(int(eu["value_printed"]), "thousand EUR (per footnote)", 0,
                                                  rows=rows, year_printed=int(eu["year_printed"]),
                                                  matches_year=matched[0] if len(matched) == 1 else None)}


def reproduction_values(repro: pd.DataFrame) -> dict[str, dict]:
    """Counts of printed trade numbers by verdict (see `reproduction`), with the years of the
    Table 5 balances and Table 4 cells that cannot be recomputed."""
    counts = reproduction_summary(repro).set_index("verdict")["total"]
    nc = repro[repro["verdict"] == NOT_COMPUTABLE]
    n = lambda k: _value(int(counts[k]), "printed values")
    t5, t4 = nc[nc["table_ref"] == "Table 5"], nc[nc["table_ref"] == "Table 4"]
    return {
        "trade_repro_total": _value(int(counts.sum()), "printed values"),
        "trade_repro_exact": n(EXACT), "trade_repro_rounding": n(ROUNDING), "trade_repro_mismatch": n(MISMATCH),
        "trade_repro_consistent": n(CONSISTENT), "trade_repro_inconsistent": n(INCONSISTENT),
        "trade_repro_not_computable": _value(int(counts[NOT_COMPUTABLE]), "printed values",
                                             table4_years=_years_text(t4["year"].dropna()) if len(t4) else None),
        "trade_repro_table_cells_checked": _value(int(counts[[EXACT, ROUNDING, MISMATCH]].sum()), "printed values"),
        "trade_repro_t5_not_computable": _value(len(t5), "printed values",
                                                years=_years_text(t5["year"].dropna()) if len(t5) else None),
        "trade_repro_t6_inputs": _value(int((nc["table_ref"] == "Table 6").sum()), "printed values"),
    }


def balance_mismatches(repro: pd.DataFrame) -> pd.DataFrame:
    """The printed Table 5 balances that their flows do not reproduce within rounding, largest gap first."""
    mm = repro[(repro["table_ref"] == "Table 5") & (repro["verdict"] == MISMATCH)].copy()
    mm["gap"] = mm["difference"].abs()
    return mm.sort_values(["gap", "value_id"], ascending=[False, True]).reset_index(drop=True)


def balance_mismatch_values(repro: pd.DataFrame, files: Files = NO_FILES) -> dict[str, dict]:
    """The printed Table 5 balance that its flows do not reproduce within rounding (the largest,
    should there be several): printed, computed and the size of the gap (thousand EUR), about its
    reporter and year. With none, the three values are n/a. The book describes one such balance;
    the claim `trade_single_balance_slip` (see `claims`) says whether the data still have one."""
    mm = balance_mismatches(repro)
    if mm.empty:
        return {k: _value(None, KEUR, 0) for k in ("trade_mismatch_balance_printed", "trade_mismatch_balance_computed",
                                                   "trade_mismatch_balance_gap")}
    r = mm.iloc[0]
    about = {"reporter": r["reporter"], "reporter_name": name(r["reporter"]), "year": int(r["year"])}
    rows = files.rows(published=[{"value_id": r["value_id"]}], flows=flow_keys([r["reporter"]], FLOWS, [r["year"]]))
    return {"trade_mismatch_balance_printed": _value(int(round(r["printed"])), KEUR, 0, rows=rows, **about),
            "trade_mismatch_balance_computed": _value(int(round(r["computed"])), KEUR, 0, rows=rows, **about),
            "trade_mismatch_balance_gap": _value(abs(int(round(r["difference"]))), KEUR, 0, rows=rows, **about)}


def headline_values(flows: pd.DataFrame, published: pd.DataFrame, markets: pd.DataFrame,
                    start: int, end: int, share_year: int, files: Files = NO_FILES) -> dict[str, dict]:
    """Every in-text value of the trade chapter: name -> keyword arguments of ``nb.save_value``
    (value, unit, decimals, percent, about, and rows: the data rows that fed it, by primary key,
    in the `files` that hold the frames). Computed values come from the flows directly, never
    through the printed rows they are compared with; `start`/`end` are the years of the long-run
    change, `share_year` the year Kazakhstan's undated text shares are compared with."""
    repro = reproduction(published, flows, share_year, start, end)
    return {**growth_values(flows, start, end, files=files), **balance_values(flows, end, files),
            **share_values(flows, share_year, files), **text_values(published, files),
            **table3_values(markets, flows, files=files), **reproduction_values(repro),
            **balance_mismatch_values(repro, files)}


# --------------------------------------------------------------------------- claims


def differs_in_one_digit(a: int, b: int) -> bool:
    """Do two whole numbers of the same sign and length differ in exactly one digit?"""
    x, y = str(int(a)), str(int(b))
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y)) == 1


def claims(flows: pd.DataFrame, published: pd.DataFrame, start: int, end: int,
           share_year: int, slip: dict | None = None) -> list[dict]:
    """The trade chapter's claims, as keyword arguments of ``nb.save_claim`` (name, holds,
    statement, values). Each is a sentence of the book that the data must keep true:

    - ``trade_kaz_most_exports``: Kazakhstan supplied more than half of the region's exports to
      the EU in `share_year` (the share the text's undated figure rounds);
    - ``trade_exports_grew_as_text``: the region's exports in `start` and `end`, in billion EUR,
      round to the figures the source's text gives for those years;
    - ``trade_text_growth_fits_imports``: the text's growth factor (with its hedge word) fits the
      region's imports and not its exports;
    - ``trade_single_balance_slip``: exactly one printed Table 5 balance disagrees with its flows
      beyond rounding, it is `slip` (reporter and year; default PRINTED_SLIP), and the printed and
      computed numbers differ in a single digit.
    """
    out = []
    sh = shares(flows, KAZAKHSTAN)
    ex = sh[sh["flow"] == EXPORT].set_index("year")["share_of_printed_pct"]
    share = float(ex[share_year]) if share_year in ex.index else math.nan
    out.append({"name": "trade_kaz_most_exports", "holds": bool(share > 50),
                "statement": f"Kazakhstan supplied most (more than half) of the region's exports to the EU in "
                             f"{share_year}.",
                "values": ["trade_kaz_export_share"]})

    g = growth(flows, REGION, start, end).set_index("quantity")
    t = published[(published["source"] == SOURCE) & (published["table_ref"] == "text")]
    said = t[(t["quantity"] == EXPORT) & (t["reporter"] == REGION) & (t["unit"] == BN)].set_index("year")["value"]
    fits = []
    for year, col in ((start, "start_keur"), (end, "end_keur")):
        if year in said.index:
            fits.append(judge_qualified(float(said[year]), g.loc[EXPORT, col] / KEUR_PER_BN) == CONSISTENT)
        else:
            fits.append(False)
    told = " to ".join(f"about {said[y]:g}" if y in said.index else "(no figure)" for y in (start, end))
    out.append({"name": "trade_exports_grew_as_text", "holds": all(fits),
                "statement": f"The region's exports to the EU grew from {told} billion EUR between {start} and "
                             f"{end}, as the source's text says.",
                "values": ["trade_ca5_export_start_bn", "trade_ca5_export_end_bn", "trade_text_export_bn"]})

    tv = text_values(published)["trade_text_import_growth_factor"]
    q = tv["about"].get("qualifier")
    fits_imports = judge_qualified(tv["value"], g.loc[IMPORT, "growth_factor"], q) == CONSISTENT
    fits_exports = judge_qualified(tv["value"], g.loc[EXPORT, "growth_factor"], q) == CONSISTENT
    out.append({"name": "trade_text_growth_fits_imports", "holds": bool(fits_imports and not fits_exports),
                "statement": f"The text's \"{q + ' ' if q else ''}{tv['value']:g}-fold\" growth fits the region's "
                             "imports from the EU, not its exports.",
                "values": ["trade_text_import_growth_factor", "trade_ca5_import_growth_factor",
                           "trade_ca5_export_growth_factor"]})

    mm = balance_mismatches(reproduction(published, flows, share_year, start, end))
    slip = slip or PRINTED_SLIP
    one = len(mm) == 1 and mm.iloc[0]["reporter"] == slip["reporter"] and int(mm.iloc[0]["year"]) == slip["year"]
    digit = one and differs_in_one_digit(round(mm.iloc[0]["printed"]), round(mm.iloc[0]["computed"]))
    out.append({"name": "trade_single_balance_slip", "holds": bool(one and digit),
                "statement": f"Exactly one printed Table 5 balance disagrees with its Table 6 flows beyond rounding, "
                             f"{name(slip['reporter'])}'s for {slip['year']}, and the printed and computed numbers "
                             "differ in a single digit.",
                "values": ["trade_repro_mismatch", "trade_mismatch_balance_printed", "trade_mismatch_balance_computed"]})
    return out


# --------------------------------------------------------------------------- figures


def _bars(ax, groups: int, series: list[tuple[list[float], str, str | None]], width: float) -> None:
    """Grouped bars: one group per x position, one bar per series (values, colour, label)."""
    for k, (vals, colour, label) in enumerate(series):
        ax.bar([i + (k - (len(series) - 1) / 2) * width for i in range(groups)], vals, width=width,
               color=colour, label=label)


def flows_figure(flows: pd.DataFrame, start: int, end: int, countries=COUNTRIES, region: str = REGION):
    """Exports to and imports from the EU (billion EUR): one panel per country over the years its
    flows are printed, and a last panel for the region in `start` and `end`. Each panel has its
    own scale. Returns the matplotlib figure (2 x 3 panels)."""
    fig, axes = plt.subplots(2, 3, figsize=(7.5, 4.8))
    panels = [(code, sorted(flows.loc[flows["reporter"] == code, "year"].unique()), name(code)) for code in countries]
    panels.append((region, [start, end], f"All five ({region})"))
    for ax, (code, years, title) in zip(axes.flat, panels):
        series = [([flow_value(flows, code, f, y) / KEUR_PER_BN for y in years], FLOW_COLOURS[f], None) for f in FLOWS]
        _bars(ax, len(years), series, 0.38)
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_title(title, fontsize=9)
    for ax in axes.flat:
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("billion EUR", fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=FLOW_COLOURS[f]) for f in FLOWS]
    fig.legend(handles, [FLOW_LABELS[f] for f in FLOWS], loc="upper center", ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def _shades(n: int) -> list:
    """Blues from light to dark, one per year (the three of the book's figure when n <= 3)."""
    if n <= len(YEAR_SHADES):
        return list(YEAR_SHADES[len(YEAR_SHADES) - n:])
    return [plt.get_cmap("Blues")(0.35 + 0.6 * k / (n - 1)) for k in range(n)]


def balances_figure(flows: pd.DataFrame, countries=COUNTRIES, region: str = REGION):
    """Balance with the EU (exports minus imports, billion EUR) by country and for the region,
    one bar per year in which the region and every country are printed. Returns the figure."""
    bal = balances(flows)
    bal = bal[bal["year"].isin(regional_totals(flows, countries, region)["year"].unique())]
    years = sorted(bal["year"].unique())
    order = [*countries, region]
    b = bal.set_index(["reporter", "year"])["balance_keur"]
    fig, ax = plt.subplots(figsize=(7, 4))
    series = [([float(b[(r, y)]) / KEUR_PER_BN for r in order], shade, str(y)) for y, shade in zip(years, _shades(len(years)))]
    _bars(ax, len(order), series, 0.8 / len(years))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(len(order) - 1.5, color="grey", linewidth=0.6, linestyle=":")
    ax.set_xticks(range(len(order)), [name(r) if r != region else f"All five ({region})" for r in order], fontsize=8)
    ax.set_ylabel("Balance with the EU, billion EUR\n(exports minus imports)", fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=9, title="Year", title_fontsize=9)
    fig.tight_layout()
    return fig

"""EU-Central Asia goods trade (Kviklys, Tables 3-6): balances, regional totals, growth,
Kazakhstan's shares, checks of Table 3 and a reproduction of every printed trade number.

All functions take the project's data frames (see data/schemas/) and return new frames;
they read no files and print nothing. Trade values are thousand EUR (``*_keur``) and seen
from Central Asia: ``export_to_eu`` = Central Asian exports to the EU (27),
``import_from_eu`` = Central Asian imports from it; balance = exports minus imports.
Every comparison reports ``difference = computed - printed``.
"""
from __future__ import annotations

import math
import re

import pandas as pd

COUNTRIES = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
REGION = "CA5"
EXPORT, IMPORT = "export_to_eu", "import_from_eu"
FLOWS = (EXPORT, IMPORT)
LABELS = {"CA5": "Central Asian Republics", "KAZ": "Kazakhstan", "KGZ": "Kyrgyzstan",
          "TJK": "Tajikistan", "TKM": "Turkmenistan", "UZB": "Uzbekistan"}

EXACT, ROUNDING, MISMATCH = "exact", "rounding (±1)", "mismatch"
CONSISTENT, INCONSISTENT, NOT_COMPUTABLE = "consistent", "inconsistent", "not computable"
VERDICTS = (EXACT, ROUNDING, MISMATCH, CONSISTENT, INCONSISTENT, NOT_COMPUTABLE)

FLOW_LABELS = {EXPORT: "Exports to the EU", IMPORT: "Imports from the EU",
               "balance": "Balance (exports minus imports)"}

KEUR_PER_BN = 1_000_000  # thousand EUR in one billion EUR


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

    Columns: quantity (export_to_eu, import_from_eu, balance), quantity_label, value_<start>_keur,
    value_<end>_keur, change_keur, growth_factor (end / start), growth_pct (change in % of start).
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
        rows.append({"quantity": quantity, "quantity_label": FLOW_LABELS[quantity], f"value_{start}_keur": int(round(a)), f"value_{end}_keur": int(round(b)),
                     "change_keur": int(round(b - a)), "growth_factor": b / a, "growth_pct": 100.0 * (b - a) / a})
    return pd.DataFrame(rows)


def shares(flows: pd.DataFrame, reporter: str = "KAZ", countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
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
    out["reporter_label"] = out["reporter"].map(LABELS)
    cols = ["reporter", "reporter_label", "year", "export_to_eu_keur", "import_from_eu_keur",
            "balance_computed_keur", "balance_printed_keur", "difference_keur", "verdict"]
    return out[cols].sort_values(["reporter", "year"]).reset_index(drop=True)


def table5_balances(flows: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Table 5 in its printed layout (one row per reporter, years across), with the computed
    balance and the difference (computed - printed) after each printed year that the flows cover.

    Columns: reporter, reporter_label, then per year printed_<y>[, computed_<y>, difference_<y>].
    """
    long = balance_comparison(flows, published)
    out = long[["reporter", "reporter_label"]].drop_duplicates().set_index("reporter")
    for year in sorted(long["year"].unique()):
        sub = long[long["year"] == year].set_index("reporter")
        out[f"printed_{year}"] = sub["balance_printed_keur"]
        if sub["balance_computed_keur"].notna().any():
            out[f"computed_{year}"] = sub["balance_computed_keur"]
            out[f"difference_{year}"] = sub["difference_keur"]
    return out.reset_index().sort_values("reporter").reset_index(drop=True)


def table6_flows(flows: pd.DataFrame, countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
    """Table 6 in its printed layout (imports, then exports, years across), one row per
    reporter, with two computed rows: the sum of the countries and its difference from the
    printed regional row (sum - printed).

    Columns: row_id, row_label, import_from_eu_<y>..., export_to_eu_<y>...; row_id is the
    reporter code, <region>_country_sum or <region>_difference.
    """
    tot = regional_totals(flows, countries, region)
    cols = [(f, y) for f in (IMPORT, EXPORT) for y in sorted(tot.loc[tot["flow"] == f, "year"])]
    rows = []
    for code in (region, *countries):
        row = {"row_id": code, "row_label": LABELS.get(code, code)}
        for f, y in cols:
            row[f"{f}_{y}"] = int(round(flow_value(flows, code, f, y)))
        rows.append(row)
    t = tot.set_index(["flow", "year"])
    for suffix, label, col in (("country_sum", "Sum of countries (computed)", "country_sum_keur"),
                               ("difference", "Sum minus printed", "difference_keur")):
        row = {"row_id": f"{region}_{suffix}", "row_label": label}
        for f, y in cols:
            row[f"{f}_{y}"] = int(t.loc[(f, y), col])
        rows.append(row)
    return pd.DataFrame(rows)


def shares_wide(flows: pd.DataFrame, reporter: str = "KAZ", countries=COUNTRIES, region: str = REGION) -> pd.DataFrame:
    """`shares` with years across: one row per flow and denominator (basis = printed total or
    sum of countries), then flow_label and columns share_<year>_pct."""
    long = shares(flows, reporter, countries, region)
    rows = []
    for flow in FLOWS:
        sub = long[long["flow"] == flow].set_index("year")
        for basis, col in (("printed total", "share_of_printed_pct"), ("sum of countries", "share_of_sum_pct")):
            row = {"flow": flow, "basis": basis, "flow_label": FLOW_LABELS[flow]}
            row.update({f"share_{y}_pct": float(sub.loc[y, col]) for y in sub.index})
            rows.append(row)
    return pd.DataFrame(rows)


def export_markets_wide(markets: pd.DataFrame) -> pd.DataFrame:
    """Table 3 as printed: one row per partner, one column per printed header year.

    Columns: partner, partner_label, exported_<year as printed>... Rows in the printed
    order (largest value in the first column first, then partner code).
    """
    wide = markets.pivot_table(index=["partner", "partner_label"], columns="year_printed",
                               values="value_printed", aggfunc="first")
    wide.columns = [f"exported_{int(y)}" for y in wide.columns]
    wide = wide.round().astype("Int64").reset_index()
    first = wide.columns[2]
    return wide.sort_values([first, "partner"], ascending=[False, True]).reset_index(drop=True)


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
                    members=COUNTRIES, partner: str = "EU27", region: str = REGION) -> pd.DataFrame:
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
    pub = published[published["source"] == "kviklys_hedging"].sort_values("value_id")
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

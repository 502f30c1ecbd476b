"""Unit tests for multivector.trade on tiny hand-made frames."""
import math

import pandas as pd
import pytest

from multivector import trade


def _flows(rows):
    return pd.DataFrame(rows, columns=["reporter", "flow", "year", "value_keur"])


E, I = "export_to_eu", "import_from_eu"


@pytest.fixture
def flows():
    """Two years; CA5 printed 1 above the country sum for 2023 exports."""
    rows = []
    vals = {  # reporter: (exp 2022, imp 2022, exp 2023, imp 2023)
        "KAZ": (90, 40, 100, 50), "KGZ": (1, 5, 2, 6), "TJK": (3, 2, 3, 3),
        "TKM": (4, 1, 5, 2), "UZB": (2, 12, 2, 9),
    }
    for rep, (e22, i22, e23, i23) in vals.items():
        rows += [(rep, E, 2022, e22), (rep, I, 2022, i22), (rep, E, 2023, e23), (rep, I, 2023, i23)]
    rows += [("CA5", E, 2022, 100), ("CA5", I, 2022, 60), ("CA5", E, 2023, 113), ("CA5", I, 2023, 70),
             ("CA5", E, 2004, 20), ("CA5", I, 2004, 10)]
    return _flows(rows)


def test_balances_only_where_both_flows_exist():
    f = _flows([("KAZ", E, 2022, 10), ("KAZ", I, 2022, 4), ("KAZ", E, 2023, 7)])
    b = trade.balances(f)
    assert list(b["year"]) == [2022]
    assert b["balance_keur"].iloc[0] == 6


def test_balances_negative_and_sorted(flows):
    b = trade.balances(flows)
    assert list(b["reporter"].unique()) == ["CA5", "KAZ", "KGZ", "TJK", "TKM", "UZB"]
    kgz = b[(b["reporter"] == "KGZ") & (b["year"] == 2023)]["balance_keur"].iloc[0]
    assert kgz == -4
    assert set(b[b["reporter"] == "CA5"]["year"]) == {2004, 2022, 2023}


def test_balances_rejects_duplicate_rows():
    f = _flows([("KAZ", E, 2022, 10), ("KAZ", E, 2022, 11), ("KAZ", I, 2022, 4)])
    with pytest.raises(ValueError):
        trade.balances(f)


def test_regional_totals_difference_is_sum_minus_printed(flows):
    t = trade.regional_totals(flows).set_index(["flow", "year"])
    assert t.loc[(E, 2022), "country_sum_keur"] == 100
    assert t.loc[(E, 2022), "difference_keur"] == 0
    assert t.loc[(E, 2023), "country_sum_keur"] == 112
    assert t.loc[(E, 2023), "difference_keur"] == -1
    assert (E, 2004) not in t.index  # no country rows for 2004


def test_growth_factor_and_percent(flows):
    g = trade.growth(flows, start=2004, end=2023).set_index("quantity")
    assert g.loc[E, "growth_factor"] == pytest.approx(113 / 20)
    assert g.loc[I, "growth_pct"] == pytest.approx(600.0)
    assert g.loc["balance", "start_keur"] == 10 and g.loc["balance", "start_year"] == 2004
    assert g.loc["balance", "end_keur"] == 43 and g.loc["balance", "end_year"] == 2023
    assert not any(ch.isdigit() for c in g.columns for ch in c)  # the years are data, not column names


def test_growth_needs_both_years(flows):
    with pytest.raises(ValueError):
        trade.growth(flows, start=2010, end=2023)


def test_shares_against_printed_and_sum(flows):
    s = trade.shares(flows, "KAZ").set_index(["flow", "year"])
    assert s.loc[(E, 2023), "share_of_printed_pct"] == pytest.approx(100 * 100 / 113)
    assert s.loc[(E, 2023), "share_of_sum_pct"] == pytest.approx(100 * 100 / 112)
    assert s.loc[(I, 2022), "share_of_printed_pct"] == pytest.approx(100 * 40 / 60)


@pytest.mark.parametrize("diff, verdict", [(0, "exact"), (1, "rounding (±1)"), (-1, "rounding (±1)"),
                                           (10, "mismatch"), (-2, "mismatch")])
def test_classify_difference(diff, verdict):
    assert trade.classify_difference(diff) == verdict


def test_printed_decimals_and_half_up():
    assert trade.printed_decimals(35.1) == 1
    assert trade.printed_decimals(8.0) == 0
    assert trade.round_half_up(4.5) == 5
    assert trade.round_half_up(35.149, 1) == 35.1


@pytest.mark.parametrize("printed, computed, qualifier, verdict", [
    (35.1, 35.143, None, "consistent"),
    (35.1, 35.17, "", "inconsistent"),
    (5, 4.70, "almost", "consistent"),
    (5, 4.36, "almost", "inconsistent"),   # rounds to 4
    (5, 5.2, "almost", "inconsistent"),    # above, not 'almost'
    (50, 59.9, "more than", "consistent"),
    (50, 49.0, "more than", "inconsistent"),
    (95, 93.0, None, "inconsistent"),
])
def test_judge_qualified(printed, computed, qualifier, verdict):
    assert trade.judge_qualified(printed, computed, qualifier) == verdict


def test_judge_qualified_unknown_word():
    with pytest.raises(ValueError):
        trade.judge_qualified(5, 5, "roughly speaking")


def _published(rows):
    cols = ["value_id", "table_ref", "quantity", "reporter", "partner", "year", "value", "unit",
            "qualifier", "source", "locator"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


@pytest.fixture
def published():
    k, t = "kviklys_hedging", "thousand EUR"
    return _published([
        ("t5_balance_KAZ_2022", "Table 5", "balance", "KAZ", "EU27", 2022, 50, t, None, k, "Table 5"),
        ("t5_balance_KAZ_2023", "Table 5", "balance", "KAZ", "EU27", 2023, 51, t, None, k, "Table 5"),
        ("t5_balance_KGZ_2023", "Table 5", "balance", "KGZ", "EU27", 2023, -14, t, None, k, "Table 5"),
        ("t5_balance_KGZ_2020", "Table 5", "balance", "KGZ", "EU27", 2020, -3, t, None, k, "Table 5"),
        ("t6_export_to_eu_CA5_2023", "Table 6", E, "CA5", "EU27", 2023, 113, t, None, k, "Table 6"),
        ("t6_export_to_eu_KAZ_2023", "Table 6", E, "KAZ", "EU27", 2023, 100, t, None, k, "Table 6"),
        ("t4_export_to_eu_CA5_2004", "Table 4", E, "CA5", "EU27", 2004, 20, t, None, k, "Table 4"),
        ("text_ca5_export_to_eu_2023", "text", E, "CA5", "EU27", 2023, 0.0001, "billion EUR", None, k, "text"),
        ("text_ca5_import_from_eu_growth_factor_2004_2023", "text", "growth_factor", "CA5", "EU27", None, 7,
         "ratio", "almost", k, "text"),
        ("text_kaz_share_of_ca5_imports", "text", "share_of_ca5_imports", "KAZ", "EU27", None, 50, "percent",
         "more than", k, "text"),
        ("x_census", "Table 1", "census_share", "KAZ", None, 1989, 40, "percent", None, "kjis_identity", "p. 1"),
    ])


def test_reproduction_verdicts(flows, published):
    r = trade.reproduction(published, flows, share_year=2023, start=2004, end=2023).set_index("value_id")
    assert "x_census" not in r.index  # other documents are not trade values
    assert r.loc["t5_balance_KAZ_2022", "verdict"] == "exact"
    assert r.loc["t5_balance_KAZ_2023", "verdict"] == "rounding (±1)"
    assert r.loc["t5_balance_KAZ_2023", "difference"] == -1
    assert r.loc["t5_balance_KGZ_2023", "verdict"] == "mismatch"
    assert r.loc["t5_balance_KGZ_2023", "difference"] == 10
    assert r.loc["t5_balance_KGZ_2020", "verdict"] == "not computable"
    assert math.isnan(r.loc["t5_balance_KGZ_2020", "computed"])
    assert r.loc["t6_export_to_eu_CA5_2023", "computed"] == 112
    assert r.loc["t6_export_to_eu_CA5_2023", "verdict"] == "rounding (±1)"
    assert r.loc["t6_export_to_eu_KAZ_2023", "verdict"] == "not computable"
    assert r.loc["t4_export_to_eu_CA5_2004", "verdict"] == "not computable"
    assert r.loc["text_ca5_export_to_eu_2023", "verdict"] == "consistent"  # 113 keur = 0.000113 bn -> 0.0001
    g = r.loc["text_ca5_import_from_eu_growth_factor_2004_2023"]
    assert g["computed"] == pytest.approx(7.0) and g["verdict"] == "inconsistent"  # 'almost 7' but exactly 7
    assert r.loc["text_kaz_share_of_ca5_imports", "computed"] == pytest.approx(100 * 50 / 70)
    assert r.loc["text_kaz_share_of_ca5_imports", "verdict"] == "consistent"


def test_reproduction_summary_counts_every_verdict(flows, published):
    s = trade.reproduction_summary(trade.reproduction(published, flows, 2023, 2004, 2023)).set_index("verdict")
    assert list(s.index) == list(trade.VERDICTS)
    assert s.loc["not computable", "total"] == 3
    assert s.loc["not computable", "table_6"] == 1
    assert s.loc["inconsistent", "text"] == 1
    assert s["total"].sum() == 10
    assert list(s.columns) == ["table_4", "table_5", "table_6", "text", "total"]


def test_balance_comparison_is_long_and_keeps_uncomputable_rows(flows, published):
    t = trade.balance_comparison(flows, published).set_index(["reporter", "year"])
    assert t.loc[("KGZ", 2020), "verdict"] == "not computable"
    assert pd.isna(t.loc[("KGZ", 2020), "balance_computed_keur"])
    assert t.loc[("KGZ", 2023), "difference_keur"] == 10
    assert t.loc[("KAZ", 2022), "reporter_label"] == "Kazakhstan"


def test_table6_flows_long_in_printed_order(flows):
    t = trade.table6_flows(flows)
    assert list(t.columns) == ["row_id", "row_label", "flow", "flow_label", "year", "value_keur"]
    assert list(t["row_id"].drop_duplicates()) == ["CA5", "KAZ", "KGZ", "TJK", "TKM", "UZB",
                                                    "CA5_country_sum", "CA5_difference"]
    assert list(t.loc[t["row_id"] == "KAZ", "flow_label"]) == ["Imports", "Imports", "Exports", "Exports"]
    v = t.set_index(["row_id", "flow", "year"])["value_keur"]
    assert v[("KAZ", E, 2023)] == 100 and v[("CA5", E, 2023)] == 113
    assert v[("CA5_country_sum", E, 2023)] == 112 and v[("CA5_difference", E, 2023)] == -1
    assert v[("CA5_difference", I, 2022)] == 0
    assert ("CA5", E, 2004) not in v.index  # no country rows for 2004
    assert t.loc[t["row_id"] == "CA5", "row_label"].iloc[0] == "Central Asian Republics"


def test_shares_table_long(flows):
    t = trade.shares_table(flows, "KAZ").set_index(["flow", "basis", "year"])["share_pct"]
    assert t[(E, "printed total", 2023)] == pytest.approx(100 * 100 / 113)
    assert t[(E, "sum of countries", 2023)] == pytest.approx(100 * 100 / 112)
    assert len(t) == 8  # 2 flows x 2 bases x 2 years


def _markets():
    rows = []
    vals = {"EU27": ("EU (27)", [5, 100, 113, 120]), "CHN": ("China", [7, 80, 90, 95]),
            "UZB": ("Uzbekistan", [1, 2, 3, 4])}
    years = [2021, 2022, 2023, 2025]
    for code, (label, vs) in vals.items():
        for y, v in zip(years, vs):
            rows.append({"partner": code, "partner_label": label, "column_header": f"Exported value (EUR) in {y}",
                         "year_printed": y, "value_printed": v, "unit_printed": "EUR", "unit_note": "thousands EUR",
                         "source": "kviklys_hedging", "locator": "Table 3"})
    return pd.DataFrame(rows)


def test_export_markets_table_long_in_printed_order():
    t = trade.export_markets_table(_markets())
    assert list(t.columns) == ["partner", "partner_label", "year_printed", "value_printed"]
    assert list(t["partner"].drop_duplicates()) == ["CHN", "EU27", "UZB"]  # largest in the first column first
    assert list(t.loc[t["partner"] == "EU27", "year_printed"]) == [2021, 2022, 2023, 2025]
    assert t.set_index(["partner", "year_printed"]).loc[("EU27", 2025), "value_printed"] == 120


def test_table3_findings(flows):
    f = pd.concat([flows, _flows([("CA5", E, 2024, 120)])], ignore_index=True)
    t = trade.table3_findings(_markets(), f, text_export_bn=0.0001, text_year=2024).set_index("finding_id")
    assert t.loc["t3_eu27_2025", "verdict"] == "the column printed as 2025 matches 2024 data"
    assert t.loc["t3_eu27_2023", "verdict"] == "consistent"
    assert t.loc["t3_eu27_2022", "verdict"] == "consistent"
    assert t.loc["t3_eu27_2021", "verdict"] == "not checkable"
    assert t.loc["t3_header_years", "computed"] == "missing: 2024"
    assert t.loc["t3_units", "verdict"] == "values are thousand EUR; headers say EUR"
    assert t.loc["t3_partner_uzb_in_region", "verdict"] == "partner inside the region"
    assert t.loc["t3_eu27_rank", "verdict"] == "inconsistent"  # China leads 2021 in the tiny frame
    assert list(t.columns) == ["table", "check", "printed", "computed", "verdict", "detail"]


def test_table3_findings_mismatch_when_same_year_differs(flows):
    m = _markets()
    m.loc[(m["partner"] == "EU27") & (m["year_printed"] == 2022), "value_printed"] = 99
    t = trade.table3_findings(m, flows, text_export_bn=0.0001, text_year=2023).set_index("finding_id")
    assert t.loc["t3_eu27_2022", "verdict"] == "mismatch"
    assert t.loc["t3_units", "verdict"] == "values are thousand EUR; headers say EUR"


# --------------------------------------------------------------------------- in-text values


@pytest.fixture
def published_full(published):
    """The fixture's printed values plus the text's undated Kazakh export share."""
    row = _published([("text_kaz_share_of_ca5_exports", "text", "share_of_ca5_exports", "KAZ", "EU27", None, 88,
                       "percent", None, "kviklys_hedging", "text")])
    return pd.concat([published, row], ignore_index=True)


@pytest.fixture
def markets_2024(flows):
    """Table 3 whose last column (printed 2025) equals the region's 2023 exports of the flows."""
    m = _markets()
    m.loc[(m["partner"] == "EU27") & (m["year_printed"] == 2025), "value_printed"] = 113
    return m


def test_growth_values_carry_their_years(flows):
    v = trade.growth_values(flows, 2004, 2023)
    assert v["trade_ca5_export_start_bn"]["value"] == pytest.approx(20 / 1e6)
    assert v["trade_ca5_export_start_bn"]["about"] == {"year": 2004}
    assert v["trade_ca5_import_end_bn"]["about"] == {"year": 2023}
    assert v["trade_ca5_export_growth_factor"]["value"] == pytest.approx(113 / 20)
    assert v["trade_ca5_export_growth_factor"]["about"] == {"start_year": 2004, "end_year": 2023}
    assert v["trade_ca5_balance_end"]["value"] == 43 and v["trade_ca5_balance_end"]["decimals"] == 0


def test_a_parameter_moves_the_year_never_the_name(flows, published_full, markets_2024):
    a = trade.headline_values(flows, published_full, markets_2024, 2004, 2023, 2023)
    b = trade.headline_values(flows, published_full, markets_2024, 2004, 2022, 2022)
    assert a.keys() == b.keys()
    assert not [n for n in a if any(str(y) in n for y in (2004, 2022, 2023))]  # no name carries a year
    assert a["trade_kaz_balance"]["about"] == {"year": 2023} and a["trade_kaz_balance"]["value"] == 50
    assert b["trade_kaz_balance"]["about"] == {"year": 2022} and b["trade_kaz_balance"]["value"] == 50
    assert b["trade_uzb_balance"]["value"] == -10 and b["trade_ca5_export_end_bn"]["about"] == {"year": 2022}
    assert b["trade_kaz_export_share"]["about"] == {"year": 2022}


def test_balances_come_from_the_flows_not_the_printed_rows(flows, published_full, markets_2024):
    without = published_full[~published_full["value_id"].str.startswith("t5_balance_KAZ")]
    a = trade.headline_values(flows, published_full, markets_2024, 2004, 2023, 2023)
    b = trade.headline_values(flows, without, markets_2024, 2004, 2023, 2023)
    assert a["trade_kaz_balance"] == b["trade_kaz_balance"]  # deleting the printed Kazakh rows changes nothing
    assert b["trade_kaz_balance"]["value"] == 50 and b["trade_uzb_balance"]["value"] == -7


def test_balance_of_a_year_without_flows_is_a_clear_error(flows):
    with pytest.raises(ValueError, match="do not give Kazakhstan's balance for 2010"):
        trade.balance_values(flows, 2010)


def test_share_values_at_the_share_year_and_the_extremes(flows):
    v = trade.share_values(flows, 2023)
    assert v["trade_kaz_export_share"]["value"] == pytest.approx(100 * 100 / 113)
    assert v["trade_kaz_export_share"]["about"] == {"year": 2023} and v["trade_kaz_export_share"]["percent"]
    assert v["trade_kaz_export_share_min"]["about"] == {"year": 2023}  # 88.5% in 2023 < 90% in 2022
    assert v["trade_kaz_import_share_max"]["value"] == pytest.approx(100 * 50 / 70)  # 71.4% in 2023 > 66.7%
    assert v["trade_kaz_import_share_max"]["about"] == {"year": 2023}
    assert trade.share_values(flows, 2022)["trade_kaz_import_share"]["value"] == pytest.approx(100 * 40 / 60)
    with pytest.raises(ValueError, match="no export_to_eu share for 2004"):
        trade.share_values(flows, 2004)


def test_text_values_with_years_and_hedge_words(published_full):
    v = trade.text_values(published_full)
    assert v["trade_text_export_bn"]["value"] == 0.0001 and v["trade_text_export_bn"]["about"] == {"year": 2023}
    assert v["trade_text_import_growth_factor"]["about"] == {"qualifier": "almost", "start_year": 2004, "end_year": 2023}
    assert v["trade_text_kaz_import_share"]["about"] == {"qualifier": "more than"}
    assert v["trade_text_kaz_export_share"]["about"] == {}


def test_table3_last_column_and_the_year_it_matches(flows, markets_2024):
    v = trade.table3_values(markets_2024, flows)["trade_table3_eu_last_column"]
    assert v["value"] == 113 and v["about"] == {"year_printed": 2025, "matches_year": 2023}
    v = trade.table3_values(_markets(), flows)["trade_table3_eu_last_column"]  # 120 matches no year
    assert v["about"] == {"year_printed": 2025}


def test_reproduction_values_count_and_name_the_years(flows, published):
    v = trade.reproduction_values(trade.reproduction(published, flows, 2023, 2004, 2023))
    assert v["trade_repro_total"]["value"] == 10 and v["trade_repro_mismatch"]["value"] == 1
    assert v["trade_repro_t5_not_computable"]["value"] == 1
    assert v["trade_repro_t5_not_computable"]["about"] == {"years": "2020"}
    assert v["trade_repro_not_computable"]["about"] == {"table4_years": "2004"}
    assert v["trade_repro_table_cells_checked"]["value"] == 4  # three Table 5 balances, one Table 6 total


def test_the_mismatched_balance_is_found_not_named(flows, published):
    repro = trade.reproduction(published, flows, 2023, 2004, 2023)
    v = trade.balance_mismatch_values(repro)
    assert v["trade_mismatch_balance_printed"]["value"] == -14
    assert v["trade_mismatch_balance_computed"]["value"] == -4
    assert v["trade_mismatch_balance_gap"]["value"] == 10
    assert v["trade_mismatch_balance_gap"]["about"] == {"reporter": "KGZ", "reporter_name": "Kyrgyzstan", "year": 2023}
    files = trade.Files(flows="data/trade_flows.csv", published="data/published_values.csv")
    rows = trade.balance_mismatch_values(repro, files)["trade_mismatch_balance_gap"]["rows"]
    assert rows == {"data/published_values.csv": [{"value_id": "t5_balance_KGZ_2023"}],
                    "data/trade_flows.csv": [{"reporter": "KGZ", "flow": E, "year": 2023},
                                             {"reporter": "KGZ", "flow": I, "year": 2023}]}
    fixed = published.copy()
    fixed.loc[fixed["value_id"] == "t5_balance_KGZ_2023", "value"] = -4
    none = trade.balance_mismatch_values(trade.reproduction(fixed, flows, 2023, 2004, 2023))
    assert none["trade_mismatch_balance_gap"]["value"] is None  # no mismatch: the claim says so, not a crash


def _claims(flows, published, **kw) -> dict:
    return {c["name"]: c for c in trade.claims(flows, published, 2004, 2023, 2023, **kw)}


def test_claims_hold_with_the_data_they_describe(flows, published_full):
    published = published_full.copy()
    published.loc[published["value_id"] == "t5_balance_KGZ_2023", "value"] = -7  # printed -7, flows give -4
    text = pd.DataFrame([{**published.iloc[0].to_dict(), "value_id": "text_ca5_export_to_eu_2004", "table_ref": "text",
                          "quantity": E, "reporter": "CA5", "year": 2004, "value": 0.00002, "unit": "billion EUR"}])
    published.loc[published["value_id"] == "text_ca5_export_to_eu_2023", "value"] = 0.000113
    published = pd.concat([published, text], ignore_index=True)
    c = _claims(flows, published, slip={"reporter": "KGZ", "year": 2023})
    assert {n: v["holds"] for n, v in c.items()} == {
        "trade_kaz_most_exports": True, "trade_exports_grew_as_text": True,
        "trade_text_growth_fits_imports": False,  # the fixture's text factor is 7, imports grew 7-fold, exports 5.65
        "trade_single_balance_slip": True}
    assert c["trade_kaz_most_exports"]["statement"] == ("Kazakhstan supplied most (more than half) of the region's "
                                                       "exports to the EU in 2023.")
    assert c["trade_kaz_most_exports"]["values"] == ["trade_kaz_export_share"]
    assert "from about 2e-05 to about 0.000113 billion EUR between 2004 and 2023" in c["trade_exports_grew_as_text"][
        "statement"]


def test_claims_fail_when_the_data_change(flows, published_full):
    minor = flows.copy()
    minor.loc[(minor["reporter"] == "KAZ") & (minor["flow"] == E) & (minor["year"] == 2023), "value_keur"] = 10
    c = _claims(minor, published_full, slip={"reporter": "KGZ", "year": 2023})
    assert not c["trade_kaz_most_exports"]["holds"]  # 10 of 113
    assert not c["trade_single_balance_slip"]["holds"]  # Kazakhstan's printed balance no longer fits either
    c = _claims(flows, published_full)  # the slip the book names is Kyrgyzstan's of another year
    assert not c["trade_single_balance_slip"]["holds"]
    assert "Kyrgyzstan's for 2024" in c["trade_single_balance_slip"]["statement"]
    assert not c["trade_exports_grew_as_text"]["holds"]  # the fixture's text has no figure for 2004


def test_one_digit_apart():
    assert trade.differs_in_one_digit(-2615179, -2615169)
    assert not trade.differs_in_one_digit(-14, -4) and not trade.differs_in_one_digit(123, 321)


def test_headline_values_are_save_value_arguments(flows, published_full, markets_2024, tmp_path, monkeypatch):
    from reprobook import nb

    monkeypatch.setattr(nb, "_OUT", tmp_path)
    for name, kwargs in trade.headline_values(flows, published_full, markets_2024, 2004, 2023, 2023).items():
        nb.save_value(name, **kwargs)
    import json
    saved = json.loads((tmp_path / "values.json").read_text())
    assert saved["trade_kaz_balance"] == {"value": 50, "display": "50", "unit": "thousand EUR", "about": {"year": 2023}}
    assert saved["trade_kaz_export_share"]["display"] == "88.5%"


# --------------------------------------------------------------------------- figures


def _bar_heights(ax) -> list[float]:
    return [round(p.get_height(), 9) for p in ax.patches]


def test_flows_figure_panels(flows):
    import matplotlib.pyplot as plt

    fig = trade.flows_figure(flows, 2004, 2023)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan",
                                               "Uzbekistan", "All five (CA5)"]
    assert _bar_heights(axes[0]) == [90e-6, 100e-6, 40e-6, 50e-6]  # exports 2022, 2023, imports 2022, 2023
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == ["2004", "2023"]
    assert _bar_heights(axes[-1]) == [20e-6, 113e-6, 10e-6, 70e-6]
    plt.close(fig)


def test_balances_figure_one_bar_per_state_and_year(flows):
    import matplotlib.pyplot as plt

    fig = trade.balances_figure(flows)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan",
                                                            "Uzbekistan", "All five (CA5)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2022", "2023"]
    heights = _bar_heights(ax)
    assert len(heights) == 12 and heights[0] == 50e-6 and heights[5] == 40e-6  # KAZ 2022, CA5 2022
    plt.close(fig)

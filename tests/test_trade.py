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
    assert g.loc["balance", "value_2004_keur"] == 10
    assert g.loc["balance", "value_2023_keur"] == 43


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


def test_balance_comparison_keeps_uncomputable_rows(flows, published):
    t = trade.balance_comparison(flows, published).set_index(["reporter", "year"])
    assert t.loc[("KGZ", 2020), "verdict"] == "not computable"
    assert pd.isna(t.loc[("KGZ", 2020), "balance_computed_keur"])
    assert t.loc[("KGZ", 2023), "difference_keur"] == 10
    assert t.loc[("KAZ", 2022), "reporter_label"] == "Kazakhstan"


def test_table5_balances_printed_layout(flows, published):
    t = trade.table5_balances(flows, published)
    assert list(t.columns) == ["reporter", "reporter_label", "printed_2020", "printed_2022", "computed_2022",
                               "difference_2022", "printed_2023", "computed_2023", "difference_2023"]
    kgz = t.set_index("reporter").loc["KGZ"]
    assert kgz["printed_2020"] == -3 and pd.isna(kgz["printed_2022"])  # KGZ 2022 not printed in the fixture
    assert kgz["computed_2023"] == -4 and kgz["difference_2023"] == 10


def test_table6_flows_printed_layout(flows):
    t = trade.table6_flows(flows).set_index("row_id")
    assert list(t.index) == ["CA5", "KAZ", "KGZ", "TJK", "TKM", "UZB", "CA5_country_sum", "CA5_difference"]
    assert list(t.columns)[1:3] == ["import_from_eu_2022", "import_from_eu_2023"]
    assert t.loc["KAZ", "export_to_eu_2023"] == 100
    assert t.loc["CA5", "export_to_eu_2023"] == 113
    assert t.loc["CA5_country_sum", "export_to_eu_2023"] == 112
    assert t.loc["CA5_difference", "export_to_eu_2023"] == -1
    assert t.loc["CA5_difference", "import_from_eu_2022"] == 0


def test_shares_wide(flows):
    t = trade.shares_wide(flows, "KAZ").set_index(["flow", "basis"])
    assert t.loc[(E, "printed total"), "share_2023_pct"] == pytest.approx(100 * 100 / 113)
    assert t.loc[(E, "sum of countries"), "share_2023_pct"] == pytest.approx(100 * 100 / 112)
    assert len(t) == 4


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


def test_export_markets_wide_as_printed():
    w = trade.export_markets_wide(_markets())
    assert list(w.columns) == ["partner", "partner_label", "exported_2021", "exported_2022", "exported_2023",
                               "exported_2025"]
    assert list(w["partner"]) == ["CHN", "EU27", "UZB"]  # ordered by the first column, largest first
    assert w.set_index("partner").loc["EU27", "exported_2025"] == 120


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

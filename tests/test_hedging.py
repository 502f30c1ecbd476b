"""Unit tests for multivector.hedging on tiny in-test frames."""
from __future__ import annotations

import math

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from multivector import hedging  # noqa: E402


def dims() -> pd.DataFrame:
    return pd.DataFrame({
        "dimension": ["security", "diplomatic", "economic", "diplomatic"],
        "indicator_id": ["arms_trade", "support", "fdi", "institutions"],
        "indicator": ["arms trade", "Support", "FDI", "joining institutions"],
    })


def evidence() -> pd.DataFrame:
    return pd.DataFrame({
        "evidence_id": ["E003", "E001", "E002", "E004", "E005"],
        "state": ["CA5", "CA5", "KAZ", "CA5", "KAZ"],
        "partner": ["RUS", "EU27", "EU27", "EU27", "EU27"],
        "dimension": ["diplomatic", "diplomatic", "economic", "diplomatic", "economic"],
        "indicator_id": ["support", "support", "fdi", "institutions", "fdi"],
        "year": pd.array([2007, None, 2015, None, None], dtype="Int64"),
        "year_end": pd.array([None, None, 2020, None, None], dtype="Int64"),
        "observation": ["c", "a", "b", "d", "e"],
        "source": ["k"] * 5,
        "locator": ["fn. 3", "fn. 1", "Table 5", "fn. 4", "fn. 5"],
    })


def test_framework_groups_indicators_by_dimension_in_file_order():
    out = hedging.framework_table(dims())
    assert list(out["dimension"]) == ["diplomatic", "diplomatic", "economic", "security"]
    assert list(out["indicator_id"]) == ["support", "institutions", "fdi", "arms_trade"]


def test_framework_rejects_unknown_dimension():
    bad = dims().assign(dimension=["security", "cultural", "economic", "diplomatic"])
    with pytest.raises(ValueError, match="cultural"):
        hedging.framework_table(bad)


def test_elements_print_yes_no_and_count_shared():
    el = pd.DataFrame({"element": ["B", "A"], "element_id": ["b", "a"],
                       "omnidirectional_hedging": [True, True], "multivector_policy": [False, True]})
    out = hedging.elements_table(el)
    assert list(out["element_id"]) == ["a", "b"]
    assert list(out["multivector_policy"]) == ["Yes", "No"]
    assert hedging.shared_elements(el) == 1


def test_evidence_table_sorts_and_writes_year_spans():
    out = hedging.evidence_table(evidence())
    assert list(out["evidence_id"]) == ["E001", "E002", "E003", "E004", "E005"]
    assert list(out["years"]) == ["", "2015\u20132020", "2007", "", ""]


def test_matrix_counts_with_all_states_and_zero_cells():
    m = hedging.matrix(evidence(), dims(), "dimension")
    assert list(m["state"]) == hedging.STATES
    assert list(m.columns) == ["state", "diplomatic", "economic", "security", "total"]
    ca5 = m.set_index("state").loc["CA5"]
    assert (ca5["diplomatic"], ca5["economic"], ca5["security"], ca5["total"]) == (3, 0, 0, 3)
    assert m.set_index("state").loc["KAZ", "economic"] == 2
    assert m.set_index("state").loc["TJK", "total"] == 0


def test_indicator_matrix_keeps_unused_indicators_grouped():
    m = hedging.matrix(evidence(), dims(), "indicator")
    assert list(m.columns) == ["state", "support", "institutions", "fdi", "arms_trade", "total"]
    assert m["arms_trade"].sum() == 0
    assert m.set_index("state").loc["CA5", "support"] == 2


def test_cells_trace_every_count_to_evidence_ids():
    c = hedging.cells(evidence(), dims(), "dimension")
    assert list(zip(c["state"], c["dimension"])) == [("KAZ", "economic"), ("CA5", "diplomatic")]
    ca5 = c.iloc[1]
    assert ca5["evidence_ids"] == "E001, E003, E004"
    assert ca5["n_evidence"] == 3 and ca5["n_partners"] == 2 and ca5["partners"] == "EU27, RUS"
    assert ca5["indicators"] == "institutions, support"
    m = hedging.matrix(evidence(), dims(), "dimension").set_index("state")
    for _, row in c.iterrows():
        assert m.loc[row["state"], row["dimension"]] == row["n_evidence"] == len(row["evidence_ids"].split(", "))


def test_cells_at_indicator_level_and_bad_level():
    c = hedging.cells(evidence(), dims(), "indicator")
    assert list(c["indicator_id"]) == ["fdi", "support", "institutions"]
    assert list(c["dimension"]) == ["economic", "diplomatic", "diplomatic"]
    assert "indicators" not in c.columns
    with pytest.raises(ValueError):
        hedging.cells(evidence(), dims(), "partner")


def test_cells_reject_indicator_outside_framework():
    ev = evidence().assign(indicator_id=["support", "support", "fdi", "unknown", "fdi"])
    with pytest.raises(ValueError, match="unknown"):
        hedging.cells(ev, dims(), "indicator")


def test_partners_by_state_counts_distinct_partners():
    p = hedging.partners_by_state(evidence()).set_index("state")
    assert p.loc["CA5", "n_partners_diplomatic"] == 2
    assert p.loc["CA5", "n_partners_all"] == 2 and p.loc["CA5", "partners"] == "EU27, RUS"
    assert p.loc["KAZ", "n_partners_economic"] == 1 and p.loc["KAZ", "n_partners_diplomatic"] == 0
    assert p.loc["UZB", "n_partners_all"] == 0 and p.loc["UZB", "partners"] == ""


def test_market_concentration_hhi_and_eu_share():
    markets = pd.DataFrame({
        "partner": ["EU27", "CHN", "EU27", "CHN"],
        "year_printed": [2020, 2020, 2025, 2025],
        "value_printed": [75.0, 25.0, 50.0, 50.0],
    })
    out = hedging.market_concentration(markets, flag_years=[2025])
    assert list(out["year_label"]) == ["2020", "2025 (printed)"]
    assert out["share_eu27_pct"].tolist() == pytest.approx([75.0, 50.0])
    assert out["hhi"].tolist() == pytest.approx([75.0**2 + 25.0**2, 5000.0])
    assert out["equivalent_markets"].iloc[1] == pytest.approx(2.0)
    assert out["total_listed_keur"].tolist() == pytest.approx([100.0, 100.0])


def test_market_concentration_missing_partner_is_nan_not_zero():
    markets = pd.DataFrame({"partner": ["EU27", "CHN", "EU27"], "year_printed": [2020, 2020, 2021],
                            "value_printed": [1.0, 1.0, 4.0]})
    out = hedging.market_concentration(markets)
    assert math.isnan(out.loc[out["year_printed"] == 2021, "share_chn_pct"].iloc[0])
    assert out.loc[out["year_printed"] == 2021, "n_markets"].iloc[0] == 1


def test_heatmap_annotates_only_nonzero_cells():
    m = hedging.matrix(evidence(), dims(), "indicator")
    cols = hedging.matrix_columns(dims(), "indicator")
    groups = dict(zip(dims()["indicator_id"], dims()["dimension"]))
    fig = hedging.heatmap(m, cols, groups=groups)
    ax = fig.axes[0]
    numbers = sorted(t.get_text() for t in ax.texts if t.get_text().isdigit())
    assert numbers == ["1", "2", "2"]
    assert {t.get_text() for t in ax.texts} >= {"diplomatic", "economic", "security"}
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_indicator_rows_turns_the_matrix_and_keeps_totals():
    counts = pd.DataFrame({"state": ["KAZ", "CA5"], "a": [1, 2], "b": [0, 3], "total": [1, 5]})
    dims = pd.DataFrame({"indicator_id": ["a", "b"], "dimension": ["economic", "security"], "indicator": ["A", "B"]})
    out = hedging.indicator_rows(counts, dims)
    assert list(out.columns) == ["dimension", "indicator_id", "indicator", "KAZ", "CA5", "total"]
    assert out.set_index("indicator_id").loc["b", "total"] == 3
    assert out.set_index("indicator_id").loc["a", "KAZ"] == 1


def test_matrix_values_per_level():
    counts = hedging.matrix(evidence(), dims(), "indicator")
    v = hedging.matrix_values(counts, dims(), "indicator")
    assert v["hedging_n_cells_indicator"]["value"] == 6 * 4
    assert v["hedging_n_cells_nonempty_indicator"]["value"] == 3  # CA5 support, CA5 institutions, KAZ fdi
    assert v["hedging_n_columns_empty_indicator"]["value"] == 1  # arms_trade
    assert v["hedging_max_cell_indicator"]["value"] == 2


def test_heatmap_figure_labels_by_level():
    import matplotlib.pyplot as plt

    counts = hedging.matrix(evidence(), dims(), "dimension")
    fig = hedging.heatmap_figure(counts, dims(), "dimension")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Diplomatic", "Economic", "Security"]
    plt.close(fig)
    fig = hedging.heatmap_figure(hedging.matrix(evidence(), dims(), "indicator"), dims(), "indicator")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Support", "joining institutions", "FDI", "arms trade"]
    plt.close(fig)


def test_evidence_values_with_the_printed_years_of_the_columns():
    el = pd.DataFrame({"element": ["B", "A"], "element_id": ["b", "a"],
                       "omnidirectional_hedging": [True, True], "multivector_policy": [True, True]})
    markets = pd.DataFrame({"partner": ["EU27", "CHN", "EU27", "CHN"], "year_printed": [2020, 2020, 2025, 2025],
                            "value_printed": [50.0, 50.0, 75.0, 25.0]})
    conc = hedging.market_concentration(markets)
    v = hedging.evidence_values(evidence(), dims(), el, hedging.partners_by_state(evidence()), conc)
    assert v["hedging_n_evidence"]["value"] == 5 and v["hedging_n_evidence_diplomatic"]["value"] == 3
    assert v["hedging_n_evidence_ca5"]["value"] == 3 and v["hedging_share_evidence_ca5"]["value"] == 60.0
    assert v["hedging_n_evidence_eu"]["value"] == 4 and v["hedging_n_elements_shared"]["value"] == 2
    assert v["hedging_partners_ca5"]["value"] == 2 and v["hedging_partners_max_single_state"]["value"] == 1
    assert v["hedging_export_hhi_first"]["value"] == pytest.approx(5000.0)
    assert v["hedging_export_hhi_first"]["about"] == {"year_printed": 2020}
    assert v["hedging_export_eu_share_last"]["value"] == pytest.approx(75.0)
    assert v["hedging_export_eu_share_last"]["about"] == {"year_printed": 2025}
    assert v["hedging_export_eu_share_min"]["value"] == pytest.approx(50.0)

"""Unit tests for multivector.pathways on tiny in-test frames."""
import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from multivector import pathways as pw  # noqa: E402

RULES = pd.DataFrame({
    "rule_id": ["heterogeneous", "pathway_a", "pathway_b"],
    "label": ["Heterogeneous state", "Pathway A", "Pathway B"],
    "demographics": ["heterogeneous", "homogeneous", "homogeneous"],
    "congruence": ["any", "congruent", "incongruent"],
    "identity": ["civic", "ethnonational", "ethnonational"],
    "predicted_outcome": ["multilateralism", "consistent_unilateralism", "inconsistent_unilateralism"],
    "source": "kjis_identity",
    "locator": ["Table 2; p. 393", "Table 3; p. 394", "Table 3; p. 394"],
})


def demo_frame(rows):
    return pd.DataFrame([{"country": c, "census_year": 1989, "group": g, "share_pct": s} for c, g, s in rows])


DEMO = demo_frame([("KAZ", "kazakhs", 39.7), ("KAZ", "russians", 37.8), ("KAZ", "ukrainians", 5.4),
                   ("KAZ", "belarusians", 1.1), ("KAZ", "germans", 5.8), ("UZB", "uzbeks", 71.4)])
CODING = pd.DataFrame({"country": ["KAZ", "UZB"], "homogeneity": ["heterogeneous", "homogeneous"],
                       "congruence": ["not_applicable", "incongruent"]})
OUTCOMES = pd.DataFrame({"country": ["UZB", "KAZ"], "condition": "Soviet Dissolution",
                         "observed_outcome": ["unilateralism", "multilateralism"],
                         "consistency": ["inconsistent", None], "source": "kjis_identity",
                         "locator": ["Table 1", "Table 1"]})


def test_observed_outcomes_sorted_with_names():
    t = pw.observed_outcomes(OUTCOMES)
    assert list(t["country"]) == ["KAZ", "UZB"]
    assert list(t["state"]) == ["Kazakhstan", "Uzbekistan"]


def test_rules_table_reads_article_table():
    t = pw.rules_table(RULES)
    assert list(t["article_table"]) == ["Table 2", "Table 3", "Table 3"]


def test_share_summary_largest_known_and_remainder():
    s = pw.share_summary(DEMO).set_index("country")
    assert s.loc["KAZ", "largest_group"] == "kazakhs"
    assert s.loc["KAZ", "largest_share"] == 0.397
    assert s.loc["KAZ", "known_total"] == 0.898
    assert s.loc["KAZ", "remainder"] == pytest.approx(0.102)
    assert s.loc["UZB", "remainder"] == pytest.approx(0.286)
    assert not s["remainder_could_be_largest"].any()


def test_share_summary_flags_remainder_larger_than_largest_group():
    s = pw.share_summary(demo_frame([("X", "a", 30.0), ("X", "b", 20.0)])).iloc[0]
    assert s["remainder_could_be_largest"]
    assert s["largest_share_upper"] == 0.5


def test_share_summary_rejects_shares_over_100():
    with pytest.raises(ValueError):
        pw.share_summary(demo_frame([("X", "a", 70.0), ("X", "b", 40.0)]))


def test_classify_threshold_is_inclusive_and_float_safe():
    share = pw.share_summary(DEMO).set_index("country").loc["UZB", "largest_share"]
    assert pw.classify(share, 0.714) == pw.HOMOGENEOUS          # share == threshold counts
    assert pw.classify(share, 0.30 + 41.4 * 0.01) == pw.HOMOGENEOUS  # 0.714 reached by float arithmetic
    assert pw.classify(share, 0.715) == pw.HETEROGENEOUS
    assert pw.classify(0.3, 0.4, largest_share_upper=0.45) == pw.UNDETERMINED


def test_apply_rules_pathways():
    assert pw.apply_rules("heterogeneous", "not_applicable", RULES)[0] == "heterogeneous"
    assert pw.apply_rules("homogeneous", "congruent", RULES)[2] == "consistent_unilateralism"
    assert pw.apply_rules("homogeneous", "incongruent", RULES)[1] == "Pathway B"
    # homogeneous without a congruence coding: both pathways predict unilateralism
    assert pw.apply_rules("homogeneous", "not_applicable", RULES) == ("undetermined", "Undetermined", "unilateralism")


def test_outcome_matches():
    assert pw.outcome_matches("multilateralism", "multilateralism", None)
    assert pw.outcome_matches("inconsistent_unilateralism", "unilateralism", "inconsistent")
    assert not pw.outcome_matches("consistent_unilateralism", "unilateralism", "inconsistent")
    assert pw.outcome_matches("consistent_unilateralism", "unilateralism", None)
    assert not pw.outcome_matches("multilateralism", "unilateralism", "inconsistent")
    assert not pw.outcome_matches("undetermined", "multilateralism")


def test_predict_reproduces_the_article():
    p = pw.predict(DEMO, CODING, RULES, OUTCOMES, 0.6).set_index("country")
    assert p.loc["KAZ", "homogeneity"] == "heterogeneous"
    assert p.loc["KAZ", "predicted_outcome"] == "multilateralism"
    assert p.loc["UZB", "homogeneity"] == "homogeneous"
    assert p.loc["UZB", "predicted_pathway"] == "Pathway B"
    assert p.loc["UZB", "predicted_outcome"] == "inconsistent_unilateralism"
    assert p["match"].all()
    assert (p["homogeneity"] == p["article_homogeneity"]).all()


def test_predict_fails_to_match_at_high_threshold():
    p = pw.predict(DEMO, CODING, RULES, OUTCOMES, 0.8).set_index("country")
    assert p.loc["UZB", "homogeneity"] == "heterogeneous"
    assert not p.loc["UZB", "match"]


def test_elf_bounds_by_hand():
    d = demo_frame([("X", "a", 50.0), ("X", "b", 30.0)])
    b = pw.elf_bounds(d).iloc[0]
    # known: 1 - 0.25 - 0.09 = 0.66; remainder 0.2 as one group: 0.66 - 0.04 = 0.62
    assert b["elf_lower"] == pytest.approx(0.62)
    assert b["elf_upper"] == pytest.approx(0.66)
    assert b["remainder"] == pytest.approx(0.2)


def test_elf_bounds_complete_census_collapse():
    b = pw.elf_bounds(demo_frame([("X", "a", 60.0), ("X", "b", 40.0)])).iloc[0]
    assert b["elf_lower"] == pytest.approx(b["elf_upper"]) == pytest.approx(0.48)


def test_elf_bounds_real_shares_ordered():
    b = pw.elf_bounds(DEMO).set_index("country")
    assert (b["elf_lower"] < b["elf_upper"]).all()
    assert b.loc["UZB", "elf_lower"] == pytest.approx(1 - 0.714**2 - 0.286**2)


def test_threshold_grid_exact_and_inclusive():
    g = pw.threshold_grid(0.30, 0.90, 0.01)
    assert len(g) == 61 and g[0] == 0.3 and g[-1] == 0.9
    assert 0.4 in g and 0.71 in g and 0.72 in g
    with pytest.raises(ValueError):
        pw.threshold_grid(0.3, 0.905, 0.01)


def test_matching_band_open_lower_closed_upper():
    band = pw.matching_band(DEMO, CODING, RULES, OUTCOMES)
    assert band == [(0.397, 0.714)]
    lo, hi = band[0]
    assert not pw.predict(DEMO, CODING, RULES, OUTCOMES, lo)["match"].all()   # lower end open
    assert pw.predict(DEMO, CODING, RULES, OUTCOMES, hi)["match"].all()       # upper end closed


def test_sensitivity_grid_ends_agree_with_band():
    sens = pw.sensitivity(DEMO, CODING, RULES, OUTCOMES, pw.threshold_grid(0.30, 0.90, 0.01))
    assert len(sens) == 2 * 61
    assert pw.grid_matching_ends(sens) == (0.4, 0.71)
    assert int(sens.loc[sens["country"] == "UZB", "all_match"].sum()) == 32


def test_census_check_agrees_and_differs():
    pub = pd.DataFrame({"value_id": ["census_KAZ_slavs_1989", "census_KAZ_kazakhs_1989", "t4_x"],
                        "quantity": ["census_share_sum", "census_share", "export_to_eu"],
                        "value": [44.3, 40.0, 1.0], "source": "kjis_identity", "locator": "p. 398"})
    c = pw.census_check(pub, DEMO, {"slavs": ["russians", "ukrainians", "belarusians"]}).set_index("aggregate")
    assert len(c) == 2
    assert c.loc["slavs", "computed_pct"] == pytest.approx(44.3)
    assert c.loc["slavs", "verdict"] == "agrees"
    assert c.loc["kazakhs", "verdict"] == "differs"
    assert c.loc["kazakhs", "difference_pct"] == pytest.approx(0.3)


def test_census_check_without_mapping_is_not_computable():
    pub = pd.DataFrame({"value_id": ["census_KAZ_turks_1989"], "quantity": ["census_share_sum"],
                        "value": [1.0], "source": "kjis_identity", "locator": "p. 1"})
    c = pw.census_check(pub, DEMO, {}).iloc[0]
    assert c["verdict"] == "not computable" and pd.isna(c["computed_pct"])


def test_sensitivity_figure_has_one_bar_run_per_class():
    sens = pw.sensitivity(DEMO, CODING, RULES, OUTCOMES, pw.threshold_grid(0.30, 0.90, 0.01))
    fig = pw.sensitivity_figure(sens, [(0.397, 0.714)], 0.6)
    bars = [p for p in fig.axes[0].patches if p.get_height() == 0.5]
    assert len(bars) == 4
    assert any(abs(b.get_x() - 0.397) < 1e-9 for b in bars)


SLAVS = {"slavs": ["russians", "ukrainians", "belarusians"]}
PUB = pd.DataFrame({"value_id": ["census_KAZ_slavs_1989"], "quantity": ["census_share_sum"], "value": [44.3],
                    "source": "kjis_identity", "locator": "p. 398"})


def test_headline_values_of_the_two_cases():
    v = pw.headline_values(DEMO, CODING, RULES, OUTCOMES, PUB, 0.6, SLAVS)
    assert v["pathway_n_match"]["value"] == 2 and v["pathway_n_states"]["value"] == 2
    assert v["pathway_kaz_largest_share_pct"]["value"] == pytest.approx(39.7)
    assert v["pathway_kaz_largest_share_pct"]["about"] == {"census_year": 1989}
    assert v["pathway_uzb_unknown_pct"]["value"] == pytest.approx(28.6)
    assert v["pathway_kaz_not_largest_pct"]["value"] == pytest.approx(60.3)
    assert v["pathway_kaz_slavs_germans_pct"]["value"] == pytest.approx(50.1)
    assert v["pathway_census_slavs_computed_pct"]["value"] == pytest.approx(44.3)
    assert v["pathway_census_n_agree"]["value"] == 1
    assert v["pathway_threshold"] == {"value": 0.6, "unit": "", "decimals": 2, "percent": False, "about": {}}
    assert not [n for n in v if "1989" in n]
    assert "rows" not in v["pathway_kaz_russians_pct"]  # no file named: no rows


def test_headline_values_name_the_census_rows_that_fed_them():
    v = pw.headline_values(DEMO, CODING, RULES, OUTCOMES, PUB, 0.6, SLAVS, demographics_file="data/d.csv",
                           published_file="data/p.csv")
    kaz = lambda g: {"country": "KAZ", "census_year": 1989, "group": g}  # noqa: E731
    assert v["pathway_kaz_largest_share_pct"]["rows"] == {"data/d.csv": [kaz("kazakhs")]}
    assert v["pathway_kaz_slavs_germans_pct"]["rows"] == {
        "data/d.csv": [kaz("russians"), kaz("ukrainians"), kaz("belarusians"), kaz("germans")]}
    assert v["pathway_census_slavs_printed_pct"]["rows"] == {"data/p.csv": [{"value_id": "census_KAZ_slavs_1989"}]}
    assert "rows" not in v["pathway_n_match"]


def test_headline_values_need_the_printed_aggregate():
    with pytest.raises(ValueError, match="expected one printed slavs aggregate for KAZ"):
        pw.headline_values(DEMO, CODING, RULES, OUTCOMES, PUB.iloc[:0], 0.6, SLAVS)


def test_sensitivity_values_describe_one_band():
    sens = pw.sensitivity(DEMO, CODING, RULES, OUTCOMES, pw.threshold_grid(0.30, 0.90, 0.01))
    v = pw.sensitivity_values(sens, [(0.397, 0.714)])
    assert (v["pathway_band_lower"]["value"], v["pathway_band_upper"]["value"]) == (0.397, 0.714)
    assert v["pathway_band_lower"]["note"] == "open end: not included"
    assert (v["pathway_grid_first_match"]["value"], v["pathway_grid_last_match"]["value"]) == (0.4, 0.71)
    assert v["pathway_grid_n_thresholds"]["value"] == 61 and v["pathway_grid_n_match"]["value"] == 32
    assert v["pathway_threshold_step"]["value"] == 0.01
    with pytest.raises(ValueError, match="expected one interval"):
        pw.sensitivity_values(sens, [(0.1, 0.2), (0.3, 0.4)])


def test_the_model_claim_holds_at_the_default_threshold_only_inside_the_band():
    (c,) = pw.claims(DEMO, CODING, RULES, OUTCOMES, 0.6)
    assert c["name"] == "pathway_model_matches_observed" and c["holds"] is True
    assert c["statement"].startswith("At the default homogeneity threshold (0.6), the pathway model's predictions "
                                     "match the observed foreign-policy outcomes of all 2 states")
    assert c["values"] == ["pathway_threshold", "pathway_n_match", "pathway_n_states"]
    assert pw.claims(DEMO, CODING, RULES, OUTCOMES, 0.8)[0]["holds"] is False  # Uzbekistan turns heterogeneous

"""Unit tests for multivector.alignment on tiny in-test frames."""
import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from multivector import alignment as al  # noqa: E402


def events(rows):
    return pd.DataFrame([{"event_id": f"A{i:03d}", "country": c, "organisation": o, "year": y, "kind": k,
                          "note": "n", "source": "kjis_identity", "locator": "p. 400"}
                         for i, (c, o, y, k) in enumerate(rows, start=1)])


EV = events([
    ("UZB", "GUAM", 1999, "join"), ("UZB", "GUAM", 2002, "suspend"), ("UZB", "GUAM", 2005, "leave"),
    ("UZB", "CSTO", 1999, "leave"), ("UZB", "CSTO", 2006, "rejoin"), ("UZB", "CSTO", 2012, "leave"),
    ("UZB", "CACO", None, "member"), ("UZB", "CACO", None, "leave"),
    ("KAZ", "CAEC", 1998, "found"), ("KAZ", "EPCA", 2015, "sign"), ("KAZ", "EPCA", 2020, "enter_into_force"),
    ("KAZ", "SCO", None, "member"), ("KGZ", "CAEC", 1998, "found"),
])
ORGS = pd.DataFrame({"code": ["GUAM", "CSTO", "CACO", "CAEC", "EPCA", "SCO"],
                     "name": ["GUAM org", "CSTO org", "CACO org", "CAEC org", "EPCA agr", "SCO org"]})


def test_category_mapping_and_unknown_kind():
    assert al.category("found") == "entry"
    assert al.category("terminate") == "exit"
    assert al.category("enter_into_force") == "other"
    with pytest.raises(ValueError):
        al.category("merge")


def test_event_table_filters_orders_and_names():
    t = al.event_table(EV, ORGS, ["UZB", "KAZ"])
    assert set(t["country"]) == {"UZB", "KAZ"}
    assert list(t["country"].iloc[:8]) == ["UZB"] * 8
    uzb = t[t["country"] == "UZB"]
    assert list(uzb["year"].iloc[:6]) == [1999, 1999, 2002, 2005, 2006, 2012]
    assert uzb["year"].iloc[-2:].isna().all()          # undated last
    assert t.loc[t["organisation"] == "GUAM", "organisation_name"].iloc[0] == "GUAM org"
    assert {"source", "locator"} <= set(t.columns)


def test_reversals_need_a_prior_entry():
    r = al.reversals(EV).set_index("event_id")
    assert not r.loc["A004", "after_entry"]   # CSTO leave 1999: no recorded entry before
    assert r.loc["A006", "after_entry"]       # CSTO leave 2012 after rejoin 2006
    assert r.loc["A002", "after_entry"] and r.loc["A003", "after_entry"]   # GUAM suspend, leave
    assert r.loc["A008", "after_entry"]       # undated CACO leave after undated membership


def test_reversal_not_counted_when_entry_dated_later():
    r = al.reversals(events([("X", "O", 2000, "leave"), ("X", "O", 2003, "join")]))
    assert not r["after_entry"].iloc[0]


def test_counts_per_state():
    c = al.counts(EV, ["UZB", "KAZ"]).set_index("country")
    assert c.loc["UZB", "entries"] == 2          # GUAM join, CACO member
    assert c.loc["UZB", "suspensions"] == 1
    assert c.loc["UZB", "exits"] == 4
    assert c.loc["UZB", "rejoinings"] == 1
    assert c.loc["UZB", "reversals"] == 4
    assert c.loc["UZB", "steps_without_entry"] == 1
    assert c.loc["UZB", "undated"] == 2
    assert c.loc["KAZ", "entries"] == 3 and c.loc["KAZ", "other"] == 1
    assert c.loc["KAZ", "reversals"] == 0 and c.loc["KAZ", "exits"] == 0
    assert list(c.index) == ["UZB", "KAZ"]


def test_kind_counts_columns_per_state():
    k = al.kind_counts(EV, ["UZB", "KAZ"]).set_index("kind")
    assert k.loc["leave", "n_uzb"] == 4 and k.loc["leave", "n_kaz"] == 0
    assert k.loc["found", "n_kaz"] == 1      # KGZ's founding is not counted
    assert "terminate" not in k.index


def test_spans_only_with_both_ends_dated():
    s = al.spans(EV)
    got = {(r.organisation, r.start, r.end, r.status) for r in s.itertuples()}
    assert got == {("GUAM", 1999, 2002, "active"), ("GUAM", 2002, 2005, "suspended"),
                   ("CSTO", 2006, 2012, "active")}


def test_timeline_figure_separates_undated_events():
    fig = al.timeline_figure(EV, ["UZB", "KAZ"])
    ax, axn = fig.axes[:2]
    n_dated = sum(len(c.get_offsets()) for c in ax.collections)
    n_undated = sum(len(c.get_offsets()) for c in axn.collections)
    sub = EV[EV["country"].isin(["UZB", "KAZ"])]
    assert n_dated == sub["year"].notna().sum()
    assert n_undated == sub["year"].isna().sum()
    labels = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]))
    assert labels[max(labels)] == "Uzbekistan"   # top row is the first state's header
    assert labels[min(labels)] == "SCO"          # Kazakhstan's undated SCO membership comes last


def test_count_values_one_per_state_and_count():
    v = al.count_values(al.counts(EV, ["UZB", "KAZ"]))
    assert v["alignment_uzb_events"]["value"] == int((EV["country"] == "UZB").sum())
    assert set(v) == {f"alignment_{c}_{k}" for c in ("uzb", "kaz")
                      for k in ("events", "undated", "organisations", "entries", "suspensions", "exits",
                                "rejoinings", "other", "reversals", "steps_without_entry")}
    assert all(isinstance(x["value"], int) and x["decimals"] == 0 for x in v.values())

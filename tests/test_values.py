"""multivector.values: in-text values as save_value arguments, facets instead of names."""
import numpy as np
import pytest

from multivector.values import value, years_text


def test_value_keeps_the_facets_and_makes_numbers_plain():
    v = value(np.float64(1.5), "ratio", 2, year=np.int64(2024), qualifier=None, note="x")
    assert v == {"value": 1.5, "unit": "ratio", "decimals": 2, "percent": False, "about": {"year": 2024}, "note": "x"}
    assert type(v["value"]) is float and type(v["about"]["year"]) is int


def test_years_as_the_prose_lists_them():
    assert years_text([2021, 2020]) == "2020 and 2021"
    assert years_text([2004, 2004]) == "2004"
    assert years_text([2022, 2020, 2021]) == "2020, 2021 and 2022"
    with pytest.raises(ValueError):
        years_text([])

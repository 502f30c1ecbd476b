"""multivector.countries: one definition of the study's states, ISO 3166 names from pycountry."""
import pytest

from multivector import countries


def test_iso_names_and_the_region():
    assert [countries.name(c) for c in countries.CENTRAL_ASIA] == [
        "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Uzbekistan"]
    assert countries.name(countries.REGION) == "Central Asian Republics"
    assert countries.NAMES["UZB"] == "Uzbekistan"


def test_an_unknown_code_is_an_error():
    with pytest.raises(KeyError, match="'KAS' is not an ISO 3166-1 alpha-3 code"):
        countries.name("KAS")


def test_the_data_use_only_these_codes():
    import pandas as pd
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    known = {*countries.CENTRAL_ASIA, countries.REGION}
    used = set(pd.read_csv(data / "trade_flows.csv")["reporter"]) | set(pd.read_csv(data / "demographics_1989.csv")["country"])
    assert used <= known

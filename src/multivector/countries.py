"""The states of the study, defined once: ISO 3166-1 alpha-3 codes and their names (pycountry).

The data use ISO 3166-1 alpha-3 codes for states and ``CA5`` for the five Central Asian states
taken together (the sources' regional rows); this module is the one place that names them.
Names come from the ISO 3166 database that pycountry ships, so a mistyped code fails at import.
"""
from __future__ import annotations

import pycountry

KAZAKHSTAN, KYRGYZSTAN, TAJIKISTAN, TURKMENISTAN, UZBEKISTAN = "KAZ", "KGZ", "TJK", "TKM", "UZB"
CENTRAL_ASIA = (KAZAKHSTAN, KYRGYZSTAN, TAJIKISTAN, TURKMENISTAN, UZBEKISTAN)  # alphabetical by code
REGION = "CA5"  # the five together; not an ISO code
REGION_NAME = "Central Asian Republics"  # as the trade tables of the hedging article label their regional row
EUROPEAN_UNION = "EU27"  # the European Union (27 members) as a partner; not an ISO code


def name(code: str) -> str:
    """English short name of a state (ISO 3166-1, e.g. 'KAZ' -> 'Kazakhstan'), or the region's name
    for ``CA5``. Raises KeyError for a code that is neither."""
    if code == REGION:
        return REGION_NAME
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise KeyError(f"'{code}' is not an ISO 3166-1 alpha-3 code nor {REGION}")
    return country.name


NAMES = {code: name(code) for code in (*CENTRAL_ASIA, REGION)}

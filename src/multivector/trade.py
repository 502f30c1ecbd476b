"""EU-Central Asia trade: balances, regional totals, growth and shares from the flow data."""
from __future__ import annotations

import pandas as pd

COUNTRIES = ["KAZ", "KGZ", "TJK", "TKM", "UZB"]
REGION = "CA5"


def balances(flows: pd.DataFrame) -> pd.DataFrame:
    """Exports minus imports per reporter and year, where both flows are given."""
    wide = flows.pivot_table(index=["reporter", "year"], columns="flow", values="value_keur", aggfunc="first")
    wide = wide.dropna(subset=["export_to_eu", "import_from_eu"]).reset_index()
    wide["balance_keur"] = wide["export_to_eu"] - wide["import_from_eu"]
    return wide[["reporter", "year", "export_to_eu", "import_from_eu", "balance_keur"]]

# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data dictionary: files, columns and sources of data/, read from the Frictionless data package

# %% tags=["parameters"]
datapackage = "data/datapackage.json"

# %%
import json
import posixpath

import pandas as pd
from reprobook import nb
from multivector import datadict

package = json.loads(nb.input_path(datapackage).read_text(encoding="utf-8"))
base = posixpath.dirname(datapackage)
resources = sorted(package["resources"], key=lambda r: r["path"])
schemas = {r["name"]: json.loads(nb.input_path(posixpath.join(base, r["schema"])).read_text(encoding="utf-8"))
           for r in resources}
frames = {r["name"]: nb.read_csv(posixpath.join(base, r["path"]), dtype=str)
          for r in resources}

# %%
files = datadict.data_files(resources, schemas, frames)
columns = datadict.data_dictionary(resources, schemas)
sources = datadict.data_sources(resources, frames)
nb.save_table("data_files", files)
nb.save_table("data_dictionary", columns)
nb.save_table("data_sources", sources)

nb.save_value("data_n_files", len(files))
nb.save_value("data_n_rows", int(files["rows"].sum()))
nb.save_value("data_n_columns", len(columns))
nb.save_value("data_n_source_keys", sources["source"].nunique())
nb.save_value("data_n_multi_source_files", int((sources.groupby("file").size() > 1).sum()))
files

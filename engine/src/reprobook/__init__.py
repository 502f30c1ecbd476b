"""reprobook: a reproducible build engine for books made of data, notebooks and prose.

It knows nothing about any particular study: a project declares jobs in pipeline.yml,
notebooks write results through `reprobook.nb`, and the book includes them through
`reprobook.sphinxext`.
"""
__version__ = "0.2.0"

"""The study: multivector foreign policy in Central Asia (pathways, alignment, trade, hedging).

Pure functions over pandas data frames; no knowledge of caching, notebooks or the book.
"""

"""Datasets: the CSTR simulator and the UCI loaders (filled in by the datasets work)."""

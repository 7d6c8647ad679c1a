"""Datasets: the simulated CSTR, the two UCI loaders, standardisation and seeded splits.

- :func:`make_cstr` simulates Paper A's reactor (no download; the default for demos).
- :func:`load_ccpp` and :func:`load_steel` read Paper B's UCI files from the data directory
  (:func:`get_data_home`), verifying their SHA-256 and downloading when allowed.
- :class:`Standardizer` z-scores columns with statistics of the training rows only.
- :func:`train_test_split`, :func:`repeated_splits` and :func:`kfold` split rows by seed.

Every loader returns a :class:`Dataset`: ``X`` and ``y`` DataFrames with unit-labelled columns.
"""

from ._base import Dataset
from .cstr import make_cstr
from .download import ChecksumError, DataNotFoundError, RemoteFile, fetch_file
from .home import get_data_home
from .preprocessing import Standardizer
from .splits import kfold, repeated_splits, train_test_split
from .uci import STEEL_FEATURES, load_ccpp, load_steel

__all__ = [
    "Dataset",
    "make_cstr",
    "load_ccpp",
    "load_steel",
    "STEEL_FEATURES",
    "get_data_home",
    "fetch_file",
    "RemoteFile",
    "ChecksumError",
    "DataNotFoundError",
    "Standardizer",
    "train_test_split",
    "repeated_splits",
    "kfold",
]

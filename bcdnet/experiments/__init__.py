"""Experiment sweeps: a configuration in, a row of results out, many at once.

- :mod:`.config`: the fields of a configuration, its stable id and its seeds;
- :mod:`.grid`: grids of configurations (axes over a base);
- :mod:`.run`: one experiment, :func:`run_experiment`, and its error-catching worker form;
- :mod:`.store`: the result file, one durable CSV line per finished row;
- :mod:`.sweep`: :func:`sweep`, through joblib on local processes or a Dask cluster.

``bcdnet sweep GRID.json --n-jobs 2`` runs a grid file from the command line.
"""

from .config import DEFAULTS, canonical_json, config_id, normalise, seeds
from .grid import expand, load_grid
from .provenance import bcdnet_version, git_commit
from .run import (ROW_COLUMNS, TIMING_COLUMNS, initial_network, prepared_split,
                  run_experiment, run_row)
from .store import ResultStore
from .sweep import read_results, sweep

__all__ = ["DEFAULTS", "canonical_json", "config_id", "normalise", "seeds", "expand",
           "load_grid", "bcdnet_version", "git_commit", "ROW_COLUMNS", "TIMING_COLUMNS",
           "initial_network", "prepared_split",
           "run_experiment", "run_row", "ResultStore", "read_results", "sweep"]

"""An experiment's configuration: its fields, their defaults, its stable id and its seeds.

A configuration is a plain dict of JSON values.  :func:`normalise` checks it and fills the
defaults, so two dicts that describe the same run become the same dict; :func:`config_id`
hashes its canonical JSON (sorted keys, no spaces), so the id is the same on every machine,
in every process and in every order of the keys.  Seeds come from
:class:`numpy.random.SeedSequence` keyed by that id (:func:`seeds`): a result depends on its
configuration only, never on which worker ran it or when.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = ["DEFAULTS", "normalise", "canonical_json", "config_id", "seeds", "start_id",
           "run_id"]

#: Every field of a configuration and its default.  ``hidden`` is the list of hidden
#: widths; ``optimizer`` and ``selector`` are names of :data:`bcdnet.optim.OPTIMIZERS` and
#: :data:`bcdnet.selection.SELECTORS`, with keyword arguments in ``optimizer_options`` and
#: ``selector_options``; ``trainer`` holds :class:`bcdnet.Trainer` keywords (the budgets:
#: ``max_iter``, ``epochs``, ``batch_size``, ``batch_shell``, ``icrs_init``...).
DEFAULTS = {
    "label": "",                  # free text for reports (e.g. "BCD + shells, ICRS")
    "dataset": "ccpp",            # cstr, ccpp or steel
    "split": 0,                   # index of the randomised 80/20 split
    "split_seed": 0,              # seed of the sequence of splits (shared by a grid)
    "test_size": 0.2,
    "max_train_rows": None,       # keep only the first rows of the training part (quick runs)
    "hidden": [10, 10, 10],
    "activation": "tanh",
    "init": None,                 # the activation's own initialisation
    "selector": "most_sensitive",
    "selector_options": {},
    "optimizer": "lbfgs",
    "optimizer_options": {"max_iter": 20},
    "trainer": {"max_iter": 100, "tol": 0.0, "sensitivity_tol": None},
    "units": True,                # metrics in the targets' units (False: standardised)
    "record": [],                 # extra columns: "history", "test_curve", "predictions"
    "seed": 0,                    # root seed; weights and BCD seeds are spawned from it
}
DATASETS = ("cstr", "ccpp", "steel")
RECORDS = ("history", "test_curve", "predictions")
#: the fields that fix the starting weights: runs that differ elsewhere share a start
START_FIELDS = ("dataset", "split", "split_seed", "test_size", "max_train_rows", "hidden",
                "activation", "init", "seed")


def normalise(config) -> dict:
    """Return ``config`` with its defaults filled in, checked field by field.

    Raises
    ------
    TypeError
        ``config`` is not a dict.
    ValueError
        An unknown field, or a field whose value has the wrong kind (the message names the
        field, what it expects and what it got).
    """
    if not isinstance(config, dict):
        raise TypeError(f"an experiment config must be a dict; got {type(config).__name__}")
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown config field(s) {', '.join(map(repr, unknown))}; the "
                         f"fields are {', '.join(DEFAULTS)}")
    out = json.loads(json.dumps({**DEFAULTS, **config}))      # a deep copy of JSON values
    if not isinstance(out["label"], str):
        raise ValueError(f"config field 'label' must be a string; got {out['label']!r}")
    if out["dataset"] not in DATASETS:
        raise ValueError(f"config field 'dataset' must be one of {', '.join(DATASETS)}; "
                         f"got {out['dataset']!r}")
    hidden = out["hidden"]
    if (not isinstance(hidden, list) or not hidden
            or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1
                       for h in hidden)):
        raise ValueError(f"config field 'hidden' must be a non-empty list of positive "
                         f"integers; got {hidden!r}")
    for key in ("split", "split_seed", "seed"):
        if not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < 0:
            raise ValueError(f"config field {key!r} must be a non-negative integer; got "
                             f"{out[key]!r}")
    for key in ("selector_options", "optimizer_options", "trainer"):
        if not isinstance(out[key], dict):
            raise ValueError(f"config field {key!r} must be a dict of keyword arguments; "
                             f"got {out[key]!r}")
    if "seed" in out["trainer"]:
        raise ValueError("config field 'trainer' must not hold a seed: the Trainer's seed is "
                         "spawned from the config's 'seed' and id")
    bad = [r for r in out["record"] if r not in RECORDS] if isinstance(out["record"], list) \
        else [out["record"]]
    if bad:
        raise ValueError(f"config field 'record' must be a list of {', '.join(RECORDS)}; got "
                         f"{out['record']!r}")
    return out


def canonical_json(config) -> str:
    """The normalised config as JSON with sorted keys and no spaces (what the id hashes)."""
    return json.dumps(normalise(config), sort_keys=True, separators=(",", ":"))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def config_id(config) -> str:
    """A stable 16-hex-digit id: the start of the SHA-256 of :func:`canonical_json`."""
    return _digest(canonical_json(config))


def start_id(config) -> str:
    """The id of the starting point: a hash of the :data:`START_FIELDS` only, so runs that
    compare selectors or optimizers on one split start from the same weights."""
    full = normalise(config)
    return _digest(json.dumps({k: full[k] for k in START_FIELDS}, sort_keys=True,
                              separators=(",", ":")))


def run_id(config) -> str:
    """The id of what is computed: :func:`config_id` without the fields that only describe
    or record (``label``, ``record``), so naming a run or recording its curves never
    changes its result."""
    full = normalise(config)
    return _digest(json.dumps({k: v for k, v in full.items() if k not in ("label", "record")},
                              sort_keys=True, separators=(",", ":")))


def seeds(config) -> dict:
    """The integer seeds of one run, spawned from ``SeedSequence(config["seed"])`` with the
    ids as spawn keys: ``"weights"`` (from :func:`start_id`) and ``"trainer"`` (from
    :func:`run_id`)."""
    root = normalise(config)["seed"]
    out = {}
    for name, key in (("weights", start_id(config)), ("trainer", run_id(config))):
        sequence = np.random.SeedSequence(root, spawn_key=(int(key, 16),))
        out[name] = int(sequence.generate_state(1, dtype=np.uint32)[0])
    return out

"""Bad input for the boundary suite, and the check that a call works or fails cleanly.

``at_boundary(fn, *args)`` calls ``fn`` with RuntimeWarnings turned into errors and passes
when it returns, or raises an allowed exception (ValueError, TypeError) with a message.
``KNOWN_BUGS`` lists failures found in code owned elsewhere; each is pinned by a strict
xfail test (``test_known_bug_*`` in test_known_bugs.py), and the property tests step over it
so they keep guarding everything else.  When a bug is fixed, its xfail test passes, fails
as strict, and its entry here goes.
"""

import traceback
import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

ALLOWED = (ValueError, TypeError)
FILE_ERRORS = (ValueError, TypeError, OSError)   # for the loaders and load, which read files


def raised_in(exc, path, *functions):
    """Whether one of ``functions`` in the file ending in ``path`` is on ``exc``'s traceback."""
    return any(f.filename.replace("\\", "/").endswith(path) and f.name in functions
               for f in traceback.extract_tb(exc.__traceback__))


def _warned_in(path, *functions):
    return lambda exc: isinstance(exc, RuntimeWarning) and raised_in(exc, path, *functions)


KNOWN_BUGS = {}     # none open: each one found so far is fixed and guarded in test_known_bugs.py


def at_boundary(fn, *args, allowed=ALLOWED, **kwargs):
    """Call ``fn``: return its result, or None after an allowed exception with a message.

    A RuntimeWarning (overflow, invalid value, a discarded imaginary part) is an error;
    any exception outside ``allowed`` and ``KNOWN_BUGS`` propagates and fails the test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return fn(*args, **kwargs)
        except allowed as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            return None
        except Exception as exc:
            if any(known(exc) for known in KNOWN_BUGS.values()):
                return None
            raise


def moderate(*values, bound=1e100) -> bool:
    """True if every value is None or real numbers whose finite entries are 0 or of a
    magnitude in ``[1e-100, bound]``.  NaN and inf count as moderate: a call that works on
    moderate input must give finite results, so NaN in must be refused, never passed on.
    """
    for value in values:
        if value is None:
            continue
        if isinstance(value, (str, bytes)):
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                array = np.asarray(value)
                if array.dtype.kind not in "biuf":
                    return False
                magnitude = np.abs(array.astype(np.float64))
        except Exception:
            return False
        magnitude = magnitude[np.isfinite(magnitude)]
        if not (np.all(magnitude <= bound) and np.all((magnitude == 0) | (magnitude >= 1e-100))):
            return False
    return True


SPECIAL_FLOATS = st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e308, -1.5e308,
                                  5e-324, 0.0])
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | SPECIAL_FLOATS
DTYPES = st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
                   hnp.boolean_dtypes(), hnp.complex_number_dtypes(),
                   hnp.unicode_string_dtypes(max_len=3), hnp.byte_string_dtypes(max_len=3),
                   hnp.datetime64_dtypes(), hnp.timedelta64_dtypes())
# Integers stay small or absurd: a drawn 2**28 as a width or a sample count would allocate
# gigabytes before failing (absurd sizes fail at once; test_*_of_impossible_size).
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.sampled_from([2**63, -2**70]),
                 FLOATS, st.complex_numbers(),
                 st.text(max_size=4), st.binary(max_size=4), st.sets(st.integers(), max_size=2),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                 st.builds(object), st.just(Ellipsis))


def maybe(valid, invalid=JUNK):
    """A valid value two times in three, else something of the wrong type or range."""
    return st.one_of(valid, valid, invalid)


def _object_arrays(shape):
    size = int(np.prod(shape))
    return st.lists(JUNK | FLOATS, min_size=size, max_size=size).map(
        lambda items: np.array(items + [None], dtype=object)[:-1].reshape(shape))


def _shapes(n_rows, n_cols):
    """Mostly the expected shape, sometimes another one (0-3 dimensions, empty sides)."""
    return st.one_of(st.just((n_rows, n_cols)), st.just((n_rows,)), st.just((0, n_cols)),
                     st.just((n_rows, 0)),
                     hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))


def bad_arrays(n_rows, n_cols):
    """Data of roughly shape ``(n_rows, n_cols)``: any dtype, any values, or plain junk."""
    floats = _shapes(n_rows, n_cols).flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=FLOATS)
        | hnp.arrays(np.float64, s, elements=st.floats(-1e300, 1e300) | SPECIAL_FLOATS))
    any_dtype = st.tuples(DTYPES, _shapes(n_rows, n_cols)).flatmap(
        lambda a: hnp.arrays(a[0], a[1]))
    return st.one_of(floats, floats, any_dtype, _shapes(n_rows, n_cols).flatmap(_object_arrays),
                     floats.map(lambda a: a.tolist()), JUNK,
                     st.lists(st.lists(FLOATS | JUNK, max_size=4), max_size=4))


def good_arrays(*shape, scale=1.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(-scale, scale))


def data(n_rows, n_cols):
    """Valid data half of the time (so later arguments get checked too), else bad data."""
    return good_arrays(n_rows, n_cols, scale=5.0) | bad_arrays(n_rows, n_cols)


def sample_weights(n_rows):
    return st.one_of(st.none(), hnp.arrays(np.float64, (n_rows,), elements=st.floats(0, 10)),
                     bad_arrays(n_rows, 1))


CSV_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.lists(st.sampled_from(["1.5", "x", "", "nan", "1e999", "-3", '"', ",", " "]),
                      min_size=1, max_size=6), max_size=4).map(
        lambda rows: "AT,V,AP,RH,PE\n" + "\n".join(",".join(r) for r in rows)),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
"""Contents for the data files the UCI loaders read: text, a CCPP header and odd cells."""


def huge_data(where, scale=1e300):
    """40 rows of normal X (3 columns) and Y (2), ``X``, ``Y`` or ``both`` times ``scale``."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    return (X * scale if where in ("X", "both") else X,
            Y * scale if where in ("Y", "both") else Y)

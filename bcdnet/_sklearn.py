"""What makes BCDRegressor a scikit-learn estimator, without importing scikit-learn.

scikit-learn (>= 1.6) recognises an estimator by its protocol, not by its base classes:
``get_params``/``set_params``, ``__sklearn_tags__`` (asked by ``clone``, ``Pipeline``,
``GridSearchCV``, ``check_is_fitted``), ``__sklearn_is_fitted__`` and the errors it catches.
bcdnet keeps to that protocol and imports scikit-learn only inside the functions below,
which only scikit-learn itself (or a user) calls, so ``import bcdnet`` never imports it,
whatever the order of the imports.  Inheriting ``BaseEstimator`` would need the import at
class creation; inheriting it only when scikit-learn happens to be imported already would
make the class depend on import order.

``NotFittedError`` is made the same way: the class is created at its first use (the first
``bcdnet.NotFittedError`` or the first unfitted ``predict``), as a subclass of
scikit-learn's ``NotFittedError`` when scikit-learn can be imported then, so
``except sklearn.exceptions.NotFittedError`` catches bcdnet's; otherwise of ``ValueError``
and ``AttributeError``, the bases scikit-learn's has.  Within one process it is one class.
"""

from __future__ import annotations

__all__ = ["not_fitted_error", "regressor_tags"]

_NotFittedError = None


def not_fitted_error() -> type:
    """The class ``bcdnet.NotFittedError`` (created on the first call)."""
    global _NotFittedError
    if _NotFittedError is None:
        try:
            from sklearn.exceptions import NotFittedError as base
            bases = (base,)
        except Exception:          # not installed, or an installation that fails to import
            bases = (ValueError, AttributeError)
        _NotFittedError = type("NotFittedError", bases, {
            "__module__": "bcdnet.estimator",
            "__doc__": "Raised when ``predict`` or ``score`` is called before ``fit`` "
                       "(scikit-learn's ``NotFittedError`` when scikit-learn is installed)."})
    return _NotFittedError


def regressor_tags(estimator):
    """``__sklearn_tags__`` of a dense, finite-input, multi-output regressor."""
    from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

    return Tags(estimator_type="regressor",
                target_tags=TargetTags(required=True, multi_output=True, single_output=True),
                regressor_tags=RegressorTags(poor_score=False),
                input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
                requires_fit=True, non_deterministic=False)

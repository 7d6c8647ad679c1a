r"""
The estimator in a scikit-learn pipeline
========================================

:class:`~bcdnet.estimator.BCDRegressor` wraps the network, the scaling and the Trainer
behind scikit-learn's ``fit`` / ``predict`` / ``score``, so it composes with the rest of
scikit-learn: here a :class:`~sklearn.pipeline.Pipeline` that adds a feature, a grid search
over one hyperparameter with cross-validation, and a parity plot on held-out rows of the
simulated reactor.  (``import bcdnet`` never imports scikit-learn; this example does.)
"""

# %%
# Data and a pipeline
# -------------------
# The estimator standardises inputs and targets itself.  The pipeline's first step appends
# :math:`\log` of the residence time :math:`\tau = V / F`, a feature a chemical engineer
# would add by hand.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import bcdnet as bn

data = bn.datasets.make_cstr()
X, y = data.to_numpy()
y = y[:, 0]                                          # the outlet concentration C_A
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=1500, test_size=1500,
                                                    random_state=0)


def add_log_residence_time(X):
    return np.column_stack([X, np.log(X[:, 1] / X[:, 0])])


pipe = Pipeline([
    ("features", FunctionTransformer(add_log_residence_time)),
    ("bcd", bn.BCDRegressor(hidden=(8, 8), n_networks=1, max_iter=20, random_state=0)),
])
print(pipe)

# %%
# Cross-validated choice of the layer selector
# --------------------------------------------
# Hyperparameters of a step are reached as ``<step>__<name>``, as for any scikit-learn
# estimator.
search = GridSearchCV(pipe, {"bcd__selector": ["most_sensitive", "forward"]}, cv=3,
                      scoring="r2")
search.fit(X_train, y_train)
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"{params}: mean cross-validated R² {score:.4f}")
print("best:", search.best_params_, f"test R² {search.score(X_test, y_test):.4f}")

# %%
# Predictions on held-out rows
# ----------------------------
pred = search.predict(X_test)
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.plot(y_test, pred, ".", ms=3)
lims = [y_test.min(), y_test.max()]
ax.plot(lims, lims, "k:", lw=1)
ax.set(xlabel=r"$C_A$ simulated [mol/L]", ylabel=r"$C_A$ predicted [mol/L]",
       title="BCDRegressor in a pipeline, test rows")
fig.tight_layout()

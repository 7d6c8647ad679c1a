r"""Simulated data from a steady-state, isothermal CSTR with the reaction A → B.

The model
---------
A liquid-phase, constant-density continuous stirred-tank reactor runs the first-order,
irreversible reaction A → B.  The rate constant follows Arrhenius' law

.. math::

    k(T) = k_0 \exp\!\left(-\frac{E}{R\,T}\right),
    \qquad k_0 = 7.2\times10^{10}\ \mathrm{min^{-1}},\quad E/R = 8750\ \mathrm{K},

the standard exothermic-CSTR benchmark values (Henson & Seborg, *Nonlinear Process Control*,
1997; Seborg et al., *Process Dynamics and Control*, Example 2.5).  The mole balance on A at
steady state, :math:`F (C_{A0} - C_A) = k V C_A`, gives with the Damköhler number
:math:`Da = k V / F`

.. math::

    C_A = \frac{C_{A0}}{1 + Da}, \qquad C_B = C_{A0} - C_A, \qquad P = F\,C_B .

The temperature is an input (held by jacket control), so no energy balance is solved.
Paper A simulates "a CSTR" with these inputs and outputs but does not print its equations;
this model, its parameters and its input ranges are our reconstruction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import (check_choice, check_int, check_no_overflow, check_nonnegative,
                           check_rng_seed)
from ._base import Dataset

__all__ = ["make_cstr", "cstr_outputs"]

K0 = 7.2e10
"""Arrhenius pre-exponential factor k0 (1/min)."""

E_OVER_R = 8750.0
"""Activation temperature E/R (K)."""

INPUT_RANGES = {
    "F [L/min]": (50.0, 150.0),
    "V [L]": (50.0, 150.0),
    "T [K]": (320.0, 380.0),
    "C_A0 [mol/L]": (0.5, 1.5),
}
"""The input box: volumetric feed flow F, reactor volume V, temperature T, feed concentration."""

OUTPUT_NAMES = ("C_A [mol/L]", "P [mol/min]")
"""Outlet concentration of A and the molar production rate of B."""

_DESCRIPTION = """\
Steady-state isothermal CSTR, first-order irreversible reaction A -> B (simulated).

Model: k = k0 exp(-(E/R)/T) with k0 = 7.2e10 1/min and E/R = 8750 K (Henson & Seborg 1997);
Da = k V / F; C_A = C_A0 / (1 + Da); C_B = C_A0 - C_A; P = F C_B.

Inputs (X):
  F [L/min]     volumetric feed flow          50 ... 150
  V [L]         reactor volume                50 ... 150
  T [K]         reactor temperature          320 ... 380
  C_A0 [mol/L]  feed concentration of A      0.5 ... 1.5
Outputs (y):
  C_A [mol/L]   outlet concentration of A
  P [mol/min]   production rate of B, F * C_B (spans about two orders of magnitude)

Design: {design}.
Noise: {noise}.

Paper A simulates a CSTR with these four inputs and two outputs but does not give its
equations; this model, its parameters and its input ranges are bcdnet's reconstruction."""


def cstr_outputs(F, V, T, C_A0) -> tuple[np.ndarray, np.ndarray]:
    """Steady-state outlet concentration and production rate of the CSTR.

    Parameters
    ----------
    F : ndarray of shape (n_samples,)
        Volumetric feed flow (L/min).
    V : ndarray of shape (n_samples,)
        Reactor volume (L).
    T : ndarray of shape (n_samples,)
        Reactor temperature (K).
    C_A0 : ndarray of shape (n_samples,)
        Feed concentration of A (mol/L).

    Returns
    -------
    C_A : ndarray of shape (n_samples,)
        Outlet concentration of A (mol/L).
    P : ndarray of shape (n_samples,)
        Production rate of B, ``F * C_B`` (mol/min).
    """
    damkohler = K0 * np.exp(-E_OVER_R / T) * V / F
    C_A = C_A0 / (1.0 + damkohler)
    P = F * (C_A0 - C_A)
    return C_A, P


def _grid_inputs(n_samples: int) -> np.ndarray:
    """The full-factorial grid with ``m = n_samples ** (1/4)`` points per axis, 'ij' order."""
    m = round(n_samples ** 0.25)
    while m ** 4 > n_samples:  # guard against rounding of the fourth root
        m -= 1
    while (m + 1) ** 4 <= n_samples:
        m += 1
    if m ** 4 != n_samples or m < 2:
        below, above = max(m, 2), m + 1
        raise ValueError(
            f"n_samples must be a fourth power m**4 with m >= 2 for design='grid' "
            f"(m points per input), got {n_samples}; the nearest are {below ** 4} (m={below}) "
            f"and {above ** 4} (m={above}); use design='random' for any other count"
        )
    axes = [np.linspace(low, high, m) for low, high in INPUT_RANGES.values()]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([grid.ravel() for grid in mesh], axis=1)


def _random_inputs(n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Independent uniform draws over the input box."""
    low, high = np.array(list(INPUT_RANGES.values())).T
    return rng.uniform(low, high, size=(n_samples, len(INPUT_RANGES)))


def make_cstr(n_samples: int = 10_000, design: str = "grid", noise: float = 0.0,
              seed=0) -> Dataset:
    r"""Simulate the steady-state isothermal CSTR A → B over a box of operating conditions.

    Parameters
    ----------
    n_samples : int, default 10_000
        Number of rows.  For ``design="grid"`` it must be a fourth power :math:`m^4`
        (:math:`m \ge 2` points per input): 10,000 is the 10×10×10×10 grid of Paper A, 6,561
        is 9 per axis, and so on.  Other counts raise ``ValueError`` naming the nearest valid
        ones, rather than silently thinning a grid; use ``design="random"`` for them.
    design : {"grid", "random"}, default "grid"
        ``"grid"``: the full factorial of ``np.linspace`` over each input range, in
        ``indexing="ij"`` order (F varies slowest, C_A0 fastest); needs no random numbers.
        ``"random"``: independent uniform draws over the box.
    noise : float, default 0.0
        Relative standard deviation of additive Gaussian noise on the targets.  Each output
        column :math:`j` receives :math:`\varepsilon_{nj} \sim \mathcal N(0,
        (\text{noise}\cdot s_j)^2)`, where :math:`s_j` is the standard deviation (ddof=0) of
        the noise-free column in this sample.  Relative, because P spans two orders of
        magnitude while C_A stays below 1.5 mol/L.  The noise is not clipped, so large values
        can give negative concentrations; noise so large that a target overflows float64
        (noise beyond about 1e306) raises ``ValueError``.  The inputs are exact.
    seed : int, numpy SeedSequence or Generator, or None, default 0
        Seeds the random design and the noise.  The same seed gives identical data.

    Returns
    -------
    Dataset
        ``X`` has shape (n_samples, 4) and columns ``"F [L/min]"``, ``"V [L]"``, ``"T [K]"``,
        ``"C_A0 [mol/L]"``.  ``y`` has shape (n_samples, 2) and columns ``"C_A [mol/L]"`` and
        ``"P [mol/min]"``.  ``description`` states the model, units, ranges, design and noise.

    Notes
    -----
    On the default grid, :math:`Da \in [0.032, 21.6]`, :math:`C_A \in [0.022, 1.454]` mol/L
    and :math:`P \in [2.19, 197.5]` mol/min.  See the module docstring for the model.

    Examples
    --------
    >>> data = make_cstr()
    >>> data.X.shape, data.y.shape
    ((10000, 4), (10000, 2))
    """
    design = check_choice(design, "design", ("grid", "random"))
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_nonnegative(noise, "noise")
    rng = check_rng_seed(seed)

    inputs = _grid_inputs(n_samples) if design == "grid" else _random_inputs(n_samples, rng)
    C_A, P = cstr_outputs(*inputs.T)
    outputs = np.stack([C_A, P], axis=1)
    if noise > 0:
        with np.errstate(over="ignore", invalid="ignore"):   # noise near 1e308: refused below
            scale = noise * outputs.std(axis=0)
            outputs = outputs + rng.normal(size=outputs.shape) * scale
        check_no_overflow(outputs, noise, "noise", "the noisy targets")
        noise_text = (f"additive Gaussian, standard deviation {noise:g} x each output's "
                      f"noise-free standard deviation (C_A: {scale[0]:.4g} mol/L, "
                      f"P: {scale[1]:.4g} mol/min)")
    else:
        noise_text = "none (exact steady-state values)"
    if design == "grid":
        m = round(n_samples ** 0.25)
        design_text = f"full-factorial grid, {m} linearly spaced values per input ('ij' order)"
    else:
        design_text = f"{n_samples} independent uniform draws over the input box"

    X = pd.DataFrame(inputs, columns=list(INPUT_RANGES))
    y = pd.DataFrame(outputs, columns=list(OUTPUT_NAMES))
    description = _DESCRIPTION.format(design=design_text, noise=noise_text)
    return Dataset(X, y, name="cstr", description=description)

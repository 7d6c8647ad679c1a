"""Optimizer benchmark: L-BFGS against SciPy's L-BFGS-B, Barzilai–Borwein against gradient
descent, ICRS on the sphere and Rosenbrock, and the per-iteration overhead of each method.

Run ``python -m benchmarks.bench_optim [--quick]``; it writes ``benchmarks/results/optim.md``.
``run(quick, out_dir)`` does the same and returns the numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.optimize

from benchmarks._machine import machine_description

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bcdnet._atomic import atomic_write  # noqa: E402
from bcdnet.optim import GD, ICRS, LBFGS, Adam, BarzilaiBorwein  # noqa: E402
from tests.optim.optim_problems import (extended_rosenbrock, gd_gradient_after,  # noqa: E402
                                        gd_iterations_to_tol, lbfgs_problems, quadratic,
                                        sphere)

try:
    from threadpoolctl import threadpool_limits
except ImportError:                                    # timings then use the BLAS default
    threadpool_limits = None

MEMORY = 10
GTOL = 1e-6


def inf_norm(v) -> float:
    return float(np.max(np.abs(v)))


# ---------------------------------------------------------------- L-BFGS vs SciPy
def lbfgs_vs_scipy() -> list[dict]:
    """Each acceptance problem: our L-BFGS and L-BFGS-B, same memory, gtol 1e-6, ftol 0."""
    rows = []
    for problem in lbfgs_problems():
        ours = LBFGS(history_size=MEMORY, max_iter=100_000, gtol=GTOL, ftol=0.0).minimize(
            problem.fun, problem.x0)
        ref = scipy.optimize.minimize(problem.fun, problem.x0, jac=True, method="L-BFGS-B",
                                      options={"maxcor": MEMORY, "gtol": GTOL, "ftol": 0.0,
                                               "maxiter": 100_000, "maxfun": 100_000})
        rows.append({"problem": problem.name, "n": problem.x0.size,
                     "ours_nfev": ours.nfev, "ours_nit": ours.nit,
                     "ours_gnorm": inf_norm(problem.fun(ours.x)[1]), "ours_status": ours.status.name,
                     "scipy_nfev": int(ref.nfev), "scipy_nit": int(ref.nit),
                     "scipy_gnorm": inf_norm(problem.fun(ref.x)[1]), "scipy_message": ref.message,
                     "ratio": ours.nfev / ref.nfev})
    return rows


# ---------------------------------------------------------------- BB vs GD
STEP_GRID = (0.25, 0.5, 1.0, 1.5, 1.9, 1.99, 1.999)      # times 1/L; 2/L diverges


def bb_vs_gd(quick: bool) -> dict:
    """BB (each variant, GLL window 10 and 1) and GD over a grid of fixed steps."""
    problem = quadratic()
    L, mu = problem.lipschitz, problem.mu
    cap = 5_000 if quick else 300_000
    bb = {}
    for variant in (1, 2, 3):
        for window in (10, 1):
            res = BarzilaiBorwein(variant=variant, window=window, max_iter=cap,
                                  gtol=GTOL).minimize(problem.fun, problem.x0)
            bb[(variant, window)] = (res.nit, res.nfev, res.status.name)
    bb_nit = bb[(2, 10)][0]                       # the default: variant 2, window 10
    steps = [c / L for c in STEP_GRID]
    if not quick:          # counting GD's steps at 2/(L + mu) alone takes ~15 s
        steps.append(2.0 / (L + mu))
    gd = [(h * L, gd_iterations_to_tol(problem, h, GTOL)) for h in steps]
    best_hL, best = min(gd, key=lambda item: item[1])
    # measured: our GD with the best step, for 10x BB's iterations (quick: a short run)
    budget = 2_000 if quick else 10 * bb_nit
    start = time.perf_counter()
    run = GD(lr=best_hL / L, max_iter=budget, gtol=GTOL).minimize(problem.fun, problem.x0)
    check = {"steps": budget, "status": run.status.name, "seconds": time.perf_counter() - start,
             "measured_gnorm": inf_norm(run.jac),
             "closed_form_gnorm": inf_norm(gd_gradient_after(problem, best_hL / L, run.nit))}
    return {"bb": bb, "cap": cap, "bb_default_nit": bb_nit, "gd": gd, "best_hL": best_hL,
            "best_gd": best, "check": check}


# ---------------------------------------------------------------- ICRS
def icrs_runs(quick: bool) -> dict:
    seeds = range(2 if quick else 5)
    out = {"sphere": [], "rosenbrock": []}
    problem = sphere(10)
    f0 = problem.value(problem.x0)
    for seed in seeds:
        res = ICRS(seed=seed, max_eval=20_000).minimize(problem.value, problem.x0)
        reach = np.flatnonzero(res.trace <= f0 / 1e6)
        out["sphere"].append({"seed": seed, "nfev": res.nfev, "reduction": f0 / res.fun,
                              "evals_to_1e6": int(reach[0]) + 1 if reach.size else None,
                              "monotone": bool((np.diff(res.trace) <= 0).all()),
                              "status": res.status.name})
    problem = extended_rosenbrock(2)
    for seed in seeds:
        res = ICRS(seed=seed, max_eval=20_000).minimize(problem.value, problem.x0)
        reach = np.flatnonzero(res.trace <= 1e-3)
        out["rosenbrock"].append({"seed": seed, "nfev": res.nfev, "fun": res.fun,
                                  "evals_to_1e-3": int(reach[0]) + 1 if reach.size else None,
                                  "status": res.status.name})
    return out


# ---------------------------------------------------------------- overhead per iteration
def overhead(quick: bool) -> list[dict]:
    """Seconds per iteration on a diagonal quadratic whose evaluation costs next to nothing.

    ``fun`` time is measured separately and subtracted, leaving the optimizer's own cost.
    BLAS runs on one thread: NumPy and SciPy load two OpenBLAS copies whose idle threads
    otherwise fight over the cores and inflate small-vector timings a hundredfold.
    """
    if threadpool_limits is None:
        return _overhead(quick)
    with threadpool_limits(limits=1, user_api="blas"):
        return _overhead(quick)


def best_time(fn, repeats: int) -> float:
    """Shortest wall time of ``fn()`` over ``repeats`` calls after one warm-up call.

    The minimum, not the median: on a shared machine the spread above it is other load.
    """
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _overhead(quick: bool) -> list[dict]:
    rows = []
    repeats = 5 if quick else 30
    iters = 50
    for n in (30, 300, 1500):
        d = np.logspace(0, 3, n)
        x0 = np.ones(n)

        def fun(x):
            return float(0.5 * x @ (d * x)), d * x

        t_fun = best_time(lambda: fun(x0), repeats=200)
        cases = {
            "L-BFGS (m=10)": lambda: LBFGS(max_iter=iters, gtol=0.0, ftol=0.0).minimize(fun, x0),
            "BB": lambda: BarzilaiBorwein(max_iter=iters, gtol=0.0).minimize(fun, x0),
            "Adam": lambda: Adam(max_iter=iters).minimize(fun, x0),
            "GD": lambda: GD(lr=1e-4, max_iter=iters).minimize(fun, x0),
            "scipy L-BFGS-B (m=10)": lambda: scipy.optimize.minimize(
                fun, x0, jac=True, method="L-BFGS-B",
                options={"maxcor": 10, "maxiter": iters, "gtol": 0.0, "ftol": 0.0}),
        }
        for name, call in cases.items():
            res = call()
            total = best_time(call, repeats)
            rows.append({"n": n, "method": name, "per_iter_us": total / res.nit * 1e6,
                         "own_us": (total - res.nfev * t_fun) / res.nit * 1e6,
                         "nfev_per_iter": res.nfev / res.nit, "fun_us": t_fun * 1e6})
    return rows


# ---------------------------------------------------------------- report
def report(results: dict) -> str:
    lines = ["# Optimizers", "",
             "Written by `python -m benchmarks.bench_optim`"
             + (" (quick mode)" if results["quick"] else "") + ".", "",
             "## L-BFGS against SciPy's L-BFGS-B", "",
             f"Both with memory m = {MEMORY}, gtol = {GTOL:g} on the ∞-norm of the gradient, "
             "ftol = 0 (so only the gradient test stops them), standard starting points "
             "(Moré, Garbow & Hillstrom 1981). ‖∇f‖∞ is recomputed at the returned x. "
             "Acceptance: ours reaches 1e-6 with at most 1.5× SciPy's evaluations.", "",
             "| problem | n | ours nfev | ours nit | ours ‖∇f‖∞ | SciPy nfev | SciPy nit "
             "| SciPy ‖∇f‖∞ | nfev ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["lbfgs"]:
        lines.append(f"| {r['problem']} | {r['n']} | {r['ours_nfev']} | {r['ours_nit']} | "
                     f"{r['ours_gnorm']:.2e} | {r['scipy_nfev']} | {r['scipy_nit']} | "
                     f"{r['scipy_gnorm']:.2e} | {r['ratio']:.2f} |")
    bg = results["bb_gd"]
    lines += ["", "## Barzilai–Borwein against gradient descent",
              "", "50-dimensional quadratic, eigenvalues log-spaced in [1, 1e6] under a random "
              f"rotation, start 0, stop at ‖∇f‖∞ ≤ {GTOL:g}. Iterations (evaluations):", "",
              "| BB variant | window M = 10 (GLL) | window M = 1 (monotone Armijo) |",
              "|---|---:|---:|"]
    for variant in (1, 2, 3):
        cells = []
        for window in (10, 1):
            nit, nfev, status = bg["bb"][(variant, window)]
            cells.append(f"{nit:,} ({nfev:,})" if status == "GTOL"
                         else f"not reached in {bg['cap']:,} ({status})")
        lines.append(f"| BB{variant}{' (default)' if variant == 2 else ''} | "
                     + " | ".join(cells) + " |")
    lines += ["", "Gradient descent with fixed step h, iterations to the same tolerance (at "
              "h ≥ 2/L it diverges). The counts are exact, from the closed form "
              "g_k = Q diag(λ(1 − hλ)^k) Qᵀ(x₀ − x*) (`gd_iterations_to_tol` in "
              "`tests/optim/optim_problems.py`, which a test checks against our GD's own "
              "count); running GD to them would take minutes per step size:", "",
              "| h·L | GD iterations | BB (default) advantage |", "|---:|---:|---:|"]
    for hL, k in bg["gd"]:
        lines.append(f"| {hL:.4g} | {k:,} | {k / bg['bb_default_nit']:.0f}× |")
    c = bg["check"]
    lines += ["", f"Best fixed step of the grid: h·L = {bg['best_hL']:.4g}, {bg['best_gd']:,} "
              f"iterations, {bg['best_gd'] / bg['bb_default_nit']:.0f}× the "
              f"{bg['bb_default_nit']:,} of BB (acceptance: ≥ 10×). Measured: our GD with that "
              f"step for {c['steps']:,} iterations ({c['seconds']:.1f} s) stopped with "
              f"{c['status']} at ‖∇f‖∞ = {c['measured_gnorm']:.6e} (closed form "
              f"{c['closed_form_gnorm']:.6e}).", ""]
    ic = results["icrs"]
    lines += ["## ICRS", "", "10-d sphere from x₀ = 1 (f₀ = 10), budget 20,000 evaluations, "
              "default settings; acceptance: a 1e6 reduction with a monotone best-value trace.",
              "", "| seed | evaluations to 1e6 reduction | final reduction | evaluations | stop "
              "| trace monotone |", "|---:|---:|---:|---:|---|---|"]
    for r in ic["sphere"]:
        lines.append(f"| {r['seed']} | {r['evals_to_1e6']} | {r['reduction']:.2e} | "
                     f"{r['nfev']} | {r['status']} | {r['monotone']} |")
    lines += ["", "Rosenbrock-2 from (−1.2, 1), budget 20,000; acceptance: f ≤ 1e-3.", "",
              "| seed | evaluations to f ≤ 1e-3 | final f | evaluations | stop |",
              "|---:|---:|---:|---:|---|"]
    for r in ic["rosenbrock"]:
        lines.append(f"| {r['seed']} | {r['evals_to_1e-3']} | {r['fun']:.2e} | {r['nfev']} | "
                     f"{r['status']} |")
    lines += ["", "## Cost per iteration", "",
              "Diagonal quadratic, 50 iterations, best of repeated runs, BLAS on one thread"
              + ("" if threadpool_limits else " (threadpoolctl missing: not enforced)")
              + ". *own* subtracts the time of the evaluations (measured alone), leaving the "
              "optimizer's arithmetic and Python overhead.", "",
              "| n | method | µs / iteration | own µs / iteration | evaluations / iteration |",
              "|---:|---|---:|---:|---:|"]
    for r in results["overhead"]:
        lines.append(f"| {r['n']} | {r['method']} | {r['per_iter_us']:.1f} | "
                     f"{r['own_us']:.1f} | {r['nfev_per_iter']:.2f} |")
    lines += ["", "## Machine", "", machine_description(), ""]
    return "\n".join(lines)


def run(quick: bool = False, out_dir=ROOT / "benchmarks" / "results") -> dict:
    """Run every part, write ``optim.md`` into ``out_dir`` and return the numbers."""
    start = time.perf_counter()
    results = {"quick": quick, "lbfgs": lbfgs_vs_scipy(), "bb_gd": bb_vs_gd(quick),
               "icrs": icrs_runs(quick), "overhead": overhead(quick),
               "scipy": scipy.__version__}
    results["seconds"] = time.perf_counter() - start
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "optim.md"
    atomic_write(target, report(results))
    results["path"] = target
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and repeats")
    parser.add_argument("--out-dir", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    results = run(quick=args.quick, out_dir=args.out_dir)
    print(f"wrote {results['path']} in {results['seconds']:.1f} s")


if __name__ == "__main__":
    main()

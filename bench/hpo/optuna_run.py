#!/usr/bin/env python3
"""Optuna side of bench:hpo: runs Optuna's samplers on the same problems as bench/hpo/functions.ts.

Writes one JSON object per run on stdout:
{"problem", "algo", "seed", "trace" (log10 best regret per trial, floor 1e-8), "msAt100", "msAt200"}.
Timing is the wall-clock of study.ask() + the sampler work, averaged over trials 91-100 / 191-200.
"""
import argparse
import json
import math
import os
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

PI = math.pi


def branin(x, s=1.0):
    x1, x2 = x
    b = 5.1 / (4 * PI * PI) - 0.1 * (1 - s)
    return (x2 - b * x1 * x1 + 5 / PI * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * PI)) * math.cos(x1) + 10


H3A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3P = [[v * 1e-4 for v in r] for r in [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]]
H6A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6P = [[v * 1e-4 for v in r] for r in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]


def hartmann(A, P, x):
    alpha = [1.0, 1.2, 3.0, 3.2]
    return -sum(alpha[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(len(x)))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x)
    s2 = sum(math.cos(2 * PI * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(s1 / d)) - math.exp(s2 / d) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(PI * w[0]) ** 2
    for i in range(len(w) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(PI * w[i] + 1) ** 2)
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)


def styblinski(x):
    return 0.5 * sum(v ** 4 - 16 * v * v + 5 * v for v in x)


def rastrigin(x):
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * PI * v) for v in x)


def michalewicz(x):
    return -sum(math.sin(v) * math.sin((i + 1) * v * v / PI) ** 20 for i, v in enumerate(x))


STYB = -39.16616570377142
SYN = {
    "branin2": ([(-5, 10), (0, 15)], 0.397887357729739, branin),
    "hartmann3": ([(0, 1)] * 3, -3.86278214782076, lambda x: hartmann(H3A, H3P, x)),
    "hartmann6": ([(0, 1)] * 6, -3.32236801141551, lambda x: hartmann(H6A, H6P, x)),
    "rosenbrock5": ([(-5, 10)] * 5, 0.0, rosenbrock),
    "levy5": ([(-10, 10)] * 5, 0.0, levy),
    "styblinski5": ([(-5, 5)] * 5, STYB * 5, styblinski),
    "styblinski10": ([(-5, 5)] * 10, STYB * 10, styblinski),
    "michalewicz5": ([(0, PI)] * 5, -4.687658179, michalewicz),
    "ackley5": ([(-32.768, 32.768)] * 5, 0.0, ackley),
    "ackley10": ([(-32.768, 32.768)] * 10, 0.0, ackley),
    "rastrigin5": ([(-5.12, 5.12)] * 5, 0.0, rastrigin),
}
# Same fixed offsets (fraction of the range) as SHIFTS in functions.ts.
SHIFTS = {"ackley5": [0.13, -0.07, 0.17, -0.15, 0.04], "rastrigin5": [-0.11, 0.16, 0.05, -0.18, 0.09]}
for _name, _fr in SHIFTS.items():
    _b, _f0, _f = SYN[_name]
    _delta = [fr * (hi - lo) for fr, (lo, hi) in zip(_fr, _b)]
    SYN[_name + "_shifted"] = (_b, _f0, (lambda f, dl: lambda x: f([v - d for v, d in zip(x, dl)]))(_f, _delta))


def make_problem(name, shared):
    if name in SYN:
        bounds, fstar, f = SYN[name]

        def objective(trial):
            x = [trial.suggest_float(f"x{j}", lo, hi) for j, (lo, hi) in enumerate(bounds)]
            return f(x) - fstar
        return objective
    with open(os.path.join(shared, name + ".json")) as fh:
        data = json.load(fh)
    space = data["space"]
    means = [sum(v) / len(v) for v in data["values"]]
    opt = data["optimum_mean_over_seeds"]

    def objective(trial):
        idx = 0
        for s in space:
            ch = s["choices"]
            if all(isinstance(c, (int, float)) for c in ch):
                i = trial.suggest_int(s["name"], 0, len(ch) - 1)
            else:
                i = ch.index(trial.suggest_categorical(s["name"], ch))
            idx = idx * len(ch) + i
        return means[idx] - opt
    return objective


def make_sampler(algo, seed):
    if algo == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if algo == "tpe_mv":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if algo == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if algo == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    raise ValueError(algo)


def run(problem, algo, seed, budget, shared):
    objective = make_problem(problem, shared)
    study = optuna.create_study(sampler=make_sampler(algo, seed))
    best = math.inf
    trace, ms = [], []
    for _ in range(budget):
        t0 = time.perf_counter()
        trial = study.ask()
        value = objective(trial)  # suggest_* calls inside run the sampler; their time is subtracted below
        t_total = time.perf_counter() - t0
        t1 = time.perf_counter()
        objective(optuna.trial.FixedTrial(trial.params))
        t_eval = time.perf_counter() - t1
        study.tell(trial, value)
        ms.append(max(0.0, t_total - t_eval) * 1000)
        best = min(best, value)
        trace.append(math.log10(max(best, 1e-8)))

    def window(end):
        w = ms[max(0, end - 10):end]
        return sum(w) / len(w) if w else None
    return {"problem": problem, "algo": f"optuna-{optuna.__version__.rsplit('.', 1)[0]}:{algo}", "seed": seed,
            "trace": trace, "msAt100": window(100), "msAt200": window(200)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", required=True)
    ap.add_argument("--samplers", default="tpe,random,cmaes")
    ap.add_argument("--seeds", required=True, help="comma-separated seed list")
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--shared", default="")
    a = ap.parse_args()
    for problem in a.problems.split(","):
        for algo in a.samplers.split(","):
            if algo == "cmaes" and problem.startswith("hpolib_"):
                continue  # CMA-ES falls back to independent sampling on categoricals; not meaningful here
            for seed in [int(s) for s in a.seeds.split(",")]:
                print(json.dumps(run(problem, algo, seed, a.budget, a.shared)), flush=True)


if __name__ == "__main__":
    sys.exit(main())

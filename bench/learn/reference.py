"""Reference GBDTs for bench/learn/run.ts: XGBoost (hist) and scikit-learn HistGradientBoosting.

Usage: python3 reference.py data.csv n_train
Rows [0, n_train) train, the rest test. Prints JSON {xgboost: {...}|null, sklearn: {...}|null}.
"""
import json
import sys
import time

import numpy as np


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    t = header.index("target")
    y = data[:, t].astype(np.int32)
    x = np.delete(data, t, axis=1)
    return x, y


def timed(model, xtr, ytr, xte, yte):
    from sklearn.metrics import roc_auc_score

    t0 = time.perf_counter()
    c0 = time.process_time()
    model.fit(xtr, ytr)
    train_s = time.perf_counter() - t0
    # CPU time of all threads: far less sensitive than wall time to other jobs on a shared machine.
    train_cpu_s = time.process_time() - c0
    t0 = time.perf_counter()
    p = model.predict_proba(xte)[:, 1]
    predict_s = time.perf_counter() - t0
    return {
        "train_s": train_s,
        "train_cpu_s": train_cpu_s,
        "predict_s": predict_s,
        "auc": float(roc_auc_score(yte, p)),
    }


def main():
    path, n_train = sys.argv[1], int(sys.argv[2])
    x, y = load(path)
    xtr, ytr, xte, yte = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    out = {"xgboost": None, "xgboost_1thread": None, "sklearn": None, "versions": {}, "errors": {}}
    try:
        import xgboost

        out["versions"]["xgboost"] = xgboost.__version__
        # n_jobs=1 too: a single-thread pair (ours with 1 thread) that load on the other core barely skews.
        for key, jobs in (("xgboost", 2), ("xgboost_1thread", 1)):
            m = xgboost.XGBClassifier(
                n_estimators=100, max_depth=6, learning_rate=0.1, tree_method="hist", n_jobs=jobs,
                max_bin=256, reg_lambda=1.0, min_child_weight=1.0, subsample=1.0, colsample_bytree=1.0,
            )
            out[key] = timed(m, xtr, ytr, xte, yte)
    except Exception as e:  # record and continue with the other reference
        out["errors"]["xgboost"] = repr(e)
    try:
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        out["versions"]["sklearn"] = sklearn.__version__
        m = HistGradientBoostingClassifier(
            max_iter=100, max_depth=6, learning_rate=0.1, max_leaf_nodes=None, early_stopping=False,
            max_bins=255, l2_regularization=1.0, min_samples_leaf=20,
        )
        out["sklearn"] = timed(m, xtr, ytr, xte, yte)
    except Exception as e:
        out["errors"]["sklearn"] = repr(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

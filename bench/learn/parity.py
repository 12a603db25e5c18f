"""scikit-learn counterparts for bench/learn/parity.ts on the same split indices.

Usage: python3 parity.py spec.json   (spec: {"datasets": [{name, path, task, train, test}]})
Prints JSON {dataset: {learner: {"metric": value, "train_s": seconds}}}.
"""
import json
import sys
import time

import numpy as np
import csv
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import LogisticRegression, Ridge
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor


def models(task):
    # min_samples_leaf=1 mirrors our min_child_weight=1 (identical for squared error); sklearn's default is 20.
    hgb = dict(max_iter=100, learning_rate=0.1, max_depth=6, max_leaf_nodes=None, l2_regularization=1.0,
               min_samples_leaf=1, early_stopping=False, random_state=0)
    mlp = dict(hidden_layer_sizes=(64,), learning_rate_init=0.001, batch_size=200, max_iter=200, alpha=1e-4,
               random_state=0)
    if task == "regression":
        return {
            "gbdt": HistGradientBoostingRegressor(**hgb),
            "random_forest": RandomForestRegressor(n_estimators=100, random_state=0),
            "decision_tree": DecisionTreeRegressor(random_state=0),
            "linear_regression": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
            "mlp": make_pipeline(StandardScaler(), MLPRegressor(**mlp)),
        }
    return {
        "gbdt": HistGradientBoostingClassifier(**hgb),
        "random_forest": RandomForestClassifier(n_estimators=100, random_state=0),
        "decision_tree": DecisionTreeClassifier(random_state=0),
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=100)),
        "mlp": make_pipeline(StandardScaler(), MLPClassifier(**mlp)),
    }


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    spec = json.load(open(sys.argv[1]))
    out = {}
    for ds in spec["datasets"]:
        with open(ds["path"], newline="") as f:
            rows = list(csv.reader(f))
        t = rows[0].index("target")
        x = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in rows[1:]], dtype=np.float64)
        y = np.array([r[t] for r in rows[1:]])
        if ds["task"] == "regression":
            y = y.astype(np.float64)
        tr, te = np.array(ds["train"]), np.array(ds["test"])
        res = {}
        for name, m in models(ds["task"]).items():
            t0 = time.perf_counter()
            m.fit(x[tr], y[tr])
            train_s = time.perf_counter() - t0
            p = m.predict(x[te])
            if ds["task"] == "regression":
                res[name] = {"r2": float(r2_score(y[te], p)),
                             "rmse": float(np.sqrt(mean_squared_error(y[te], p))), "train_s": train_s}
            else:
                res[name] = {"accuracy": float(accuracy_score(y[te], p)), "train_s": train_s}
        out[ds["name"]] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Trains a scikit-learn classifier as a Modelyard run (Debian's python3-sklearn is enough).

    modelyard runs submit --code clients/python --command "/usr/bin/python3 examples/train_sklearn.py" \
        --dataset breast-cancer --param n_estimators=50 --follow

Reads the dataset's stored train/validation splits, reports metrics per boosting stage, logs its
params, and writes model.pkl (and model.onnx when skl2onnx is importable) to the output directory,
so the run registers a model version.
"""
import csv
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import modelyard  # noqa: E402

from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402


def load(path, target):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(target)
    X = [[float(v) for i, v in enumerate(r) if i != t] for r in body]
    y = [r[t] for r in body]
    return X, y, [h for i, h in enumerate(header) if i != t]


def main():
    cfg = modelyard.config()
    target = modelyard.target() or cfg.get("target", "target")
    X, y, features = load(modelyard.data_path("train"), target)
    Xv, yv, _ = load(modelyard.data_path("validation"), target)
    params = {
        "n_estimators": int(cfg.get("n_estimators", 50)),
        "max_depth": int(cfg.get("max_depth", 3)),
        "learning_rate": float(cfg.get("learning_rate", 0.1)),
    }
    modelyard.log_params(params)
    print("training GradientBoostingClassifier on %d rows, %d features" % (len(X), len(features)))
    model = GradientBoostingClassifier(random_state=0, **params).fit(X, y)
    for step, proba in enumerate(model.staged_predict_proba(Xv), start=1):
        if step % 10 == 0 or step == params["n_estimators"]:
            modelyard.log_metric("validation_log_loss", log_loss(yv, proba, labels=model.classes_), step=step)
    acc = accuracy_score(yv, model.predict(Xv))
    modelyard.log_metric("validation_accuracy", acc, step=params["n_estimators"])
    # The last metric also goes over HTTP, to show the third channel.
    if os.environ.get("MODELYARD_API_URL"):
        modelyard.log_metric("validation_accuracy_http", acc, via="http")
    out = modelyard.output_dir()
    with open(os.path.join(out, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    with open(os.path.join(out, "features.json"), "w", encoding="utf-8") as f:
        json.dump({"features": features, "target": target, "classes": [str(c) for c in model.classes_]}, f)
    try:
        from skl2onnx import to_onnx  # optional

        onx = to_onnx(model, [[0.0] * len(features)])
        with open(os.path.join(out, "model.onnx"), "wb") as f:
            f.write(onx.SerializeToString())
    except Exception as e:  # skl2onnx missing or the model not convertible: the pickle stands
        print("no ONNX export (%s)" % e.__class__.__name__)
    print("validation accuracy %.4f" % acc)


if __name__ == "__main__":
    main()

"""Modelyard helper for training scripts run as user code (standard library only).

Reads the run contract from the environment (see docs/runs.md) and reports to the server:

    import modelyard
    cfg = modelyard.config()                 # hyperparameters from config.json
    train_csv = modelyard.data_path("train") # the dataset's stored train split, as CSV
    modelyard.log_metric("loss", 0.3, step=1)
    modelyard.log_params({"lr": 0.1})
    modelyard.save_artifact("model.pkl")     # copied into the output directory

Metrics go to stdout as JSON lines (always captured, even without network) unless
``via="http"`` is given, which POSTs them to the API with the run's scoped token.
Outside a run (no MODELYARD_RUN_ID) everything still works locally: metrics print, and artifacts
land in ./output.
"""
import json
import os
import shutil
import sys
import urllib.request

__all__ = ["run_id", "config", "data_path", "output_dir", "log_metric", "log_metrics", "log_params", "save_artifact"]


def run_id():
    """The run's id, or None outside a run."""
    return os.environ.get("MODELYARD_RUN_ID") or None


def config():
    """Hyperparameters of the run (config.json in the working directory)."""
    path = os.environ.get("MODELYARD_CONFIG", "config.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def data_path(split="train"):
    """Path of a split (train, validation or test) of the run's dataset as CSV, or None."""
    return os.environ.get("MODELYARD_DATA_" + split.upper()) or None


def target():
    """The target column of the run's dataset, or None."""
    return os.environ.get("MODELYARD_TARGET") or None


def output_dir():
    """Directory whose files become the run's artifacts (created if missing)."""
    path = os.environ.get("MODELYARD_OUTPUT_DIR") or os.path.join(os.getcwd(), "output")
    os.makedirs(path, exist_ok=True)
    return path


def _api(path, payload):
    url = os.environ.get("MODELYARD_API_URL")
    rid = run_id()
    if not url or not rid:
        raise RuntimeError("not inside a Modelyard run: MODELYARD_API_URL / MODELYARD_RUN_ID are unset")
    headers = {"content-type": "application/json"}
    token = os.environ.get("MODELYARD_TOKEN")
    if token:
        headers["authorization"] = "Bearer " + token
    req = urllib.request.Request(
        url.rstrip("/") + "/api/v1/runs/" + rid + path,
        data=json.dumps(payload).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        body = res.read()
        return json.loads(body) if body else None


def log_metric(name, value, step=None, via="stdout"):
    """Records one metric point. `via` is "stdout" (a JSON line) or "http" (POST to the API)."""
    point = {"metric": str(name), "value": float(value)}
    if step is not None:
        point["step"] = int(step)
    if via == "http":
        _api("/metrics", [point])
    else:
        sys.stdout.write(json.dumps(point) + "\n")
        sys.stdout.flush()


def log_metrics(values, step=None, via="stdout"):
    """Records several metrics at the same step, e.g. log_metrics({"loss": 0.3, "acc": 0.9}, step=2)."""
    for name, value in values.items():
        log_metric(name, value, step=step, via=via)


def log_params(params):
    """Records parameters (stored as text) on the run; printed when outside a run."""
    if run_id() and os.environ.get("MODELYARD_API_URL"):
        _api("/params", params)
    else:
        sys.stdout.write(json.dumps({"params": params}) + "\n")


def save_artifact(path, name=None):
    """Copies a file (or directory) into the output directory; returns the stored path."""
    dest = os.path.join(output_dir(), name or os.path.basename(os.path.normpath(path)))
    if os.path.abspath(path) == os.path.abspath(dest):
        return dest
    if os.path.isdir(path):
        shutil.copytree(path, dest, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(path, dest)
    return dest

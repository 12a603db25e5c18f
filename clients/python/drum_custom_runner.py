"""Hosts a DRUM-style custom.py for `modelyard serve` (stdlib + pandas).

Protocol: JSON lines. Requests on stdin: {"id", "op": "score"|"unstructured"|"transform", ...};
responses on stdout: {"id", "ok": true, ...} or {"id", "ok": false, "error": "..."}. The first
line written is {"id": 0, "ok": ..., "hooks": [...]} after load_model. The user's prints go to
stderr so they never corrupt the protocol.
Usage: python3 drum_custom_runner.py CODE_DIR
"""
import base64
import importlib.util
import io
import json
import math
import os
import sys
import traceback

PROTO = sys.stdout
sys.stdout = sys.stderr


def send(obj):
    PROTO.write(json.dumps(obj, allow_nan=False) + "\n")
    PROTO.flush()


def clean(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def column_cells(col):
    """One output column as JSON values: numbers as floats (NaN -> null); other columns (extra
    output such as ids or explanations) keep their strings and booleans."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return [clean(v) for v in col.to_numpy(dtype=float).tolist()]
    cells = []
    for v in col.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            cells.append(None)
        elif isinstance(v, (str, bool, int, float)):
            cells.append(clean(v) if isinstance(v, float) else v)
        else:
            cells.append(str(v))
    return cells


def frame_payload(out):
    import numpy as np
    import pandas as pd

    if isinstance(out, pd.DataFrame):
        cols = [str(c) for c in out.columns]
        by_column = [column_cells(out.iloc[:, j]) for j in range(out.shape[1])]
        data = [list(row) for row in zip(*by_column)] if by_column else [[] for _ in range(len(out))]
        return {"columns": cols, "data": data}
    if isinstance(out, pd.Series):
        cols = ["Predictions"]
        values = out.to_numpy().reshape(-1, 1)
    else:
        arr = np.asarray(out)
        values = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        cols = ["Predictions"] if values.shape[1] == 1 else [str(i) for i in range(values.shape[1])]
    data = [[clean(float(x)) for x in row] for row in values.astype(float).tolist()]
    return {"columns": cols, "data": data}


def main():
    code_dir = sys.argv[1]
    try:
        path = os.path.join(code_dir, "custom.py")
        spec = importlib.util.spec_from_file_location("custom", path)
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, code_dir)
        spec.loader.exec_module(mod)
        if hasattr(mod, "init"):
            mod.init(code_dir=code_dir)
        model = mod.load_model(code_dir) if hasattr(mod, "load_model") else None
    except Exception as e:  # the server reports this as the load failure (513 in error-server mode)
        send({"id": 0, "ok": False, "error": f"Failed loading hooks from [{path}] : {type(e).__name__}: {e}"})
        return
    hooks = [h for h in ("load_model", "score", "score_unstructured", "transform") if hasattr(mod, h)]
    send({"id": 0, "ok": True, "hooks": hooks})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        rid = req.get("id")
        try:
            op = req["op"]
            if op == "score":
                import pandas as pd

                df = pd.read_csv(io.StringIO(req["csv"]))
                out = mod.score(df, model) if hasattr(mod, "score") else model.predict(df)
                send({"id": rid, "ok": True, **frame_payload(out)})
            elif op == "transform":
                import pandas as pd

                df = pd.read_csv(io.StringIO(req["csv"]))
                out = mod.transform(df, model)
                buf = io.StringIO()
                pd.DataFrame(out).to_csv(buf, index=False)
                send({"id": rid, "ok": True, "csv": buf.getvalue()})
            elif op == "unstructured":
                data = base64.b64decode(req["data"]) if req.get("base64") else req["data"]
                kwargs = {k: req[k] for k in ("mimetype", "charset", "query", "headers")}
                result = mod.score_unstructured(model, data, **kwargs)
                extra = {}
                if isinstance(result, tuple):
                    result, extra = result[0], (result[1] or {})
                if isinstance(result, (bytes, bytearray)):
                    payload = {"data": base64.b64encode(result).decode("ascii"), "base64": True}
                else:
                    payload = {"data": "" if result is None else str(result), "base64": False}
                send({"id": rid, "ok": True, **payload, **{k: extra[k] for k in ("mimetype", "charset") if k in extra}})
            else:
                send({"id": rid, "ok": False, "error": f"unknown op {op}"})
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            send({"id": rid, "ok": False, "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()

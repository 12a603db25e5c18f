"""Reference prediction server of the kind users run today (DRUM/MLflow style): Flask + pandas CSV
parsing + scikit-learn, trained on breast-cancer at start-up. Modelled on
../shared/bench/ref_predict_server.py. Run: MODEL_KIND=gbdt|logreg gunicorn -w 2 -b HOST:PORT ref_server:app"""
import io
import os

import pandas as pd
from flask import Flask, jsonify, request
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

data = load_breast_cancer(as_frame=True)
X, y = data.data, data.target
kind = os.environ.get("MODEL_KIND", "gbdt")
if kind == "gbdt":
    model = HistGradientBoostingClassifier(max_iter=100)
else:
    model = LogisticRegression(max_iter=5000)
model.fit(X, y)
labels = ["malignant", "benign"]
app = Flask(__name__)


@app.get("/ping/")
def ping():
    return jsonify(message="OK")


@app.post("/predict/")
def predict():
    body = request.files["X"].read() if "X" in request.files else request.get_data()
    try:
        df = pd.read_csv(io.BytesIO(body))
    except Exception as e:
        return jsonify(message=f"ERROR: {e}"), 422
    proba = model.predict_proba(df[X.columns])
    return jsonify(predictions=[{labels[0]: float(p[0]), labels[1]: float(p[1])} for p in proba])

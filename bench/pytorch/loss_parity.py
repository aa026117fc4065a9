"""Losses and their gradients in PyTorch, for clgrad's parity test (io/TorchLossParityTest).

usage: loss_parity.py CASES.json OUT.json
CASES.json: {"cases": [{"loss": NAME, "rows": B, "cols": C, "pred": [...], "target": [...], "delta": d}]}
OUT.json:   {"cases": [{"loss": L, "grad": [dL/dpred, row-major]}]}, in float64 (the inputs are float32 values).
NAME: mse, mae, huber, binary_crossentropy, binary_crossentropy_logits, categorical_crossentropy
(probabilities: Keras normalises each row, so cross_entropy of log(p), whose log_softmax is log(p / sum p)),
categorical_crossentropy_logits (cross_entropy with class-probability targets),
sparse_categorical_crossentropy (target: B class indices; Keras normalises each row, so cross_entropy of
log(p), which is nll_loss(log(p / sum p))), sparse_categorical_crossentropy_logits (cross_entropy of the logits).
"""
import json
import sys

import torch
import torch.nn.functional as F


def loss(name, p, t, delta):
    if name == "mse":
        return F.mse_loss(p, t)
    if name == "mae":
        return F.l1_loss(p, t)
    if name == "huber":
        return F.huber_loss(p, t, delta=delta)
    if name == "binary_crossentropy":
        return F.binary_cross_entropy(p, t)
    if name == "binary_crossentropy_logits":
        return F.binary_cross_entropy_with_logits(p, t)
    if name == "categorical_crossentropy":
        return F.cross_entropy(torch.log(p), t)
    if name == "categorical_crossentropy_logits":
        return F.cross_entropy(p, t)
    if name == "sparse_categorical_crossentropy":
        return F.cross_entropy(torch.log(p), t)
    if name == "sparse_categorical_crossentropy_logits":
        return F.cross_entropy(p, t)
    raise ValueError("unknown loss " + name)


def main(cases_path, out_path):
    with open(cases_path) as f:
        cases = json.load(f)["cases"]
    out = []
    for c in cases:
        shape = (c["rows"], c["cols"])
        p = torch.tensor(c["pred"], dtype=torch.float64).reshape(shape).requires_grad_(True)
        if c["loss"].startswith("sparse"):
            t = torch.tensor(c["target"], dtype=torch.float64).long()
        else:
            t = torch.tensor(c["target"], dtype=torch.float64).reshape(shape)
        value = loss(c["loss"], p, t, c.get("delta", 1.0))
        value.backward()
        out.append({"loss": value.item(), "grad": p.grad.reshape(-1).tolist()})
    with open(out_path, "w") as f:
        json.dump({"cases": out}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env python3
"""Runs a model saved by clgrad (`model.save(DIR)`: model.json and model.safetensors) in PyTorch, with the
documented layout changes, and writes its predictions: the weights leave clgrad for another framework.

    /usr/bin/python3 bench/pytorch/predict_saved.py MODEL_DIR X.npy OUT.npy

X.npy holds float32 samples in clgrad's layout, (N, H, W, C) images (channels last) or (N, features);
OUT.npy receives the model's outputs (N, …) as float32. The layout changes:
    Dense kernel (I, O)                  -> nn.Linear weight (O, I): transpose
    Conv2D kernel (KH, KW, C_in, C_out)  -> nn.Conv2d weight (C_out, C_in, KH, KW): permute(3, 2, 0, 1)
    images NHWC                          -> NCHW: permute(0, 3, 1, 2), and back before Flatten/Reshape/Dense
    BatchNormalization gamma, beta, moving_mean, moving_variance -> weight, bias, running_mean, running_var
"same" padding is TensorFlow's (the smaller half before, the rest after), applied with F.pad. Dropout
layers are the identity at inference. Needs only numpy and torch (Debian's python3-torch).
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def safetensors(path):
    """name -> numpy array, from the safetensors format (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + start:8 + n + end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return out


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def same_pad(size, k, s, d):
    """(before, after) padding of TensorFlow's "same" for one spatial axis."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def pad_nchw(x, kh, kw, sh, sw, dh, dw, padding, value=0.0):
    if padding != "same":
        return x
    top, bottom = same_pad(x.shape[2], kh, sh, dh)
    left, right = same_pad(x.shape[3], kw, sw, dw)
    return F.pad(x, (left, right, top, bottom), value=value)


class Runner:
    """The saved model's forward pass; activations stay NCHW while they are images."""

    def __init__(self, config, weights):
        self.layers = config["layers"]
        self.w = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
        self.names = []
        counts = {}
        for layer in self.layers:
            prefix = layer["type"]  # the name prefix of every layer with weights is its config type
            counts[prefix] = counts.get(prefix, 0) + 1
            self.names.append(f"{prefix}_{counts[prefix]}")

    def __call__(self, x):
        image = x.dim() == 4
        if image:
            x = x.permute(0, 3, 1, 2)
        for layer, name in zip(self.layers, self.names):
            t = layer["type"]
            w = lambda key: self.w[f"{name}.{key}"]
            if t == "conv2d":
                kh, kw = pair(layer.get("kernelSize"))
                sh, sw = pair(layer.get("strides", 1))
                dh, dw = pair(layer.get("dilation", 1))
                x = pad_nchw(x, kh, kw, sh, sw, dh, dw, layer.get("padding", "valid"))
                bias = w("bias") if layer.get("useBias", True) else None
                x = act(F.conv2d(x, w("kernel").permute(3, 2, 0, 1), bias, (sh, sw), 0, (dh, dw)),
                        layer.get("activation", "linear"))
            elif t in ("max_pooling2d", "average_pooling2d"):
                ph, pw = pair(layer.get("poolSize", 2))
                sh, sw = pair(layer.get("strides") or (ph, pw))
                padding = layer.get("padding", "valid")
                if t == "max_pooling2d":
                    x = F.max_pool2d(pad_nchw(x, ph, pw, sh, sw, 1, 1, padding, float("-inf")), (ph, pw), (sh, sw))
                else:
                    ones = torch.ones_like(x[:, :1])
                    total = F.avg_pool2d(pad_nchw(x, ph, pw, sh, sw, 1, 1, padding), (ph, pw), (sh, sw))
                    count = F.avg_pool2d(pad_nchw(ones, ph, pw, sh, sw, 1, 1, padding), (ph, pw), (sh, sw))
                    x = total / count
            elif t == "global_average_pooling2d":
                x = x.mean(dim=(2, 3))
                image = False
            elif t == "batch_normalization":
                eps = layer.get("epsilon", 1e-3)
                gamma = w("gamma") if layer.get("scale", True) else None
                beta = w("beta") if layer.get("center", True) else None
                x = F.batch_norm(x, w("moving_mean"), w("moving_variance"), gamma, beta, False, 0.0, eps)
            elif t in ("dropout", "spatial_dropout2d"):
                pass
            elif t in ("relu", "tanh", "sigmoid"):
                x = act(x, t)
            elif t in ("flatten", "reshape", "dense"):
                if image:
                    x = x.permute(0, 2, 3, 1)
                    image = False
                if t == "flatten":
                    x = x.reshape(x.shape[0], -1)
                elif t == "reshape":
                    x = x.reshape(x.shape[0], *layer["targetShape"])
                    if x.dim() == 4:
                        x = x.permute(0, 3, 1, 2)
                        image = True
                else:
                    x = act(x @ w("kernel") + w("bias"), layer.get("activation", "linear"))
            else:
                raise SystemExit(f"predict_saved.py: layer type {t} has no PyTorch form here")
        return x.permute(0, 2, 3, 1) if image else x


def act(x, name):
    return {"linear": lambda v: v, "relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[name](x)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.split("\n\n")[1])
    folder, xfile, outfile = sys.argv[1:]
    with open(f"{folder}/model.json") as f:
        config = json.load(f)
    runner = Runner(config, safetensors(f"{folder}/model.safetensors"))
    x = torch.from_numpy(np.load(xfile).astype(np.float32))
    with torch.no_grad():
        y = runner(x)
    np.save(outfile, y.numpy().astype(np.float32))


if __name__ == "__main__":
    main()

"""IDX files (MNIST / Fashion-MNIST layout) for the GPU benchmark, standard library only.

    python3 idx_data.py subset SRC DST --train N   # the first N training samples of SRC, all test samples
    python3 idx_data.py synthetic DST [--train N] [--test M]   # random pixels and labels, same shapes

Files keep the Fashion-MNIST names (train-images-idx3-ubyte.gz, ...) so `clgrad train --data DST`
and torch_bench.py read them unchanged; clgrad tells gzip from raw by the magic bytes, so the
synthetic files are written raw under those names. IDX header: two zero bytes, type 0x08
(unsigned byte), the number of dimensions, then each dimension as a big-endian uint32.
"""
import argparse
import gzip
import os
import random
import struct
import sys

NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path):
    """Returns (dims, body bytes) of an IDX file, gzipped or raw."""
    with open(path, "rb") as f:
        magic = f.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (header {data[:4].hex()})")
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    size = 1
    for d in dims:
        size *= d
    if len(body) != size:
        raise ValueError(f"{path}: body has {len(body)} bytes, dims {dims} need {size}")
    return dims, body


def write_idx(path, dims, body, compress):
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    opener = (lambda p: gzip.open(p, "wb", compresslevel=6)) if compress else (lambda p: open(p, "wb"))
    with opener(path) as f:
        f.write(header + body)


def subset(src, dst, train):
    os.makedirs(dst, exist_ok=True)
    for split, limit in (("train", train), ("test", None)):
        for kind in ("images", "labels"):
            name = NAMES[f"{split}_{kind}"]
            dims, body = read_idx(os.path.join(src, name))
            n = dims[0] if limit is None else min(limit, dims[0])
            per = len(body) // dims[0]
            write_idx(os.path.join(dst, name), (n,) + tuple(dims[1:]), body[:n * per], compress=True)
            print(f"idx_data: {name}: {n} of {dims[0]} samples", file=sys.stderr)


def synthetic(dst, train, test):
    os.makedirs(dst, exist_ok=True)
    rng = random.Random(42)
    for split, n in (("train", train), ("test", test)):
        write_idx(os.path.join(dst, NAMES[f"{split}_images"]), (n, 28, 28), rng.randbytes(n * 784), compress=False)
        labels = bytes(rng.randrange(10) for _ in range(n))
        write_idx(os.path.join(dst, NAMES[f"{split}_labels"]), (n,), labels, compress=False)
    print(f"idx_data: synthetic data in {dst}: {train} train, {test} test samples (random pixels)", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("subset")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--train", type=int, required=True)
    g = sub.add_parser("synthetic")
    g.add_argument("dst")
    g.add_argument("--train", type=int, default=60000)
    g.add_argument("--test", type=int, default=10000)
    a = p.parse_args()
    if a.cmd == "subset":
        subset(a.src, a.dst, a.train)
    else:
        synthetic(a.dst, a.train, a.test)


if __name__ == "__main__":
    main()

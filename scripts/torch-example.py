#!/usr/bin/env python3
"""A network trained in PyTorch, for README's "Your own network (ONNX)": a small CNN (two 3x3
convolutions with batch normalisation, two linear layers) trained on Fashion-MNIST as `aimc data
fetch fashion-mnist` stores it (IDX files, pixels / 255), then written with torch.onnx.export
(opset 13, a dynamic batch). Seeded: the same torch version gives the same file.

usage: scripts/torch-example.py DATA_DIR/fashion-mnist OUT.onnx [EPOCHS (default 1)]
"""
import sys

import numpy as np
import torch
import torch.nn as nn


def idx(path):
    """An IDX file (big-endian dimensions, then uint8 values) as a numpy array."""
    data = open(path, "rb").read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


data, out = sys.argv[1], sys.argv[2]
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.manual_seed(0)
torch.set_num_threads(2)
x = torch.tensor(idx(f"{data}/train-images-idx3-ubyte"), dtype=torch.float32).unsqueeze(1) / 255
y = torch.tensor(idx(f"{data}/train-labels-idx1-ubyte"), dtype=torch.long)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(epochs):
    model.train()
    order = torch.randperm(len(x))
    for i in range(0, len(x), 128):
        batch = order[i : i + 128]
        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}", flush=True)
model.eval()
torch.onnx.export(
    model,
    torch.zeros(1, 1, 28, 28),
    out,
    input_names=["image"],
    output_names=["logits"],
    dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
    opset_version=13,
    dynamo=False,
)
print(f"wrote {out}")

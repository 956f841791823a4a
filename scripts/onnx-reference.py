#!/usr/bin/env python3
"""Reference outputs of the nine light ONNX models (`aimc data fetch onnx-light`) from the ONNX
project's own reference evaluator (onnx 1.16.2, `pip install onnx==1.16.2 numpy`), for
tests/onnx_light.rs. Input: the closed form x[k] = ((k * 7919) % 1000) / 1000 - 0.5 over the
flat index k of the input (batch 1), so that no random generator has to agree across languages.
The light models' weights are all one constant, so their class probabilities are uniform; the
value recorded is the logits (the input of the last Softmax; the graph output where there is
none), whose magnitude depends on every layer. Writes
tests/fixtures/onnx-light-reference/<model>.txt: the value's name, then its shape, then one value
per line (%.9g).

usage: scripts/onnx-reference.py data/onnx-light tests/fixtures/onnx-light-reference
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun


class BatchNormalization(OpRun):
    """Inference-mode batch normalisation, y = scale (x - mean) / sqrt(var + epsilon) + bias
    (ONNX operator BatchNormalization, every opset, for a node with one output). onnx 1.16.2's
    BatchNormalization_9 fills the `momentum` attribute's default and then normalises with the
    batch's own statistics instead of the given mean and variance, contrary to the operator's
    definition; this replaces it for these models (opset 9)."""

    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):
        shape = [1, -1] + [1] * (x.ndim - 2)
        eps = 1e-5 if epsilon is None else epsilon
        r = lambda v: v.reshape(shape)
        y = r(scale) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(bias)
        return (y.astype(x.dtype),)


class LRN(OpRun):
    """y = x / (bias + alpha / size * sum of x^2 over channels c - floor((size - 1) / 2) ..=
    c + ceil((size - 1) / 2))^beta (ONNX operator LRN). onnx 1.16.2's LRN loops over
    `range(x.shape[0])`, the batch, instead of the channels, so with a batch of 1 only channel
    0 is normalised (its node tests pass because their batch equals their channel count, 5);
    this replaces it with the same code looping over the channels."""

    op_domain = ""

    def _run(self, x, alpha=None, beta=None, bias=None, size=None):
        square_sum = np.zeros(x.shape).astype(x.dtype)
        c1 = int(math.floor((size - 1) / 2))
        c2 = int(math.ceil((size - 1) / 2)) + 1
        for c in range(x.shape[1]):
            begin, end = max(0, c - c1), min(x.shape[1], c + c2)
            square_sum[:, c, :, :] = np.sum(x[:, begin:end, :, :] ** 2, axis=1)
        y = x / ((bias + (alpha / size) * square_sum) ** beta)
        return (y.astype(x.dtype),)


assert onnx.__version__ == "1.16.2", onnx.__version__
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in sorted(os.listdir(src)):
    if not name.endswith(".onnx"):
        continue
    model = onnx.load(os.path.join(src, name))
    inits = {i.name for i in model.graph.initializer}
    (inp,) = [i for i in model.graph.input if i.name not in inits]
    dims = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]
    n = int(np.prod(dims))
    x = (((np.arange(n, dtype=np.int64) * 7919) % 1000) / 1000.0 - 0.5).astype(np.float32)
    softmax = [n for n in model.graph.node if n.op_type == "Softmax"]
    value = softmax[-1].input[0] if softmax else model.graph.output[0].name
    if value not in [o.name for o in model.graph.output]:
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(value))
    (y,) = ReferenceEvaluator(model, new_ops=[BatchNormalization, LRN]).run([value], {inp.name: x.reshape(dims)})
    out = os.path.join(dst, name[: -len(".onnx")] + ".txt")
    with open(out + ".tmp", "w") as f:
        f.write(value + "\n")
        f.write(" ".join(str(d) for d in y.shape) + "\n")
        for v in y.reshape(-1):
            f.write("%.9g\n" % v)
    os.replace(out + ".tmp", out)
    print(name, y.shape, flush=True)

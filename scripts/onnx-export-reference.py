#!/usr/bin/env python3
"""Reference logits of the networks `aimc export` wrote into tests/fixtures/onnx-export/ (see
tests/onnx_export.rs), from the ONNX project's own reference evaluator (onnx 1.16.2, `pip
install onnx==1.16.2 numpy`; batch normalisation and Scan as the operators define them, see
onnx_reference_ops.py). Input: x[k] = ((k * 7919) % 1000) / 1000 - 0.5 over the flat index k
of shape [2, 3, 16, 16]; for a language model (int64 input) the token ids (7919 k) mod vocabulary
of shape [2, 4]; for a sentence classifier (int64 input and a second input, the attention
mask) the token ids (7919 k) mod 20 of shape [2, 4] and the mask [[1, 1, 1, 1], [1, 1, 1, 0]]. Writes <model>.txt beside each <model>.onnx: the output's shape, then one
value per line (%.9g). The files are checked with onnx.checker first.

usage: scripts/onnx-export-reference.py tests/fixtures/onnx-export
"""
import os
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_reference_ops import BatchNormalization, Scan  # noqa: E402

assert onnx.__version__ == "1.16.2", onnx.__version__
directory = sys.argv[1]
for name in sorted(os.listdir(directory)):
    if not name.endswith(".onnx"):
        continue
    model = onnx.load(os.path.join(directory, name))
    onnx.checker.check_model(model)
    inp = model.graph.input[0]
    feeds = {}
    if len(model.graph.input) == 2:
        # Token ids and attention mask of a sentence classifier.
        x = ((np.arange(8, dtype=np.int64) * 7919) % 20).reshape(2, 4)
        feeds[model.graph.input[1].name] = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=np.int64)
    elif inp.type.tensor_type.elem_type == onnx.TensorProto.INT64:
        # Token ids of a language model: (7919 k) mod vocabulary, [2, 4].
        vocab = model.graph.output[0].type.tensor_type.shape.dim[2].dim_value
        x = ((np.arange(8, dtype=np.int64) * 7919) % vocab).reshape(2, 4)
    else:
        dims = [2, 3, 16, 16]
        n = int(np.prod(dims))
        x = (((np.arange(n, dtype=np.int64) * 7919) % 1000) / 1000.0 - 0.5).astype(np.float32)
        x = x.reshape(dims)
    feeds[inp.name] = x
    (y,) = ReferenceEvaluator(model, new_ops=[BatchNormalization, Scan]).run(None, feeds)
    out = os.path.join(directory, name[: -len(".onnx")] + ".txt")
    with open(out + ".tmp", "w") as f:
        f.write(" ".join(str(d) for d in y.shape) + "\n")
        for v in y.reshape(-1):
            f.write("%.9g\n" % v)
    os.replace(out + ".tmp", out)
    print(name, y.shape, flush=True)

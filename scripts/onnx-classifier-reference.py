#!/usr/bin/env python3
"""Reference predictions of an imported ONNX image classifier on a real test set (IDX files),
from the ONNX project's own reference evaluator (onnx 1.16.2, `pip install onnx==1.16.2 numpy`),
for tests/onnx_trained.rs. Used on the ONNX model zoo's mnist-8 (`aimc data fetch onnx-mnist`)
and the MNIST test set (`aimc data fetch mnist`); the graph takes raw 0..255 pixels, NCHW, one
image at a time (its batch is fixed at 1). Writes: the number of images and how many the graph
classifies right; the predicted class of every image as one line of digits; the logits of the
first 16 images, one image a line (%.9g).

usage: scripts/onnx-classifier-reference.py data/onnx-mnist/model.onnx data/mnist \
           tests/fixtures/onnx-mnist-reference.txt
"""
import os
import struct
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator


def read_idx(path):
    with open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


assert onnx.__version__ == "1.16.2", onnx.__version__
model_path, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
images = read_idx(os.path.join(data, "t10k-images-idx3-ubyte")).astype(np.float32)
labels = read_idx(os.path.join(data, "t10k-labels-idx1-ubyte"))
model = onnx.load(model_path)
inits = {i.name for i in model.graph.initializer}
(inp,) = [i.name for i in model.graph.input if i.name not in inits]
session = ReferenceEvaluator(model)
logits = np.stack(
    [session.run(None, {inp: x.reshape(1, 1, 28, 28)})[0][0] for x in images]
)
predictions = logits.argmax(axis=1)
correct = int((predictions == labels).sum())
with open(out + ".tmp", "w") as f:
    f.write("%d %d\n" % (len(labels), correct))
    f.write("".join(str(p) for p in predictions) + "\n")
    for row in logits[:16]:
        f.write(" ".join("%.9g" % v for v in row) + "\n")
os.replace(out + ".tmp", out)
print("%d of %d right (%.4f)" % (correct, len(labels), correct / len(labels)))

"""The second numerical configuration of `make test` (.ci/alt-numerics.env) really changes training numbers.

Strict nbval passes under both configurations only because no checked output depends on the last bits of a
training run. That proves something only if the second configuration computes other bits: here the same
matrix product and the same short training run, each in a fresh interpreter under each configuration, give
other raw bits, and the training losses agree to 1e-6 (same maths, other rounding).

The run is sized so that a difference shows: a tiny one (hidden size 32, 64 samples) gave the same final loss
on an AVX-512 machine under SkylakeX and Sandybridge kernels, because its products are too small and shallow
for the kernels' summation orders to differ in every bit that reaches the loss.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALT = dict(line.split("=", 1) for line in (ROOT / ".ci" / "alt-numerics.env").read_text().splitlines()
           if line.strip() and not line.lstrip().startswith("#"))

MATRIX_PRODUCT = """
import numpy as np
rng = np.random.default_rng(0)
print((rng.standard_normal((64, 300)) @ rng.standard_normal((300, 256))).tobytes().hex())
"""

TRAINING_RUN = """
import numpy as np
from rnnlab.training.models import SequenceRegressor
from rnnlab.training.train import fit

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((24, 256, 4)), rng.standard_normal((256, 1))
model = SequenceRegressor(4, 64, 1, seed=0)
_, history = fit(model, model.init_params(), X, Y, strategy="minibatch", batch_size=64, epochs=5, progress=False)
print(" ".join(float(loss).hex() for loss in history.loss))
"""


def run(program: str, env: dict) -> str:
    return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True,
                          timeout=300, check=True).stdout.strip()


def losses(env: dict) -> list[float]:
    return [float.fromhex(word) for word in run(TRAINING_RUN, env).split()]


def test_the_second_configuration_is_complete():
    assert {"OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"} <= set(ALT)


def test_the_second_configuration_changes_a_matrix_products_raw_bits():
    assert run(MATRIX_PRODUCT, dict(os.environ)) != run(MATRIX_PRODUCT, {**os.environ, **ALT}), \
        "the same BLAS kernels under both configurations: the second one tests nothing"


def test_the_second_configuration_changes_a_training_runs_raw_numbers():
    as_is, alt = losses(dict(os.environ)), losses({**os.environ, **ALT})
    assert len(as_is) == len(alt) == 5
    assert as_is != alt, f"both configurations gave the losses {as_is!r}: the second one tests nothing"
    for epoch, (a, b) in enumerate(zip(as_is, alt, strict=True)):
        assert abs(a - b) <= 1e-6 * abs(a), f"epoch {epoch}: {a!r} as is, {b!r} under the second configuration"

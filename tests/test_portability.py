"""The second numerical configuration of `make test` (.ci/alt-numerics.env) really changes training numbers.

Strict nbval passes under both configurations only because no checked output depends on the last bits of a
training run. That proves something only if the second configuration computes other bits: here the same
short training run, in a fresh interpreter under each configuration, gives a final loss that differs in its
raw bits and agrees to 1e-6 (same maths, other rounding).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALT = dict(line.split("=", 1) for line in (ROOT / ".ci" / "alt-numerics.env").read_text().splitlines()
           if line.strip() and not line.lstrip().startswith("#"))

TRAINING_RUN = """
import numpy as np
from rnnlab.training.models import SequenceRegressor
from rnnlab.training.train import fit

rng = np.random.default_rng(0)
X, Y = rng.standard_normal((12, 64, 1)), rng.standard_normal((64, 1))
model = SequenceRegressor(1, 32, 1, seed=0)
_, history = fit(model, model.init_params(), X, Y, strategy="minibatch", batch_size=16, epochs=5, progress=False)
print(float(history.loss.iloc[-1]).hex())
"""


def final_loss(env: dict) -> float:
    done = subprocess.run([sys.executable, "-c", TRAINING_RUN], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return float.fromhex(done.stdout.strip())


def test_the_second_configuration_is_complete():
    assert {"OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"} <= set(ALT)


def test_the_second_configuration_changes_a_training_runs_raw_numbers():
    as_is = final_loss(dict(os.environ))
    alt = final_loss({**os.environ, **ALT})
    assert as_is != alt, f"both configurations gave {as_is!r}: the second one tests nothing"
    assert abs(as_is - alt) <= 1e-6 * abs(as_is), (as_is, alt)

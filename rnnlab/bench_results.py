"""The import path notebook 11 uses for the benchmark results reader, which lives in ``rnnlab.bench.results``.

Nothing is defined here: ``from rnnlab import bench_results`` gives the module ``rnnlab.bench.results`` itself.
"""
import sys

from .bench import results

sys.modules[__name__] = results

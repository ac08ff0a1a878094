"""Checkers for the notebooks' exercises: each holds a student's function to the package's tested reference.

One module per notebook (``nb01_rnn`` for notebook 01, ...), each listing its checkers in ``__all__``; they
are all importable from here: ``from rnnlab.exercises import check_rnn_step_forward``. The engine is
``checking``. Students: the references are the package's own functions; try each exercise before reading them.
"""
import importlib
import pkgutil

from .checking import Case, ExerciseError, check_function, passed, random_cases  # noqa: F401

__all__ = ["Case", "ExerciseError", "check_function", "passed", "random_cases"]
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("nb"):
        _module = importlib.import_module(f"{__name__}.{_info.name}")
        for _name in _module.__all__:
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)

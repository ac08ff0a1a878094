"""Training the course's models: the models (``models``), optimisers (``optim``), ``fit`` and its helpers
(``train``), truncated BPTT (``truncated``), error measures (``metrics``) and saving parameters (``io``).

``weather_cells`` records notebook 09's weather forecast for every cell (the CSV notebook 12 reads).
"""

"""Training the course's models: the models (``models``), optimisers (``optim``), ``fit`` and its helpers
(``train``), truncated BPTT (``truncated``), error measures (``metrics``) and saving parameters (``io``)."""

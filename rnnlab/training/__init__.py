"""Training the course's models: the models (``models``), optimisers (``optim``), ``fit`` and its helpers
(``train``), error measures (``metrics``) and saving parameters (``io``)."""

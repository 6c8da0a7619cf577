"""Serving past one machine: stylizations on a pool of Ray worker actors (``pip install stylekit[cluster]``).

``worker.py`` is the actor (``ray::StylizeWorker``: the backbone loaded once, jobs run with the same
engine, steered through a second method while they run); ``wire.py`` what crosses the wire (arrays in,
encoded images out); ``relay.py`` the front end's controls that reach the worker at once; ``resume.py``
how a job moves to another worker after a fault; ``pool.py`` the workers, kept at their number and
reconnected to; ``training.py`` fast-network trainings (moved from their latest checkpoint) and instant
stylizations on the pool; ``backend.py`` the :class:`~stylekit.compute.Backend` over them. Never imports
Gradio.
"""

import os

# Ray's token authentication stays on when the front end joins a cluster by its address, as it is for the
# embedded one: Ray reads this when it is imported, so it is set before this package imports Ray (a cluster
# run without tokens: RAY_AUTH_MODE=disabled). The token: RAY_AUTH_TOKEN, or ~/.ray/auth_token.
os.environ.setdefault("RAY_AUTH_MODE", "token")

"""Pausing Python's cycle collector for a step that builds many objects which live until it ends."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Run the block with the cycle collector off, then collect once.

    A PDF render allocates millions of boxes, an import's check tens of thousands of rows,
    values and unsaved files, all alive until the step ends; the collector would walk them
    again and again meanwhile, finding nothing to free (a quarter of the time of a
    1,000-row list's render, a tenth of a 10,000-row import's). Reference counting still
    frees everything else at once; what cycles the step leaves behind are collected at the
    end. Only for steps whose size is bounded (a render's time limit, an import's row limit):
    garbage in cycles waits until then.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()

"""The real step model (onnxruntime) keeping what every step was fed: the tests look at
the contexts and the token indices the soloist feeds it."""

from __future__ import annotations

import numpy as np

from jazzd.generate.step_model import StepModel


class RecordingModel(StepModel):
    """A StepModel that keeps each step's context (``fed``) and token index (``indices``)."""

    fed: tuple[np.ndarray | None, ...] = ()
    indices: tuple[int | None, ...] = ()

    def step(self, index, context=None):
        self.fed = (*self.fed, None if context is None else np.array(context))
        self.indices = (*self.indices, index)
        return super().step(index, context)

    def forget(self) -> None:
        """Start the record afresh."""
        self.fed, self.indices = (), ()

"""A finished run gives its memory back at once: no full garbage collection needed."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from visualizer.core.config import TrainingConfig
from visualizer.core.timeline import Timeline
from visualizer.training.tfenv import import_tf
from visualizer.training.trainer import Trainer


def _holds_values(variable) -> bool:
    tf = import_tf()
    return int(tf.size(tf.raw_ops.ReadVariableOp(resource=variable.handle, dtype=variable.dtype))) > 0


def test_a_released_trainer_frees_its_data_weights_and_buffers_without_the_collector(tiny_dataset):
    # Imported first: something in TensorFlow's import keeps the importing frames (with their
    # locals) for good, which would hold the Trainer whose __init__ happened to import it.
    import_tf()
    gc.collect()
    gc.disable()  # what goes must go by reference counting alone
    try:
        timeline = Timeline()
        trainer = Trainer(TrainingConfig(batch_size=10, epochs=1), tiny_dataset, timeline=timeline)
        result = trainer.run(lambda s: None)
        data = weakref.ref(trainer._x)
        buffers = [*(part for b in trainer._recorder.buffers for part in b), *trainer._backup, *(v.value for v in trainer._vars)]
        assert all(_holds_values(v) for v in buffers)
        trainer.release()
        assert data() is None  # the training set's tensor
        assert not any(_holds_values(v) for v in buffers)  # capture buffers, backup, weights: emptied
        trainer.release()  # a second call does nothing
    finally:
        gc.enable()
    # The Trainer itself is collectable: nothing the run started (its recorder thread, the
    # window's worker) keeps it. (TensorFlow may hold frames that name it until a collection.)
    ref = weakref.ref(trainer)
    del trainer
    gc.collect()
    assert ref() is None
    # What the run gave out stays valid.
    assert np.isfinite(result.snapshot.network.weights[0]).all()
    assert timeline.latest.step == result.snapshot.step
    np.testing.assert_array_equal(timeline.latest.network.weights[0], result.snapshot.network.weights[0])


def test_a_released_trainer_cannot_train_again(tiny_dataset):
    trainer = Trainer(TrainingConfig(batch_size=10, epochs=1), tiny_dataset)
    trainer.run(lambda s: None)
    trainer.release()
    with pytest.raises(RuntimeError):
        trainer.run(lambda s: None)

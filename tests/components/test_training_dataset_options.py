import numpy as np
import tensorflow as tf
from keras.engine.data_adapter import KerasSequenceAdapter

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)


class Batches(tf.keras.utils.Sequence):
    def __len__(self):
        return 3

    def __getitem__(self, index):
        return (np.full((2, 4), index, dtype=np.float32), np.full((2,), index, dtype=np.float32))


def test_datasets_keras_builds_from_a_sequence_are_not_autotuned():
    dataset = KerasSequenceAdapter(Batches()).get_dataset()
    assert dataset.options().autotune.enabled is False


def test_the_batches_and_their_order_are_unchanged():
    dataset = KerasSequenceAdapter(Batches()).get_dataset()
    seen = [int(x[0, 0]) for x, _ in dataset]
    assert seen == [0, 1, 2]


def test_a_model_still_trains_from_a_sequence():
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(Batches(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

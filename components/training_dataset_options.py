"""Turn off tf.data autotuning for the datasets Keras builds from Rasa's batch generator.

DIET trains from a Python generator (RasaBatchDataGenerator, a keras Sequence) that Keras wraps in
tf.data with a fixed prefetch(1): there is nothing to autotune. Yet each iterator starts tf.data's
autotuning thread and joins it when the iterator is destroyed, which Keras does at every epoch of a
Sequence and at the end of fit. On our 2-core machines that join waited up to a second per epoch and
17–52 s at the end of training (py-spy: the main thread in ~LogicalThreadWrapper after the last epoch).
Without it a 30-epoch DIET fit took 50 s instead of 73–88 s; the batches and their order are the same
(autotuning only sizes buffers and thread pools), so the trained model is the same.
Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import tensorflow as tf
from keras.engine.data_adapter import GeneratorDataAdapter
from components.patching import Patch, TENSORFLOW

_keras_get_dataset = GeneratorDataAdapter.get_dataset


def get_dataset_without_autotune(self: GeneratorDataAdapter) -> tf.data.Dataset:
    options = tf.data.Options()
    options.autotune.enabled = False
    return _keras_get_dataset(self).with_options(options)


PATCHES = (Patch("training_dataset_options", GeneratorDataAdapter, "get_dataset", get_dataset_without_autotune,
                 "5f8b72076e257e63", versions=TENSORFLOW),)

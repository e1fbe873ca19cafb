import numpy as np
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)


def batch(first_format):
    """Examples of different lengths, one without any entry, CSR and COO mixed as in DIET's data."""
    matrices = [
        scipy.sparse.random(rows, 300, density=0.05, format=fmt, random_state=seed, dtype=np.float64)
        for seed, (rows, fmt) in enumerate([(4, first_format), (1, "csr"), (9, "coo"), (2, "csr")])
    ]
    matrices.insert(2, scipy.sparse.coo_matrix((3, 300)))
    return FeatureArray(np.array(matrices + [None], dtype=object)[:-1], number_of_dimensions=3)


def test_importing_the_components_installs_the_batch_conversion():
    assert RasaDataGenerator._scipy_matrix_to_values.__module__ == "components.sparse_batch_values"


def test_the_same_indices_values_and_shape_as_rasa_s_conversion():
    from components.sparse_batch_values import _rasa_scipy_matrix_to_values

    for first_format in ("csr", "coo"):
        features = batch(first_format)
        if first_format == "coo":
            # Rasa converts only when the first example is not COO; give it all COO then.
            features = FeatureArray(
                np.array([m.tocoo() for m in features] + [None], dtype=object)[:-1], number_of_dimensions=3
            )
        ours = RasaDataGenerator._scipy_matrix_to_values(features)
        rasa_s = _rasa_scipy_matrix_to_values(features)
        assert len(ours) == len(rasa_s) == 3
        for mine, theirs in zip(ours, rasa_s):
            assert mine.dtype == theirs.dtype
            assert np.array_equal(mine, theirs)
        assert list(ours[2]) == [5, 9, 300]

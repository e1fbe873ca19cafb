import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components.sparse_feature_stacking import combine_sparse_features, side_by_side


def blocks(rows, seed):
    left = scipy.sparse.random(rows, 40, density=0.2, format="coo", random_state=seed)
    right = scipy.sparse.random(rows, 2500, density=0.01, format="coo", random_state=seed + 1,
                                dtype=np.float32)
    return left, right


@pytest.mark.parametrize("rows", [1, 7])
def test_the_same_matrix_as_scipy_hstack(rows):
    left, right = blocks(rows, rows)
    ours, scipy_s = side_by_side(left, right), scipy.sparse.hstack([left, right])
    assert ours.format == scipy_s.format == "coo"
    assert ours.shape == scipy_s.shape == (rows, 2540)
    assert ours.dtype == scipy_s.dtype
    assert np.array_equal(ours.toarray(), scipy_s.toarray())


def test_empty_and_csr_blocks():
    empty = scipy.sparse.coo_matrix((3, 5))
    dense_rows = scipy.sparse.csr_matrix(np.arange(6.0).reshape(3, 2))
    assert np.array_equal(side_by_side(empty, dense_rows).toarray(), np.hstack([np.zeros((3, 5)), dense_rows.toarray()]))


def test_rasa_combines_features_with_it():
    assert Features._combine_sparse_features is combine_sparse_features
    left, right = blocks(4, 3)
    features = Features(left, "sequence", "text", "words")
    features.combine_with_features(Features(right, "sequence", "text", "chars"))
    assert np.array_equal(features.features.toarray(), scipy.sparse.hstack([left, right]).toarray())
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        features.combine_with_features(Features(scipy.sparse.coo_matrix((2, 3)), "sequence", "text", "x"))

from rasa.shared.nlu.training_data.message import Message

from components.linear_intent_classifier import _unreadable


def test_emoji_binary_and_unknown_commands_are_not_classified():
    for text in ["", "😀😀", "\x00\x01\ufffd\ufffd", "/foo_bar", "/greet{oops"]:
        assert _unreadable(Message(data={"text": text})), repr(text)


def test_real_messages_are_classified():
    for text in ["库中无此号", "Sensitive words.", "国家代码填了010"]:
        assert not _unreadable(Message(data={"text": text})), text


def featurized(text, seed):
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import random as sparse_random

    message = Message(data={"text": text})
    for n, (origin, width) in enumerate([("regex", 12), ("words", 300), ("chars", 2000)]):
        tokens = len(text)
        for kind, rows in (("sequence", tokens), ("sentence", 1)):
            matrix = sparse_random(rows, width, density=0.05, format="coo", random_state=seed * 10 + n)
            message.add_features(Features(matrix, kind, "text", origin))
    message.add_features(Features(np.arange(4.0).reshape(1, 4), "sentence", "text", "dense"))
    return message


def test_features_are_the_matrix_rasa_s_classifier_builds():
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from components.linear_intent_classifier import LinearIntentClassifier

    messages = [featurized(text, seed) for seed, text in enumerate(["库中无此号", "Sensitive words.", "你好"])]
    ours = LinearIntentClassifier._create_X(None, messages)
    rasa_s = LogisticRegressionClassifier._create_X(None, messages)
    assert ours.shape == rasa_s.shape == (3, 12 + 300 + 2000 + 4)
    assert (ours != rasa_s).nnz == 0


def test_column_major_coefficients_predict_the_same_without_copying():
    import numpy as np
    from scipy.sparse import random as sparse_random
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from components.linear_intent_classifier import _column_major_coefficients

    X = sparse_random(60, 500, density=0.05, format="csr", random_state=1)
    y = np.arange(60) % 4
    pipeline = Pipeline([("tfidf", TfidfTransformer()), ("logreg", LogisticRegression(max_iter=500))]).fit(X, y)
    before = pipeline.predict_proba(X)
    assert not pipeline.named_steps["logreg"].coef_.T.flags["C_CONTIGUOUS"]
    _column_major_coefficients(pipeline)
    assert pipeline.named_steps["logreg"].coef_.T.flags["C_CONTIGUOUS"]  # scipy multiplies it in place
    assert np.array_equal(pipeline.predict_proba(X), before)

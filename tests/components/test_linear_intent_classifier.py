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


def test_a_persisted_classifier_loads_with_the_same_predictions(tmp_path):
    import numpy as np
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from scipy.sparse import random as sparse_random

    from components.linear_intent_classifier import MODEL_FILE, LinearIntentClassifier

    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear")
    context = ExecutionContext(GraphSchema({}), node_name="linear")
    config = {**LinearIntentClassifier.get_default_config(), "max_iter": 500}
    trained = LinearIntentClassifier.create(config, storage, resource, context)
    X = sparse_random(80, 400, density=0.05, format="csr", random_state=2)
    y = [["fail_id_mismatch", "greet", "ask_human"][i % 3] for i in range(80)]
    trained.clf.fit(X, y)
    trained.persist()

    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    assert list(loaded.clf.classes_) == sorted(set(y))
    assert np.array_equal(loaded.clf.predict_proba(X), trained.clf.predict_proba(X))
    # Only arrays are stored: the file loads without pickle.
    with storage.read_from(resource) as folder, np.load(folder / MODEL_FILE, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["classes", "coef", "idf", "intercept"]


def test_an_untrained_classifier_loads_untrained(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from components.linear_intent_classifier import LinearIntentClassifier

    context = ExecutionContext(GraphSchema({}), node_name="linear")
    config = LinearIntentClassifier.get_default_config()
    loaded = LinearIntentClassifier.load(config, LocalModelStorage(tmp_path), Resource("never-trained"), context)
    assert not hasattr(loaded.clf.named_steps["logreg"], "coef_")

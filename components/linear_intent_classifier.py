"""Intent classifier: TF-IDF weighted sparse features + logistic regression, blended with DIET.

Why: on our held-out set DIET alone (no pretrained weights, ~2,000 examples, 32 intents) reached 88 %,
a linear model on the same jieba-word and char n-gram counts 95 %+; short texts with many rare n-grams
favour a well-regularised linear model. DIET stays in the pipeline and its ranking is blended in with
`diet_weight`, so the two agree on the easy cases and the linear model decides the hard ones.

Built on Rasa's LogisticRegressionClassifier (sparse features in); the changes are a TF-IDF step (sublinear
term frequency), a configurable C, the blend with the previous classifier and plain-array persistence.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message

from realname.text_quality import looks_meaningless

INTENT = "intent"
INTENT_RANKING = "intent_ranking"
FALLBACK = "nlu_fallback"


def _unreadable(message: Message) -> bool:
    """Nothing to classify: empty, emoji or byte noise, or a /command Rasa did not know (an unknown
    intent reaches NLU as text). Predicting anything for these would be a guess from the class prior."""
    text = (message.get("text") or "").strip()
    return looks_meaningless(text) or text.startswith("/")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 20.0,
            "max_iter": 3000,
            # Share of the previous classifier's (DIET's) confidence in the blended ranking.
            "diet_weight": 0.3,
        }

    def __init__(self, config, name, model_storage, resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = Pipeline(
            [
                ("tfidf", TfidfTransformer(sublinear_tf=True)),
                (
                    "logreg",
                    LogisticRegression(
                        C=self.config["C"],
                        max_iter=self.config["max_iter"],
                        solver=self.config["solver"],
                        tol=self.config["tol"],
                        random_state=self.config["random_state"],
                    ),
                ),
            ]
        )

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """The matrix Rasa's classifier builds (each text's sentence features, sparse before dense, in
        pipeline order), built directly: Rasa goes through Message.get_sparse_features, which also
        deep-copies and stacks the per-token features this model never uses (~4 ms per message)."""
        rows = []
        for message in messages:
            sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
            blocks = [f.features for f in sentence if f.is_sparse()]
            blocks += [csr_matrix(f.features) for f in sentence if f.is_dense()]
            rows.append(hstack(blocks, format="csr") if blocks else csr_matrix((1, 0)))
        return vstack(rows, format="csr")

    def process(self, messages: List[Message]) -> List[Message]:
        previous = [
            {entry["name"]: entry["confidence"] for entry in (message.get(INTENT_RANKING) or [])}
            for message in messages
        ]
        X = self._create_X(messages)
        probabilities = self.clf.predict_proba(X)
        weight = self.config["diet_weight"]
        for message, diet, linear in zip(messages, previous, probabilities):
            if _unreadable(message):
                message.set(INTENT, {"name": FALLBACK, "confidence": 1.0}, add_to_output=True)
                message.set(INTENT_RANKING, [], add_to_output=True)
                continue
            blended = {
                intent: (1 - weight) * float(p) + weight * diet.get(intent, 0.0) if diet else float(p)
                for intent, p in zip(self.clf.classes_, linear)
            }
            ranking = sorted(
                ({"name": name, "confidence": confidence} for name, confidence in blended.items()),
                key=lambda entry: -entry["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            length = self.config["ranking_length"]
            message.set(INTENT_RANKING, ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages

    # Persisted as plain arrays (numpy .npz, loaded with allow_pickle=False), not with skops like Rasa's
    # classifier: importing skops.io scans every loaded module (TensorFlow's too) and cost ~9 s of each
    # training and of each server start. The model is four arrays; nothing executable is stored.
    def persist(self) -> None:
        tfidf, logreg = self.clf.named_steps["tfidf"], self.clf.named_steps["logreg"]
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(
                model_dir / MODEL_FILE,
                idf=tfidf.idf_,
                coef=logreg.coef_,
                intercept=logreg.intercept_,
                classes=np.asarray(logreg.classes_, dtype=str),
            )

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs: Any) -> "LinearIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                if not path.exists():  # trained without intent examples: stay untrained, like Rasa's own
                    return component
                with np.load(path, allow_pickle=False) as arrays:
                    _restore(component.clf, {name: arrays[name] for name in arrays.files})
        except ValueError:
            # No resource folder at all (component never trained).
            pass
        return component


MODEL_FILE = "linear_intent_classifier.npz"


def _restore(pipeline: Pipeline, arrays: Dict[Text, np.ndarray]) -> None:
    """Put the fitted arrays back into an unfitted pipeline of the same configuration: what
    scikit-learn's predict_proba reads, nothing else."""
    tfidf, logreg = pipeline.named_steps["tfidf"], pipeline.named_steps["logreg"]
    tfidf.idf_ = arrays["idf"]
    tfidf.n_features_in_ = logreg.n_features_in_ = arrays["coef"].shape[1]
    logreg.classes_ = arrays["classes"]
    logreg.intercept_ = arrays["intercept"]
    logreg.coef_ = arrays["coef"]
    _column_major_coefficients(pipeline)


def _column_major_coefficients(pipeline: Pipeline) -> None:
    """Same numbers, column-major: scikit-learn multiplies the features by coef_.T, and scipy copies a
    transposed row-major matrix (32 intents × ~15,000 features) on every prediction to do it."""
    logreg = pipeline.named_steps["logreg"]
    if hasattr(logreg, "coef_"):
        logreg.coef_ = np.asfortranarray(logreg.coef_)

"""Score the held-out NLU set (tests/nlu_heldout/, never used for training) with the trained model.

Prints overall and per-intent accuracy, writes results/heldout-nlu.json, and exits 1 when the overall
accuracy is below --min-accuracy. Used by `make test` (threshold) and by the benchmark (figures).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_examples(folder: Path):
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [(example.get("text"), example.get("intent")) for example in data.intent_examples]


async def predict_all(model_path: str, examples):
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    predictions = []
    for text, _ in examples:
        result = await agent.parse_message(text)
        predictions.append(result["intent"]["name"])
    return predictions


def score(examples, predictions):
    per_intent = defaultdict(Counter)
    confusions = Counter()
    for (text, expected), predicted in zip(examples, predictions):
        per_intent[expected]["total"] += 1
        if predicted == expected:
            per_intent[expected]["correct"] += 1
        else:
            confusions[(expected, predicted)] += 1
    correct = sum(counts["correct"] for counts in per_intent.values())
    return {
        "examples": len(examples),
        "accuracy": round(correct / len(examples), 4),
        "per_intent": {
            intent: round(counts["correct"] / counts["total"], 4) for intent, counts in sorted(per_intent.items())
        },
        "errors": [
            {"text": text, "expected": expected, "predicted": predicted}
            for (text, expected), predicted in zip(examples, predictions)
            if predicted != expected
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "realname.tar.gz"))
    parser.add_argument("--data", default=str(ROOT / "tests" / "nlu_heldout"))
    parser.add_argument("--min-accuracy", type=float, default=0.0)
    parser.add_argument("--out", default=str(ROOT / "results" / "heldout-nlu.json"))
    args = parser.parse_args()

    examples = load_examples(Path(args.data))
    predictions = asyncio.run(predict_all(args.model, examples))
    report = score(examples, predictions)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1))

    print(f"held-out NLU accuracy: {report['accuracy']:.2%} on {report['examples']} examples")
    for intent, accuracy in report["per_intent"].items():
        if accuracy < 1:
            print(f"  {intent:28s} {accuracy:.0%}")
    for error in report["errors"]:
        print(f"  ✗ {error['expected']} → {error['predicted']}: {error['text'][:60]}")
    if report["accuracy"] < args.min_accuracy:
        print(f"FAILED: held-out accuracy {report['accuracy']:.2%} < {args.min_accuracy:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs Rasa through its public API in a process of its own and prints what it gave, as JSON.

Used by tests/components/test_patches_against_rasa.py to compare the patched functions with Rasa's own
(REALNAME_RASA_PATCHES=off) in separate processes, so no cache or replaced function of one run can reach
the other.

  python -m tests.components.patch_probe inference MODEL ACTIONS_URL [--each]
      every scripted conversation of bench/conversations.yml plus the held-out NLU texts, through
      Agent.handle_text / Agent.parse_message; with --each, once per patch with only that patch installed
  python -m tests.components.patch_probe train OUT_DIR
      trains a small NLU model (the project's tokenizer and featurizers, DIET for a few epochs) and
      prints its predictions of the held-out texts
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Held-out texts (a few per file) and conversations: enough to pass through every patched function.
HELDOUT_PER_FILE = 6
CONVERSATIONS = 10
VOLATILE = {"timestamp", "model_id", "assistant_id", "message_id"}


def _stable(value: Any) -> Any:
    """Events and parse data without what differs from run to run (times, ids)."""
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    if isinstance(value, float):
        return round(value, 5)
    return value


def heldout_texts() -> List[str]:
    from scripts.score_heldout_nlu import load_examples_by_file

    by_file: Dict[str, List[str]] = {}
    for text, _, name in load_examples_by_file(ROOT / "tests" / "nlu_heldout"):
        by_file.setdefault(name, []).append(text)
    return [text for name in sorted(by_file) for text in by_file[name][:HELDOUT_PER_FILE]]


def conversations() -> List[Dict[str, Any]]:
    import yaml

    return yaml.safe_load((ROOT / "bench" / "conversations.yml").read_text(encoding="utf-8"))["conversations"][:CONVERSATIONS]


async def run_inference(agent, label: str) -> Dict[str, Any]:
    from bench.long_conversation import question_facts

    by_text = question_facts()
    parses = [_stable(await agent.parse_message(text)) for text in heldout_texts()]
    talks = []
    for number, scenario in enumerate(conversations()):
        sender = f"{label}-{number}"
        replies = await agent.handle_text(scenario["message"], sender_id=sender)
        turns = [_stable(replies)]
        for _ in range(10):
            fact = next((by_text[r.get("text")] for r in replies if r.get("text") in by_text), None)
            if fact is None:
                break
            replies = await agent.handle_text(scenario["answers"].get(fact, "跳过"), sender_id=sender)
            turns.append(_stable(replies))
        # a correction and a second reason in the same conversation: longer histories
        for text in ("不对，我是企业", "库中无此号", "跳过", "谢谢"):
            turns.append(_stable(await agent.handle_text(text, sender_id=sender)))
        tracker = await agent.tracker_store.retrieve(sender)
        events = [_stable(event.as_dict()) for event in tracker.events]
        for event in events:
            event.pop("sender_id", None)
        talks.append({"turns": turns, "events": events})
    return {"parses": parses, "conversations": talks}


def inference(model: str, actions_url: str, each: bool) -> Dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    agent = Agent.load(model, action_endpoint=EndpointConfig(url=actions_url), lock_store=InMemoryLockStore())
    results: Dict[str, Any] = {}

    async def one(label: str) -> Dict[str, Any]:
        agent.tracker_store = InMemoryTrackerStore(agent.domain)
        agent.processor.tracker_store = agent.tracker_store
        return await run_inference(agent, label)

    from components import patching

    installed = [patch.name for patch in patching.all_patches() if patch.is_installed()]
    results["installed"] = installed
    if not each:
        results["all"] = asyncio.run(one("c"))
        return results
    for patch in patching.all_patches():
        patching.uninstall()
        patching.install(only=[patch.name])
        results[patch.name] = asyncio.run(one("c"))
    return results


TRAIN_CONFIG = """
recipe: default.v1
language: zh
pipeline:
  - name: components.rasa_patches.RasaPatches
  - name: components.jieba_tokenizer.CleanJiebaTokenizer
    dictionary_path: {dicts}
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 4
    number_of_transformer_layers: 0
    hidden_layers_sizes:
      text: [128]
    entity_recognition: false
    constrain_similarities: true
    random_seed: 42
policies: []
"""


def train(out_dir: str) -> Dict[str, Any]:
    import os

    # one thread for TensorFlow's ops: sums over a batch are then done in the same order in both processes
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from rasa.model_training import train_nlu

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "config.yml"
    config.write_text(TRAIN_CONFIG.format(dicts=ROOT / "dicts" / "jieba"), encoding="utf-8")
    model = train_nlu(str(config), str(ROOT / "data" / "nlu"), str(out), fixed_model_name="probe")

    from rasa.core.agent import Agent
    from components import patching

    agent = Agent.load(model)
    parses = [_stable(asyncio.run(agent.parse_message(text))) for text in heldout_texts()]
    return {"installed": [patch.name for patch in patching.all_patches() if patch.is_installed()],
            "parses": [{"intent": parse["intent"], "ranking": parse.get("intent_ranking")} for parse in parses]}


def main(argv: List[str]) -> int:
    mode = argv[0]
    if mode == "inference":
        result = inference(argv[1], argv[2], "--each" in argv)
    elif mode == "train":
        result = train(argv[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print("PROBE-RESULT " + json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

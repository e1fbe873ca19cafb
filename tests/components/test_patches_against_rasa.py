"""Each patch against Rasa's own functions, through Rasa's public API, in separate processes.

Rasa's functions run in one process (REALNAME_RASA_PATCHES=off); in another, each patch in turn is the only
one installed; both run the same conversations (the first ten of bench/conversations.yml plus a correction, a second reason
and a thanks each) and parse the same held-out texts with the trained model. Replies, tracker events and
parse results must be the same. Training patches: a small DIET trained with Rasa's functions and one trained
with the patches predict the same intents with the same confidences."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from components import patching

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "realname.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def probe(*args: str, patches: str, timeout: int = 600, cache: str = "") -> dict:
    env = {**os.environ, "REALNAME_RASA_PATCHES": patches, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if cache:
        # two trainings at once must not share Rasa's training cache (.rasa/cache of the working directory)
        env["RASA_CACHE_DIRECTORY"] = cache
    done = subprocess.run([sys.executable, "-m", "tests.components.patch_probe", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    line = next((line for line in done.stdout.splitlines() if line.startswith("PROBE-RESULT ")), None)
    assert line, done.stderr[-3000:]
    return json.loads(line[len("PROBE-RESULT "):])


@pytest.fixture(scope="module")
def action_server():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SANIC_HOST": "127.0.0.1"}
    process = subprocess.Popen([str(Path(sys.executable).parent / "rasa"), "run", "actions", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the action server did not start")
    yield f"{url}/webhook"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def inference_runs(action_server):
    assert MODEL.exists(), "train first (make train)"
    with ThreadPoolExecutor(2) as pool:
        rasas = pool.submit(probe, "inference", str(MODEL), action_server, patches="off")
        ours = pool.submit(probe, "inference", str(MODEL), action_server, "--each", patches="off")
        return rasas.result(), ours.result()


INFERENCE_PATCHES = [patch.name for patch in patching.all_patches()]


def test_rasa_s_run_had_no_patch(inference_runs):
    rasas, _ = inference_runs
    assert rasas["installed"] == []
    assert len(rasas["all"]["conversations"]) == 10 and len(rasas["all"]["parses"]) >= 30


@pytest.mark.parametrize("name", INFERENCE_PATCHES)
def test_each_patch_answers_as_rasa_does(inference_runs, name):
    rasas, ours = inference_runs
    expected, got = rasas["all"], ours[name]
    assert got["parses"] == expected["parses"]
    for number, (mine, theirs) in enumerate(zip(got["conversations"], expected["conversations"])):
        assert mine["turns"] == theirs["turns"], f"conversation {number}: replies differ"
        assert mine["events"] == theirs["events"], f"conversation {number}: events differ"
    assert len(got["conversations"]) == len(expected["conversations"])


def test_a_model_trained_with_the_patches_predicts_as_one_trained_by_rasa(tmp_path):
    with ThreadPoolExecutor(2) as pool:
        rasas = pool.submit(probe, "train", str(tmp_path / "rasa"), patches="off", cache=str(tmp_path / "rasa-cache"))
        ours = pool.submit(probe, "train", str(tmp_path / "ours"), patches="on", cache=str(tmp_path / "ours-cache"))
        rasas, ours = rasas.result(), ours.result()
    assert rasas["installed"] == [] and "training_dataset_options" in ours["installed"]
    assert "sparse_batch_values" in ours["installed"] and "sparse_feature_stacking" in ours["installed"]
    assert [p["intent"]["name"] for p in ours["parses"]] == [p["intent"]["name"] for p in rasas["parses"]]
    for mine, theirs in zip(ours["parses"], rasas["parses"]):
        assert mine["intent"]["confidence"] == pytest.approx(theirs["intent"]["confidence"], abs=1e-4)

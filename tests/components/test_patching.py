"""components.patching: one install(), version and source checks, a patch that does not fit is logged and skipped."""
import importlib.metadata
import logging

import pytest
import yaml

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components import patching


def test_every_patch_fits_this_rasa_and_is_installed():
    assert components.rasa_patches.REPORT == {patch.name: patching.INSTALLED for patch in patching.all_patches()}
    assert len(patching.all_patches()) == 15
    assert all(patch.is_installed() for patch in patching.all_patches())


def test_the_pipeline_lists_the_component_that_installs_them():
    config = yaml.safe_load(open("config.yml", encoding="utf-8"))
    assert "components.rasa_patches.RasaPatches" in [component["name"] for component in config["pipeline"]]


def test_importing_the_package_or_a_patch_module_replaces_nothing(tmp_path):
    import subprocess
    import sys

    code = (
        "import components, components.tracker_copy, components.sparse_feature_stacking\n"
        "from rasa.shared.core.trackers import DialogueStateTracker\n"
        "from rasa.shared.nlu.training_data.features import Features\n"
        "assert DialogueStateTracker.copy is components.tracker_copy._original\n"
        "assert Features._combine_sparse_features is not components.sparse_feature_stacking.combine_sparse_features\n"
        "print('untouched')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "untouched", done.stderr[-2000:]


@pytest.fixture
def undone():
    """Rasa's own functions for the test, the patches back afterwards."""
    patching.uninstall()
    yield
    patching.uninstall()
    assert set(patching.install().values()) == {patching.INSTALLED}


def test_uninstall_gives_rasa_s_functions_back_and_install_is_idempotent(undone):
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    from components import rule_debug_log, tracker_copy

    assert DialogueStateTracker.copy is tracker_copy._original
    assert "format_tracker_states" not in RulePolicy.__dict__  # inherited again from Policy
    assert RulePolicy.format_tracker_states is rule_debug_log._original.__func__
    first, second = patching.install(), patching.install()
    assert first == second and set(first.values()) == {patching.INSTALLED}
    assert DialogueStateTracker.copy is tracker_copy.copy


def test_another_rasa_version_keeps_rasa_s_functions_and_says_why(undone, monkeypatch, caplog):
    real = importlib.metadata.version
    monkeypatch.setattr(patching.importlib.metadata, "version",
                        lambda name: "3.7.0" if name == "rasa" else real(name))
    with caplog.at_level(logging.WARNING, logger="components.patching"):
        report = patching.install()
    rasa_only = [patch for patch in patching.all_patches() if "rasa" in patch.versions]
    assert all(report[patch.name] == "skipped: rasa 3.7.0 is not 3.6.21" for patch in rasa_only)
    assert not any(patch.is_installed() for patch in rasa_only)
    assert "Rasa patch tracker_copy skipped: rasa 3.7.0 is not 3.6.21" in caplog.text
    # the Keras patch checks its own versions, not Rasa's
    assert report["training_dataset_options"] == patching.INSTALLED


def test_a_changed_original_is_not_replaced(undone, monkeypatch, caplog):
    from rasa.core.policies.rule_policy import RulePolicy

    def someone_elses(self, *args, **kwargs):  # e.g. a newer Rasa's, or another plugin's
        return None

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", someone_elses)
    with caplog.at_level(logging.WARNING, logger="components.patching"):
        report = patching.install()
    assert report["rule_possible_keys"].startswith("skipped: _get_possible_keys is not the function this patch replaces")
    assert RulePolicy._get_possible_keys is someone_elses
    assert "rule_possible_keys skipped" in caplog.text
    assert report["incremental_states"] == patching.INSTALLED  # the others still go in
    monkeypatch.undo()


@pytest.mark.parametrize("value, chosen", [
    ("", None), ("on", None), ("off", set()), ("OFF", set()),
    ("tracker_copy, applied_events", {"tracker_copy", "applied_events"}),
])
def test_the_environment_chooses_the_patches(value, chosen):
    assert patching.wanted(value) == chosen


def test_only_the_chosen_patches_are_installed(undone):
    report = patching.install(only=["sparse_feature_stacking"])
    assert report["sparse_feature_stacking"] == patching.INSTALLED
    assert all(state == "not chosen" for name, state in report.items() if name != "sparse_feature_stacking")
    assert [patch.name for patch in patching.all_patches() if patch.is_installed()] == ["sparse_feature_stacking"]

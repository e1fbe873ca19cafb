"""The one place where private Rasa, Keras and TensorFlow functions are replaced by this project's faster ones.

Each module of `components/` that speeds up Rasa says why and declares its replacement as a `Patch` in its
`PATCHES`; nothing is replaced when a module is imported. `install()` is called from one place,
`components/rasa_patches.py` (the first component of config.yml's pipeline, so `rasa train`, `rasa run`,
`rasa shell` and `rasa test` all load it with the model). Before it replaces a function it checks

- the versions the patch was written for (Rasa 3.6.21; TensorFlow/Keras 2.12.0 for the training patch), and
- that the function in place is the one expected: the SHA-256 of its source (or of the module whose use
  of it is replaced) as that release ships it,

and logs and skips a patch that does not fit, so a different Rasa gets Rasa's own code, slower but right.
`REALNAME_RASA_PATCHES=off` leaves every function as Rasa has it (the tests compare both in separate
processes); `REALNAME_RASA_PATCHES=name,name` installs only those.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import inspect
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

ENV = "REALNAME_RASA_PATCHES"
RASA = {"rasa": "3.6.21"}
TENSORFLOW = {"tensorflow": "2.12.0", "keras": "2.12.0"}

# The modules that declare patches, in the order they are installed.
MODULES = (
    "action_response_validation",
    "event_type_lookup",
    "sparse_feature_stacking",
    "sparse_batch_values",
    "training_dataset_options",
    "incremental_states",
    "action_call_events",
    "applied_events",
    "tracker_copy",
    "rule_debug_log",
    "memoization_debug_log",
    "form_temporary_tracker",
    "rule_possible_keys",
    "remembered_states",
)

INSTALLED = "installed"
_MISSING = object()


def source_sha256(obj: Any) -> str:
    """The first 16 hex digits of the SHA-256 of an object's source (a function, or a module)."""
    return hashlib.sha256(inspect.getsource(obj).encode("utf-8")).hexdigest()[:16]


@dataclass
class Patch:
    name: str
    owner: Any                      # the class (or module) whose attribute is replaced
    attribute: str
    replacement: Any                # a function
    original_sha256: str            # of the original's source, or of `checked()`'s
    static: bool = False            # set as a staticmethod
    versions: Mapping[str, str] = field(default_factory=lambda: dict(RASA))
    checked: Optional[Callable[[], Any]] = None  # what the fingerprint is of, when not the original itself
    reset: Optional[Callable[[], None]] = None    # forgets the patch's caches when it is undone
    _saved: Any = field(default=_MISSING, repr=False)

    def current(self) -> Any:
        return getattr(self.owner, self.attribute)

    def is_installed(self) -> bool:
        return self.current() is self.replacement

    def problem(self) -> Optional[str]:
        """Why this patch does not fit what is installed, or None."""
        for distribution, wanted in self.versions.items():
            try:
                found = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                found = None
            if found != wanted:
                return f"{distribution} {found} is not {wanted}"
        subject = self.checked() if self.checked else self.current()
        try:
            found_sha = source_sha256(subject)
        except (OSError, TypeError) as error:
            return f"source of {self.attribute} not readable: {error}"
        if found_sha != self.original_sha256:
            return f"{self.attribute} is not the function this patch replaces (source {found_sha})"
        return None

    def apply(self) -> None:
        self._saved = vars(self.owner).get(self.attribute, _MISSING)  # a class or a module
        setattr(self.owner, self.attribute, staticmethod(self.replacement) if self.static else self.replacement)

    def undo(self) -> None:
        if not self.is_installed():
            return
        if self._saved is _MISSING:
            delattr(self.owner, self.attribute)  # it was inherited: the base class's function shows again
        else:
            setattr(self.owner, self.attribute, self._saved)
        self._saved = _MISSING
        if self.reset:
            self.reset()


_patches: Optional[List[Patch]] = None


def all_patches() -> List[Patch]:
    global _patches
    if _patches is None:
        _patches = [
            patch
            for module in MODULES
            for patch in importlib.import_module(f"components.{module}").PATCHES
        ]
    return _patches


def wanted(env: Optional[str] = None) -> Optional[set]:
    """None: every patch; else the names to install (empty: none)."""
    value = (os.environ.get(ENV, "") if env is None else env).strip()
    if not value or value.lower() == "on":
        return None
    if value.lower() == "off":
        return set()
    return {name.strip() for name in value.split(",") if name.strip()}


def install(only: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """Install the patches that fit; {patch name: "installed" or why it was skipped}. Idempotent."""
    chosen = set(only) if only is not None else wanted()
    report: Dict[str, str] = {}
    for patch in all_patches():
        if chosen is not None and patch.name not in chosen:
            report[patch.name] = "not chosen"
            continue
        if patch.is_installed():
            report[patch.name] = INSTALLED
            continue
        problem = patch.problem()
        if problem:
            logger.warning("Rasa patch %s skipped: %s; Rasa's own function stays.", patch.name, problem)
            report[patch.name] = f"skipped: {problem}"
            continue
        patch.apply()
        report[patch.name] = INSTALLED
    installed = sum(1 for state in report.values() if state == INSTALLED)
    logger.info("Rasa patches: %d of %d installed.", installed, len(report))
    return report


def uninstall() -> None:
    """Rasa's own functions back (tests)."""
    for patch in reversed(all_patches()):
        patch.undo()


def get(name: str) -> Patch:
    return next(patch for patch in all_patches() if patch.name == name)

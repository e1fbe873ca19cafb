"""Custom Rasa graph components (loaded by the pipeline in config.yml)."""
# Two speed-ups of Rasa internals; each module says why.
from components import action_response_validation  # noqa: F401  (every custom action call)
from components import event_type_lookup  # noqa: F401  (every event read from the store or an action)

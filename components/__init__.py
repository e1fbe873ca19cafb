"""Custom Rasa graph components (loaded by the pipeline in config.yml)."""
# Speed-ups of Rasa internals, same results; each module says why.
from components import action_response_validation  # noqa: F401  (every custom action call)
from components import event_type_lookup  # noqa: F401  (every event read from the store or an action)
from components import sparse_feature_stacking  # noqa: F401  (every message's features)
from components import sparse_batch_values  # noqa: F401  (every DIET training batch)
from components import training_dataset_options  # noqa: F401  (every DIET training epoch)
from components import incremental_states  # noqa: F401  (every policy prediction)
from components import action_call_events  # noqa: F401  (every custom action call: the current turn only)

"""Custom Rasa graph components (loaded by the pipeline in config.yml)."""
from components import action_response_validation  # noqa: F401  (speeds up every custom action call)

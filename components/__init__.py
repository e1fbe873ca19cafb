"""Custom Rasa graph components (loaded by the pipeline in config.yml).

Importing this package changes nothing in Rasa: the speed-ups of Rasa internals are declared by their
modules and installed by components.patching.install(), called from components/rasa_patches.py.
"""

"""Custom actions: thin glue between Rasa and the plain-Python rules in `realname`."""

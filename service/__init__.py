"""Serving the assistant as a public service: the launcher (`python -m service.serve`), the HTTP guard
that keeps Rasa's HTTP API off the public port, and per-route request size limits."""

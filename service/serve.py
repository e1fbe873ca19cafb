"""`python -m service.serve [rasa run options]`: Rasa's own `rasa run`, made safe for a public port.

It takes `rasa run`'s options (model, port, interface, credentials, endpoints, ...) and:

- turns Rasa's HTTP API on only when REALNAME_API_TOKEN is set, with that token (Rasa's
  `--auth-token`); without it the port serves the channels and `/` only. `--enable-api`,
  `--auth-token` and the JWT options are refused on the command line (a token there shows in `ps`).
- limits request bodies before they are read (service/http_guard.py): REQUEST_MAX_SIZE for all,
  and each channel's own `body_limits` for its routes.
- tells the channels where the action server's health check is (REALNAME_ACTIONS_HEALTH_URL, from
  the endpoints file), so a message is not run while it is down (channels.rasa_bridge.ask_rasa).
- trusts X-Forwarded-For from REALNAME_TRUSTED_PROXIES proxies (the cluster's nginx sets it to 1),
  so per-address rate limits see the client, not the proxy.

- warms the model, the policies, the tracker store and the action server once it has started
  (service/warmup.py), so the first answer is as fast as later ones.

Everything else is `rasa run` itself: same arguments, same logging, same model loading.
"""
from __future__ import annotations

import os
import sys
from functools import partial
from typing import Any, List, Optional

from service import http_guard

REFUSED_OPTIONS = ("--enable-api", "--auth-token", "--jwt-secret", "--jwt-method", "--jwt-private-key")
#: Largest body any route accepts (a 10 MB picture upload as multipart); channels set smaller ones.
DEFAULT_REQUEST_MAX_SIZE = 11 * 1024 * 1024


def _refused(argv: List[str]) -> Optional[str]:
    for arg in argv:
        if arg.split("=", 1)[0] in REFUSED_OPTIONS:
            return arg.split("=", 1)[0]
    return None


def _install_guard(token: Optional[str], app: Any, _loop: Any) -> None:
    http_guard.install(app, token)
    proxies = os.environ.get("REALNAME_TRUSTED_PROXIES", "").strip()
    if proxies:
        app.config.PROXIES_COUNT = int(proxies)


def actions_health_url(endpoints_path: Optional[str]) -> Optional[str]:
    """The action server's /health beside its webhook URL in the endpoints file, or None."""
    import urllib.parse

    from rasa.core.utils import AvailableEndpoints

    if not endpoints_path or not os.path.isfile(endpoints_path):
        return None
    action = AvailableEndpoints.read_endpoints(endpoints_path).action
    if not action or not action.url:
        return None
    parts = urllib.parse.urlsplit(action.url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/health", "", ""))


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = _refused(argv)
    if bad:
        sys.exit(
            f"{bad} 不能在命令行上使用：管理接口只通过环境变量 {http_guard.API_TOKEN_ENV} 开启。"
            f" / {bad} is not accepted here: set {http_guard.API_TOKEN_ENV} to enable the HTTP API."
        )
    try:
        token = http_guard.api_token()
    except http_guard.TokenError as e:
        sys.exit(str(e))
    # Read by Sanic when Rasa creates the app: bodies past it are refused before they are read.
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(DEFAULT_REQUEST_MAX_SIZE))

    import rasa.cli.run
    import rasa.utils.io
    from rasa.__main__ import create_argument_parser
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment as tf_env

    args = create_argument_parser().parse_args(["run", *argv])
    configure_logging_and_warnings(args.loglevel, args.logging_config_file, warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    rasa.utils.io.configure_colored_logging(args.loglevel)
    configure_structlog(args.loglevel)
    sys.path.insert(1, os.getcwd())

    # A database outage must fail the turn (the channel answers "try again"), not answer out of context.
    from storage.tracker_store import install_strict_failures

    install_strict_failures()
    health = actions_health_url(args.endpoints or "endpoints.yml")
    if health:
        os.environ.setdefault("REALNAME_ACTIONS_HEALTH_URL", health)
    args.enable_api = token is not None
    args.auth_token = token
    from service import action_endpoint, warmup

    # after_server_start: Rasa loads the agent in before_server_start; the endpoint swap and the warm-up need it.
    args.server_listeners = [(partial(_install_guard, token), "main_process_start"),
                             (action_endpoint.listener, "after_server_start"), (warmup.listener, "after_server_start")]
    rasa.cli.run.run(args)


if __name__ == "__main__":
    main()

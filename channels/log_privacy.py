"""What the channels may write to a log about a user, a URL or an error.

Logs carry ids, lengths and reasons, never message bodies. Anything else that might hold a number
the user typed (an exception text, an API's error message) goes through :func:`masked_for_log`,
which masks with :func:`realname.privacy.mask_in_text`, so a number looks the same in the logs as
in the tracker store (``1101********0022``).
"""

import hashlib
import urllib.parse
from typing import Any

from realname.privacy import mask_in_text


def masked_for_log(value: Any, limit: int = 200) -> str:
    """`value` as text with every ID-/credit-code-like number masked, cut to `limit` characters.

    Masked before it is cut, so a cut never leaves a number too short to be recognised."""
    text = mask_in_text(str(value))
    return text if len(text) <= limit else text[:limit] + "…"


def short_id(value: Any) -> str:
    """A stable, short, non-reversible tag for a user id, for logs."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:10]


def safe_url(url: str) -> str:
    """The URL without query string and fragment (they may carry tokens), for logs."""
    try:
        p = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, "", ""))
    except ValueError:
        return "<bad url>"

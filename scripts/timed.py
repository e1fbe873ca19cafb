"""Run a command, record its wall time and exit code as JSON (used for the training-time figure)."""
import json
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    out, separator, *command = sys.argv[1:]
    assert separator == "--", "usage: timed.py OUT.json -- COMMAND..."
    start = time.monotonic()
    code = subprocess.call(command)
    seconds = round(time.monotonic() - start, 1)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"command": command, "seconds": seconds, "exit_code": code}) + "\n")
    print(f"{' '.join(command[:2])}: {seconds} s")
    return code


if __name__ == "__main__":
    sys.exit(main())

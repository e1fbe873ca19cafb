"""`rasa test core` on tests/test_*.yml with --fail-on-prediction-errors; prints the failed stories."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    out = ROOT / "results" / "stories"
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(ROOT / "models" / "realname.tar.gz"),
         "--stories", str(ROOT / "tests"), "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT,
    )
    failed = out / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print(failed.read_text(encoding="utf-8"))
    print("test stories:", "passed" if result.returncode == 0 else "FAILED")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

"""`rasa data validate`, failing on any warning (Rasa itself only fails on errors)."""
import subprocess
import sys

WARNING_MARKERS = ("UserWarning", "WARNING", "warning:")
# Deprecation noise from Rasa's own dependencies, not about our data.
IGNORED = ("SQLAlchemy", "MovedIn20Warning", "DeprecationWarning", "pkg_resources", "Base: DeclarativeMeta")


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain", "--fail-on-warnings"],
        capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    problems = [
        line for line in output.splitlines()
        if any(marker in line for marker in WARNING_MARKERS) and not any(noise in line for noise in IGNORED)
    ]
    if result.returncode != 0 or problems:
        print(output)
        print("rasa data validate: 有警告或错误（见上）", file=sys.stderr)
        return 1
    print("rasa data validate: OK, no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

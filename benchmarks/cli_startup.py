"""Print how long the `factcheck` command takes to start, and which heavy modules it loads.

    python benchmarks/cli_startup.py [--repeat 20]

Runs, --repeat times each and in turn (so that a busy moment hurts them all alike):
`python -c pass` (the interpreter alone, the floor), the installed `factcheck --help`,
`factcheck --version` and `factcheck claim --help`, and prints the median, lowest and
highest wall time of each side by side. Then, for each command once under
`python -X importtime`, the packages of the HEAVY list it imported, with the import time spent
in their own modules: `--help` and `--version` should import none of them.

The target is `factcheck --help` and `--version` <= 0.3 s on an idle machine (they took
~0.95 s when every command imported the whole core). On a shared machine read the figures
against the `python -c pass` line. `factcheck claim --help` also runs the root callback, where
typer (0.29) coerces the option values with pydantic: that is typer's cost, not ours.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "requests",
    "urllib3",
    "lxml",
    "bs4",
    "cssselect",
    "apscheduler",
    "charset_normalizer",
    "protego",
    "pydantic",
    "rich",
)


def commands() -> dict[str, list[str]]:
    """Name -> argv. The installed console script sits beside the interpreter."""
    script = str(Path(sys.executable).with_name("factcheck"))
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "factcheck --help": [script, "--help"],
        "factcheck --version": [script, "--version"],
        "factcheck claim --help": [script, "claim", "--help"],
    }


def wall_time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def heavy_imports(argv: list[str]) -> dict[str, float]:
    """HEAVY packages imported by `argv`, each with the time spent in its own modules (s: the
    self times of the package and its submodules, summed; what they import of other packages
    counts there)."""
    if argv[0] != sys.executable:  # the console script: run its module under -X importtime
        argv = [sys.executable, "-X", "importtime", "-m", "factcheck", *argv[1:]]
    else:
        argv = [argv[0], "-X", "importtime", *argv[1:]]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    found: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line.split("|"))
        package = name.split(".")[0]
        if package in HEAVY:
            found[package] = found.get(package, 0.0) + int(self_us.split(":")[1]) / 1e6
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each command")
    args = parser.parse_args()
    runs = commands()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, argv in runs.items():
            times[name].append(wall_time(argv))
    width = max(len(name) for name in runs)
    print(f"{'command':<{width}}  median   lowest  highest  (s, {args.repeat} runs each)")
    for name, values in times.items():
        print(
            f"{name:<{width}}  {statistics.median(values):6.3f}  {min(values):7.3f}"
            f"  {max(values):7.3f}"
        )
    print()
    print("heavy packages imported (import time in their own modules, one -X importtime run):")
    for name, argv in runs.items():
        found = heavy_imports(argv)
        listed = ", ".join(f"{m} {s:.3f}s" for m, s in sorted(found.items())) or "none"
        print(f"{name:<{width}}  {listed}")


if __name__ == "__main__":
    main()

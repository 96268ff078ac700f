"""Shared helpers of the Python module's tests: the repository's fixtures and the CLI binary.

The CLI is the reference: tests run `lowrank-explorer ... --json` on the same inputs and compare.
The binary is `$LOWRANK_EXPLORER_BIN`, else `target/debug/lowrank-explorer` at the repository's
root; if neither exists the tests fail (they never skip: a suite that cannot compare proves nothing).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_PT = FIXTURES / "lowrank_n64_r2.pt"


def cli_binary() -> Path:
    """The CLI the results are compared with; a clear failure if it is missing."""
    named = os.environ.get("LOWRANK_EXPLORER_BIN")
    path = Path(named) if named else ROOT / "target" / "debug" / "lowrank-explorer"
    if not path.is_file():
        pytest.fail(
            f"the lowrank-explorer binary is not at {path}: build it (cargo build) "
            "or set LOWRANK_EXPLORER_BIN",
            pytrace=False,
        )
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Runs the CLI with `args` (strings or paths), capturing its output as text."""
    return subprocess.run(
        [str(cli_binary()), *map(str, args)], capture_output=True, text=True, timeout=600
    )


def cli_json(*args: str):
    """The CLI's `--json` report for `args`; fails with its stderr if the command fails."""
    done = run_cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_error(*args: str) -> str:
    """The message the CLI prints after `error: ` when `args` fail."""
    done = run_cli(*args)
    assert done.returncode != 0, f"the CLI accepted {args}"
    lines = [l for l in done.stderr.splitlines() if l.startswith("error: ")]
    assert lines, done.stderr
    return lines[-1][len("error: ") :]

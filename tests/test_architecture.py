"""The core stays free of Textual (import-linter's contracts in pyproject.toml), and the lint
and type checks configured there hold."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_never_imports_textual() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_core_modules_import_without_textual() -> None:
    """Importing every core package in a fresh interpreter must not pull Textual in."""
    code = (
        "import sys, policytui.policy.model, policytui.decision, policytui.toolinfo, "
        "policytui.serve.server; "
        "assert 'textual' not in sys.modules, 'textual imported by the core'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_ruff_finds_nothing() -> None:
    """The lint rules in pyproject.toml hold across the package, tests and benchmarks."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "policytui", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    """The package type-checks under the [tool.mypy] settings in pyproject.toml."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "policytui"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

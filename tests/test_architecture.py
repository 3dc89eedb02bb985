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


def test_the_core_readme_names_is_the_core_the_contract_keeps() -> None:
    """README's Development section lists the core packages; each is one the contract forbids
    Textual in, and each package of the contract is listed."""
    import re
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"The core \(`policytui/(\w+)`((?:, `\w+`)*)\)", readme)
    assert listed, "README names no core packages"
    names = {listed.group(1), *re.findall(r"`(\w+)`", listed.group(2))}
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    kept = {module for c in contract["tool"]["importlinter"]["contracts"] for module in c["source_modules"]}
    packages = {m.split(".")[1] for m in kept if (ROOT / "policytui" / m.split(".")[1]).is_dir()
                and m.split(".")[1] != "serve"}
    assert {f"policytui.{name}" for name in names} <= kept
    assert packages <= names

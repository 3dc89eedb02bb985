"""The policytui processes the tests start read compiled modules rather than compile the
package from source each time, and xdist workers read test modules whose asserts were
rewritten once (tests/conftest.py's pytest_configure)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import policytui

PACKAGE = Path(policytui.__file__).resolve().parent


def _stale_or_missing(source: Path) -> bool:
    """Whether Python would compile SOURCE again: no bytecode beside it, or bytecode whose
    header records another modification time or size (the check a plain import makes)."""
    cached = Path(importlib.util.cache_from_source(str(source)))
    try:
        header = cached.read_bytes()[:16]
    except OSError:
        return True
    stat = source.stat()
    return (len(header) < 16
            or int.from_bytes(header[8:12], "little") != int(stat.st_mtime) & 0xFFFFFFFF
            or int.from_bytes(header[12:16], "little") != stat.st_size & 0xFFFFFFFF)


def test_every_policytui_module_has_current_bytecode_before_the_tests_start_processes() -> None:
    stale = [str(path.relative_to(PACKAGE)) for path in sorted(PACKAGE.rglob("*.py"))
             if _stale_or_missing(path)]
    assert not stale, f"{len(stale)} policytui modules would be compiled by every process: {stale[:10]}"


def test_under_xdist_the_workers_read_test_modules_the_controller_rewrote(
        request: pytest.FixtureRequest) -> None:
    """Each xdist worker imports every test module; the controller rewrote their asserts once
    and cached them (tests/conftest.py's _rewrite_test_modules_once), so a worker finds this
    module cached rather than rewriting it as every other worker does."""
    if not hasattr(request.config, "workerinput"):
        pytest.skip("only a run under xdist has workers that would each rewrite the modules")
    from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, get_cache_dir

    module = Path(__file__)
    assert _read_pyc(module, get_cache_dir(module) / (module.name[:-3] + PYC_TAIL)) is not None

"""bench/gate_ceiling.py: the perfect gate's ceiling on each stage of the classifier is
measured with every classification unchanged, and a recording that misses what a stage does
is caught rather than reported as a saving."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "gate_ceiling.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_ceiling", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_stage_is_measured_with_the_classifications_unchanged() -> None:
    shown = subprocess.run([sys.executable, str(BENCH), "--tools", "300", "--rounds", "1",
                            "--servers", "3"], capture_output=True, text=True, timeout=300,
                           cwd=ROOT)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if line.endswith("%")]
    for stage in ("money stage", "argument rules", "later-sentence rules"):
        assert [row for row in rows if row.startswith(stage) and "300 synthetic" in row], rows
        assert [row for row in rows if row.startswith(stage) and "real tools" in row], rows


def test_a_recording_that_misses_what_a_stage_does_is_caught() -> None:
    bench = _bench()
    label, module, name, before, _did = bench.STAGES[0]
    # Told that no call of the money stage ever changes anything: skipping them all changes
    # the synthetic money tools' classifications, which the bench must refuse to time.
    blind = (label, module, name, before, lambda args, state, result: False)
    stage = getattr(module, name)
    with pytest.raises(SystemExit, match="a classification changed"):
        bench.ceiling(blind, [bench.synthetic_tools(100)], 1)
    assert getattr(module, name) is stage  # the stage is put back however the bench ends

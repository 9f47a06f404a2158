"""The malformed-input suite as a whole (tests/test_malformed_*.py, each case run through the
installed CLI there): at least 40 generated inputs, every area (media, audio, manifests,
configs, runs, bundles) and every outcome class (refused, scored with a warning, scored)
represented, no input counted twice."""
from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

from malformed_support import AREAS, OUTCOMES, Case

MODULES = sorted(path.stem for path in Path(__file__).parent.glob("test_malformed_*.py")
                 if path.stem != Path(__file__).stem)


def suite_cases() -> list[Case]:
    """Every module's CASES."""
    return [case for module in MODULES for case in importlib.import_module(module).CASES]


def test_the_suite_covers_every_area_and_outcome():
    cases = suite_cases()
    assert len(cases) >= 40, Counter(case.area for case in cases)
    assert {case.area for case in cases} == set(AREAS)
    assert {case.outcome for case in cases} == set(OUTCOMES)
    assert len({(case.area, case.name) for case in cases}) == len(cases)

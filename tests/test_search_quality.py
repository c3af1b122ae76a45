"""Search quality over the real knowledge base must not fall below the floors the lead has set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "articles"
QUERIES = Path(__file__).parent / "eval" / "queries.yml"
SCRIPT = REPO / "bench" / "eval_search.py"

# Placeholders: the lead sets these from measurements (bench/eval_search.py prints the figures).
FLOOR_S3 = 0.95  # measured 0.993 (bench/RESULTS.md)
FLOOR_MRR = 0.90  # measured 0.969
FLOOR_KIND = 0.90  # lowest kind measured 0.962 (jargon)


def load_eval_script() -> ModuleType:
    """Import bench/eval_search.py by path (bench is not a package)."""
    if "eval_search" in sys.modules:
        return sys.modules["eval_search"]
    spec = importlib.util.spec_from_file_location("eval_search", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_search"] = module  # dataclasses look their module up here while the class is built
    spec.loader.exec_module(module)
    return module


def test_search_quality_floors(tmp_path: Path) -> None:
    figures = load_eval_script().evaluate(ARTICLES, QUERIES, tmp_path / "index")
    overall = figures["overall"]
    assert overall["n"] >= 140
    assert overall["s3"] >= FLOOR_S3, figures
    assert overall["mrr"] >= FLOOR_MRR, figures
    for kind, row in figures.items():
        assert row["s3"] >= FLOOR_KIND, f"{kind}: success@3 {row['s3']:.3f} < {FLOOR_KIND}"


HARD = Path(__file__).parent / "eval" / "hard_queries.yml"
# tests/eval/hard_queries.yml (people's own words and languages, and questions the content does not answer),
# measured with the hybrid search (bench/RESULTS.md): success@3 0.972, MRR 0.909, every kind 0.90 or more
# (Somali 1.000), negatives with no confident hit 0.850, answered questions with a confident first hit 0.856.
# The targets are the floors: success@3 0.95, MRR 0.85 (0.88 held), every kind 0.90, negatives 0.80,
# confident first hits 0.85.
HARD_FLOOR_S3 = 0.95
HARD_FLOOR_MRR = 0.88
HARD_FLOOR_KIND = 0.90
HARD_FLOOR_NEGATIVES = 0.80
HARD_FLOOR_CONFIDENT = 0.85


def test_hard_questions_floors(tmp_path: Path) -> None:
    figures = load_eval_script().evaluate(ARTICLES, HARD, tmp_path / "index")
    overall = figures["overall"]
    assert overall["n"] >= 250
    assert overall["s3"] >= HARD_FLOOR_S3, figures
    assert overall["mrr"] >= HARD_FLOOR_MRR, figures
    assert overall["neg_ok"] >= HARD_FLOOR_NEGATIVES, figures
    assert overall["conf1"] >= HARD_FLOOR_CONFIDENT, figures
    for kind, row in figures.items():
        if kind not in ("negative", "overall"):
            assert row["s3"] >= HARD_FLOOR_KIND, f"{kind}: success@3 {row['s3']:.3f} < {HARD_FLOOR_KIND}"

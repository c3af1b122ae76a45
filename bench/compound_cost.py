"""What the Swedish compound handling costs: index size, build time, query time and quality, with the
decompounder on and off, on the same content and queries.

    python bench/compound_cost.py [--articles DIR] [--queries tests/eval/queries.yml] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.search.analysis import Analyzer  # noqa: E402
from portal.search.index import IndexHandle, build_index  # noqa: E402
from portal.search.index import documents as docs  # noqa: E402
from portal.search.searcher import Searcher  # noqa: E402
from portal.site import pipeline  # noqa: E402


def _eval_module() -> Any:
    spec = importlib.util.spec_from_file_location("eval_search", ROOT / "bench" / "eval_search.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_search"] = module
    spec.loader.exec_module(module)
    return module


def _plain_analyzers(corpus: Any, cache_dir: Path | None = None) -> dict[str, Analyzer]:
    return {code: Analyzer(code) for code in corpus.site.language_codes}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and "lexicon" not in p.name)


def measure(articles: Path, queries: Path, repeat: int, split: bool) -> dict[str, Any]:
    """Build, query and evaluate with compound splitting on (*split*) or off."""
    corpus, _ = pipeline.load_valid(articles)
    patch = mock.patch.object(docs, "analyzers_for", docs.analyzers_for if split else _plain_analyzers)
    import portal.search.index.writer as writer

    patch_writer = mock.patch.object(writer, "analyzers_for", docs.analyzers_for if split else _plain_analyzers)
    builds, sizes, latencies = [], [], []
    with patch, patch_writer, tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(corpus, index_dir)  # warm the lexicon cache
        for _ in range(repeat):
            start = time.perf_counter()
            gen = build_index(corpus, index_dir)
            builds.append(time.perf_counter() - start)
            sizes.append(_size(gen))
        searcher = Searcher(IndexHandle(index_dir))
        import yaml

        items = yaml.safe_load(queries.read_text("utf-8"))
        for item in items * 2:
            start = time.perf_counter()
            searcher.search(item["q"], item.get("lang", "sv"), internal=bool(item.get("internal")))
            latencies.append((time.perf_counter() - start) * 1000)
        quality = _eval_module().evaluate(articles, queries, Path(tmp) / "eval-index")["overall"]
    latencies.sort()
    return {"build_s": round(statistics.median(builds), 2), "index_kib": round(statistics.median(sizes) / 1024),
            "query_p50_ms": round(latencies[len(latencies) // 2], 2),
            "query_p95_ms": round(latencies[int(len(latencies) * 0.95)], 2),
            "s3": round(quality["s3"], 3), "mrr": round(quality["mrr"], 3)}


def main() -> None:
    """Print the comparison as a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=ROOT / "articles")
    parser.add_argument("--queries", type=Path, default=ROOT / "tests" / "eval" / "queries.yml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = {"compounds on": measure(args.articles, args.queries, args.repeat, True),
            "compounds off": measure(args.articles, args.queries, args.repeat, False)}
    keys = list(next(iter(rows.values())))
    print(f"{'':14} " + " ".join(f"{k:>13}" for k in keys))
    for name, row in rows.items():
        print(f"{name:14} " + " ".join(f"{row[k]:>13}" for k in keys))
    on, off = rows["compounds on"], rows["compounds off"]
    print(f"ratio on/off: build {on['build_s'] / off['build_s']:.2f}x, index size "
          f"{on['index_kib'] / off['index_kib']:.2f}x, query p50 {on['query_p50_ms'] / off['query_p50_ms']:.2f}x")


if __name__ == "__main__":
    main()

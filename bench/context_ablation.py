"""What each context group and size brings: validation NLL per token, same split, same budget.

    python3 bench/context_ablation.py CORPUS_DIR --features position,chord,change,next \
        --units 128 --embed 32 [--validation 6] [--seed 0] [--max-epochs 60]

Trains one context model (:mod:`export.fit`) on the corpus minus ``--validation``
whole files (drawn with ``--seed``), early stopping on them, and prints one
progress line per epoch and a last JSON line: the features, the sizes, the
epochs, the best epoch, train and validation NLL (nats per token, teacher-forced
over whole files), the held-out tokens' vocabulary coverage and the seconds.
``--features none`` trains the same network with every context value 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/context_ablation.py")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--features", default="position,chord,change,next")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--min-count", type=int, default=1)
    parser.add_argument("--validation", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--plateau", type=int, default=0,
                        help="halve the learning rate after this many epochs without a "
                             "better validation NLL (0: never)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from export.corpus import Source, extract_sources
    from export.features import Mapper, feature_mask, sequence, split_by_file, vocabulary_of
    from export.fit import fit

    names = [] if args.features == "none" else args.features.split(",")
    corpus = extract_sources([Source(args.corpus)])
    train_parts, held_parts = split_by_file(corpus.parts, args.validation, args.seed)
    vocabulary = vocabulary_of([t for p in train_parts for t in p.tokens], args.min_count)
    mapper = Mapper(vocabulary)
    train_files = [sequence(p, mapper) for p in train_parts]
    held_files = [sequence(p, mapper) for p in held_parts]
    held_tokens = sum(len(f) for f in held_files)
    coverage = sum(int(f.in_vocabulary.sum()) for f in held_files) / max(held_tokens, 1)
    print(f"{len(train_parts)} training files, {len(held_parts)} validation files "
          f"({', '.join(p.source for p in held_parts)}), vocabulary {len(vocabulary)}, "
          f"held-out coverage {coverage:.4f}", flush=True)
    began = time.perf_counter()
    fitted = fit(len(vocabulary), train_files, held_files, feature_mask(names),
                 units=args.units, embed=args.embed, dropout=args.dropout,
                 max_epochs=args.max_epochs, patience=args.patience, plateau=args.plateau,
                 seed=args.seed,
                 out=lambda line: print(line, flush=True))
    print(json.dumps({
        "features": names, "units": args.units, "embed": args.embed, "dropout": args.dropout,
        "min_count": args.min_count, "plateau": args.plateau, "vocabulary": len(vocabulary),
        "coverage": round(coverage, 4), "epochs": fitted.epochs,
        "best_epoch": fitted.best_epoch, "train_nll": round(fitted.train_nll, 4),
        "validation_nll": round(fitted.validation_nll or float("nan"), 4),
        "parameters": fitted.parameters, "seconds": round(time.perf_counter() - began, 1),
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

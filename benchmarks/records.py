"""Records of every PolNeAR train and dev article, for checking that a change
leaves them as they were (byte for byte).

    python benchmarks/records.py PolNeAR --write before.jsonl      # on the old commit
    python benchmarks/records.py PolNeAR --compare before.jsonl    # on the new one

Prints how many records there are and, with --compare, how many differ (and
the first few ids). Texts only go in, as `sayso analyze` would read them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def records(root: str, jobs: int) -> list[str]:
    from sayso import analyze_many
    from sayso.settings import Settings
    from sayso.training.polnear import read_split

    items = [(a.text, f"{split}/{a.id}", None) for split in ("train", "dev") for a in read_split(root, split)]
    return [json.dumps(a.to_dict(), ensure_ascii=False, sort_keys=True)
            for a in analyze_many(items, Settings(jobs=jobs))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the PolNeAR folder")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", metavar="FILE")
    what.add_argument("--compare", metavar="FILE")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    lines = records(args.corpus, args.jobs)
    seconds = time.perf_counter() - started
    if args.write:
        with open(args.write, "w", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
        print(f"{len(lines)} records written to {args.write} in {seconds:.0f} s")
        return 0
    with open(args.compare, encoding="utf-8") as fh:
        before = [line.rstrip("\n") for line in fh]
    differ = [json.loads(new)["id"] for old, new in zip(before, lines, strict=False) if old != new]
    print(f"{len(lines)} records ({len(before)} before) in {seconds:.0f} s: {len(differ)} differ"
          + (f" ({', '.join(differ[:5])}…)" if differ else ", all byte-identical"))
    return 0 if not differ and len(before) == len(lines) else 1


if __name__ == "__main__":
    sys.exit(main())

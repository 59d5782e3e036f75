"""Reading the PolNeAR attribution corpus (brat standoff) as article records.

Layout (see the corpus README): `<split>/text/NAME.txt` and
`<split>/attributions/NAME_<annotator>.ann`. Each article is read with exactly
one annotation, the file whose annotator id sorts first. Labels `Source`,
`Cue` and `Content` are the spans; `E` lines tie one attribution's spans
together; `Discuss`/`Discard` notes are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from sayso.errors import CorpusError
from sayso.nlp.quotes import QuoteIndex, find_quotes, kind_of
from sayso.record import Article, Attribution, Span, empty_meta

SPLITS = ("train", "dev", "test")
_T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t?")
_E_LINE = re.compile(r"^(E\d+)\t(.*)$")
ROLES = {"Cue": "cue", "Source": "source", "Content": "content"}




def split_dir(root: str | Path, split: str) -> Path:
    """The folder holding `text/` and `attributions/` for a split, from the
    corpus root, its `data/` folder, or the split folder itself."""
    if split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    root = Path(root)
    for candidate in (root / "data" / split, root / split, root):
        if (candidate / "text").is_dir() and (candidate / "attributions").is_dir():
            if candidate == root and root.name != split and (root / "data").exists():
                continue
            return candidate
    raise CorpusError(f"{root}: no PolNeAR '{split}' split here (expected data/{split}/text and "
                      f"data/{split}/attributions)")


def annotator_files(folder: Path) -> dict[str, list[Path]]:
    """Article name -> its annotation files, by annotator id."""
    found: dict[str, list[Path]] = {}
    for ann in sorted((folder / "attributions").glob("*.ann")):
        found.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    return found


def annotation_files(folder: Path) -> dict[str, Path]:
    """Article name -> its annotation file (first annotator id)."""
    return {name: files[0] for name, files in annotator_files(folder).items()}


def parse_ann(ann_text: str, text: str) -> list[Attribution]:
    """Attributions of one brat file, spans checked against the article text."""
    spans: dict[str, tuple[str, list[Span]]] = {}
    events: list[list[tuple[str, str]]] = []
    for line in ann_text.splitlines():
        m = _T_LINE.match(line)
        if m:
            tid, label, offsets = m.groups()
            pieces = []
            for part in offsets.split(";"):
                nums = part.split()
                if len(nums) != 2:
                    continue
                start, end = int(nums[0]), int(nums[1])
                if 0 <= start < end <= len(text):
                    pieces.append(Span.of(text, start, end))
            spans[tid] = (label, pieces)
            continue
        m = _E_LINE.match(line)
        if m:
            events.append([tuple(arg.split(":", 1)) for arg in m.group(2).split() if ":" in arg])  # type: ignore[misc]
    quotes = QuoteIndex(find_quotes(text))
    out: list[Attribution] = []
    for args in events:
        roles: dict[str, list[Span]] = {"cue": [], "source": [], "content": []}
        for label, tid in args:
            role = ROLES.get(label.rstrip("0123456789"))
            if role and tid in spans:
                roles[role].extend(spans[tid][1])
        if not roles["cue"] and not roles["content"]:
            continue
        for role in roles:
            roles[role] = _merge_spans(roles[role], text)
        out.append(Attribution(id=f"a{len(out) + 1}", kind=kind_of(roles["content"], quotes),
                               cue=roles["cue"], source=roles["source"], content=roles["content"]))
    out.sort(key=lambda a: a.first_offset)
    for n, a in enumerate(out, start=1):
        a.id = f"a{n}"
    return out


def _merge_spans(spans: list[Span], text: str) -> list[Span]:
    merged: list[tuple[int, int]] = []
    for s in sorted(spans):
        if merged and s.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], s.end))
        else:
            merged.append((s.start, s.end))
    return [Span.of(text, a, b) for a, b in merged]


def read_split(root: str | Path, split: str = "dev", limit: int | None = None) -> Iterator[Article]:
    """Gold articles of a split, in file-name order."""
    folder = split_dir(root, split)
    files = annotation_files(folder)
    if not files:
        raise CorpusError(f"{folder}: no .ann files")
    for n, (name, ann) in enumerate(sorted(files.items())):
        if limit is not None and n >= limit:
            break
        text_path = folder / "text" / f"{name}.txt"
        if not text_path.exists():
            continue
        yield _article(name, text_path.read_text(encoding="utf-8"), ann)


def _article(name: str, text: str, ann: Path) -> Article:
    meta = empty_meta()
    meta["language"] = "en"
    return Article(id=name, text=text, meta=meta, attributions=parse_ann(ann.read_text(encoding="utf-8"), text))


def read_annotators(root: str | Path, split: str = "dev") -> Iterator[tuple[Article, list[Article]]]:
    """The articles of a split that several annotators labelled: the first
    annotator's reading (the gold of `read_split`) and the others', for
    measuring how far trained people agree."""
    folder = split_dir(root, split)
    for name, files in sorted(annotator_files(folder).items()):
        text_path = folder / "text" / f"{name}.txt"
        if len(files) < 2 or not text_path.exists():
            continue
        text = text_path.read_text(encoding="utf-8")
        yield _article(name, text, files[0]), [_article(name, text, f) for f in files[1:]]

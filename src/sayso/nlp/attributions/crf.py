"""A CRFsuite model read from its file and decoded with numpy.

CRFsuite's own tagger (pycrfsuite.Tagger) turns every feature string of every
item into a C++ string and looks it up in the model's dictionary, call by call:
on news that was as costly as building the strings. Here the strings become row
numbers with one dictionary lookup each, the state scores are sums of weight
rows, the role tagger's per-token part of them is summed once per token rather
than once per window, and Viterbi and the marginals run over many sequences at
once. The arithmetic is CRFsuite's (crf1d_context.c): the same best paths, with
marginals equal up to rounding.

Training stays with CRFsuite (pycrfsuite.Trainer); this reads what it writes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from itertools import chain, repeat
from typing import TypeVar

import numpy as np

from sayso.nlp.attributions.features import Template

# The model file (crf1dm.c): a header of twelve uint32 fields, then chunks. The offsets of
# the features, labels and attributes sit at bytes 28, 32 and 36.
_HEADER = struct.Struct("<4sI4sIIIIIIIII")
_FEATURE = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])
_STATE, _TRANSITION = 0, 1
_STRETCH = 4096  # tokens whose state scores are summed at once
_CELLS = 1 << 18  # positions decoded together at most (sequences × the longest's length)
T = TypeVar("T")


def _strings(data: bytes, start: int) -> list[str]:
    """A CQDB dictionary's strings by id: its header gives the offset of the backward
    array, which holds for each id the offset of its record (id, size, string, NUL)."""
    magic, _size, _flag, _order, count, backward = struct.unpack_from("<4sIIIII", data, start)
    if magic != b"CQDB":
        raise ValueError("no CQDB dictionary where the header points")
    out = []
    for k in range(count):
        (at,) = struct.unpack_from("<I", data, start + backward + 4 * k)
        if not at:
            raise ValueError(f"string {k} missing from the dictionary")
        _id, length = struct.unpack_from("<II", data, start + at)
        out.append(data[start + at + 8:start + at + 7 + length].decode("utf-8"))
    return out


class CRF:
    """A linear-chain CRF: labels, a weight row per known feature string, transitions."""

    def __init__(self, labels: Sequence[str], attributes: Sequence[str], weights: np.ndarray,
                 transitions: np.ndarray):
        self.labels = list(labels)
        self.attributes = list(attributes)
        # feature string -> row of `weights`; the last row is all zeros and stands for any
        # string the model has no weight for (CRFsuite skips those)
        self.rows = {a: k for k, a in enumerate(self.attributes)}
        self.unknown = len(self.attributes)
        self.weights = weights
        self.transitions = transitions
        self._exp_transitions = np.exp(transitions)
        self._by_prefix: dict[str, dict[str, int]] = {}  # template prefix -> key -> row (`_table`)
        self._key_ends: dict[str, tuple[set[str], set[str]]] = {}  # (`_ends`)

    @classmethod
    def from_bytes(cls, data: bytes) -> CRF:
        """From the bytes of a CRFsuite (crf1d) model file; ValueError when they are not one."""
        try:
            # (CRFsuite leaves the header's feature count 0: the features chunk has it)
            magic, _size, kind, _version, _zero, n_labels, n_attrs, at_features, at_labels, at_attrs, *_ = (
                _HEADER.unpack_from(data, 0))
            if magic != b"lCRF" or kind != b"FOMC":
                raise ValueError("not a CRFsuite crf1d model")
            labels = _strings(data, at_labels)
            attributes = _strings(data, at_attrs)
            chunk, _chunk_size, count = struct.unpack_from("<4sII", data, at_features)
            if chunk != b"FEAT" or len(labels) != n_labels or len(attributes) != n_attrs:
                raise ValueError("inconsistent CRFsuite model")
            features = np.frombuffer(data, dtype=_FEATURE, count=count, offset=at_features + 12)
        except (struct.error, UnicodeDecodeError) as exc:
            raise ValueError(f"broken CRFsuite model ({exc})") from None
        weights = np.zeros((n_attrs + 1, n_labels))
        state = features[features["type"] == _STATE]
        np.add.at(weights, (state["src"].astype(np.intp), state["dst"].astype(np.intp)), state["weight"])
        transitions = np.zeros((n_labels, n_labels))
        move = features[features["type"] == _TRANSITION]
        np.add.at(transitions, (move["src"].astype(np.intp), move["dst"].astype(np.intp)), move["weight"])
        return cls(labels, attributes, weights, transitions)

    # --- state scores -----------------------------------------------------------------------

    def scores(self, items: Sequence[Sequence[str]]) -> np.ndarray:
        """The state score of each label for each item (a token's feature strings): an
        (items, labels) array. A string given twice counts twice, as in CRFsuite."""
        if not items:
            return np.zeros((0, len(self.labels)))
        counts = np.fromiter(map(len, items), dtype=np.intp, count=len(items))
        rows = np.fromiter(map(self.rows.get, chain.from_iterable(items), repeat(self.unknown)),
                           dtype=np.intp, count=int(counts.sum()))
        return self.sum_rows(rows, counts)

    def template_scores(self, templates: Sequence[Template], n: int) -> np.ndarray:
        """The state scores of an article's n tokens from its feature templates: each
        distinct string of a template is looked up once, then numpy spreads the rows."""
        out = np.zeros((n, len(self.labels)))
        weights = self.weights
        per_token = [t for t in templates if t.owners is None]
        rows = np.empty((len(per_token), n), dtype=np.intp)  # each template's row for each token
        for k, t in enumerate(per_token):
            rows[k] = self._template_rows(t, n)
        # summed a stretch of tokens at a time, so a long text needs no (templates, tokens, labels) array
        for start in range(0, n, _STRETCH):
            out[start:start + _STRETCH] = weights[rows[:, start:start + _STRETCH]].sum(axis=0)
        for t in templates:
            if t.owners is not None:
                np.add.at(out, t.owners, weights[self._template_rows(t, len(t.owners))])
        return out

    def _template_rows(self, t: Template, size: int) -> np.ndarray:
        """The weight row of each row of a template (the zero row where it is absent)."""
        if not t.parts:
            rows = np.full(size, self.rows.get(t.prefix, self.unknown))
        elif len(t.parts) == 1:
            codes, strings = t.parts[0]
            rows = self._rows_of(t.prefix, strings)[codes]
        else:
            # only rows whose first and last strings begin and end one of the model's strings of
            # this template can have a weight (L1 training keeps a few hundred): the others are
            # neither joined nor looked up
            firsts, lasts = self._ends(t.prefix)
            (first_codes, first_strings), (last_codes, last_strings) = t.parts[0], t.parts[-1]
            may = (_members(firsts, first_strings)[first_codes] & _members(lasts, last_strings)[last_codes])
            if t.present is not None:
                may &= t.present
            rows = np.full(size, self.unknown)
            at = np.nonzero(may)[0]
            if len(at):
                combined = first_codes[at].astype(np.int64)
                for codes, strings in t.parts[1:]:
                    combined = combined * len(strings) + codes[at]
                _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
                keys = list(zip(*[map(strings.__getitem__, codes[at[first]].tolist()) for codes, strings in t.parts],
                                strict=True))
                rows[at] = self._rows_of(t.prefix, keys)[inverse.reshape(-1)]
            return rows
        if t.present is not None:
            rows[~t.present] = self.unknown
        return rows

    def _ends(self, prefix: str) -> tuple[set[str], set[str]]:
        """What may come first and last in a key of several strings of this template: each
        stretch of one of the model's strings from the prefix to a "|", and from a "|" to the end."""
        ends = self._key_ends.get(prefix)
        if ends is None:
            firsts: set[str] = set()
            lasts: set[str] = set()
            for key in self._table(prefix):
                for k, c in enumerate(key):
                    if c == "|":
                        firsts.add(key[:k])
                        lasts.add(key[k + 1:])
            ends = self._key_ends[prefix] = (firsts, lasts)
        return ends

    def _rows_of(self, prefix: str, keys: Sequence[str] | Sequence[tuple[str, ...]]) -> np.ndarray:
        """The weight row of each key of a template ("say", or ("say", "ROOT") for "ld=say|ROOT")."""
        table = self._table(prefix)
        if keys and not isinstance(keys[0], str):
            keys = list(map("|".join, keys))  # type: ignore[arg-type]
        return np.fromiter(map(table.get, keys, repeat(self.unknown)), dtype=np.intp, count=len(keys))

    def _table(self, prefix: str) -> dict[str, int]:
        """The model's strings that begin with the prefix, by what follows it (a key's string is
        the prefix and the key)."""
        table = self._by_prefix.get(prefix)
        if table is None:
            table = self._by_prefix[prefix] = {a[len(prefix):]: k for k, a in enumerate(self.attributes)
                                               if a.startswith(prefix)}
        return table

    def sum_rows(self, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Sums of weight rows, `counts[k]` consecutive rows for item k (each at least one)."""
        starts = np.zeros(len(counts), dtype=np.intp)
        np.cumsum(counts[:-1], out=starts[1:])
        empty = counts == 0
        if empty.any():  # reduceat would give an empty item the next row: point it at the zero row
            rows = np.append(rows, self.unknown)
            starts[empty] = len(rows) - 1
        return np.add.reduceat(self.weights[rows], starts, axis=0)

    # --- decoding ---------------------------------------------------------------------------

    def viterbi(self, states: Sequence[np.ndarray]) -> list[list[str]]:
        """The best label sequence of each sequence of state scores. Ties go to the lower
        label, as in CRFsuite."""
        return _grouped(self._viterbi, states)

    def marginals(self, states: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The marginal probability of each label at each position: an (items, labels)
        array per sequence, by CRFsuite's scaled forward-backward."""
        return _grouped(self._marginals, states)

    def _viterbi(self, states: Sequence[np.ndarray]) -> list[list[str]]:
        scores, lengths = _stack(states)
        length, batch, n = scores.shape
        trans = self.transitions
        back = np.zeros((length, batch, n), dtype=np.intp)
        best = np.empty((length, batch, n))
        best[0] = scores[0]
        for t in range(1, length):
            candidates = best[t - 1][:, :, None] + trans  # [sequence, from, to]
            back[t] = candidates.argmax(axis=1)
            best[t] = candidates.max(axis=1) + scores[t]
        # trace back from each sequence's own last position
        path = np.zeros((length, batch), dtype=np.intp)
        at = np.zeros(batch, dtype=np.intp)
        every = np.arange(batch)
        for t in range(length - 1, -1, -1):
            ends = lengths - 1 == t
            if ends.any():
                at[ends] = best[t, ends].argmax(axis=1)
            path[t] = at
            if t:
                at = back[t, every, at]
        labels = self.labels
        return [[labels[k] for k in path[:m, b].tolist()] for b, m in enumerate(lengths.tolist())]

    def _marginals(self, states: Sequence[np.ndarray]) -> list[np.ndarray]:
        scores, lengths = _stack(states)
        length, batch, n = scores.shape
        exp_state = np.exp(scores)
        exp_trans = self._exp_transitions
        alpha = np.empty((length, batch, n))
        scale = np.empty((length, batch))
        cur = exp_state[0]
        for t in range(length):
            if t:
                cur = (alpha[t - 1] @ exp_trans) * exp_state[t]
            total = cur.sum(axis=1)
            scale[t] = np.where(total != 0.0, 1.0 / np.where(total != 0.0, total, 1.0), 1.0)
            alpha[t] = cur * scale[t][:, None]
        beta = np.empty((length, batch, n))
        for t in range(length - 1, -1, -1):
            ends = (lengths - 1 == t)[:, None]
            if t == length - 1:
                step = np.zeros((batch, n))
            else:
                step = ((beta[t + 1] * exp_state[t + 1]) @ exp_trans.T) * scale[t][:, None]
            beta[t] = np.where(ends, scale[t][:, None], step)
        probs = alpha * beta / scale[:, :, None]
        return [probs[:m, b] for b, m in enumerate(lengths.tolist())]


def _members(values: set[str], strings: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(values.__contains__, strings), dtype=bool, count=len(strings))


def _grouped(decode: Callable[[Sequence[np.ndarray]], list[T]], states: Sequence[np.ndarray]) -> list[T]:
    """`decode` applied to groups of sequences of like length: numpy decodes a group together,
    one step per position of its longest, and a group holds at most _CELLS positions (so a
    text with one endless sentence needs no (longest, sequences, labels) array)."""
    out: list[T | None] = [None] * len(states)
    order = sorted(range(len(states)), key=lambda k: len(states[k]))
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and len(states[order[end]]) * (end + 1 - start) <= _CELLS:
            end += 1
        group = order[start:end]
        if len(states[group[-1]]):
            for k, result in zip(group, decode([states[k] for k in group]), strict=True):
                out[k] = result
        else:  # empty sequences only: what a sequence of one position gives, cut to none
            one = decode([np.zeros((1, states[group[0]].shape[1]))])[0]
            for k in group:
                out[k] = one[:0]
        start = end
    return out  # type: ignore[return-value]


def _stack(states: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of state scores as one [position, sequence, label] array (zeros past
    each one's end) and their lengths."""
    lengths = np.fromiter(map(len, states), dtype=np.intp, count=len(states))
    out = np.zeros((int(lengths.max()), len(states), states[0].shape[1]))
    for b, s in enumerate(states):
        out[:len(s), b] = s
    return out, lengths

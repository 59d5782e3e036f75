"""How the rules' attributions join the learned model's (`merge_rules`)."""

from __future__ import annotations

import dataclasses

from sayso.nlp.attributions.features import DocFeatures
from sayso.nlp.attributions.layout import SIGNATURE_RULES
from sayso.nlp.attributions.rules import COORDINATED_RULE, THROUGH_RULE
from sayso.nlp.quotes import DOUBLE_CLOSE, DOUBLE_OPEN, STRAIGHT_DOUBLE, kind_of
from sayso.record import Attribution

# the rules whose attributions the "evidence" merge adds: the cue was misparsed (the model's
# features come from the parse, so it cannot see it)
MISPARSE_RULES = frozenset({"linear"})
# rules that read structure the model's features see only in part, and that hold on news from any
# outlet: "according to X" (with or without its comma)
STRUCTURE_RULES = frozenset({"according-to", COORDINATED_RULE})
MERGE_MODES = ("cue", "any", "evidence", "none")


def merge_rules(found: list[Attribution], f: DocFeatures, mode: str = "cue") -> list[Attribution]:
    """The model's attributions, with the rules' ones added where the model has
    no reading of their cue. Modes:

    - "cue": the rule's cue does not overlap a model cue;
    - "any": none of the rule's cue tokens has a role in a model attribution;
    - "evidence": as "any", and the rule holds evidence the model's features
      lack: a quotation inside reported speech (kind "mixed") or a cue spaCy
      misparsed. On PolNeAR dev only 17 of the 100 attributions "any" adds are
      right; this mode keeps the few with such evidence;
    - "none": only the layout's attributions below.

    In every mode but "none", a rule cue in two pieces around a quotation
    ("referred to … as “jackals”") replaces the model's overlapping one (the
    model's tags cannot express a cue in two pieces), and so does a rule cue
    where the model's runs on into the content; and a quotation's speaker
    that a later "according to" reports (`rules.THROUGH_RULE`) joins, since
    the model reads that speech verb as part of the outer content. The
    attributions marked by layout (signatures, speaker labels) join in every
    mode: `predict` left their tokens alone."""
    if not f.rules:
        return found
    tokens = f.words_of
    model_cues = [tokens(a.cue) for a in found]
    cues_of: dict[int, list[int]] = {}  # token -> the model cues that have it
    for n, mc in enumerate(model_cues):
        for i in mc:
            cues_of.setdefault(i, []).append(n)
    used = set().union(*(tokens(a.cue) | tokens(a.source) | tokens(a.content) for a in found)) if found else set()
    # the speech verbs that a later "according to" hangs on: the model reads them as part of its content
    through = {i for r, name in zip(f.rules, f.rule_names, strict=True) if name == THROUGH_RULE for i in tokens(r.cue)}
    out = list(found)
    for r, name in zip(f.rules, f.rule_names, strict=True):
        if name in SIGNATURE_RULES:
            out.append(dataclasses.replace(r))
            continue
        if mode == "none":
            continue
        rc = tokens(r.cue)
        clash = sorted({n for i in rc for n in cues_of.get(i, ())})
        if clash:
            # the rules' reading replaces the model's when the model cannot express it (a cue in two
            # pieces), or when the model's cue runs on into a noun phrase the rules read as content
            # ("confirmed a plan for" | "a plan for an exit corridor had failed")
            swallowed = model_cues[clash[0]] - rc
            runs_on = rc < model_cues[clash[0]] and bool(swallowed & tokens(r.content)) and any(
                f.pos[i] in ("DET", "NOUN", "PROPN", "PRON", "NUM", "ADJ") for i in swallowed)
            mine = out[clash[0]]
            # a cue in two pieces only around a quotation: when "as" introduces the quoted words,
            # they are what is attributed; otherwise PolNeAR counts the verb alone as the cue
            # ("described" | "Clinton as a disgrace"; 7 of 8 such cues on dev)
            in_two = len(r.cue) > 1 and r.kind == "direct"
            if len(clash) != 1 or mine is not found[clash[0]]:
                continue
            if in_two or runs_on:
                out[clash[0]] = dataclasses.replace(r, score=mine.score)
                continue
            out[clash[0]] = _structure_over(mine, r, f, through)
            continue
        if name == THROUGH_RULE:
            out.append(dataclasses.replace(r))  # its cue is no model cue (`clash` above)
            continue
        if mode in ("any", "evidence") and rc & used:
            continue
        if mode == "evidence" and r.kind != "mixed" and name not in MISPARSE_RULES | STRUCTURE_RULES:
            continue
        out.append(dataclasses.replace(r))  # a copy: the rules' own list stays as it was
    return out


def _structure_over(mine: Attribution, rule: Attribution, f: DocFeatures, through: set[int]) -> Attribution:
    """The model's attribution of a cue the rules also read, with the rules' reading where
    structure is reliable: the speech verb's subject (or inverted speaker, or by-agent) is the
    source when the model found none. (Taking the rules' bounds of a quotation next to its
    cue as well cost 0.04 content F1 on PolNeAR dev: PolNeAR joins a quotation's parts.)"""
    source, content = mine.source, mine.content
    if not source and rule.source:
        source = rule.source
    rule_source, rule_content = f.words_of(rule.source), f.words_of(rule.content)
    mine_source = f.words_of(source)
    according = bool(rule.cue) and f.lower[min(f.words_of(rule.cue))] == "according"
    if (mine_source & f.words_of(content) or mine_source & rule_content or (
            according and (rule_source & f.words_of(content) or mine_source < rule_source))
    ) and not rule_source & rule_content:
        # a token with both roles ("According to police the driver…", "“…,” added the agency"), a
        # source running on into what the rules' parse reads as the content's subject ("According to
        # the police two men were arrested"), or a name the rules give "according to" that the model
        # left out or read as content ("According to her business partner, Sam Oduya, nobody …"):
        # the rules' parse decides
        source, content = rule.source, rule.content
    if _cut_noun_phrase(f.words_of(source), rule_source, f, f.words_of(rule.cue)):
        # "A group | calling itself Black Lantern claimed": the speech verb's subject is the whole
        # noun phrase, the clause that describes its head included
        source = rule.source
    if _adjunct_for_clause(content, rule.content, f, f.words_of(mine.cue)):
        # "Dockworkers extended their strike, a union official said, leaving ships at anchor": what
        # was said is the clause before, not the participle or phrase that trails the cue
        content = rule.content
    if _cut_at_partial_quotation(content, rule.content, f):
        # "said the company did not comment on “internal correspondence” and remained open to talks":
        # a reported clause does not end at the closing mark of a few words it quotes
        content = rule.content
    if _stops_inside_clause(content, rule.content, f):
        # "said the branch | , which opened in 1962, costs £84,000 a year", "said the findings did not
        # prove X | , but that they added to …": the clause the rules read goes on
        content = rule.content
    if f.words_of(content) & through and not f.words_of(rule.content) & through:
        # "“…,” Petrov said, according to Reuters": what Reuters reports is Petrov's words
        content = rule.content
    if source is mine.source and content is mine.content:
        return mine
    return dataclasses.replace(mine, source=list(source), content=list(content), kind=kind_of(content, f.quotes))


def _cut_noun_phrase(mine: set[int], rule: set[int], f: DocFeatures, cue: set[int]) -> bool:
    """Whether the model's source is the start of the speech verb's subject, and the rules'
    the subject's whole phrase, its head's participle or relative clause included."""
    if not mine or not mine < rule or min(mine) != min(rule) or max(rule) >= min(cue, default=0):
        return False
    heads = [i for i in mine if f.head[i] not in mine or f.head[i] == i]
    if len(heads) != 1 or f.dep[heads[0]] not in ("nsubj", "nsubjpass") or f.head[heads[0]] not in cue:
        return False
    extra = [i for i in rule - mine if f.head[i] == heads[0]]
    return any(f.dep[i] in ("acl", "relcl") for i in extra)


def _stops_inside_clause(mine: list, rule: list, f: DocFeatures) -> bool:
    """Whether the model's content (not a quotation) stops where the clause the rules read, from the same
    first word and in the same sentence, goes on with a relative clause on one of its words or a
    second predicate of it (a verb joined to its own, "… and feared that …", ", but that …")."""
    if not mine or not rule or len(mine) != 1 or len(rule) != 1 or kind_of(mine, f.quotes) == "direct":
        return False
    mine_words, rule_words = f.words_of(mine), f.words_of(rule)
    if not mine_words < rule_words or min(mine_words) != min(rule_words):
        return False
    extra = sorted(rule_words - mine_words)
    if extra[0] < max(mine_words) or f.sent[max(rule_words)] != f.sent[min(mine_words)]:
        return False
    first = next((i for i in extra if f.pos[i] not in ("PUNCT", "CCONJ")), None)
    if first is None:
        return False
    top = first
    while f.head[top] in rule_words and f.head[top] not in mine_words and f.head[top] != top:
        top = f.head[top]
    if f.head[top] not in mine_words:
        return False
    if f.dep[top] == "relcl":
        return True
    # a verb joined without a comma ("… and feared that …"), or a second "that" clause (", but that …");
    # ", and kept their forecast" is more likely the subject's own second predicate
    comma = any(f.lower[i] == "," for i in extra if i < top)
    return f.dep[top] == "conj" and f.pos[top] in ("VERB", "AUX") and (
        not comma or any(f.lower[c] == "that" for c in f.children[top]))


def _cut_at_partial_quotation(mine: list, rule: list, f: DocFeatures) -> bool:
    """Whether the model's indirect content stops at a closing quotation mark where the
    clause the rules read whole, from the same first word, goes on with a second predicate
    ("… on “internal correspondence” and remained open …"); what else follows a quoted
    phrase (", well above the offer", ", despite a report …") is rightly left out."""
    if not mine or not rule or len(mine) != 1 or len(rule) != 1:
        return False
    mine_words, rule_words = f.words_of(mine), f.words_of(rule)
    if not mine_words < rule_words or min(mine_words) != min(rule_words):
        return False
    text, after = mine[0].text, max(mine_words) + 1
    if not (text[:1] not in STRAIGHT_DOUBLE + DOUBLE_OPEN and text[-1:] in STRAIGHT_DOUBLE + DOUBLE_CLOSE and (
            f.sent[max(rule_words)] == f.sent[max(mine_words)]) and after + 1 in rule_words):
        return False
    if f.pos[after] == "CCONJ" and f.pos[after + 1] in ("VERB", "AUX"):
        return True
    # a phrase the parse hangs on the clause's own words, with no comma between ("… had “walked away
    # from the table” after refusing to improve on the offer")
    return f.pos[after] != "PUNCT" and f.head[after] in mine_words and f.dep[after] in ("prep", "advcl", "advmod")


def _adjunct_for_clause(mine: list, rule: list, f: DocFeatures, cue: set[int]) -> bool:
    """Whether the model read a phrase trailing the cue (a participle, a prepositional phrase)
    as the content, where the rules read a clause before the cue."""
    mine_words, rule_words = f.words_of(mine), f.words_of(rule)
    if not mine_words or not rule_words or not cue or mine_words & rule_words:
        return False
    if not (max(rule_words) < min(cue) and min(mine_words) > max(cue)):
        return False
    if f.sent[min(rule_words)] != f.sent[min(cue)] or any("\n" in s.text for s in rule):
        return False  # the clause of the cue's own sentence, not a headline above it
    first = min((i for i in mine_words if f.pos[i] != "PUNCT"), default=min(mine_words))
    return f.doc[first].tag_ == "VBG" or (f.pos[first] == "ADP" and f.lower[first] != "that") or (
        f.lower[first] in ("at", "in", "on", "after", "before", "during"))

"""Stage 2: sentence frames, what each sentence says about a clinical trial.

A sentence that describes a trial (a phase, a trial noun in a clinical sentence, a trial name),
names a site ("at the University of X") or a sponsor ("funded by the NCI") gives a
:class:`Frame`: its drugs (principal and partners), the conditions in its indication slots, its
sites and sponsors, phases, trial names, status, enrollment, and how it refers to a trial (back to
one, "the study"; to several, "these trials"). A sentence that lists several trials ("melanoma at
A and glioblastoma at B", "the X-2 study in CLL; the X-3 study in AML") gives one frame per trial.
This stage also finds the drug each sentence is about, which the trials stage follows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Span

from ..nlp.context import categories
from ..records import Extraction, TrialParts
from .lexicon import Vocabulary, org_roles
from .mentions import DocumentIndex, Mention
from .roles import (condition_is_background, drug_roles, in_indication_slot, is_generic, not_site_context,
                    org_in_apposition, orgs_with_cue)
from .values import normalize_phase, parse_count

WORDS = Vocabulary("frame_words.tsv", (
    "clinical-word", "not-trial-follower", "aside-lead", "reference-adjective", "determiner", "quantifier",
    "definite", "plural-determiner", "reference-stop", "phase-not-trial", "participant-noun", "not-a-count",
    "count-hedge", "respectively"))
# interim results of a trial still treating or accruing patients: ongoing, whatever "conducted" says
STATUS_OF_CONTEXT = (("TERMINATED", "terminated"), ("INTERIM", "ongoing"), ("COMPLETED", "completed"), ("ONGOING", "ongoing"),
                     ("PLANNED", "planned"), ("HYPOTHETICAL", "planned"))


@dataclass
class Frame(TrialParts):
    """What one sentence says of a trial (the parts), and how it says it."""
    sent: Span
    anaphoric: bool = False
    plural: bool = False
    has_trial: bool = False
    investigator_sponsored: bool = False
    hypothetical: bool = False
    count: int | None = None          # "three trials": how many trials the sentence speaks of
    rules: dict[str, str] = field(default_factory=dict)


def sentence_frames(ix: DocumentIndex, x: Extraction, units: set[int]) -> tuple[list[Frame], dict[int, str]]:
    """The frames of the release in text order, and the drug in focus of each sentence (by index).

    ``units``: ids of the organisation mentions that name the unit of an institution (not a site).
    """
    frames: list[Frame] = []
    sentence_drug: dict[int, str] = {}
    for sid, sent, ms in ix.usable_sentences():
        drug = _drug_in_focus(ix, x, sent, ms, frames)
        if drug is not None:
            sentence_drug[sid] = drug
        frame = sentence_frame(ix, x, units, sent, ms)
        if frame is not None:
            frames.extend(segment(ix, frame, sent, ms))
    return frames, sentence_drug


def _drug_in_focus(ix: DocumentIndex, x: Extraction, sent: Span, ms: list[Mention], frames: list[Frame]) -> str | None:
    """The sentence's first principal drug, when the release is about it: the drug in focus changes
    only to such a drug (not "Cytarabine is the current established drug for treating AML")."""
    drugs = [m for m in ms if m.label == "DRUG"]
    if not drugs:
        return None
    roles = drug_roles(ix, sent, drugs)
    first = next((m for m in drugs if roles[id(m)] == "principal"), None)
    if first is not None and (not x.entities[first.key].ids or any(f.drugs and f.drugs[0] == first.key for f in frames)):
        return first.key
    return None


# -- one sentence's frame ------------------------------------------------------

def sentence_frame(ix: DocumentIndex, x: Extraction, units: set[int], sent: Span, ms: list[Mention]) -> Frame | None:
    """The frame of one sentence (its mentions ``ms`` in text order), None when it states no trial,
    site or sponsor."""
    ctx = ix.sentence_context(sent)
    f = _trial_frame(ix, sent, ms, ctx)
    site_context = bool(ix.cues.sentence_regex("site").search(sent.text))
    sponsors = orgs_with_cue(ix, x, sent, ms, "sponsor")
    if not f.has_trial and not site_context and (not sponsors or not any(m.label == "DRUG" for m in ms)):
        return None       # "funding from a venture fund": not about a trial or a drug
    if f.hypothetical and not f.phases and not f.names:
        return None
    _add_drugs(ix, f, sent, ms)
    _add_conditions(ix, x, f, sent, ms)
    f.sponsors = list(sponsors)
    if f.has_trial or site_context:
        _add_sites(ix, x, units, f, sent, ms)
    f.status = status(ctx)
    f.enrollment = enrollment(ix, sent)
    negated = "NEGATED" in ctx and not any(m.label == "PHASE" for m in ms)
    if negated and not f.sites and not f.sponsors:
        return None
    if not (f.has_trial or f.sites or f.sponsors):
        return None
    return f


def _trial_frame(ix: DocumentIndex, sent: Span, ms: list[Mention], ctx: dict[str, str]) -> Frame:
    """A frame with what the sentence says of a trial as such: phases, names, whether it describes
    one at all, how it refers to it."""
    low = sent.text.lower()
    phases = [p for m in ms if m.label == "PHASE" and not phase_is_dose(ix, m) for p in normalize_phase(m.text)]
    names = [m.text for m in ms if m.label == "TRIAL"] + re.findall(r"\bNCT\d{8}\b", sent.text)
    tokens = trial_tokens(ix, sent)
    not_clinical = any(ix.cues.kind(t.lower_) == "not-clinical" for t in sent) \
        or any(phrase in low for phrase in _not_clinical_phrases(ix)) or "PRECLINICAL" in ctx
    clinical = bool(WORDS.regex(r"\b<<clinical-word>>").search(low))
    anaphoric, plural = trial_reference(ix, sent, tokens)
    count = trial_count(ix, sent, tokens)
    drugs_here = any(m.label == "DRUG" for m in ms)
    has_trial = bool(phases or names or (tokens and (clinical or anaphoric or drugs_here) and not not_clinical))
    if not_clinical and not phases:
        has_trial = False
    return Frame(sent, phases=phases, names=names, has_trial=has_trial, anaphoric=anaphoric, plural=plural,
                 hypothetical="HYPOTHETICAL" in ctx, count=count,
                 investigator_sponsored=bool(ix.cues.sentence_regex("status").search(low)))


def _not_clinical_phrases(ix: DocumentIndex) -> list[str]:
    """Not-clinical cues of several words ("in vitro"): no token is one, the sentence may hold one."""
    return [w for w, kind in ix.cues.words.items() if kind == "not-clinical" and " " in w]


def trial_tokens(ix: DocumentIndex, sent: Span) -> list:
    """The trial nouns of the sentence after a leading aside (not "trial agreement")."""
    lead = aside_end(sent)
    doc = ix.doc
    return [t for t in sent if ix.cues.kind(t.lower_) in ("trial", "plural") and t.idx >= lead
            and not (t.i + 1 < len(doc) and doc[t.i + 1].lower_ in WORDS.words("not-trial-follower"))]


def _add_drugs(ix: DocumentIndex, f: Frame, sent: Span, ms: list[Mention]) -> None:
    """Principal drugs and partner drugs, each once."""
    drugs = [m for m in ms if m.label == "DRUG"]
    roles = drug_roles(ix, sent, drugs)
    for m in drugs:
        r = roles.get(id(m), "principal")
        if r == "principal" and m.key not in f.drugs:
            f.drugs.append(m.key)
        elif r == "partner" and m.key not in f.partners:
            f.partners.append(m.key)
    f.partners = [p for p in f.partners if p not in f.drugs]


def _add_conditions(ix: DocumentIndex, x: Extraction, f: Frame, sent: Span, ms: list[Mention]) -> None:
    """The conditions in an indication slot (specific ones when the sentence names any)."""
    conds = [m for m in ms if m.label == "CONDITION"]
    specific = [m for m in conds if not is_generic(x, m.key)]
    for m in (specific or conds):
        if condition_is_background(ix, sent, m) or not in_indication_slot(ix, x, sent, m):
            continue
        if "PRECLINICAL" in categories(ix.doc, m.start, m.end):
            continue
        if m.key not in f.conditions:
            f.conditions.append(m.key)


def _add_sites(ix: DocumentIndex, x: Extraction, units: set[int], f: Frame, sent: Span, ms: list[Mention]) -> None:
    """Institutions named where a trial can run (not sponsors, units, appositions, venues)."""
    for m in ms:
        if m.label != "ORG" or m.key in f.sponsors:
            continue
        e = x.entities[m.key]
        if id(m) in units or org_in_apposition(ix, sent, m):
            continue
        if "institution" in e.roles and not (e.roles & org_roles("not-site")) and not not_site_context(ix, m):
            if m.key not in f.sites:
                f.sites.append(m.key)


def aside_end(sent: Span) -> int:
    """End of a leading aside ("In addition to the trial described above, ..."): its mentions
    are background to the sentence."""
    m = WORDS.regex(r"\s*<<aside-lead>>\b[^,]{0,200},", re.I).match(sent.text)
    return sent.start_char + m.end() if m else sent.start_char


def trial_reference(ix: DocumentIndex, sent: Span, tokens: list) -> tuple[bool, bool]:
    """How the sentence first refers to a trial: (definite, plural).

    "This trial is one of six studies" refers back to one trial; "in six different clinical
    trials" and "these trials" speak of several; "a new trial" introduces one.
    """
    if not tokens:
        return False, False
    tok = tokens[0]
    plural = ix.cues.kind(tok.lower_) == "plural"
    det = _determiner(list(ix.doc[max(sent.start, tok.i - 10):tok.i]))
    definite = det in WORDS.words("definite")
    if det and (parse_count(det) or det in WORDS.words("plural-determiner")):
        plural = True
    return definite, plural


def trial_count(ix: DocumentIndex, sent: Span, tokens: list) -> int | None:
    """The number of trials the sentence's first trial noun counts ("the three remaining clinical trials")."""
    if not tokens:
        return None
    det = _determiner(list(ix.doc[max(sent.start, tokens[0].i - 10):tokens[0].i]))
    return parse_count(det) if det else None


def _determiner(window: list) -> str | None:
    """The determiner of a trial noun, looking back over adjectives and design words."""
    for t in reversed(window):
        w = t.lower_
        if w in WORDS.words("reference-adjective"):
            continue          # "the new study": look further for the article
        if w in WORDS.words("determiner") or parse_count(w) or w in WORDS.words("quantifier"):
            return w
        # "the open label, single center, dose escalating study": design words between
        if w in WORDS.words("reference-stop") or t.pos_ in ("AUX", "ADP"):
            return None
    return None


def phase_is_dose(ix: DocumentIndex, m: Mention) -> bool:
    """ "the recommended Phase II dose", "positive Phase I clinical data": not the phase of a trial
    the sentence describes."""
    return bool(WORDS.regex(r"\s*(?:clinical\s+)?<<phase-not-trial>>\b", re.I).match(ix.text[m.end:m.end + 24]))


def status(ctx: dict[str, str]) -> str | None:
    """The trial status the sentence's context cues state."""
    return next((s for cat, s in STATUS_OF_CONTEXT if cat in ctx), None)


def enrollment(ix: DocumentIndex, sent: Span) -> int | None:
    """The number of participants the sentence states ("enrolled 34 patients", "a 120-patient trial")."""
    for ent in ix.sentence_ents(sent):
        if ent.label_ in ("CARDINAL", "QUANTITY") and _counts_participants(ix, ent):
            n = parse_count(_unhedged(ent.text))
            if n and 1 <= n <= 100000:
                return n
    m = WORDS.regex(r"\b(\d{1,5})[- ]<<participant-noun>>s?\b").search(sent.text)
    if m:
        return int(m.group(1))
    return None


def _counts_participants(ix: DocumentIndex, ent: Span) -> bool:
    """A number followed by a participant noun, not a percentage, a duration or a dose."""
    kinds = ix.cues.words
    nxt = ix.doc[ent.end:ent.end + 4]
    following = [t.lower_ for t in nxt if t.pos_ != "ADJ" or kinds.get(t.lower_) == "enrollment"]
    if not any(kinds.get(w) == "enrollment" for w in following[:3]) and not WORDS.regex(
            r"(?:-\s*)?<<participant-noun>>").match(" ".join(t.lower_ for t in nxt)):
        return False
    return not WORDS.regex("<<not-a-count>>").search(ix.doc[ent.start - 1:ent.end + 1].text)


def _unhedged(text: str) -> str:
    """ "approximately 40" -> "40" """
    for hedge in WORDS.ordered("count-hedge"):
        text = text.replace(hedge, "")
    return text.strip()


# -- one frame per trial of a list ----------------------------------------------

def segment(ix: DocumentIndex, frame: Frame, sent: Span, ms: list[Mention]) -> list[Frame]:
    """The frame, or one frame per trial of a sentence that lists several."""
    parts = _segment_by_list(ix, frame, sent, ms)
    if len(parts) == 1:
        parts = _segment_by_anchor(ix, frame, sent, ms)
    if len(parts) == 1:
        parts = _segment_by_count(frame, sent)
    return [f for part in parts for f in _segment_by_phase(part, sent)]


def _main_phases(phases: list[str]) -> list[str]:
    """The phases of a trial each ("Phase 2", "Phase 1/2"), not the sub-phases ("Phase 2a")."""
    return [p for p in phases if re.fullmatch(r"Phase \d(?:/\d)?", p)]


def _segment_by_phase(frame: Frame, sent: Span) -> list[Frame]:
    """ "prostate cancer (phase 2 and phase 3)", "completed phase 2a and phase 3 trials in pancreatic
    cancer and prostate cancer, respectively": one trial per phase, of the one condition, or of the
    condition in the same place of the list when the sentence says "respectively"."""
    main = _main_phases(frame.phases)
    if len(main) < 2 or frame.names or not frame.conditions:
        return [frame]       # "to pave the way for phase 1b and phase 2 studies": no trial said enough of yet
    if len(frame.conditions) == 1:
        conditions = [list(frame.conditions)] * len(main)
    elif len(frame.conditions) == len(main) and any(w in sent.text.lower() for w in WORDS.words("respectively")):
        conditions = [[c] for c in frame.conditions]
    else:
        return [frame]
    rule = frame.rules.get("segment", "trial.phase-segmentation")
    return [_part(frame, sent, rule, conds, [p for p in frame.phases if phase in normalize_phase(p)])
            for phase, conds in zip(main, conditions)]


def _segment_by_count(frame: Frame, sent: Span) -> list[Frame]:
    """ "The three remaining trials will investigate X in colon cancer, prostate cancer and solid tumors":
    as many trials as the sentence counts, one per condition it lists."""
    if not frame.count or frame.count < 2 or len(frame.conditions) != frame.count:
        return [frame]
    return _one_per_condition(frame, sent, "trial.count-segmentation")


def _one_per_condition(frame: Frame, sent: Span, rule: str) -> list[Frame]:
    """One frame of ``frame``'s drugs, phases and other parts per condition it names."""
    return [_part(frame, sent, rule, [ckey], list(frame.phases)) for ckey in frame.conditions]


def _part(frame: Frame, sent: Span, rule: str, conditions: list[str], phases: list[str]) -> Frame:
    """The frame of one trial of those ``frame`` speaks of: its conditions and phases, the rest of
    ``frame``'s parts (no name, no enrollment: they were said of all the trials), segmented by ``rule``."""
    f = Frame(sent, drugs=list(frame.drugs), partners=list(frame.partners), conditions=conditions,
              sites=list(frame.sites), sponsors=list(frame.sponsors), phases=phases, names=[],
              status=frame.status, anaphoric=frame.anaphoric, has_trial=True,
              investigator_sponsored=frame.investigator_sponsored, hypothetical=frame.hypothetical)
    f.rules["segment"] = rule
    return f


def _segment_by_list(ix: DocumentIndex, frame: Frame, sent: Span, ms: list[Mention]) -> list[Frame]:
    """One frame per "condition at institution" or "condition (phase N)" pair of a list.

    "breast cancer at UC Davis; AML at Ohio State and NSCLC at Princess Margaret" and
    "NSCLC (phase 2), pancreatic cancer (phase 2), and prostate cancer (phase 2 and phase 3)"
    describe several trials.
    """
    conds = [m for m in ms if m.label == "CONDITION" and m.key in frame.conditions]
    if len(conds) < 2:
        return [frame]
    found: dict[str, tuple[str | None, list[str]]] = {}
    for c in conds:       # "non-small cell lung cancer (NSCLC) (phase 2)": one condition, its site and phases
        site, phases = found.get(c.key, (None, []))
        found[c.key] = (site or _site_after(ix, frame, c, ms), phases or _phases_after(ix, c))
    if len(found) < 2:
        return [frame]
    pairs = [(k, site, phases) for k, (site, phases) in found.items()]
    by_site = sum(1 for _, s_, _ in pairs if s_)
    by_phase = sum(1 for _, _, p in pairs if p)
    if by_site < 2 and by_phase < 2:
        return [frame]
    out = []
    for ckey, skey, phases in pairs:
        f = Frame(sent, drugs=list(frame.drugs), partners=list(frame.partners), conditions=[ckey],
                  sites=[skey] if skey else ([] if by_site >= 2 else list(frame.sites)),
                  sponsors=list(frame.sponsors), phases=phases or ([] if by_phase >= 2 else list(frame.phases)),
                  names=[], status=frame.status, enrollment=None, anaphoric=frame.anaphoric,
                  plural=False, has_trial=True, investigator_sponsored=frame.investigator_sponsored)
        f.rules["segment"] = "trial.list-segmentation"
        out.append(f)
    return out


def _site_after(ix: DocumentIndex, frame: Frame, c: Mention, ms: list[Mention]) -> str | None:
    """ "breast cancer at UC Davis": the site right after the condition."""
    for m in ms:
        if m.label == "ORG" and m.key in frame.sites and m.start > c.end and \
                re.fullmatch(r"\s*(?:at|in)\s+(?:the\s+)?", ix.text[c.end:m.start]):
            return m.key
    return None


def _phases_after(ix: DocumentIndex, c: Mention) -> list[str]:
    """ "prostate cancer (phase 2 and phase 3)", "non-small cell lung cancer (NSCLC) (phase 2)": the phases
    in brackets right after the condition (and its abbreviation)."""
    paren = re.match(r"\s*(?:\([^()]{1,15}\)\s*)?\(([^()]{3,60})\)", ix.text[c.end:c.end + 90])
    if paren and normalize_phase(paren.group(1)):
        return sorted({p for part in re.split(r",|;", paren.group(1)) for p in normalize_phase(part)}
                      | set(normalize_phase(paren.group(1))))
    return []


def _segment_by_anchor(ix: DocumentIndex, frame: Frame, sent: Span, ms: list[Mention]) -> list[Frame]:
    """One frame per named trial or per phase of a sentence that lists several.

    "the GLORA-2 study in CLL; the GLORA-3 study in AML; and the GLORA-4 study in MDS" and
    "phase 2a trials of X in NSCLC and PDAC, and a phase 3 trial of X in prostate cancer":
    each condition belongs to the anchor (trial name, else phase) before it, each drug to
    the nearest anchor.
    """
    names = [m for m in ms if m.label == "TRIAL"]
    phases = [m for m in ms if m.label == "PHASE" and not phase_is_dose(ix, m)]
    if len({m.text for m in names}) >= 2:
        anchors, by_name = names, True
    elif len({tuple(normalize_phase(a.text)) for a in phases}) >= 2:
        anchors, by_name = phases, False
    else:
        return [frame]
    groups = {id(a): _anchor_frame(frame, sent, a, by_name) for a in anchors}
    for m in ms:
        if m.label == "CONDITION" and m.key in frame.conditions:
            _add_once(groups[id(_nearest_anchor(anchors, m, True))].conditions, m.key)
        elif m.label == "DRUG" and m.key in frame.drugs:
            _add_once(groups[id(_nearest_anchor(anchors, m, False))].drugs, m.key)
    out = []
    for g in _merge_anchor_frames([groups[id(a)] for a in anchors], frame):
        plural = not by_name and any(_trials_follow(ix, sent, a) for a in anchors
                                     if normalize_phase(a.text) == g.phases)
        out.extend(_one_per_condition(g, sent, "trial.phase-segmentation")
                   if plural and len(g.drugs) == 1 and len(g.conditions) >= 2 else [g])
    return out


def _trials_follow(ix: DocumentIndex, sent: Span, a: Mention) -> bool:
    """ "phase 2a clinical trials of X in NSCLC and PDAC": the phase names trials (plural), one per
    condition, when the first trial noun within a few words after it is a plural one."""
    for t in [t for t in sent if t.idx >= a.end][:4]:
        kind = ix.cues.kind(t.lower_)
        if kind in ("trial", "plural"):
            return kind == "plural"
    return False


def _add_once(values: list[str], key: str) -> None:
    if key not in values:
        values.append(key)


def _merge_anchor_frames(groups: list[Frame], frame: Frame) -> list[Frame]:
    """Frames of the same names, phases and drugs are one (their conditions joined); a frame without
    a drug studies the sentence's first."""
    merged: dict[tuple, Frame] = {}
    for g in groups:
        if not g.drugs:
            g.drugs = list(frame.drugs[:1])
        key = (tuple(g.names), tuple(g.phases), tuple(g.drugs))
        if key in merged:
            merged[key].conditions += [c for c in g.conditions if c not in merged[key].conditions]
        else:
            merged[key] = g
    return list(merged.values())


def _anchor_frame(frame: Frame, sent: Span, a: Mention, by_name: bool) -> Frame:
    g = Frame(sent, phases=list(frame.phases) if by_name else normalize_phase(a.text), has_trial=True,
              status=frame.status, sponsors=list(frame.sponsors), sites=list(frame.sites),
              partners=list(frame.partners), names=[a.text] if by_name else [],
              anaphoric=frame.anaphoric, investigator_sponsored=frame.investigator_sponsored)
    g.rules["segment"] = "trial.name-segmentation" if by_name else "trial.phase-segmentation"
    return g


def _nearest_anchor(anchors: list[Mention], m: Mention, before_first: bool) -> Mention:
    prior = [a for a in anchors if a.end <= m.start]
    if prior and before_first:
        return prior[-1]
    return min(anchors, key=lambda a: abs(a.start - m.start))

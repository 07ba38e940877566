"""Stage 3: trials, the frames of the sentences merged into the trials of the release.

Decides which trial each frame describes: a new one, or one named before, when the frame refers
back to it ("the study"), describes the same drug, condition and phase, or adds nothing new (a
site, an enrollment). A frame that names no drug studies the drug in focus (the one the release
is talking about); a sentence about several trials ("X is the subject of a Clinical Trial
Agreement with the NCI under which it will be tested in four clinical trials") passes its drugs,
partners and sponsors to the frames that follow. After the drug facts, :func:`trial_facts` gives
a trial without a condition the one condition all other trials of its drug study, and makes the
issuing company the sponsor of trials of its own drugs unless they are investigator-sponsored.
"""
from __future__ import annotations

import bisect

from ..records import Evidence, Extraction, Trial
from .frames import Frame
from .lexicon import confidence, factor
from .mentions import DocumentIndex
from .roles import is_generic


class TrialBuilder:
    """Merges frames into trials, following the drug and the trial in focus."""

    def __init__(self, ix: DocumentIndex, x: Extraction):
        self.ix = ix
        self.x = x
        self.trials: list[Trial] = []
        self.focus_trial: Trial | None = None
        self.focus_drug: str | None = None
        self.trial_drugs: set[str] = set()                 # drugs some trial studies
        self.investigator_sponsored: set[str] = set()      # ids of trials the issuer does not sponsor
        self._drug_sentences: list[int] = []               # the sentences that move the drug in focus

    def build(self, frames: list[Frame], sentence_drug: dict[int, str]) -> list[Trial]:
        """The trials of ``frames`` (``sentence_drug``: the drug in focus from each sentence on)."""
        program: Frame | None = None
        self._drug_sentences = sorted(sentence_drug)
        for f in frames:
            program = self._follow_focus(f, sentence_drug, program)
            if f.drugs:
                self.focus_drug = f.drugs[0]
            if not f.has_trial and not f.sites and f.sponsors and not f.conditions and f.drugs:
                # "X is the subject of a Clinical Trial Agreement with the NCI": sponsors the drug's trials
                program = f
            if f.plural and not f.conditions and not f.sites:
                program = f
                continue
            if program is not None and (f.anaphoric or f.plural or not f.drugs):
                _inherit_program(f, program)
            self._place(f)
        return self.trials

    def _follow_focus(self, f: Frame, sentence_drug: dict[int, str], program: Frame | None) -> Frame | None:
        """Move the focus to the drug the text now talks about; a programme of another drug ends."""
        sid = self.ix.sidx(f.sent)
        k = bisect.bisect_right(self._drug_sentences, sid)      # the latest sentence up to this one with a drug
        if k:
            drug = sentence_drug[self._drug_sentences[k - 1]]
            if drug != self.focus_drug:
                self.focus_drug = drug
                # the trial in focus is the latest one of the drug now talked about
                self.focus_trial = next((t for t in reversed(self.trials) if drug in t.drugs), None)
                if program is not None and drug not in program.drugs:
                    program = None
        return program

    def _place(self, f: Frame) -> None:
        """Fill the trial the frame describes, or start a new one."""
        inherited = not f.drugs
        self._resolve_drugs(f)
        if not f.drugs:
            return
        if not f.has_trial and not f.conditions and f.sponsors and self.focus_trial is None:
            return          # a sponsor named before any trial: nothing to attach it to yet
        target = self._matching_trial(f)
        if target is None and self.focus_trial is not None:
            if not f.has_trial and set(f.drugs) & set(self.focus_trial.drugs):
                target = self.focus_trial
            elif not f.conditions and not f.phases and not f.names and (
                    not f.has_trial or inherited or set(f.drugs) <= set(self.focus_trial.drugs)):
                # "an open-label, single-arm study enrolling 30 patients", "clinical study sites for X":
                # nothing new, the same trial
                target = self.focus_trial
        if target is None:
            self._new_trial(f)
        else:
            self._fill(target, f)
            self.focus_trial = target

    def _resolve_drugs(self, f: Frame) -> None:
        """The drugs of a frame that names none: those of the trial it refers to, or the drug in focus."""
        if not f.drugs and f.conditions:
            # "complete its Phase 2 GAD study": the trial of that condition (and phase) named before
            known = [t for t in reversed(self.trials) if set(f.conditions) & set(t.conditions)
                     and (not f.phases or not t.phases or set(f.phases) & set(t.phases))]
            if known:
                f.drugs = list(known[0].drugs)
        if not f.drugs:
            if self.focus_trial is not None and (f.anaphoric or not f.has_trial or f.names):
                f.drugs = list(self.focus_trial.drugs)
            elif self.focus_drug:
                f.drugs = [self.focus_drug]

    def _matching_trial(self, f: Frame) -> Trial | None:
        """The latest trial of the frame's drugs that the frame describes again."""
        drugs, names = set(f.drugs), set(f.names)
        for t in reversed(self.trials):
            if drugs.isdisjoint(t.drugs) or (names and t.names and names.isdisjoint(t.names)):
                continue
            if names and not names.isdisjoint(t.names):
                return t
            if not (_same_phase(f, t) and _same_condition(self.x, f, t)):
                continue
            if _restates(f, t) or ((f.anaphoric or not f.has_trial) and t is self.focus_trial):
                return t
            if not f.has_trial and f.sites:
                return t if t is self.focus_trial else None
        return None

    def _new_trial(self, f: Frame) -> None:
        t = Trial(id=f"t{len(self.trials) + 1}")
        self.trials.append(t)
        self._fill(t, f)
        self.focus_trial = t

    def _fill(self, t: Trial, f: Frame) -> None:
        """Add what the frame says to the trial, each value with the frame's sentence as evidence."""
        ev = _evidence_of(self.ix, f)
        for k in f.drugs:
            if k in t.partners:
                continue          # a partner named first in a later sentence stays a partner
            t.add("drugs", k, ev("trial.studies-drug"))
            self.trial_drugs.add(k)
        for k in f.partners:
            if k not in t.drugs:
                t.add("partners", k, ev("trial.combination-partner"))
        for attr, values, rule in (("conditions", f.conditions, "trial.studies-condition"), ("sites", f.sites, "trial.site"),
                                   ("sponsors", f.sponsors, "trial.sponsor-cue"), ("phases", f.phases, "trial.phase"),
                                   ("names", f.names, "trial.name")):
            for k in values:
                t.add(attr, k, ev(rule))
        if f.status:
            if t.status and t.status != f.status:
                t.evidence.pop(f"status|{t.status}", None)
            t.status = f.status
            t.evidence[f"status|{f.status}"] = ev("context.status")
        if f.enrollment and t.enrollment is None:
            t.enrollment = f.enrollment
            t.evidence[f"enrollment|{f.enrollment}"] = ev("trial.enrollment")
        if f.investigator_sponsored:
            self.investigator_sponsored.add(t.id)


def _evidence_of(ix: DocumentIndex, f: Frame):
    """rule -> the evidence of a fact the frame gives a trial.

    A condition or site of a frame segmented from a list records the segmentation rule, with the
    confidence of the plain rule; a trial the release only supposes ("if approved, X could be
    tested in a Phase 3 program") is kept, as planned, with less confidence.
    """
    scale = factor("hypothetical-trial") if f.hypothetical else 1.0
    seg = f.rules.get("segment")

    def ev(rule: str) -> Evidence:
        recorded = seg if seg and rule in ("trial.studies-condition", "trial.site") else rule
        return ix.evidence(f.sent, recorded, confidence(rule) * scale)
    return ev


def _inherit_program(f: Frame, program: Frame) -> None:
    """A frame that refers to the trials of a programme takes its first drug, sponsors and partners."""
    for k in program.drugs:
        if k not in f.drugs and not f.drugs:
            f.drugs.append(k)
    for k in program.sponsors:
        if k not in f.sponsors:
            f.sponsors.append(k)
    for k in program.partners:
        if k not in f.partners:
            f.partners.append(k)


def _restates(f: Frame, t: Trial) -> bool:
    """ "GTI-2040 met its Phase I endpoints": the Phase I trial again; or the same phase and conditions."""
    if f.phases and set(f.phases) <= set(t.phases) and (not f.conditions or not t.conditions):
        return True      # or a trial named without its condition ("Phase III Trial for X Expanded"), now with it
    return bool(f.phases and t.phases and set(f.phases) & set(t.phases) and f.conditions and t.conditions
                and set(f.conditions) <= set(t.conditions))


def _same_phase(f: Frame, t: Trial) -> bool:
    return not f.phases or not t.phases or bool(set(f.phases) & set(t.phases))


def _same_condition(x: Extraction, f: Frame, t: Trial) -> bool:
    fc = [c for c in f.conditions if not is_generic(x, c)]
    tc = [c for c in t.conditions if not is_generic(x, c)]
    return not fc or not tc or bool(set(fc) & set(tc))


def partner_only(trials: list[Trial], trial_drugs: set[str]) -> set[str]:
    """Drugs named only as partners of trials: not the issuer's drugs."""
    return {p for t in trials for p in t.partners if p not in trial_drugs}


def inherit_conditions(trials: list[Trial]) -> None:
    """A trial of a drug whose other trials here all study one and the same condition studies it too
    ("a significant efficacy signal in phase 2 testing" of a drug the release only discusses for CTCL)."""
    for t in trials:
        if t.conditions or not t.drugs or not t.phases:
            continue
        others = [o for o in trials if o is not t and o.conditions and set(o.drugs) & set(t.drugs)]
        sets = {tuple(sorted(o.conditions)) for o in others}
        if len(sets) == 1 and len(next(iter(sets))) == 1:
            c = next(iter(sets))[0]
            ev = next(iter(t.evidence.values()))
            t.add("conditions", c, Evidence(ev.start, ev.end, ev.text, "trial.condition-of-drug",
                                            confidence("trial.condition-of-drug")))


def trial_facts(x: Extraction, trials: list[Trial], drug_owner: dict[str, str],
                investigator_sponsored: set[str]) -> None:
    """The trials of the extraction (those with a drug), with the issuer as default sponsor."""
    companies = x.companies
    inherit_conditions(trials)
    for t in trials:
        if not t.drugs:
            continue
        t.partners = [p for p in t.partners if p not in t.drugs]
        own = [d for d in t.drugs if drug_owner.get(d) is None or drug_owner[d] in companies]
        if companies and own and t.id not in investigator_sponsored and (t.phases or t.conditions or t.sites):
            ev = next(iter(t.evidence.values()))
            for c in companies:
                if c not in t.sponsors:
                    t.sponsors.append(c)
                    t.evidence[f"sponsors|{c}"] = Evidence(ev.start, ev.end, ev.text, "sponsor.issuer-default",
                                                           confidence("sponsor.issuer-default"))
        x.trials.append(t)

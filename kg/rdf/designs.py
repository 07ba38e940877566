"""A trial named by its design follows its drug's identity across releases.

A trial without a registry number or name is one node across releases by its design: studied
drugs, main phase, conditions (:func:`kg.rdf.build.trial_design`), minted from their IRIs
(:func:`kg.rdf.iris.trial_iri`). A release mints it from the drug as the release names it; when
drug identity (:mod:`kg.rdf.identity`) finds that drug is a drug other releases name otherwise
("CAN-2409" alone in one release; "aglatimagene besadenovec (CAN-2409)" in another), the drug node
is renamed, and so must the trial be, or the two releases' trials of one design stay two nodes.

So each time drug identity renames or relabels a drug in a document graph, the design trials of
that drug there are minted again from the graph: a trial is a design trial when its IRI is the one
its facts (``cp:studiesDrug``, ``cp:phase``, ``cp:studiesCondition``, and ``skos:broader`` among its
conditions) mint; a named trial, or one the release kept its own, never is. Its label names the
drugs by their labels, which drug identity makes one per drug ("Phase 2 trial of CAN-2409 in
non-small-cell lung carcinoma"), so the label too depends on which releases are stored, not on the
order they came in.
"""
from __future__ import annotations

import re
from collections import Counter

from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from ..schema import PHASES, main_phase
from .graphs import rename
from .iris import design_trial_iri
from .namespace import CP

LABEL = re.compile(r"(Phase \S+) trial of (.+?) in (.+)")
#: what :func:`minted` reads of a trial and its drugs and conditions
TRIAL_PROPERTIES = (RDFS.label, CP.studiesDrug, CP.phase, CP.studiesCondition)


def minted(g: Graph, trial: URIRef) -> URIRef | None:
    """The IRI the facts ``g`` states of ``trial`` mint for its design; None when they name no design."""
    drugs = sorted(str(d) for d in g.objects(trial, CP.studiesDrug))
    phases = {main_phase(str(p)) for p in g.objects(trial, CP.phase)} & set(PHASES)
    conditions = {c for c in g.objects(trial, CP.studiesCondition)}
    kinds = {c for c in conditions if set(g.objects(c, SKOS.broader)) & conditions}
    if not (drugs and conditions and len(phases) == 1):
        return None
    return design_trial_iri(drugs, phases.pop(), [str(c) for c in conditions - kinds])


def designed(g: Graph, drugs=None) -> set[URIRef]:
    """The design trials of ``g`` (of ``drugs`` only, when given)."""
    trials = {t for t in g.subjects(CP.studiesDrug, None) if isinstance(t, URIRef)}
    if drugs is not None:
        trials = {t for t in trials if set(g.objects(t, CP.studiesDrug)) & set(drugs)}
    return {t for t in trials if minted(g, t) == t}


def label_of(g: Graph, trial: URIRef) -> str | None:
    """A design trial's label, its drugs named by their labels in ``g`` (None: its label is no design's)."""
    current = next((str(x) for x in g.objects(trial, RDFS.label)), "")
    m = LABEL.fullmatch(current)
    if m is None:
        return None
    names = [min((str(x) for x in g.objects(d, RDFS.label)), default=str(d).rsplit("/", 1)[-1])
             for d in sorted(g.objects(trial, CP.studiesDrug), key=str)]
    return f"{m.group(1)} trial of {' + '.join(names)} in {m.group(3)}"


def redesign(g: Graph, trials) -> list[tuple[URIRef, URIRef, str, str]]:
    """(trial, its new IRI, its new label, its old label) for the ``trials`` of ``g`` (design trials
    before their drugs were renamed in ``g``) whose IRI or label their facts now change."""
    out = []
    minted_now = {t: minted(g, t) for t in sorted(trials)}
    landing = Counter(minted_now.values())
    for t, new in minted_now.items():
        old_label = next((str(x) for x in g.objects(t, RDFS.label)), "")
        if new is None or new != t and (landing[new] > 1 or (new, None, None) in g):
            continue        # two trials the release keeps apart would become one: each keeps its node
        label = label_of(g, t) or old_label
        if new != t or label != old_label:
            out.append((t, new, label, old_label))
    return out


def apply(g: Graph, changes) -> None:
    """Rename and relabel the trials of ``g`` as :func:`redesign` says (in place)."""
    for old, new, label, _ in changes:
        g.remove((old, RDFS.label, None))
        rename(g, old, new)
        g.add((new, RDFS.label, Literal(label)))

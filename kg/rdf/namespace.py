"""The project's closed RDF vocabulary (``cp:``), one class as RDFLib defines its own.

A misspelt term is an error (``_fail = True``), not a new IRI. Every term
here is declared in ``ontology/cpkg.ttl``; a test checks the two agree. The
classes and the fact properties are the registry's (``kg/schema.py``), which
reads its IRIs from here; ``tests/test_schema.py`` checks each of them is listed.
"""
from __future__ import annotations

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

BASE = "https://w3id.org/cpkg/"
ID = Namespace(BASE + "id/")
DOC = Namespace(BASE + "doc/")


class CP(DefinedNamespace):
    """clinical-pipeline-kg vocabulary: drugs, targets, conditions, trials and who runs them."""

    _fail = True
    _NS = Namespace(BASE)

    # classes
    Drug: URIRef
    Target: URIRef
    Condition: URIRef
    ClinicalTrial: URIRef
    Organization: URIRef
    Company: URIRef
    Document: URIRef

    # properties of the contract
    targets: URIRef
    investigatedFor: URIRef
    developedBy: URIRef
    mechanismOfAction: URIRef
    studiesDrug: URIRef
    combinationPartner: URIRef
    studiesCondition: URIRef
    site: URIRef
    sponsor: URIRef
    phase: URIRef
    status: URIRef
    enrollment: URIRef

    # evidence
    evidenceText: URIRef
    charStart: URIRef
    charEnd: URIRef
    rule: URIRef
    confidence: URIRef

    # documents and trials (additions)
    contentHash: URIRef
    dateSource: URIRef
    ticker: URIRef
    trialName: URIRef
    subPhase: URIRef
    role: URIRef
    partOf: URIRef
    extractedAs: URIRef
    screenedOut: URIRef

"""Four hand-made press releases as extraction records, for the export tests.

doc-a (2004-03-15)  GTI-2040 targets R2 and is developed by Lorus; a Phase 2 trial of
                    GTI-2040 + capecitabine in renal cell carcinoma at MD Anderson, sponsored by the NCI
doc-b (2005-06)     GTI-2040 targets R2 again; trial NCT00000001 of GTI-2040 in AML at MD Anderson and
                    Ohio State (Phase 1/2, ongoing, 33 patients)
doc-c (2006-01-10)  NCT00000001 again (Phase 2, completed, 35 patients, at Ohio State; the drug spelt
                    "Gti-2040"); a Phase 3 trial of Virulizin in pancreatic cancer at MD Anderson, Ohio State
                    and the Mayo Clinic, sponsored by MD Anderson (a site and a sponsor: two parallel
                    edges); Virulizin is developed by Lorus
doc-d (no date)     Virulizin is investigated for melanoma

The expected graphs are spelt out in ``tests/test_export.py``.
"""
from __future__ import annotations

from kg.rdf.build import build_dataset
from kg.records import Assertion, Entity, Evidence, Extraction, Trial, entity_key

GTI = entity_key("Drug", "GTI-2040")
CAPE = entity_key("Drug", "capecitabine")
VIR = entity_key("Drug", "Virulizin")
R2 = entity_key("Target", "ribonucleotide reductase R2")
RCC = entity_key("Condition", "renal cell carcinoma")
AML = entity_key("Condition", "acute myeloid leukemia")
PANC = entity_key("Condition", "pancreatic cancer")
MEL = entity_key("Condition", "melanoma")
LORUS = entity_key("Company", "Lorus Therapeutics")
MDA = entity_key("Organization", "M. D. Anderson Cancer Center")
NCI = entity_key("Organization", "National Cancer Institute")
OSU = entity_key("Organization", "Ohio State University")
MAYO = entity_key("Organization", "Mayo Clinic")

NAMES = {GTI: "GTI-2040", CAPE: "capecitabine", VIR: "Virulizin", R2: "ribonucleotide reductase R2",
         RCC: "renal cell carcinoma", AML: "acute myeloid leukemia", PANC: "pancreatic cancer",
         MEL: "melanoma", LORUS: "Lorus Therapeutics", MDA: "M. D. Anderson Cancer Center",
         NCI: "National Cancer Institute", OSU: "Ohio State University", MAYO: "Mayo Clinic"}
IDS = {R2: {"https://identifiers.org/hgnc:10452"},
       AML: {"http://purl.obolibrary.org/obo/MONDO_0018874"},
       GTI: {"http://purl.obolibrary.org/obo/CHEBI_00000", "https://example.org/drug/gti-2040"}}


def ev(text: str, rule: str = "test.rule") -> Evidence:
    return Evidence(0, len(text), text, rule, 0.9)


def entity(key: str, name: str | None = None) -> Entity:
    etype = "Company" if key == LORUS else key.split("|", 1)[0]
    return Entity(key=key, type=etype, name=name or NAMES[key], ids=set(IDS.get(key, ())))


def trial(tid: str, *, names=(), drugs=(), partners=(), conditions=(), sites=(), sponsors=(), phases=(),
          status=None, enrollment=None) -> Trial:
    e = ev(f"trial {tid}", "test.trial")
    t = Trial(id=tid, names=list(names))
    for attr, values in (("drugs", drugs), ("partners", partners), ("conditions", conditions),
                         ("sites", sites), ("sponsors", sponsors), ("phases", phases)):
        for v in values:
            t.add(attr, v, e)
    if status:
        t.status = status
        t.evidence[f"status|{status}"] = e
    if enrollment is not None:
        t.enrollment = enrollment
        t.evidence[f"enrollment|{enrollment}"] = e
    return t


def extraction(doc_id: str, date: str | None, keys, trials=(), assertions=(), names=None) -> Extraction:
    meta = {"title": f"Press release {doc_id}"}
    if date:
        meta["date"] = date
    names = names or {}
    return Extraction(doc_id=doc_id, source=f"{doc_id}.txt", meta=meta,
                      entities={k: entity(k, names.get(k)) for k in keys},
                      trials=list(trials),
                      assertions=[Assertion(s, p, o, ev(f"{s} {p} {o}")) for s, p, o in assertions],
                      companies=[LORUS] if LORUS in keys else [])


def extractions() -> list[Extraction]:
    a = extraction("doc-a", "2004-03-15", [GTI, CAPE, R2, RCC, LORUS, MDA, NCI],
                   trials=[trial("t1", drugs=[GTI], partners=[CAPE], conditions=[RCC], sites=[MDA],
                                 sponsors=[NCI], phases=["Phase 2"], status="ongoing", enrollment=40)],
                   assertions=[(GTI, "targets", R2), (GTI, "developedBy", LORUS)])
    b = extraction("doc-b", "2005-06", [GTI, R2, AML, MDA, OSU, NCI, LORUS],
                   trials=[trial("t1", names=["NCT00000001"], drugs=[GTI], conditions=[AML], sites=[MDA, OSU],
                                 sponsors=[NCI], phases=["Phase 1/2"], status="ongoing", enrollment=33)],
                   assertions=[(GTI, "targets", R2)])
    c = extraction("doc-c", "2006-01-10", [GTI, VIR, AML, PANC, MDA, OSU, MAYO, LORUS],
                   trials=[trial("t1", names=["NCT00000001"], drugs=[GTI], conditions=[AML], sites=[OSU],
                                 phases=["Phase 2"], status="completed", enrollment=35),
                           trial("t2", drugs=[VIR], conditions=[PANC], sites=[MDA, OSU, MAYO],
                                 sponsors=[MDA], phases=["Phase 3"])],
                   assertions=[(VIR, "developedBy", LORUS)], names={GTI: "Gti-2040"})
    d = extraction("doc-d", None, [VIR, MEL], assertions=[(VIR, "investigatedFor", MEL)])
    return [a, b, c, d]


def dataset():
    return build_dataset([(x, f"hash-{x.doc_id}") for x in extractions()])


def without_start(gexf: str) -> tuple[int, int, list[str], list[tuple[str, str, str]]]:
    """A dynamic GEXF's node and edge counts, and the nodes (labels) and edges (source, label, target)
    it gives no ``start``."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(gexf.encode("utf-8"))
    ns = root.tag.split("}")[0] + "}"
    nodes, edges = list(root.iter(ns + "node")), list(root.iter(ns + "edge"))
    return (len(nodes), len(edges), [n.get("label") for n in nodes if not n.get("start")],
            [(e.get("source"), e.get("label"), e.get("target")) for e in edges if not e.get("start")])


def crowded_graph():
    """A graph too crowded to label every node: one component of 77 nodes and 254 edges (the
    co-appearances of Les Misérables' characters), twelve pairs and four lone nodes, typed in turn
    with the five node types, like a view of a real store."""
    import networkx as nx

    from kg.layout import PALETTE

    core = nx.les_miserables_graph()
    G = nx.MultiDiGraph(name="crowded", view="full")
    names = sorted(core) + [f"pair {i} {side}" for i in range(12) for side in "ab"] + [f"lone {i}" for i in range(4)]
    types = list(PALETTE)
    for i, name in enumerate(names):
        G.add_node(name, label=name, type=types[i % len(types)], documents=1)
    for k, (u, v, w) in enumerate(sorted(core.edges(data="weight"))):
        G.add_edge(u, v, key=f"e{k}", label="site", weight=w)
    for i in range(12):
        G.add_edge(f"pair {i} a", f"pair {i} b", key=f"p{i}", label="targets", weight=1)
    return G


def drug_target_graph():
    """A drug-target view the size of the dev corpus's (about fifty nodes): drugs with one to three
    targets, names from four to thirty characters."""
    import networkx as nx

    targets = ["BCL2", "ribonucleotide reductase R2", "EIF2A", "GRIN2B", "SPHK2", "melanocortin 4 receptor",
               "TNFRSF17", "SCN9A", "IL1A", "BCR-ABL1", "amyloid beta plaques", "Flk-1/KDR tyrosine kinase",
               "LRP1", "TGFB1", "GD2", "ARID1a-deficient cancers", "YES1/SRC", "ENG", "AR", "PD10"]
    G = nx.MultiDiGraph(name="drug-target", view="drug-target")
    k = 0
    for i, target in enumerate(targets):
        drug = f"drug {i}" if i % 3 else f"investigational drug XR-{1000 + i}"
        G.add_node(drug, label=drug, type="Drug", documents=1)
        for t in targets[i: i + 1 + i % 3]:
            G.add_node(t, label=t, type="Target", documents=1)
            G.add_edge(drug, t, key=f"e{k}", label="targets", weight=1)
            k += 1
    return G

"""kg/rdf/build.py: one trial node per real trial across releases, whatever order they come in.

A trial without a registry number or name is named by its design (studied drugs, main phase,
conditions) when the release states all three; its status stays in each release's graph, so
the graphs together are its history (``ontology/queries/trial-history.rq``).
"""
from __future__ import annotations

import json

import pytest
from rdflib import RDF, RDFS, Dataset, Literal, URIRef

from kg.cli import main
from kg.rdf.build import build_dataset, main_phase, trial_nodes
from kg.rdf.iris import document_iri, trial_iri
from kg.rdf.namespace import CP
from kg.records import Entity, Evidence, Extraction, Trial, entity_key

DRUG, OTHER_DRUG, PARTNER = entity_key("Drug", "AB-101"), entity_key("Drug", "XY-7"), entity_key("Drug", "docetaxel")
GOUT, NSCLC = entity_key("Condition", "gout"), entity_key("Condition", "non-small cell lung cancer")


def ev(text: str, rule: str = "trial.phase") -> Evidence:
    return Evidence(0, len(text), text, rule, 0.9)


def trial(tid="t1", drugs=(DRUG,), phases=("Phase 2",), conditions=(GOUT,), status=None, partners=(),
          names=(), enrollment=None) -> Trial:
    t = Trial(tid, names=list(names))
    sentence = f"A {' '.join(phases)} trial {tid}."
    for attr, values in (("drugs", drugs), ("partners", partners), ("conditions", conditions), ("phases", phases)):
        for v in values:
            t.add(attr, v, ev(sentence))
    for attr, value in (("status", status), ("enrollment", enrollment)):
        if value is not None:
            setattr(t, attr, value)
            t.evidence[f"{attr}|{value}"] = ev(sentence, f"trial.{attr}")
    return t


def release(doc_id: str, *trials: Trial, date="2024-05-01", spelling: dict | None = None) -> Extraction:
    """A release mentioning ``trials``; ``spelling`` gives an entity the name this release writes it with."""
    spelling = spelling or {}
    x = Extraction(doc_id, f"/press/{doc_id}.txt", {"title": doc_id, "date": date}, trials=list(trials))
    for t in trials:
        for key in (*t.drugs, *t.partners, *t.conditions):
            etype, _, name = key.partition("|")
            x.entities[key] = Entity(key, etype, spelling.get(key, name.upper() if etype == "Drug" else name))
    return x


def node(x: Extraction, i: int = 0):
    return trial_nodes(x)[i][0]


def trial_quads(ds: Dataset) -> set[tuple]:
    """Every quad a trial node is the subject or object of, with its graph."""
    trials = {s for s, _, _, _ in ds.quads((None, RDF.type, CP.ClinicalTrial, None))}
    return {(s, p, o, g.identifier if hasattr(g, "identifier") else g)
            for s, p, o, g in ds.quads((None, None, None, None)) if s in trials or o in trials}


# ---------------------------------------------------------------------------
# which mentions are one trial
# ---------------------------------------------------------------------------

def test_same_design_in_two_releases_is_one_trial():
    a = release("a", trial("t1", drugs=(DRUG, OTHER_DRUG), status="planned"))
    b = release("b", trial("t3", drugs=(OTHER_DRUG, DRUG), status="ongoing"))
    assert node(a) == node(b)
    assert node(a) not in (trial_iri("a", "t1"), trial_iri("b", "t3"))


@pytest.mark.parametrize("other", [
    trial(phases=("Phase 3",)),
    trial(conditions=(NSCLC,)),
    trial(conditions=(GOUT, NSCLC)),
    trial(drugs=(OTHER_DRUG,)),
    trial(drugs=(DRUG, OTHER_DRUG)),
], ids=["other-phase", "other-condition", "more-conditions", "other-drug", "more-drugs"])
def test_a_different_design_is_a_different_trial(other):
    assert node(release("a", trial())) != node(release("b", other))


def test_a_condition_named_with_its_broader_condition_does_not_split_a_trial():
    ms, rrms = entity_key("Condition", "multiple sclerosis"), entity_key("Condition", "relapsing-remitting multiple sclerosis")
    both = release("b", trial(conditions=(ms, rrms)))
    both.entities[rrms].broader = {ms}
    assert node(both) == node(release("a", trial(conditions=(ms,))))
    # without the link the two names are two conditions, and two designs
    both.entities[rrms].broader = set()
    assert node(both) != node(release("a", trial(conditions=(ms,))))


def test_combination_partners_do_not_split_a_trial():
    assert node(release("a", trial(partners=(PARTNER,)))) == node(release("b", trial()))


@pytest.mark.parametrize("sub, main", [("Phase 1b", "Phase 1"), ("Phase 2a", "Phase 2"), ("Phase 1/2a", "Phase 1/2"),
                                       ("Phase 2b/3", "Phase 2/3"), ("Phase 3", "Phase 3")])
def test_a_sub_phase_is_its_main_phase(sub, main):
    assert main_phase(sub) == main
    assert node(release("a", trial(phases=(sub,)))) == node(release("b", trial(phases=(main,))))


@pytest.mark.parametrize("vague", [
    trial(phases=()),
    trial(conditions=()),
    trial(phases=("Phase 2", "Phase 3")),
], ids=["no-phase", "no-condition", "two-phases"])
def test_a_trial_the_release_says_too_little_of_stays_the_documents(vague):
    a, b = release("a", vague), release("b", vague)
    assert node(a) == trial_iri("a", "t1") and node(b) == trial_iri("b", "t1")


def test_registry_number_and_name_keep_priority_over_the_design():
    assert node(release("a", trial(names=["NCT01234567"]))) == trial_iri("x", "t9", ["NCT01234567"])
    assert node(release("a", trial(names=["GOUTSTEP"]))) == trial_iri("x", "t9", ["GOUTSTEP"])


def test_an_unnamed_mention_of_a_trial_the_release_names_is_that_trial():
    x = release("a", trial("t1", names=["GOUTSTEP"], status="ongoing"), trial("t2", partners=(PARTNER,)))
    (n1, l1), (n2, l2) = trial_nodes(x)
    assert n1 == n2 == trial_iri("a", "t1", ["GOUTSTEP"]) and l1 == l2 == "GOUTSTEP"


def test_a_design_the_release_names_twice_is_not_guessed():
    x = release("a", trial("t1", names=["GOUTSTEP-1"]), trial("t2", names=["GOUTSTEP-2"]), trial("t3"))
    assert node(x, 2) == trial_iri("a", "t3")


def test_two_trials_of_one_design_and_one_status_in_a_release_are_one_node():
    x = release("a", trial("t1", status="ongoing"), trial("t2"), trial("t3", status="ongoing"))
    assert len({n for n, _ in trial_nodes(x)}) == 1


@pytest.mark.parametrize("first, second", [
    ({"status": "planned"}, {"status": "completed"}),
    ({"enrollment": 40}, {"enrollment": 120}),
], ids=["statuses", "enrolments"])
def test_two_trials_of_one_design_that_the_release_tells_apart_stay_apart(first, second):
    x = release("a", trial("t1", **first), trial("t2", **second))
    assert [n for n, _ in trial_nodes(x)] == [trial_iri("a", "t1"), trial_iri("a", "t2")]
    g = build_dataset([(x, "h")]).graph(document_iri("a"))
    for n, _ in trial_nodes(x):
        assert len(set(g.objects(n, CP.status))) <= 1 and len(set(g.objects(n, CP.enrollment))) <= 1


# ---------------------------------------------------------------------------
# one node, one label, a status per release, any order
# ---------------------------------------------------------------------------

def test_one_label_whatever_each_release_calls_the_drug():
    a = release("a", trial(), spelling={DRUG: "AB-101"})
    b = release("b", trial(partners=(PARTNER,)), spelling={DRUG: "Ab-101", GOUT: "Gout"})
    ds = build_dataset([(a, "ha"), (b, "hb")])
    labels = {o for _, _, o, _ in ds.quads((node(a), RDFS.label, None, None))}
    assert labels == {Literal("Phase 2 trial of AB-101 in gout")}


def test_each_release_keeps_the_status_it_states():
    a = release("a", trial(status="planned"), date="2003-08-27")
    b = release("b", trial(status="ongoing"), date="2004-06-08")
    ds = build_dataset([(a, "ha"), (b, "hb")])
    t = node(a)
    assert set(ds.graph(document_iri("a")).objects(t, CP.status)) == {Literal("planned")}
    assert set(ds.graph(document_iri("b")).objects(t, CP.status)) == {Literal("ongoing")}


def test_release_order_does_not_change_the_trials():
    a = release("a", trial("t1", status="planned"), trial("t2", drugs=(OTHER_DRUG,), phases=()),
                spelling={DRUG: "AB-101"}, date="2003-08-27")
    b = release("b", trial("t4", status="completed", partners=(PARTNER,), enrollment=40),
                spelling={DRUG: "ab-101", GOUT: "Gout"}, date="2006-01-10")
    forward, backward = build_dataset([(a, "ha"), (b, "hb")]), build_dataset([(b, "hb"), (a, "ha")])
    assert trial_quads(forward) == trial_quads(backward)
    assert len({s for s, p, _, _ in trial_quads(forward) if p == RDF.type}) == 2     # t1 = t4, and t2


# ---------------------------------------------------------------------------
# the history, as a named query
# ---------------------------------------------------------------------------

def test_trial_history_query_lists_each_releases_status_in_date_order(tmp_path, capsys):
    from kg.store import EmbeddedStore

    releases = [release("b", trial(status="completed"), date="2006-01-10"),
                release("a", trial(status="planned"), date="2003-08-27"),
                release("c", trial(status="ongoing"), date="2004-06")]
    ds = build_dataset([(x, f"h{x.doc_id}") for x in releases])
    store = tmp_path / "store"
    with EmbeddedStore(store) as s:
        for x in releases:
            s.replace_document(document_iri(x.doc_id), ds.graph(document_iri(x.doc_id)), source=x.source,
                               content_hash=f"h{x.doc_id}")
    assert main(["query", "-f", "trial-history", "--store", str(store), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]["bindings"]
    assert [(r["released"]["value"], r["status"]["value"], r["source"]["value"]) for r in rows] == [
        ("2003-08-27", "planned", "/press/a.txt"), ("2004-06", "ongoing", "/press/c.txt"),
        ("2006-01-10", "completed", "/press/b.txt")]
    assert {r["trial"]["value"] for r in rows} == {str(node(releases[0]))}
    assert {r["trialLabel"]["value"] for r in rows} == {"Phase 2 trial of AB-101 in gout"}


# ---------------------------------------------------------------------------
# a design trial follows its drug's identity (kg/rdf/designs.py)
# ---------------------------------------------------------------------------

def _renamed_drug_releases():
    """"CAN-2409" alone; "aglatimagene besadenovec" alone; a release giving both names (no trial)."""
    from kg.records import entity_key

    from .test_build import extraction

    a = extraction("a", drug_name="CAN-2409", condition="non-small cell lung cancer")
    b = extraction("b", drug_name="aglatimagene besadenovec", condition="non-small cell lung cancer")
    c = extraction("c", drug_name="CAN-2409", condition="prostate cancer")
    for x, names in ((a, {"CAN-2409"}), (b, {"aglatimagene besadenovec"}),
                     (c, {"CAN-2409", "aglatimagene besadenovec"})):
        x.entities[next(k for k in x.entities if k.startswith("Drug|"))].aliases = names
    c.trials = []
    return {"a": (a, "ha"), "b": (b, "hb"), "c": (c, "hc")}


def _design_trials(quads) -> set[str]:
    from rdflib import RDF

    return {str(s) for s, p, o, _ in quads if p == RDF.type and o == CP.ClinicalTrial}


def test_a_design_trial_follows_its_drug_renamed_by_another_release():
    releases = _renamed_drug_releases()
    apart = build_dataset([releases[d] for d in "ab"])
    assert len(_design_trials(apart.quads())) == 2          # nothing says the two names are one drug
    joined = build_dataset([releases[d] for d in "abc"])
    (trial,) = _design_trials(joined.quads())
    labels = {str(o) for _, _, o, _ in joined.quads((URIRef(trial), RDFS.label, None, None))}
    assert labels == {"Phase 2 trial of aglatimagene besadenovec in non-small cell lung cancer"}
    for order in ("cab", "bca", "acb"):
        assert set(build_dataset([releases[d] for d in order]).quads()) == set(joined.quads())


def test_a_stored_design_trial_is_renamed_and_split_again(tmp_path):
    from kg.rdf.build import Identities, add_document
    from kg.rdf.identity import StoreNodes
    from kg.rdf.iris import document_iri
    from kg.store import EmbeddedStore

    releases = _renamed_drug_releases()

    def store(path, order, remove=()):
        with EmbeddedStore(path) as s:
            identities = Identities(StoreNodes(s))
            with s.batch(8):
                for doc in order:
                    x, h = releases[doc]
                    g = identities(add_document(Dataset(), x, h))
                    s.replace_document(str(document_iri(doc)), g, source=x.source, content_hash=h)
                    identities.written(g)
            for doc in remove:
                before = identities.place.drugs(str(document_iri(doc)))
                s.remove_source(releases[doc][0].source)
                identities.recompute(before)
            s.flush()
            return {str(q) for q in s.oxigraph if q.graph_name.__class__.__name__ == "NamedNode"}

    joined = store(tmp_path / "j", "abc")
    assert store(tmp_path / "r", "bac") == joined and store(tmp_path / "l", "cab") == joined
    assert len({q.split()[0] for q in joined if str(CP.ClinicalTrial) in q}) == 1
    assert store(tmp_path / "p", "abc", remove="c") == store(tmp_path / "q", "ab")


def test_a_design_trial_relabelled_with_its_drug_has_one_label_in_any_order(tmp_path):
    """Found at review: "AB 101" + "Zorbexa", then "Zorbexa" + "AB-101": the drug's best name changes
    when the second release comes, and the first release's trial is relabelled with it."""
    from .test_build import extraction

    a = extraction("a", drug_name="AB 101")
    a.entities[next(k for k in a.entities if k.startswith("Drug|"))].aliases = {"AB 101", "Zorbexa"}
    b = extraction("b", drug_name="AB-101")
    b.entities[next(k for k in b.entities if k.startswith("Drug|"))].aliases = {"AB-101", "Zorbexa"}
    forward, backward = build_dataset([(a, "ha"), (b, "hb")]), build_dataset([(b, "hb"), (a, "ha")])
    assert set(forward.quads()) == set(backward.quads())
    (trial,) = _design_trials(forward.quads())
    assert {str(o) for _, _, o, _ in forward.quads((URIRef(trial), RDFS.label, None, None))} == \
        {"Phase 2 trial of AB-101 in gout"}

"""One key per real thing: grounding (kg/relations/grounding.py), the identity stage
(kg/relations/identity.py), condition identity (kg/nlp/conditions.py) and drug aliases."""
from __future__ import annotations

import pytest

from kg.nlp.conditions import canonical, display_name, ground_condition, lookup_condition, mesh_parents, normal_condition_name
from kg.nlp.drugs import code_aliases
from kg.records import Assertion, Entity, Evidence, Extraction, Trial, entity_key
from kg.relations.entities import product_of
from kg.relations.grounding import ground_targets, reduced
from kg.relations.identity import resolve

EV = Evidence(0, 10, "A sentence.", "test.rule", 0.9)
RRM2 = "https://identifiers.org/hgnc:10452"


def target(name: str, *aliases: str) -> Entity:
    key = entity_key("Target", name)
    return Entity(key, "Target", name, set(aliases) | {name})


def grounded(*entities: Entity) -> dict[str, Entity]:
    out = {e.key: e for e in entities}
    ground_targets(out)
    return out


# -- targets -------------------------------------------------------------------------------

def test_a_target_is_grounded_by_its_symbol_inside_a_longer_name():
    assert reduced("anti-apoptotic protein Bcl-2") == ["Bcl-2"]
    assert reduced("GD2 molecule") == ["GD2"]
    es = grounded(target("anti-apoptotic protein Bcl-2"), target("NMDA receptors containing the GluN2B subunit"))
    assert es["Target|anti-apoptotic protein bcl-2"].ids == {"https://identifiers.org/hgnc:990"}
    assert es["Target|nmda receptors containing the glun2b subunit"].ids == {"https://identifiers.org/hgnc:4586"}


def test_a_short_ambiguous_name_is_grounded_by_the_release_that_spells_it_out():
    alone = grounded(target("R2"))
    assert not alone["Target|r2"].ids                       # "R2" names several genes
    spelled = grounded(target("R2"), target("R2 component of ribonucleotide reductase"))
    assert spelled["Target|r2"].ids == {RRM2}
    together = grounded(target("R2"), target("ribonucleotide reductase"))    # "ribonucleotide reductase R2"
    assert together["Target|r2"].ids == {RRM2} == together["Target|ribonucleotide reductase"].ids


def test_a_name_no_gene_has_stays_ungrounded():
    es = grounded(target("PCPro marker"), target("Flk-1/KDR TK"))
    assert all(not e.ids for e in es.values())


def extraction(*entities: Entity) -> Extraction:
    x = Extraction("d1", "r.txt", {})
    x.entities = {e.key: e for e in entities}
    return x


def test_targets_of_one_gene_become_one_entity_keyed_and_labelled_by_the_symbol():
    drug = Entity(entity_key("Drug", "GTI-2040"), "Drug", "GTI-2040", {"GTI-2040"})
    a, b = target("R2 component of ribonucleotide reductase"), target("RRM2 protein")
    x = extraction(drug, a, b)
    ground_targets(x.entities)
    x.assertions = [Assertion(drug.key, "targets", a.key, EV), Assertion(drug.key, "targets", b.key, EV)]
    resolve(x)
    assert set(x.entities) == {drug.key, "Target|rrm2"}
    e = x.entities["Target|rrm2"]
    assert e.name == "RRM2" and {"R2 component of ribonucleotide reductase", "RRM2 protein"} <= e.aliases
    assert [(a.subject, a.object) for a in x.assertions] == [(drug.key, "Target|rrm2")]   # one fact, rewritten


def test_an_ungrounded_target_is_keyed_without_a_generic_head_word():
    x = extraction(target("GD2 molecule"), target("GD2"))
    resolve(x)
    assert set(x.entities) == {"Target|gd2"}


def test_trial_references_and_their_evidence_follow_the_new_keys():
    a, b = (Entity(entity_key("Drug", n), "Drug", n, {n, "ATL-1102"} if "/" in n else {n}) for n in
            ("ATL/TV1102", "ATL-1102"))
    x = extraction(a)
    t = Trial("t1")
    t.add("drugs", a.key, EV)
    x.trials = [t]
    resolve(x)
    assert x.trials[0].drugs == [b.key] and f"drugs|{b.key}" in x.trials[0].evidence
    assert x.entities[b.key].name == "ATL-1102" and "ATL/TV1102" in x.entities[b.key].aliases


# -- conditions ----------------------------------------------------------------------------

def test_an_ungrounded_condition_named_in_two_word_orders_is_one():
    names = ("type 2 diabetic nephropathies", "diabetic type 2 nephropathies", "type 2 diabetes")
    a, b, c = (Entity(entity_key("Condition", n), "Condition", n, {n}) for n in names)
    x = extraction(a, b, c)
    t = Trial("t1")
    t.add("conditions", a.key, EV)
    t.add("conditions", b.key, EV)
    x.trials = [t]
    resolve(x)
    assert set(x.entities) == {b.key, c.key}                   # other words stay apart
    assert x.trials[0].conditions == [b.key] and names[0] in x.entities[b.key].aliases


@pytest.mark.parametrize("name, heading", [
    ("ovarian carcinoma", "ovarian neoplasms"),                                    # a variant spelling
    ("non small cell lung cancers", "non-small-cell lung carcinoma"),
    ("castrate-resistant prostate cancer", "castration-resistant prostatic neoplasms"),   # a MeSH subtype
    ("hormone refractory prostate cancer", "castration-resistant prostatic neoplasms"),
    ("chronic lymphocytic leukemia/small lymphocytic lymphoma", "b-cell chronic lymphocytic leukemia"),
    ("smallpox infections", "smallpox"),                  # a head above the disease adds nothing
    ("hepatitis B infection", "hepatitis b"),
    ("MPOX/Smallpox infections", "monkeypox mpox"),       # "A/B <head>": A with B's head
])
def test_conditions_ground_to_one_heading_whatever_the_wording(name, heading):
    rec, broader = ground_condition(name)
    assert rec is not None and rec.name == heading and broader is None


@pytest.mark.parametrize("name, parent", [
    ("bulbar-onset ALS", "amyotrophic lateral sclerosis"),
    ("pancreatic ductal adenocarcinoma", "pancreatic neoplasms"),
    ("pediatric neuroblastoma", "neuroblastoma"),
    ("type 2 diabetic nephropathy", "diabetic nephropathies"),
])
def test_a_subtype_mesh_does_not_list_is_linked_to_the_condition_it_is_a_kind_of(name, parent):
    rec, broader = ground_condition(name)
    assert rec is None and broader is not None and broader.name == parent


@pytest.mark.parametrize("written, name, heading", [
    ("mild traumatic brain injury", "mild traumatic brain injury", "brain concussion"),   # "mild" is MeSH's word
    ("severe obesity", "severe obesity", "morbid obesity"),
    ("Pediatric Obesity", "pediatric obesity", "pediatric obesity"),
    ("advanced prostate cancer", "prostate cancer", "prostatic neoplasms"),               # a stage of the disease
    ("pediatric neuroblastoma", "neuroblastoma", "neuroblastoma"),                        # a population
    ("childhood cancer", "cancer", "neoplasms"),
])
def test_a_qualifier_is_stripped_unless_mesh_names_the_condition_with_it(written, name, heading):
    assert canonical(written) == name
    assert ground_condition(name)[0].name == heading


def test_a_head_word_that_is_not_above_the_disease_keeps_the_name_a_kind_of_it():
    # lung neoplasms are not below "disease" in MeSH: "lung cancer disease" is not read as lung cancer
    assert ground_condition("lung cancer disease")[0] is None


def test_a_heading_is_linked_to_the_headings_above_it_and_labelled_plainly():
    crpc = ground_condition("castration-resistant prostate cancer")[0]
    assert [p.name for p in mesh_parents(crpc)] == ["prostatic neoplasms"]
    assert display_name(lookup_condition("pancreatic cancer")) == "pancreatic cancer"
    assert display_name(lookup_condition("acute myeloid leukemia")) == "acute myeloid leukemia"


def test_ungrounded_names_are_keyed_in_one_spelling():
    assert normal_condition_name("solid tumours") == normal_condition_name("solid tumors")
    assert normal_condition_name("cancers") == normal_condition_name("cancer")
    assert normal_condition_name("bulbar-onset ALS") == normal_condition_name("bulbar-onset amyotrophic lateral sclerosis")
    assert ground_condition("an unknown syndrome of nothing") == (None, None)


# -- drugs ---------------------------------------------------------------------------------

def test_a_joint_code_is_also_each_partners_code():
    assert code_aliases("ATL/TV1102") == {"ATL-1102", "TV-1102"}
    assert code_aliases("GTI-2040") == set()


@pytest.mark.parametrize("between, one", [
    (" SL, a sublingual formulation of ", True),
    (", based on ultra-micronized ", True),
    (", an oral formulation of ", True),
    (", based on the success of ", False),
    (" and ", False),
    (", in combination with ", False),
])
def test_a_product_and_the_substance_it_is_made_of_are_one_drug(between, one):
    assert bool(product_of().match(between)) is one


@pytest.mark.parametrize("between, after, one", [
    (" (preservative-free intravenous ", ") and NRX-101", True),         # "NRX-100 (preservative-free intravenous ketamine)"
    (" (IV ", ")", True),
    (", an enhanced orally administered ", " formulation known for", True),   # "JOTROL, an enhanced ... resveratrol formulation"
    (" (", ")", False),                                                   # a bracketed other name is another rule's
    (" (in combination with ", ")", False),
    (", an enhanced orally administered ", " and", False),
])
def test_a_product_and_the_substance_in_it_behind_words_of_its_form_are_one_drug(between, after, one):
    from kg.relations.entities import made_of
    assert made_of(between, after) is one

"""Resolve candidate spans into ``doc.ents``.

Inputs: the candidates of the project's components (``doc.spans["kg_drug"]``,
``kg_condition``, ``kg_org``, ``kg_target``, ``kg_phase``) and the
statistical NER's entities. This component

1. keeps, where spans overlap, the one of higher priority (a named agency or
   institution over a condition word inside it, our drugs and conditions over
   the statistical NER's guesses), then the longer one;
2. confirms weak drug candidates (brand marks, unknown capitalised names) only
   when the release uses the word as a drug somewhere ("its lead drug X",
   "a trial of X", "X in combination with"), and relabels development codes
   used only as trial names ("the GLORA-4 study") as ``TRIAL``;
3. propagates abbreviations: every "NSCLC" after "non-small cell lung cancer
   (NSCLC)" gets the long form's label and canonical name.

``span.id_`` keeps the rule that produced each entity and ``span.kb_id_`` its
canonical name. Running the component twice gives the same entities.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict

from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from .abbreviations import KEY as ABBR_KEY
from .organizations import ROLES as ORG_ROLES
from .organizations import canonical_org, names_a_document
from .resources import check_choice, company_words, data_path, doc_text, load_tsv, word_set

MODEL_KEY = "kg_model_ents"
NER_KEY = "kg_ner_ents"           # the trained NER's drugs, conditions and targets (kg.learn.ner), kept aside
NER_LABELS = {"DRUG": "ner.drug", "CONDITION": "ner.condition", "TARGET": "ner.target"}
CANDIDATE_KEYS = ("kg_phase", "kg_drug", "kg_condition", "kg_org", "kg_target")
TRIAL_NOUNS = {"trial", "trials", "study", "studies"}
# after a development code these words show it names something other than a drug ("A2780 ovarian carcinoma")
TRIAL_FILLERS = {"phase", "clinical", "pivotal", "registrational", "global", "confirmatory", "i", "ii", "iii",
                 "iv", "1", "2", "3", "4", "1b", "2a", "2b", "ib", "iia", "iib", "1/2", "2/3", "(", ")", "-", "/"}
POSSESSIVE_LEADS = {"its", "our", "their", "company's", "company\u2019s"}
MODEL_KEEP = {"ORG", "PERSON", "GPE", "LOC", "DATE", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "NORP", "FAC"}


def priority(span: Span) -> int:
    rule = span.id_ or ""
    if span.label_ == "PHASE":
        return 95
    if span.label_ == "TRIAL":
        return 72      # a named trial beats the statistical NER's ORG guess, not our drugs
    if rule.startswith("org.") and rule not in ("org.model", "org.model-company-word"):
        return 90 if rule not in ("org.institution", "org.named") else 85
    if rule.startswith("ner."):
        return 50      # the trained NER: below every rule, above the statistical model's other guesses
    if span.label_ == "TARGET":
        return 80
    if span.label_ == "DRUG":
        if rule == "drug.coinage":
            return 35      # a capitalised coinage is a company as often as a drug: the NER's ORG wins
        return 76 if rule in ("drug.lexicon", "drug.code-name", "drug.code-name-compound") else 74
    if span.label_ == "CONDITION":
        return 70
    return 40   # the statistical NER


@functools.lru_cache(maxsize=1)
def drug_nouns() -> frozenset[str]:
    return frozenset(w.lower() for w in word_set("drug_nouns.tsv", "noun"))


def drug_frame_evidence(doc: Doc, start: int, end: int) -> bool:
    """Is the word at doc[start:end] used as a drug here? Not when it names a trial ("the HARMONIC(TM)
    clinical trial")."""
    if _trial_name_use(doc, doc[start:end]):
        return False
    nouns = drug_nouns()
    sent = doc[start].sent
    left = [t.lower_ for t in doc[max(sent.start, start - 4):start]]
    right = [t.lower_ for t in doc[end:min(sent.end, end + 8)]]
    r = [w for w in right if w not in ("(r)", "(tm)", "\u00ae", "\u2122", ")", "(")]
    if left and left[-1] in ("of", "with", "plus") and len(left) >= 2 and left[-2] in (
            "trial", "study", "studies", "treatment", "development", "efficacy", "safety", "administration",
            "dose", "doses", "combination", "dosing", "presentation", "data", "results"):
        return True
    if any(w in nouns for w in left[-3:]) and (not left or left[-1] not in ("of", "for", "the")):
        return True
    if len(r) > 2 and r[0] in (",", "is", "was") and r[1] in ("a", "an", "the", "our", "its") \
            and any(w in nouns for w in r[2:7]):
        return True
    if r[:3] == ["in", "combination", "with"] or r[:2] in (["for", "the"], ["to", "treat"], ["plus", ""]) \
            or (r and r[0] in ("plus", "+", "-treated", "treatment", "therapy")):
        return True
    if r and r[0] in ("clinical", "program", "development") or r[:1] == ["phase"] and not _trial_name_use(doc, doc[start:end]):
        return True
    return _described_as(doc, doc[start:end]) == "drug"     # "GEO-MVA, a next-generation MVA-based vaccine"


def _trial_name_use(doc: Doc, span: Span) -> bool:
    """Is this development code used as the name of a trial ("the GLORA-4 study")?"""
    k = span.end
    while k < len(doc) and doc[k].lower_ in TRIAL_FILLERS:
        k += 1
    return k < len(doc) and doc[k].lower_ in TRIAL_NOUNS


CODE_FOLLOWERS = {"trial", "trials", "study", "studies", "program", "programme", "treatment", "therapy",
                  "monotherapy", "arm", "dose", "doses", "dosing", "patients", "development", "data", "results",
                  "injection", "tablets", "formulation", "group", "cohort", "administration", "combination"}


def _past_marks(doc: Doc, k: int) -> int:
    """The first token at or after ``k`` that is not a trademark sign ("(R)", "\u2122") right after a name."""
    while k < len(doc) and doc[k].text in ("(R)", "(TM)", "\u00ae", "\u2122"):
        k += 1
    return k


def _described_as(doc: Doc, span: Span) -> str | None:
    """What the description right after a code says it is: "drug", "trial", "other" or None (no description).

    "LDOS007 is a new Phase Ib/Randomized Phase II, open label study": a trial; "ENVAIR4000, a
    predictive diagnostic system": something else; "NV-387, a broad-spectrum antiviral drug": a drug.
    The first noun of the description found in drug_nouns.tsv, the trial nouns or non_drug_nouns.tsv decides.
    """
    k = _past_marks(doc, span.end)
    tokens = list(doc[k:min(span.sent.end, k + 16)])
    words = [t.lower_ for t in tokens]
    if len(words) < 3 or words[0] not in (",", "is", "was") or words[1] not in ("a", "an", "the", "our", "its"):
        return None
    drug, other = drug_nouns(), word_set("non_drug_nouns.tsv", "noun")
    for i, w in enumerate(words[2:], 2):
        if i + 1 < len(tokens) and _possessive_mark(tokens[i + 1]):
            continue              # the possessor, not what the description is: "the company's oral agonist"
        if w in drug and not (i + 1 < len(tokens) and tokens[i + 1].pos_ in ("NOUN", "PROPN") and tokens[i + 1].is_alpha):
            return "drug"         # not a modifier of the noun after it: "a cell therapy company" is a company
        if w in TRIAL_NOUNS:
            return "trial"
        if w in other:
            return "other"
        # a word inside a hyphenated compound ("first-in-class") does not end the description
        in_compound = words[i - 1] == "-" and not tokens[i - 2].whitespace_ or \
            i + 1 < len(words) and words[i + 1] == "-" and not tokens[i].whitespace_
        if w in (";", ".", "which", "that", "to", "for", "in", "with") and not in_compound:
            break
    return None


@functools.lru_cache(maxsize=1)
def non_drug_followers() -> re.Pattern:
    """The words after a code that make it something other than a drug (``non_drug_followers.tsv``)."""
    path = data_path("lexicons", "non_drug_followers.tsv")
    rows = load_tsv(path, ["word", "kind"])
    for r in rows:
        check_choice(path, r, "kind", {"word", "prefix"})
    words = "|".join(re.escape(r["word"]) for r in sorted(rows, key=lambda r: -len(r["word"])) if r["kind"] == "word")
    prefixes = "|".join(re.escape(r["word"]) + r"-?\w*" for r in rows if r["kind"] == "prefix")
    return re.compile(rf"^(?:{words}|{prefixes})$", re.I)


def _code_use(doc: Doc, span: Span) -> str:
    """How a development code is used at one mention: "drug", "trial" or "other"."""
    if _trial_name_use(doc, span):
        return "trial"
    described = _described_as(doc, span)
    if described in ("trial", "other"):
        return described
    before = [t.lower_ for t in doc[max(0, span.start - 3):span.start]]
    if before and before[-1] == "(" and any(w in TRIAL_NOUNS for w in before[:-1]):
        return "trial"     # "a new Phase 2 trial (AdPNP-203)"
    k = _past_marks(doc, span.end)
    # a two-digit code followed by a noun names a protein or the like ("TDP-43 proteinopathy")
    if len(re.sub(r"\D", "", span.text)) <= 2 and k < len(doc) and doc[k].pos_ == "NOUN" and doc[k].is_lower \
            and doc[k].lower_ not in CODE_FOLLOWERS:
        return "other"
    # the code modifies the noun phrase after it: "the A2780 ovarian carcinoma model", "T315I mutations"
    for j in range(k, min(len(doc), k + 3)):
        nxt = doc[j]
        following = nxt.text + (doc[j + 1].text if j + 1 < len(doc) and not nxt.whitespace_ else "")
        if non_drug_followers().match(nxt.text) or non_drug_followers().match(following):
            return "other"
        if nxt.pos_ not in ("ADJ", "NOUN", "PROPN") or not nxt.is_alpha:
            break
    return "drug"


def confirm_drugs(doc: Doc, spans: list[Span]) -> list[Span]:
    """Drop unconfirmed weak drugs; relabel codes used only as trial names as TRIAL."""
    drugs = [s for s in spans if s.label_ == "DRUG"]
    by_word: dict[str, list[Span]] = {}
    for s in drugs:
        by_word.setdefault(s.text.lower(), []).append(s)
    strong_words = {s.text.lower() for s in drugs if s.id_ in ("drug.lexicon", "drug.inn-stem")}
    # a coinage that names an organisation here ("GeoVax", "RedHill") is not a drug: the first word of
    # a name with a company word ("RedHill Biopharma"), whatever label the statistical model gave it
    named = list(doc.spans.get(MODEL_KEY, [])) + [e for e in spans if e.label_ == "ORG"]
    org_words = {e.text.split()[0].lower() for e in named if company_words().search(e.text)}
    drug_prefixes = {s.text.upper() for s in drugs if not re.search(r"\d", s.text)}
    medical = {i for s in spans if s.label_ in ("CONDITION", "TARGET") or s.id_ in ("drug.lexicon", "drug.inn-stem")
               for i in range(s.start, s.end)}
    # what the mentions of a word say is the same for each of them: worked out once per word, so a release
    # naming a code a thousand times costs a thousand looks, not a million
    weak_uses: dict[str, str] = {}                   # text -> "trial", "drug" or "" (neither): its mentions' use
    code_uses: dict[str, list[str] | None] = {}      # lower-case code -> its mentions' uses (None: no clinic)

    def weak_use(text: str) -> str:
        if text not in weak_uses:
            mentions = _occurrences(doc, text)
            uses = [_trial_name_use(doc, doc[a:b]) for a, b in mentions]
            # a trademarked trial name: every mention names a trial, or it is a word in capitals that
            # names one somewhere ("the HARMONIC(TM) clinical trial ... HARMONIC enrolled ...")
            if uses and (all(uses) or (any(uses) and text.isupper() and not re.search(r"\d", text))):
                weak_uses[text] = "trial"
            else:
                weak_uses[text] = "drug" if used_as_drug(doc, text) else ""
        return weak_uses[text]

    def code_use(word: str, same: list[Span]) -> list[str] | None:
        if word not in code_uses:
            clinical = any(clinical_context(doc, m, medical) for m in same)
            code_uses[word] = [_code_use(doc, m) for m in same] if clinical else None
        return code_uses[word]

    out = []
    for s in spans:
        if s.label_ != "DRUG":
            out.append(s)
            continue
        word = s.text.lower()
        same = by_word.get(word, [s])
        if s.id_ in ("drug.coinage", "drug.brand-mark") and word in org_words:
            continue
        if s.id_ in ("drug.brand-mark", "drug.coinage", "drug.code-letters") and word not in strong_words:
            # the brand word anywhere in the doc (marked or not) used as a drug confirms it
            use = weak_use(s.text)
            if use == "trial":
                out.append(Span(doc, s.start, s.end, label="TRIAL", kb_id=s.text, span_id="trial.name"))
                continue      # "the HARMONIC(TM) trial": a trademarked trial name
            if not use:
                continue
        if s.id_.startswith("drug.code-name"):
            uses = code_use(word, same)
            if uses is None:
                continue          # a part number, a standard, a CVE id: no medicine anywhere near
            if "drug" not in uses and "trial" not in uses:
                continue          # a cell line, a mutation, a protein ("TDP-43 mis-localization")
            prefix = re.match(r"[A-Za-z]+", s.text)
            if prefix and prefix.group(0).upper() in drug_prefixes and prefix.group(0).upper() != s.text.upper():
                out.append(Span(doc, s.start, s.end, label="TRIAL", kb_id=s.text, span_id="trial.name-after-drug"))
                continue
            if all(u == "trial" for u in uses):
                out.append(Span(doc, s.start, s.end, label="TRIAL", kb_id=s.text, span_id="trial.name"))
                continue
        out.append(s)
    return out


def clinical_context(doc: Doc, span: Span, medical: set[int]) -> bool:
    """Does the text around ``span`` (its sentence and the ones on either side) speak of medicine?

    ``medical`` holds the token indices of the document's conditions, targets and dictionary drugs.
    """
    sent = span.sent
    start = doc[sent.start - 1].sent.start if sent.start > 0 else sent.start
    end = doc[sent.end].sent.end if sent.end < len(doc) else sent.end
    # the medical words of a window, found once: a sentence naming a thousand codes is read once, not once each
    known = doc.user_data.setdefault(WORDS_KEY, {})
    key = ("clinical-window", start, end)
    if key not in known:
        words = word_set("clinical_context.tsv", "word") | drug_nouns()
        known[key] = [t.i for t in doc[start:end] if t.lower_ in words or t.i in medical]
    return any(i < span.start or i >= span.end for i in known[key])


# doc.user_data, while the entities are resolved: what is known of each word (its mentions, whether one
# uses it as a drug), worked out once per word: a release naming one word a thousand times is searched
# for it once, not a thousand times
WORDS_KEY = "kg_entity_words"


WORD_RUN = re.compile(r"[\w-]+")


def _occurrences(doc: Doc, word: str) -> list[tuple[int, int]]:
    """The token ranges where ``word`` stands as a whole word in the document.

    A whole-word match starts where a run of word characters (``[\\w-]+``) starts and its first run
    is that run whole, so the runs of the text are indexed once per document and each word is looked
    up there: the time does not grow with the number of distinct words times the length of the text.
    """
    known = doc.user_data.setdefault(WORDS_KEY, {})
    if word not in known:
        text = doc_text(doc)
        first = WORD_RUN.match(word)
        if first is None:                        # a word that does not start with a word character
            starts = [m.start() for m in re.finditer(r"(?<![\w-])" + re.escape(word), text)]
        else:
            runs = known.get(("runs",))
            if runs is None:
                runs = known[("runs",)] = defaultdict(list)
                for m in WORD_RUN.finditer(text):
                    runs[m.group()].append(m.start())
            starts = [i for i in runs.get(first.group(), ()) if text.startswith(word, i)]
        out = []
        for i in starts:
            end = i + len(word)
            if end < len(text) and WORD_RUN.match(text, end, end + 1):
                continue                         # the word runs on
            span = doc.char_span(i, end, alignment_mode="strict")
            if span is not None:
                out.append((span.start, span.end))
        known[word] = out
    return known[word]


def used_as_drug(doc: Doc, word: str) -> bool:
    """Is ``word`` used as a drug at one of its mentions (:func:`drug_frame_evidence`)?"""
    known = doc.user_data.setdefault(WORDS_KEY, {})
    key = ("used-as-drug", word)
    if key not in known:
        known[key] = any(drug_frame_evidence(doc, a, b) for a, b in _occurrences(doc, word))
    return known[key]


TRIAL_NAME = re.compile(r"\b[A-Z][A-Z0-9]{2,}(?:-[A-Z0-9]{1,4})*(?:-\d{1,3})?\b")


def trial_names(doc: Doc) -> list[Span]:
    """Named trials: a capitalised name right before "trial"/"study" ("the ORCHID-7 study",
    "RIVERSTONE, a randomized Phase 3 trial")."""
    out = []
    text = doc_text(doc)                     # Doc.text joins every token on each call: read it once
    for m in TRIAL_NAME.finditer(text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="strict")
        if span is None or len(m.group(0)) < 4 or not any(c.isalpha() for c in m.group(0)) \
                or m.group(0).upper() in word_set("trial_name_stop.tsv", "word"):
            continue
        after = text[m.end():m.end() + 80].lower()
        if _trial_name_use(doc, span) or re.match(r"\s*(?:\([^)]*\)\s*)?,\s*(?:a|an|the)\s+(?:[\w-]+,?\s+){0,6}"
                                                   r"(?:trial|study)\b", after):
            out.append(Span(doc, span.start, span.end, label="TRIAL", kb_id=span.text, span_id="trial.name"))
    return out


FRAME_VERBS = {"is", "was", "remains"}
FRAME_BEFORE = {",", "of"} | FRAME_VERBS      # the word right before a name in one of the drug frames
FRAME_AFTER = {","} | FRAME_VERBS             # the word right after it
STAGE_WORDS = ("preclinical", "clinical", "phase", "early-stage", "late-stage", "development")
NAME_WORD = re.compile(r"(?<![\w-])[A-Za-z][\w]*(?:-[\w]+)*(?![\w-])")
CODE_SHAPE = re.compile(r"\d|-|[a-z][A-Z]")       # a code's or brand's shape: a digit, a hyphen, capitals inside
POSSESSIVE_MARKS = {"'s", "\u2019s", "'", "\u2019"}


def _possessive_mark(tok: Token) -> bool:
    """A name's possessive ending: "'s", or the apostrophe alone ("NanoViricides’")."""
    return tok.tag_ == "POS" or tok.lower_ in POSSESSIVE_MARKS


def _possessive(tokens) -> bool:
    """A possessor among ``tokens``: "its", "our", "their", or a name's possessive ending."""
    return any(t.lower_ in POSSESSIVE_LEADS or _possessive_mark(t) for t in tokens)


def _drug_frame(doc: Doc, span: Span) -> bool:
    """Does a frame around ``span`` say that it names a drug of the release, whatever its shape?

    "its lead drug candidate, buntanetap," / "OST-HER2, its lead asset" / "X is NanoViricides’ other
    drug candidate" / "our other advanced drug candidate is X" / "X, a first-in-class oral prodrug" /
    "X, currently in preclinical development" / "a Phase III study of X for early Parkinson’s".
    """
    k = _past_marks(doc, span.end)
    before = doc[span.start - 1].lower_ if span.start > 0 else ""
    if before not in FRAME_BEFORE and (k >= len(doc) or doc[k].lower_ not in FRAME_AFTER):
        return False             # every frame has one of these words right beside the name
    nouns = drug_nouns()
    sent = span.sent
    prv = list(doc[max(sent.start, span.start - 8):span.start])
    nxt = list(doc[k:min(sent.end, k + 10)])
    low_p, low_n = [t.lower_ for t in prv], [t.lower_ for t in nxt]
    if low_p[-1:] == [","] and _possessive(prv[-6:-1]) and any(w in nouns for w in low_p[-3:-1]):
        return True
    if low_n[:1] == [","] and _possessive(nxt[1:3]) and any(w in nouns for w in low_n[2:6]):
        return True
    if low_n[:1] and low_n[0] in FRAME_VERBS and _possessive(nxt[1:3]) and any(w in nouns for w in low_n[2:7]):
        return True
    if low_p[-1:] and low_p[-1] in FRAME_VERBS and any(w in nouns for w in low_p[-3:-1]) and _possessive(prv[-7:-2]):
        return True
    if _described_as(doc, span) == "drug":
        return True
    if low_n[:1] == [","] and "in" in low_n[1:3]:
        after = low_n[low_n.index("in", 1) + 1:][:1]
        if after and after[0].startswith(STAGE_WORDS):
            return True
    return len(low_p) >= 3 and low_p[-1] == "of" and low_p[-2] in TRIAL_NOUNS and "phase" in low_p[-6:-2] \
        and low_n[:1] != [] and low_n[0] in ("for", "in", "versus", "vs", "vs.", "as", "(")


def _unknown_name(doc: Doc, span: Span) -> bool:
    """Could ``span``, a word of a name's shape (:func:`_name_shaped`), be a name no recogniser knows?
    Not a function word, a person, place, date or amount, or a company word; a plain word (no code or
    brand shape) only as one noun."""
    if span[0].is_stop or company_words().fullmatch(span[-1].text):
        return False
    if any(t.ent_type_ in ("PERSON", "GPE", "DATE", "NORP", "LOC", "MONEY", "PERCENT") for t in span):
        return False
    if CODE_SHAPE.search(span.text) or span.text.isupper():
        return True
    return len(span) == 1 and span[0].pos_ in ("NOUN", "PROPN")


def _name_shaped(word: str, english: frozenset[str]) -> bool:
    """Does a word look like a name, on its text alone: a code or brand shape (a digit, a hyphen,
    capitals inside, all capitals), or five letters or more and no English word (``english``: the
    model's word index; without one, no plain word is)?"""
    if len(word) < 3:
        return False
    if CODE_SHAPE.search(word) or word.isupper():
        return True
    return bool(english) and len(word) >= 5 and not _word_forms(word.lower()) & english


def _word_forms(word: str) -> set[str]:
    """``word`` and the stems its English endings may hide ("therapies" -> "therapy", "called" -> "call")."""
    forms = {word}
    for ending, stems in (("ies", ("y",)), ("es", ("", "e")), ("s", ("",)), ("ed", ("", "e")), ("ing", ("", "e"))):
        if word.endswith(ending):
            forms.update(word[:-len(ending)] + stem for stem in stems)
    return forms


def frame_drugs(doc: Doc, taken: set[int], english: frozenset[str] = frozenset()) -> list[Span]:
    """Names no recogniser knows, used in a strong drug frame (:func:`_drug_frame`): a new INN
    ("its lead drug candidate, buntanetap"), a code of an unusual shape ("its lead asset, OST-HER2"),
    a brand ("GEMCEDA™, a first-in-class oral gemcitabine prodrug"). Every use of the name is a
    drug then (:func:`propagate_names`). ``taken``: tokens our other recognisers hold."""
    out, seen = [], set()
    text = doc_text(doc)
    for m in NAME_WORD.finditer(text):
        if not _name_shaped(m.group(), english):
            continue             # most words of a release: English, read without making a span
        span = doc.char_span(m.start(), m.end(), alignment_mode="strict")
        if span is None or len(span) > 6 or any(i in taken for i in range(span.start, span.end)):
            continue
        if not _unknown_name(doc, span) or _trial_name_use(doc, span) or not _drug_frame(doc, span):
            continue
        if span.text not in seen:
            seen.add(span.text)
            out.append(Span(doc, span.start, span.end, label="DRUG", kb_id=span.text, span_id="drug.frame"))
    return out


def propagate_names(doc: Doc, spans: list[Span]) -> list[Span]:
    """One word, one label: every use of a confirmed drug coinage is a drug, and a name
    recognised as a target somewhere ("inhibitor of VLA-4") is a target everywhere."""
    targets = {s.text.lower(): s for s in spans if s.label_ == "TARGET"}
    out = []
    for s in spans:
        t = targets.get(s.text.lower())
        if s.label_ == "DRUG" and t is not None and s.id_ not in ("drug.code-name",):
            out.append(Span(doc, s.start, s.end, label="TARGET", kb_id=t.kb_id_, span_id=t.id_ + "+same-name"))
        else:
            out.append(s)
    owner: list[Span | None] = [None] * len(doc)
    for s in out:
        for i in range(s.start, s.end):
            owner[i] = s
    extra, replaced, done = [], set(), set()
    for s in list(out):
        if s.label_ == "DRUG" and s.id_ in ("drug.frame", "drug.brand-mark", "drug.coinage", "drug.code-letters"):
            if s.text in done:
                continue        # every mention of the word is held by an entity above the model's now
            done.add(s.text)
            for a, b in _occurrences(doc, s.text):
                holders = {id(owner[i]) : owner[i] for i in range(a, b) if owner[i] is not None}
                # the statistical NER's guess ("NEOTROFIN" as ORG) gives way; our entities do not
                if any(priority(h) > 40 for h in holders.values()):
                    continue
                replaced.update(holders)
                span = Span(doc, a, b, label="DRUG", kb_id=s.kb_id_, span_id=s.id_ + "+same-name")
                extra.append(span)
                for i in range(a, b):
                    owner[i] = span
    return [s for s in out if id(s) not in replaced] + extra


def propagate_abbreviations(doc: Doc, spans: list[Span]) -> list[Span]:
    """Give every use of a defined short form its long form's label and canonical name."""
    pairs = doc.user_data.get(ABBR_KEY, [])
    if not pairs:
        return spans
    extra = []
    near = _Nearby(spans)
    seen = set()
    for s_start, s_end, l_start, l_end in pairs:
        long_ent = _best_overlap(near.around(l_start, l_end), l_start, l_end)
        if long_ent is None:
            continue
        short = doc_text(doc)[s_start:s_end]
        label, kb_id = long_ent.label_, long_ent.kb_id_ or long_ent.text
        rule = (long_ent.id_ or "entity") + "+abbreviation"
        if (short, label, kb_id, rule) in seen:
            continue            # the same definition again: the same spans again
        seen.add((short, label, kb_id, rule))
        for a, b in _occurrences(doc, short):
            extra.append(Span(doc, a, b, label=label, kb_id=kb_id, span_id=rule))
    if not extra:
        return spans
    # an abbreviation use beats whatever the other recognisers made of the same characters
    covered = [False] * (len(doc) + 1)        # tokens of an abbreviation use
    inside = [False] * (len(doc) + 1)         # tokens after the first of one (where an empty span overlaps)
    for e in extra:
        for i in range(e.start, e.end):
            covered[i] = True
            inside[i] = inside[i] or i > e.start
    empty = {e.start for e in extra if e.end == e.start}

    def overlapped(s: Span) -> bool:       # s.start < e.end and e.start < s.end for an abbreviation use e
        if s.end == s.start:
            return inside[s.start]
        return any(covered[i] for i in range(s.start, s.end)) or any(s.start < p < s.end for p in empty)

    keep = [s for s in spans if not overlapped(s)]
    merged = filter_spans(extra)
    return keep + merged


class _Nearby:
    """The spans that may overlap a character range, in their order: found by their start offsets, not by
    looking at every span for each range."""

    def __init__(self, spans: list[Span]):
        self.spans = spans
        self.by_start = sorted((s.start_char, k) for k, s in enumerate(spans))
        self.starts = [c for c, _ in self.by_start]
        self.longest = max((s.end_char - s.start_char for s in spans), default=0)

    def around(self, start: int, end: int) -> list[Span]:
        lo = bisect.bisect_left(self.starts, start - self.longest)
        hi = bisect.bisect_left(self.starts, end)
        return [self.spans[k] for k in sorted(k for _, k in self.by_start[lo:hi])]


def _best_overlap(spans: list[Span], start: int, end: int) -> Span | None:
    best, best_overlap = None, 0
    forms = word_set("formulation_words.tsv", "word")
    for s in spans:
        if s.label_ not in ("DRUG", "TARGET", "CONDITION", "ORG"):
            continue
        # "selegiline transdermal system (STS)": a drug followed only by dosage-form words
        if s.label_ == "DRUG" and s.start_char == start and s.end_char < end:
            rest = doc_text(s.doc)[s.end_char:end].lower().split()
            if rest and all(w in forms for w in rest):
                return s
        ov = min(end, s.end_char) - max(start, s.start_char)
        # the entity must be the long form, or end where it ends ("the ... (NCI)")
        if ov > best_overlap and s.end_char >= end - 1 and ov >= 0.6 * (end - start):
            best, best_overlap = s, ov
    return best


def _substance_in_condition(span: Span, conditions: dict[int, list[Span]]) -> bool:
    """A dictionary drug named as what a condition lacks or has too much of ("growth hormone deficiency").

    ``conditions``: the condition candidates by the tokens they cover (:func:`_by_token`)."""
    if span.label_ != "DRUG" or span.id_ not in ("drug.lexicon", "drug.inn-stem") or span.text != span.text.lower():
        return False
    words = word_set("substance_condition_words.tsv", "word")
    doc = span.doc
    return any(c.start <= span.start and span.end < c.end
               and any(doc[i].lower_ in words for i in range(span.end, min(c.end, span.end + 3)))
               for c in conditions.get(span.start, ()))


def _document_as_org(span: Span, short_forms: frozenset[str]) -> bool:
    """An organisation guessed from the name of an agreement, filing, designation or law ("a Clinical
    Trial Agreement", "Orphan Drug Designation"; :func:`~kg.nlp.organizations.names_a_document`), or
    from the short form the release defines for one ("... Development Agreement (CRADA)": ``short_forms``).
    The organisations of ``organizations.tsv`` are named there and never guessed."""
    return span.label_ == "ORG" and span.id_.split(".")[-1] not in ORG_ROLES \
        and (span.text in short_forms or names_a_document(span.text))


def _document_short_forms(doc: Doc) -> frozenset[str]:
    """The short forms the release defines for the names of documents ("CRADA", "MOU")."""
    text = doc_text(doc)
    return frozenset(text[s:e] for s, e, ls, le in doc.user_data.get(ABBR_KEY, []) if names_a_document(text[ls:le]))


def _by_token(spans: list[Span]) -> dict[int, list[Span]]:
    """Each token index -> the spans covering it, in the order of ``spans``."""
    out: dict[int, list[Span]] = {}
    for s in spans:
        for i in range(s.start, s.end):
            out.setdefault(i, []).append(s)
    return out


def _condition_after(span: Span, used: list[bool]) -> Span | None:
    """What is left of a condition phrase whose first words another entity took: "cisplatin-resistant
    ovarian cancer" -> "ovarian cancer" (the drug and the word hyphened to it go); else None."""
    if span.label_ != "CONDITION":
        return None
    doc = span.doc
    k = max(i for i in range(span.start, span.end) if used[i]) + 1
    if k >= span.end:
        return None
    if doc[k].text == "-" and not doc[k - 1].whitespace_ and k + 1 < span.end:
        k += 2              # "-resistant", "-refractory", "-naive": said of the drug that was taken
    while k < span.end and (doc[k].is_punct or doc[k].is_space):
        k += 1
    from .conditions import canonical, lexicon

    heads = lexicon()[0]
    if k >= span.end or span.end - k == 1 and not heads.get(doc[k].lower_, ("", False))[1]:
        return None         # nothing left, or a head that is no condition alone ("T315I mutations")
    text = doc[k:span.end].text
    return Span(doc, k, span.end, label="CONDITION", kb_id=canonical(text), span_id=span.id_ + "+after-entity")


def ner_candidates(doc: Doc) -> list[Span]:
    """The trained NER's drugs, conditions and targets (rule ``ner.<label>``), each through a gate the
    rules' own candidates pass too:

    * a drug must be used as one somewhere in the release ("a trial of X", "X, its lead candidate",
      "X in combination with"; :func:`drug_frame_evidence`), not be the label of a session or poster,
      part of a URL, or a headline run into the next sentence;
    * a condition must be grounded in the MeSH dictionary or end on a condition head or a disease
      ending, and not be part of the name of something else ("T-Cell Lymphoma Forum": the word after
      it, or its own last word, is a not-mention word of condition_followers.tsv); in text in capitals
      it must stand whole, as the rules' own there (:func:`kg.nlp.conditions.whole_name_start`: never
      "CELL CANCER" of "RENAL CELL CANCER");
    * a target must name an HGNC gene.
    """
    out = []
    text = doc_text(doc)
    for ent in doc.spans.get(NER_KEY, []):
        gate = {"DRUG": _ner_drug_ok, "CONDITION": _ner_condition_ok, "TARGET": _ner_target_ok}[ent.label_]
        name = gate(doc, ent, text)
        if name:
            out.append(Span(doc, ent.start, ent.end, label=ent.label_, kb_id=name, span_id=NER_LABELS[ent.label_]))
    return out


def _ner_drug_ok(doc: Doc, ent: Span, text: str) -> str | None:
    from .drugs import _in_url_or_email, code_label_before, is_run_on

    if any(is_run_on(t.text) for t in ent) or code_label_before().search(text, max(0, ent.start_char - 30),
                                                                         ent.start_char) \
            or _in_url_or_email(text, ent.start_char, ent.end_char):
        return None
    if not used_as_drug(doc, ent.text):
        return None
    return ent.text


def _ner_condition_ok(doc: Doc, ent: Span, text: str) -> str | None:
    from .conditions import (canonical, capital_tokens, followers, lexicon, lookup_condition, not_a_condition,
                             whole_name_start)

    if not_a_condition(ent.text):
        return None
    if ent.text.isupper() and capital_tokens(doc)[ent.start] and whole_name_start(doc, ent.start, ent.end) is None:
        return None
    not_mention = followers()[1]
    nxt = doc[ent.end].lower_ if ent.end < len(doc) else ""
    if ent[-1].lower_ in not_mention or nxt in not_mention:
        return None
    name = canonical(ent.text)
    last = ent[-1].lower_
    if lookup_condition(name, ent.text) is None and last not in lexicon()[0] and \
            not last.endswith(tuple(word_set("condition_suffixes.tsv", "suffix"))):
        return None
    return name


def _ner_target_ok(doc: Doc, ent: Span, text: str) -> str | None:
    from ..vocab import genes

    return ent.text if genes().lookup(ent.text) is not None else None


def resolve(doc: Doc, english: frozenset[str] = frozenset()) -> list[Span]:
    """The entities of ``doc``; ``english``: the words of the language (:func:`english_words`), which
    no new name found by a drug frame can be."""
    doc.user_data.pop(WORDS_KEY, None)
    try:
        return _resolve(doc, english)
    finally:
        doc.user_data.pop(WORDS_KEY, None)     # the doc is saved or pickled without it


def _resolve(doc: Doc, english: frozenset[str]) -> list[Span]:
    candidates: list[Span] = []
    for key in CANDIDATE_KEYS:
        candidates.extend(doc.spans.get(key, []))
    if MODEL_KEY not in doc.spans:
        # the statistical NER's entities, kept aside on the first run so a second run sees the same input
        doc.spans[MODEL_KEY] = [e for e in doc.ents if e.label_ in MODEL_KEEP]
        doc.spans[NER_KEY] = [e for e in doc.ents if e.label_ in NER_LABELS]
    candidates.extend(ner_candidates(doc))
    for ent in doc.spans[MODEL_KEY]:
        end = ent.end
        while ent.label_ == "ORG" and end - ent.start > 1 and (doc[end - 1].tag_ in ("VBD", "VBN", "VBZ", "POS")
                                                                or doc[end - 1].text in ("'s", "\u2019s")):
            end -= 1       # a headline's verb glued to the name ("Starling Bio Cleared (by FDA ...)"), or the
            #                possessive ("Bayer's darolutamide": the name is "Bayer")
        label, rule = ent.label_, "org.model" if ent.label_ == "ORG" else "ner.model"
        if label == "PERSON" and company_words().fullmatch(doc[end - 1].text):
            label, rule = "ORG", "org.model-company-word"   # "Annovis Bio", "Acme Therapeutics Inc." read as a person
        s = Span(doc, ent.start, end, label=label, span_id=rule)
        if label == "ORG":
            s.kb_id_ = canonical_org(s.text)
        candidates.append(s)
    conditions = _by_token([c for c in candidates if c.label_ == "CONDITION"])
    documents = _document_short_forms(doc)
    candidates = [s for s in candidates if not _substance_in_condition(s, conditions)
                  and not _document_as_org(s, documents)]
    # letters-only codes ("GEO-MVA") compete for their characters only where the release uses them as a drug
    candidates = [s for s in candidates if s.id_ != "drug.code-letters" or used_as_drug(doc, s.text)]
    # a drug frame outranks the statistical model's guess of an organisation ("its lead drug, OST-HER2")
    taken = {i for s in candidates if s.label_ in ("DRUG", "CONDITION", "TARGET", "ORG") and s.id_ != "org.model"
             for i in range(s.start, s.end)}
    candidates.extend(frame_drugs(doc, taken, english))
    drug_words = {s.text.lower() for s in candidates if s.label_ == "DRUG" and s.id_ != "drug.coinage"}
    candidates.extend(t for t in trial_names(doc) if t.text.lower() not in drug_words)
    ranked = sorted(candidates, key=lambda s: (-priority(s), -(s.end - s.start), s.start))
    chosen: list[Span] = []
    used = [False] * len(doc)
    for s in ranked:
        if any(used[i] for i in range(s.start, s.end)):
            s = _condition_after(s, used)
            if s is None:
                continue
        chosen.append(s)
        for i in range(s.start, s.end):
            used[i] = True
    chosen = confirm_drugs(doc, chosen)
    chosen = propagate_names(doc, chosen)
    chosen = propagate_abbreviations(doc, chosen)
    return sorted(filter_spans(chosen), key=lambda s: s.start)


def english_words(nlp: Language) -> frozenset[str]:
    """The English words the model's lemmatizer knows (its ``lemma_index``: nouns, verbs, adjectives and
    adverbs, about 90,000); empty without a rule lemmatizer."""
    if "lemmatizer" not in nlp.component_names:      # the pipeline keeps it disabled: its tables are read here
        return frozenset()
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return frozenset()
    index = lookups.get_table("lemma_index")
    return frozenset(w.lower() for pos in ("noun", "verb", "adj", "adv") if pos in index for w in index[pos])


@Language.factory("kg_entities")
def make_entities(nlp: Language, name: str):
    drug_nouns()
    return EntityResolver(english_words(nlp))


class EntityResolver:
    def __init__(self, english: frozenset[str] = frozenset()):
        self.english = english

    def __call__(self, doc: Doc) -> Doc:
        doc.set_ents(resolve(doc, self.english), default="outside")
        return doc

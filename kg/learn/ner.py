"""Train a NER to find drugs, conditions and targets from context.

The component ``kg_ner`` (:func:`kg.nlp.add_kg_ner`) is a small
transition-based NER (its own tok2vec, 64 wide and 2 deep) that takes the
place of the English model's NER: it learns ``DRUG``, ``CONDITION`` and
``TARGET`` and, from the model NER's own predictions on the same releases,
the model's labels the rules read (``ORG``, ``PERSON``, ``GPE``, ``DATE``,
``CARDINAL`` ...), so the pipeline runs one NER, not two. Measured on the
pharma subset of the scale archive, the model's NER and a second one after it
took 36% and 22% of the pipeline's time; the one NER costs less than the
model's alone. (A head listening to the model's shared tok2vec, which would
cost almost nothing, did not learn these labels from those frozen vectors:
1 entity in 50 paragraphs after 6 epochs. ``TrainSettings.replace_model_ner
= False`` trains the earlier design, a NER of the three labels after the
model's own.)

Training data, built by :func:`kg.learn.train.train_ner_model`:

* **silver**: the biotech releases of the scale archive (the ones the
  relevance filter keeps), labelled by the project's rule recognisers (drug
  dictionary, code names, INN stems, condition heads, target frames,
  organisation lexicons) together with the original model's own entities
  where no rule speaks (distillation: ORG, PERSON, GPE, DATE ... as the
  model reads them);
* **gold**: the releases annotated in ``data/train/gold``: every alias of a
  gold drug, condition or target projected onto the text overrides the
  silver labels there.

The dev corpus is never trained on, so its scores measure the NER on
releases it has not seen. Long releases are cut into paragraphs; a
paragraph without any of the new labels is kept at a rate of
``negative_rate`` (it still teaches what is *not* a drug). Half the drug
names of the training paragraphs are replaced by novel ones
(:func:`novel_drug_name`: INN-like coinages, development codes of arbitrary
shapes), so the model learns a drug from its context ("a Phase 3 study of X
in patients with Y") rather than from the dictionary's word list.

The result is the component ``kg_ner`` (``kg/models/ner/kg_ner``) with
``kg-meta.json``: labels, architecture, training data hash, epochs, scores.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..schema import TYPES

log = logging.getLogger(__name__)

NEW_LABELS = ("DRUG", "CONDITION", "TARGET")
GOLD_LABELS = {t.name: t.span_label for t in TYPES.values() if t.span_label in NEW_LABELS}  # type -> label
# rule-made labels the NER learns; every other label (ORG included) is the original NER's own, so the
# retrained model keeps its behaviour there (PHASE and TRIAL stay with the span ruler and the trial-name rule)
SILVER_LABELS = set(NEW_LABELS)
# an alias that describes a combination or a list is no entity span ("ENV-105 combined with apalutamide")
NOT_A_SPAN = re.compile(r"\b(?:combined with|in combination|plus|and|or|with)\b|[()]", re.I)


@dataclass
class Labelled:
    """One release's text and its character spans ``(start, end, label)``."""
    name: str
    text: str
    spans: list[tuple[int, int, str]]
    source: str            # silver | gold


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------

def project_gold(text: str, gold: dict) -> list[tuple[int, int, str]]:
    """Every occurrence of every alias of a gold drug, condition or target, as (start, end, label); longest
    first, no overlaps. Organisations are not projected: the model's predictions teach ORG (the gold
    organisations projected over them scored lower in cross-validation)."""
    found: list[tuple[int, int, str]] = []
    for ent in gold.get("entities", {}).values():
        label = GOLD_LABELS.get(ent.get("type"))
        if label is None:
            continue
        for alias in ent.get("aliases", []):
            alias = alias.strip()
            if len(alias) < 2 or NOT_A_SPAN.search(alias) or len(alias.split()) > 8:
                continue
            # a short all-capitals alias ("AML", "R2") matches its own case only
            flags = 0 if (alias.isupper() and len(alias) <= 5) else re.I
            pattern = r"(?<![\w-])" + re.escape(alias).replace(r"\ ", r"\s+") + r"(?![\w-])"
            for m in re.finditer(pattern, text, flags):
                found.append((m.start(), m.end(), label))
    return _no_overlaps(found)


def _no_overlaps(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    chosen: list[tuple[int, int, str]] = []
    for s in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(s[1] <= c[0] or c[1] <= s[0] for c in chosen):
            chosen.append(s)
    return sorted(chosen)


def merge(gold: list[tuple[int, int, str]], silver: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Gold spans, plus the silver spans that overlap none of them."""
    out = list(gold)
    for s in silver:
        if all(s[1] <= g[0] or g[1] <= s[0] for g in gold):
            out.append(s)
    return sorted(out)


def silver_spans(doc) -> list[tuple[int, int, str]]:
    """What the rule recognisers and the original NER say in a processed Doc.

    The project's resolved entities for DRUG, CONDITION and TARGET; elsewhere the original model's
    entities of every label (kept aside by the entity resolver), so the retrained NER keeps them.
    """
    from ..nlp.entities import MODEL_KEY

    ours = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in SILVER_LABELS]
    model = [(e.start_char, e.end_char, e.label_) for e in doc.spans.get(MODEL_KEY, [])]
    return merge(_no_overlaps(ours), model)


# ---------------------------------------------------------------------------
# corpora
# ---------------------------------------------------------------------------

def excluded_archive_paths(shared: Path) -> set[str]:
    """Archive paths of releases that are in the dev corpus (never trained on)."""
    import csv

    sources = shared / "corpus" / "dev" / "SOURCES.tsv"
    if not sources.is_file():
        return set()
    with sources.open(encoding="utf-8") as f:
        return {r["path_in_repo"] for r in csv.DictReader(f, delimiter="\t") if r.get("path_in_repo")}


def biotech_releases(scale: Path, exclude: set[str]) -> list[Path]:
    """The releases of the archive the relevance filter keeps (about 1 in 10), minus ``exclude``."""
    from ..documents import load_documents
    from ..errors import DocumentError
    from ..relevance import RelevanceFilter

    keep = RelevanceFilter()
    out = []
    for path in sorted(scale.rglob("*.md")):
        rel = path.relative_to(scale).as_posix()
        if rel in exclude:
            continue
        try:
            docs = list(load_documents(path))
        except DocumentError:
            continue
        if any(keep(d.text) for d in docs):
            out.append(path)
    return out


_worker_nlp = None


def _init_worker() -> None:
    global _worker_nlp
    from ..nlp import NLPConfig, build_nlp

    _worker_nlp = build_nlp(NLPConfig(trained_ner=False))


def _label_file(path: str) -> tuple[str, str, list[tuple[int, int, str]]] | None:
    from ..documents import load_documents
    from ..errors import DocumentError
    from ..nlp.pieces import process

    try:
        docs = list(load_documents(Path(path)))
    except DocumentError:
        return None
    if not docs:
        return None
    text = docs[0].text
    return path, text, silver_spans(process(_worker_nlp, text))


def label_silver(paths: list[Path], jobs: int = 2, progress: bool = True) -> Iterator[Labelled]:
    """Run the rule pipeline (with the original NER) over ``paths`` in ``jobs`` processes."""
    import multiprocessing as mp

    from tqdm import tqdm

    ctx = mp.get_context("spawn")
    with ctx.Pool(jobs, initializer=_init_worker) as pool:
        results = pool.imap(_label_file, [str(p) for p in paths], chunksize=8)
        for res in tqdm(results, total=len(paths), desc="silver labels", unit="doc", disable=not progress):
            if res is not None:
                path, text, spans = res
                yield Labelled(path, text, spans, "silver")


# ---------------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------------

def paragraphs(text: str, max_chars: int = 1200) -> Iterator[tuple[int, int]]:
    """(start, end) of the text's paragraphs (blank-line separated), long ones cut at line breaks."""
    for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
        start, end = m.start(), m.end()
        while end - start > max_chars:
            cut = text.rfind("\n", start, start + max_chars)
            if cut <= start:
                cut = text.rfind(" ", start, start + max_chars)
                if cut <= start:
                    break
            yield start, cut
            start = cut + 1
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            yield start, end


SYLLABLES = ("ba", "be", "bi", "bo", "ca", "ce", "da", "de", "di", "do", "fa", "fe", "ga", "ge", "li", "lo", "ma",
             "me", "mi", "mo", "na", "ne", "ni", "no", "pa", "pe", "ra", "re", "ri", "ro", "sa", "se", "ta", "te", "ti",
             "to", "va", "ve", "vi", "xa", "za", "zo", "tan", "lar", "mer", "nor", "quin", "sel", "tor", "ven")
ENDINGS = ("mab", "zumab", "ximab", "tinib", "rafenib", "ciclib", "parib", "lisib", "tide", "glutide", "stat", "vir",
           "previr", "cept", "sen", "rsen", "tap", "gene", "cel", "leucel", "dine", "pam", "lol", "pril", "sartan",
           "gliptin", "gliflozin", "ine", "ol", "ide", "one", "ast", "ant", "imod", "fungin", "cillin", "mycin", "dronate")


def novel_drug_name(rng: random.Random) -> str:
    """A drug name no dictionary knows: an INN-like coinage ("velomirsen") or a development code of an
    arbitrary shape ("QRT-4G1", "LX 0217", "ABC-12-R"), for the NER to learn drugs from their context."""
    if rng.random() < 0.5:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) + rng.choice(ENDINGS)
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTVWXYZ") for _ in range(rng.randint(2, 4)))
    body = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        body = rng.choice("ABCDEFGHKLMPRSTX") + body[:2] if rng.random() < 0.5 else body[:2] + rng.choice("ABCDEFGHKLMPRSTX")
    code = letters + rng.choice(("-", "-", " ", "")) + body
    return code + (rng.choice(("-R", " SL", "-1", "X")) if rng.random() < 0.15 else "")


def substitute_drugs(text: str, spans: list[tuple[int, int, str]], rng: random.Random,
                     rate: float) -> tuple[str, list[tuple[int, int, str]]]:
    """``text`` with each drug name replaced, at ``rate``, by a novel one (the same name, the same novel
    name); span offsets follow."""
    names: dict[str, str] = {}
    out, new_spans, last, shift = [], [], 0, 0
    for s, e, lab in sorted(spans):
        if lab == "DRUG":
            old = text[s:e]
            if old not in names:
                names[old] = novel_drug_name(rng) if rng.random() < rate else old
            rep = names[old]
        else:
            rep = text[s:e]
        out.append(text[last:s])
        out.append(rep)
        new_spans.append((s + shift, s + shift + len(rep), lab))
        shift += len(rep) - (e - s)
        last = e
    out.append(text[last:])
    return "".join(out), new_spans


def chunks(item: Labelled, rng: random.Random, negative_rate: float,
           substitute_rate: float = 0.0) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """The paragraphs of a labelled release with their spans (offsets into the paragraph); drug names
    replaced by novel ones at ``substitute_rate``."""
    for start, end in paragraphs(item.text):
        spans = [(s - start, e - start, lab) for s, e, lab in item.spans if s >= start and e <= end]
        if not any(lab in NEW_LABELS for _, _, lab in spans) and rng.random() > negative_rate:
            continue
        piece = item.text[start:end]
        if sum(c.isalpha() for c in piece) < 20:
            continue
        if substitute_rate:
            piece, spans = substitute_drugs(piece, spans, rng, substitute_rate)
        yield piece, spans


def make_example(nlp, text: str, spans: list[tuple[int, int, str]]):
    from spacy.training import Example
    from spacy.util import filter_spans

    pred = nlp.make_doc(text)
    ref = nlp.make_doc(text)
    ents = [ref.char_span(s, e, label=lab, alignment_mode="contract") for s, e, lab in spans]
    ref.ents = filter_spans([e for e in ents if e is not None and len(e)])
    return Example(pred, ref)


def data_hash(items: list[Labelled], extra: dict) -> str:
    """A hash of everything the NER is trained on: texts, spans, sources and the settings."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for it in sorted(items, key=lambda i: i.name):
        h.update(it.name.encode() + b"\0" + hashlib.sha256(it.text.encode()).digest())
        h.update(json.dumps(it.spans).encode() + it.source.encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------

def gold_recall(nlp, items: list[tuple[str, dict]]) -> dict[str, dict[str, float]]:
    """Of the gold entity mentions (aliases projected onto each text), how many does the NER find exactly,
    and how many of its spans of the new labels overlap a gold mention of the same label (a lower bound on
    precision: gold annotates only the entities of facts)."""
    found = {lab: [0, 0, 0, 0] for lab in NEW_LABELS}     # hit, gold, overlapping predictions, predictions
    for text, gold in items:
        g = [s for s in project_gold(text, gold) if s[2] in NEW_LABELS]
        doc = nlp(text)
        p = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in NEW_LABELS]
        pset = set(p)
        for s in g:
            found[s[2]][0] += s in pset
            found[s[2]][1] += 1
        for s in p:
            found[s[2]][3] += 1
            found[s[2]][2] += any(x[2] == s[2] and x[0] < s[1] and s[0] < x[1] for x in g)
    return {lab: {"recall": round(v[0] / v[1], 4) if v[1] else 0.0, "gold": v[1],
                  "overlap_precision": round(v[2] / v[3], 4) if v[3] else 0.0, "predicted": v[3]}
            for lab, v in found.items()}


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------

def base_pipeline():
    """The English model as the project runs it (its tokenizer adjusted), for training the NER on top."""
    from ..nlp import NLPConfig, load_model
    from ..nlp.tokenizer import customize_tokenizer

    nlp = load_model(None, NLPConfig().disable)
    customize_tokenizer(nlp)
    return nlp


@dataclass
class TrainSettings:
    epochs: int = 5
    dropout: float = 0.2
    batch_words: int = 2000         # words per update batch
    negative_rate: float = 0.3      # share of paragraphs without a new label that are kept
    substitute_rate: float = 0.5    # share of drug names replaced by novel ones (learn drugs from context)
    seed: int = 13
    learn_rate: float = 0.001       # Adam
    max_minutes: float = 20.0       # stop after the epoch that passes this
    replace_model_ner: bool = True  # learn the model's labels too (from its own predictions) and take its place


def _batches(examples, batch_words: int):
    batch, words = [], 0
    for ex in examples:
        batch.append(ex)
        words += len(ex.reference)
        if words >= batch_words:
            yield batch
            batch, words = [], 0
    if batch:
        yield batch


def only_new_labels(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    return [s for s in spans if s[2] in NEW_LABELS]


def train_ner(items: list[Labelled], heldout: list[Labelled], settings: TrainSettings,
              progress: bool = True) -> tuple[object, list[dict]]:
    """Train the component ``kg_ner`` (:func:`kg.nlp.add_kg_ner`) on ``items``, every other component of
    the model frozen; score every epoch on ``heldout`` (its labels as given). Returns the pipeline and one
    record per epoch."""
    import time

    from tqdm import tqdm

    from ..nlp import KG_NER, add_kg_ner

    rng = random.Random(settings.seed)
    nlp = base_pipeline()
    ner = add_kg_ner(nlp, replace=settings.replace_model_ner)
    wanted = (lambda spans: spans) if settings.replace_model_ner else only_new_labels
    labels = sorted({lab for it in items for _, _, lab in wanted(it.spans)})
    for label in labels:
        ner.add_label(label)
    train = [make_example(nlp, t, wanted(s)) for it in items
             for t, s in chunks(it, rng, settings.negative_rate, settings.substitute_rate)]
    dev = [make_example(nlp, t, wanted(s)) for it in heldout for t, s in chunks(it, random.Random(0), 1.0)]
    log.info("NER training: %d paragraphs (%d words), held out %d", len(train),
             sum(len(e.reference) for e in train), len(dev))
    ner.initialize(lambda: train[:200], nlp=nlp)
    optimizer = nlp.create_optimizer()
    optimizer.learn_rate = settings.learn_rate
    frozen = [name for name in nlp.pipe_names if name != KG_NER]
    history = []
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        rng.shuffle(train)
        losses: dict[str, float] = {}
        total = sum(len(e.reference) for e in train)
        with tqdm(total=total, desc=f"NER epoch {epoch}/{settings.epochs}", unit="word",
                  disable=not progress) as bar:
            for batch in _batches(train, settings.batch_words):
                nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses, exclude=frozen)
                bar.update(sum(len(e.reference) for e in batch))
        per = heldout_scores(nlp, dev)
        history.append({"epoch": epoch, "loss": round(float(losses.get(KG_NER, 0.0)), 1),
                        "seconds": round(time.perf_counter() - started, 1), "heldout_silver": per})
        log.info("epoch %d: loss %.1f, %s", epoch, losses.get(KG_NER, 0.0), per)
        if (time.perf_counter() - started) / 60 > settings.max_minutes:
            break
    return nlp, history


def heldout_scores(nlp, examples) -> dict[str, dict[str, float]]:
    """P/R/F per label of the NER alone (no other component, no rules) on ``examples``, by spaCy's scorer;
    a label neither predicted nor in the examples scores 0."""
    from ..nlp import KG_NER

    with nlp.select_pipes(enable=[KG_NER]):
        per = (nlp.evaluate(examples) if examples else {}).get("ents_per_type") or {}
    zero = {"p": 0.0, "r": 0.0, "f": 0.0}
    return {lab: {m: round(per[lab][m], 4) for m in zero} if lab in per else dict(zero)
            for lab in sorted(nlp.get_pipe(KG_NER).labels)}

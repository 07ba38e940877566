"""clinical-pipeline-kg: press releases in, a knowledge graph of the clinical pipeline out.

The stages, one module each, data flowing one way::

    documents  -> nlp  -> relations  -> rdf  -> store / export / server

Nothing heavy is imported here: spaCy, the model and the stores load on
first use.
"""
__version__ = "0.1.0"

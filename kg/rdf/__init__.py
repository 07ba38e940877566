"""RDF: the closed ``cp:`` namespace, IRI minting and the graph builder."""
from .namespace import CP, DOC, ID  # noqa: F401

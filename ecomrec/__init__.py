"""ecomrec: transformers for e-commerce search and recommendation, shown live."""
from ecomrec.engine import CatalogFilter, Engine

__all__ = ["CatalogFilter", "Engine"]

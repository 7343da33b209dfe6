"""ecomrec: transformers for e-commerce search and recommendation, shown live.

Importing the package sets three environment defaults before any Hugging Face library loads (the one
place that does): no hub access, no tokenizer threads fighting the app's, no weight-loading bars.
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may try the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no weight-loading bars in the app log

from ecomrec.engine import Engine  # noqa: E402
from ecomrec.ranking import COMPONENTS, WEIGHT_RANGE  # noqa: E402
from ecomrec.search.searcher import PRESET_LABELS, SearchSettings  # noqa: E402
from ecomrec.services.catalog import CatalogFilter  # noqa: E402

__all__ = ["COMPONENTS", "PRESET_LABELS", "WEIGHT_RANGE", "CatalogFilter", "Engine", "SearchSettings"]

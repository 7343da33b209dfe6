"""Loading, validating and importing data sets."""
from ecomrec.data.loaders import Dataset, load_dataset, write_dataset

__all__ = ["Dataset", "load_dataset", "write_dataset"]

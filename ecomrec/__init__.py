"""ecomrec: transformers for e-commerce search and recommendation, shown live."""

"""Evaluation in one place: every metric, baseline and split the trainers, the bench and the report read.

- :mod:`~ecomrec.evaluation.ranking`: search metrics over the whole catalog (NDCG@10, MRR, Recall@k,
  per query or averaged) and the runs they score (exact dense top-k, dense then reranked).
- :mod:`~ecomrec.evaluation.classification`: accuracy, F1 per label and the one macro-F1.
- :mod:`~ecomrec.evaluation.recommendation`: HR@k and NDCG@k of score functions over held-out items,
  with the rule every method follows (a shopper's own products are never recommended back).
- :mod:`~ecomrec.evaluation.cart`: cart completion, the cart list beside every cart baseline.
- :mod:`~ecomrec.evaluation.baselines`: what models are measured beside (TF-IDF + LR, a keyword rule,
  zero-shot intent, popularity and popularity within a category).
- :mod:`~ecomrec.evaluation.splits`: held-out parts (last item per shopper, last part of the log's
  time, one product per basket).
- :mod:`~ecomrec.evaluation.stats`: seeded bootstrap intervals and paired tests of differences.

Import the module you need; this package imports nothing at import time.
"""

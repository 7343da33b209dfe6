"""Bi-encoder fine-tuning: the retrieval encoder learns from query -> clicked product pairs.

Uses sentence-transformers' own training API (``SentenceTransformerTrainer``) with
``MultipleNegativesRankingLoss``: every other product in a batch is a negative for a query (in-batch
negatives), and batches never hold the same text twice, so no product is its own negative.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ecomrec.config import PACKAGED_MODEL, SEED, EncoderConfig
from ecomrec.models.device import pick_device, resolve_model_path
from ecomrec.models.encoder import Encoder
from ecomrec.models.training import CancelFn, ProgressFn, TrainingCancelled, TrainProgress


@dataclass(frozen=True)
class BiencoderConfig:
    """Hyper-parameters of one bi-encoder fine-tuning run."""

    base_model: str = PACKAGED_MODEL
    epochs: int = 1  # ~3k pairs: one pass (~2.5 min on 2 cores) moves the space; more overfits sample phrasings
    learning_rate: float = 2e-5  # the sentence-transformers default for MNRL fine-tuning
    batch_size: int = 32  # 31 in-batch negatives per query; larger batches are slower per step on CPU
    max_seq_length: int = 128  # same as the catalog encoder
    warmup_fraction: float = 0.1
    seed: int = SEED
    device: str | None = None


def finetune_biencoder(queries: Sequence[str], docs: Sequence[str], config: BiencoderConfig = BiencoderConfig(),
                       progress: ProgressFn | None = None, cancel: CancelFn | None = None):
    """Fine-tune a SentenceTransformer on (query, relevant product text) pairs.

    The one role not on :func:`ecomrec.models.training.fit`: sentence-transformers' trainer brings
    the no-duplicates batch sampler that in-batch negatives need. There is no early stopping (one
    epoch; the version is activated only when it beats the packaged model on validation); progress
    and ``cancel`` go through the same :class:`TrainProgress` and :class:`TrainingCancelled`.

    Returns:
        (the fine-tuned :class:`~ecomrec.models.encoder.Encoder`, info) with ``train_s``, ``history`` (loss
        per step) and ``device``.
    """
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import PrinterCallback, TrainerCallback

    device = pick_device(config.device)
    model = SentenceTransformer(resolve_model_path(config.base_model), device=device, local_files_only=True)
    model.max_seq_length = config.max_seq_length
    history: list[float] = []

    class Report(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if cancel is not None and cancel():
                raise TrainingCancelled(f"training cancelled at step {state.global_step + 1} of {state.max_steps}")

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                history.append(float(logs["loss"]))
                if progress:
                    epoch = min(int(state.epoch or 0) + 1, config.epochs)
                    progress(TrainProgress(state.global_step, state.max_steps, epoch, float(logs["loss"]),
                                           None, "NDCG@10"))

    with tempfile.TemporaryDirectory(prefix="ecomrec-biencoder-") as out:
        args = SentenceTransformerTrainingArguments(
            output_dir=out, num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate, warmup_ratio=config.warmup_fraction, seed=config.seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES, logging_steps=1, save_strategy="no", report_to="none",
            disable_tqdm=True, use_cpu=device == "cpu", dataloader_num_workers=0)
        data = Dataset.from_dict({"anchor": list(queries), "positive": list(docs)})
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                             loss=MultipleNegativesRankingLoss(model), callbacks=[Report()])
        trainer.remove_callback(PrinterCallback)  # progress goes through ``progress``, not stdout
        t0 = time.perf_counter()
        trainer.train()
        train_s = time.perf_counter() - t0
    model.eval()
    encoder = Encoder.from_model(model, EncoderConfig(device=device, max_seq_length=config.max_seq_length))
    return encoder, {"train_s": round(train_s, 2), "history": history, "device": device}

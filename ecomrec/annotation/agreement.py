"""How far annotators agree, with each other and with the model, and which answers look wrong.

The statistics come from well-kept libraries: Cohen's kappa per annotator pair (scikit-learn), Fleiss'
kappa over records that every annotator of them answered equally often (statsmodels) and Krippendorff's
alpha over all answers, missing ones allowed (``krippendorff``, nominal). Likely label errors are found
with cleanlab from out-of-fold probabilities of a logistic regression on the queries' MiniLM embeddings.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd


def answer_matrix(responses: pd.DataFrame) -> pd.DataFrame:
    """Records x annotators, each cell a label (NaN where the annotator did not answer)."""
    return responses.pivot_table(index="record_id", columns="annotator", values="label", aggfunc="last")


def pairwise_kappa(responses: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa for every pair of annotators over the records both answered (``n`` of them)."""
    from sklearn.metrics import cohen_kappa_score

    m = answer_matrix(responses)
    rows = []
    for a, b in combinations(m.columns, 2):
        both = m[[a, b]].dropna()
        kappa = float(cohen_kappa_score(both[a], both[b])) if len(both) >= 2 and \
            len(set(both[a]) | set(both[b])) > 1 else float("nan")
        rows.append({"annotator_a": a, "annotator_b": b, "n": len(both), "kappa": kappa,
                     "agreement": float((both[a] == both[b]).mean()) if len(both) else float("nan")})
    return pd.DataFrame(rows, columns=["annotator_a", "annotator_b", "n", "kappa", "agreement"])


def krippendorff_alpha(responses: pd.DataFrame, labels: list[str]) -> float:
    """Krippendorff's alpha (nominal) over every record answered at least twice; NaN when none is."""
    import krippendorff

    m = answer_matrix(responses)
    m = m[m.notna().sum(axis=1) >= 2]
    if m.empty:
        return float("nan")
    codes = {lab: i for i, lab in enumerate(labels)}
    data = m.T.apply(lambda col: col.map(codes)).to_numpy(dtype=float)  # (annotators, records), NaN = missing
    if len(np.unique(data[~np.isnan(data)])) < 2:
        return 1.0  # everyone gave the same single label: perfect, though uninformative
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def fleiss_kappa(responses: pd.DataFrame, labels: list[str]) -> tuple[float, int]:
    """Fleiss' kappa over the records with the most common number of answers (>= 2), and how many."""
    from statsmodels.stats.inter_rater import fleiss_kappa as fleiss

    counts = responses.groupby("record_id")["label"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=labels, fill_value=0)
    raters = counts.sum(axis=1)
    if (raters >= 2).sum() == 0:
        return float("nan"), 0
    n = int(raters[raters >= 2].mode().iloc[0])
    table = counts[raters == n].to_numpy()
    return float(fleiss(table, method="fleiss")), len(table)


def per_label_alpha(responses: pd.DataFrame, labels: list[str]) -> dict[str, float]:
    """Krippendorff's alpha of each label against the rest: which labels annotators find hard."""
    out = {}
    for lab in labels:
        binary = responses.assign(label=np.where(responses["label"].eq(lab), lab, "other"))
        out[lab] = krippendorff_alpha(binary, [lab, "other"]) if responses["label"].eq(lab).any() else float("nan")
    return out


def annotator_confusion(responses: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Label x label counts over every pair of answers to the same record by two annotators (symmetric)."""
    m = answer_matrix(responses)
    table = pd.DataFrame(0, index=labels, columns=labels)
    for _, row in m.iterrows():
        given = row.dropna().tolist()
        for x, y in combinations(given, 2):
            if x in table.index and y in table.columns:
                table.loc[x, y] += 1
                if x != y:
                    table.loc[y, x] += 1
    return table


def disputed(responses: pd.DataFrame, resolutions: pd.DataFrame) -> pd.DataFrame:
    """Records whose submitted answers disagree and that no one has resolved yet: record_id, text and the
    answers as "label (annotator)" strings."""
    by_record = responses.groupby("record_id")
    split = by_record["label"].nunique()
    ids = split[split > 1].index.difference(resolutions["record_id"])
    rows = responses[responses["record_id"].isin(ids)]
    return (rows.assign(answer=rows["label"] + " (" + rows["annotator"] + ")")
            .groupby(["record_id", "text"])["answer"].agg(", ".join).reset_index())


def final_labels(responses: pd.DataFrame, resolutions: pd.DataFrame) -> pd.DataFrame:
    """One label per record: the resolution when there is one, else the answers' majority when it is
    unique (ties stay out until resolved). Columns record_id, text, label, answers, source."""
    rows = []
    resolved = dict(zip(resolutions["record_id"], resolutions["label"]))
    for (rid, text), group in responses.groupby(["record_id", "text"]):
        counts = group["label"].value_counts()
        if rid in resolved:
            rows.append((rid, text, resolved[rid], len(group), "resolved"))
        elif len(counts) == 1 or counts.iloc[0] > counts.iloc[1]:
            rows.append((rid, text, counts.index[0], len(group), "unanimous" if len(counts) == 1 else "majority"))
    return pd.DataFrame(rows, columns=["record_id", "text", "label", "answers", "source"])


def likely_label_errors(texts: list[str], labels: list[str], embeddings: np.ndarray, seed: int) -> pd.DataFrame:
    """Answers that a cross-validated model strongly disagrees with (cleanlab ``find_label_issues``).

    The model is a logistic regression on the texts' embeddings, fitted 5-fold, so no answer is judged by
    a model that saw it. Returns text, given label, the model's label and its probability, worst first;
    empty when fewer than 2 answers per label make cross-validation impossible.
    """
    from cleanlab.filter import find_label_issues
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y_names = sorted(set(labels))
    y = np.array([y_names.index(lab) for lab in labels])
    counts = np.bincount(y, minlength=len(y_names))
    if len(y_names) < 2 or counts.min() < 2:
        return pd.DataFrame(columns=["text", "given", "model", "model_probability"])
    folds = StratifiedKFold(n_splits=int(min(5, counts.min())), shuffle=True, random_state=seed)
    probs = cross_val_predict(LogisticRegression(max_iter=2000, C=10.0), embeddings, y, cv=folds,
                              method="predict_proba")
    issues = find_label_issues(y, probs, return_indices_ranked_by="self_confidence")
    return pd.DataFrame({"text": [texts[i] for i in issues], "given": [labels[i] for i in issues],
                         "model": [y_names[int(probs[i].argmax())] for i in issues],
                         "model_probability": [round(float(probs[i].max()), 3) for i in issues]})

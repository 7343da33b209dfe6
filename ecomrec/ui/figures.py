"""Plotly figure builders: plain data in, figure out."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ecomrec import schema as S


def category_treemap(products: pd.DataFrame) -> go.Figure:
    """Products per department and leaf category; area = number of products."""
    parts = products[S.CATEGORY].str.split(S.CATEGORY_SEP)
    df = pd.DataFrame({"department": parts.str[0], "category": parts.str[-1]})
    counts = df.value_counts().rename("products").reset_index()
    fig = px.treemap(counts, path=[px.Constant("All products"), "department", "category"], values="products",
                     color="department", color_discrete_sequence=px.colors.qualitative.Set2)
    fig.update_traces(hovertemplate="%{label}<br>%{value} products<extra></extra>", root_color="#f5f5f5")
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=420)
    return fig


def event_funnel(events: pd.DataFrame) -> go.Figure:
    """How many events of each type the shoppers produced, in funnel order."""
    order = [t for t in S.EVENT_TYPES if t in set(events[S.EVENT_TYPE])]
    counts = events[S.EVENT_TYPE].value_counts().reindex(order).fillna(0)
    fig = px.bar(x=counts.values, y=[t.replace("_", " ") for t in counts.index], orientation="h",
                 labels={"x": "events", "y": ""}, text=counts.values)
    fig.update_traces(marker_color="#4C78A8", texttemplate="%{text:,}")
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=260, yaxis=dict(autorange="reversed"))
    return fig


def embedding_scatter(points: pd.DataFrame, colour_by: str = "department",
                      highlight: set[str] | None = None) -> go.Figure:
    """The catalog's 2-D embedding map; hover shows the title. ``highlight`` greys out the rest."""
    pts = points.copy()
    pts["size"] = 5.0
    if highlight is not None:
        hit = pts[S.PRODUCT_ID].isin(highlight)
        pts[colour_by] = pts[colour_by].where(hit, "other products")
        pts.loc[hit, "size"] = 9.0
        pts = pts.assign(_hit=hit).sort_values("_hit", kind="stable")  # grey first, highlights on top
    pts["leaf"] = pts[S.CATEGORY].map(S.leaf)
    fig = px.scatter(pts, x="x", y="y", color=colour_by, hover_name=S.TITLE, size="size", size_max=9,
                     hover_data={"x": False, "y": False, "size": False, "leaf": True, S.BRAND: True,
                                 S.PRICE: ":.2f", colour_by: False},
                     color_discrete_map={"other products": "#dddddd"}, render_mode="webgl")
    fig.update_traces(marker=dict(opacity=0.85, line=dict(width=0)))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=560, legend_title_text=colour_by,
                      xaxis=dict(visible=False), yaxis=dict(visible=False))
    # each group's name at its median position, for the largest groups: the map reads without the legend
    groups = pts[pts[colour_by] != "other products"].assign(name=lambda d: d[colour_by].astype(str).map(S.leaf))
    for name, g in groups.groupby("name").filter(lambda g: len(g) >= 2).groupby("name"):
        if name in groups["name"].value_counts().index[:MAP_LABELS]:
            fig.add_annotation(x=float(g["x"].median()), y=float(g["y"].median()), text=f"<b>{name}</b>",
                               showarrow=False, font=dict(size=11, color="#222"), bgcolor="rgba(255,255,255,0.7)")
    return fig


MAP_LABELS = 25  # group names written on the map, largest groups first: more would cover the dots


def loss_curve(losses: list[float], val_points: list[tuple[int, float]], metric: str = "macro-F1") -> go.Figure:
    """Training loss per step (line) and the validation ``metric`` at each epoch's end (markers, right axis)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(range(1, len(losses) + 1)), y=losses, mode="lines", name="training loss",
                             line=dict(color="#4C78A8")))
    if val_points:
        steps, f1 = zip(*val_points)
        fig.add_trace(go.Scatter(x=list(steps), y=list(f1), mode="markers+lines", name=f"validation {metric}",
                                 yaxis="y2", marker=dict(size=9, color="#F58518")))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=300, xaxis_title="step",
                      yaxis=dict(title="loss"), yaxis2=dict(title=metric, overlaying="y", side="right",
                                                            range=[0, 1], dtick=0.2, showgrid=False),
                      legend=dict(orientation="h", y=1.12))
    return fig


def per_class_f1(new: dict[str, float], active: dict[str, float] | None) -> go.Figure:
    """F1 per class of the new version beside the active one's."""
    labels = sorted(new)
    fig = go.Figure(go.Bar(x=labels, y=[new[k] for k in labels], name="new version", marker_color="#4C78A8"))
    if active:
        fig.add_trace(go.Bar(x=labels, y=[active.get(k, 0.0) for k in labels], name="active version",
                             marker_color="#BAB0AC"))
    fig.update_layout(barmode="group", margin=dict(t=10, l=0, r=0, b=0), height=300,
                      yaxis=dict(title="F1", range=[0, 1]), legend=dict(orientation="h", y=1.12))
    return fig


def confusion_matrix(y_true: list[str], y_pred: list[str]) -> go.Figure:
    """Rows: true label; columns: predicted; cells: share of the row."""
    labels = sorted(set(y_true) | set(y_pred))
    table = pd.crosstab(pd.Categorical(y_true, labels), pd.Categorical(y_pred, labels), dropna=False)
    share = table.div(table.sum(axis=1).replace(0, 1), axis=0)
    fig = px.imshow(share, x=labels, y=labels, color_continuous_scale="Blues", zmin=0, zmax=1, text_auto=".2f",
                    labels={"x": "predicted", "y": "true", "color": "share"})
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=420)
    return fig


def metric_bars(values: dict[str, float], title: str) -> go.Figure:
    """One bar per model or setting (e.g. dense only / active / new version) for one metric."""
    names = list(values)
    colours = (["#BAB0AC", "#D8D2CF", "#9ECAE9", "#4C78A8", "#F58518", "#72B7B2"] * 2)[:len(names)]
    fig = go.Figure(go.Bar(x=names, y=[values[n] for n in names], marker_color=colours,
                           text=[f"{values[n]:.3f}" for n in names], textposition="outside"))
    top = max(values.values(), default=1.0)
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=300,
                      yaxis=dict(title=title, range=[0, min(1.0, top * 1.15) or 1.0]))
    return fig


def intent_probabilities(probabilities: dict[str, float]) -> go.Figure:
    """Every intent's probability, the most likely on top."""
    items = sorted(probabilities.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _, v in items], y=[k for k, _ in items], orientation="h",
                           marker_color=["#4C78A8" if v == items[-1][1] else "#BAB0AC" for _, v in items],
                           text=[f"{v:.0%}" for _, v in items], textposition="outside"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=280, xaxis=dict(title="probability", range=[0, 1.1]))
    return fig


def token_attributions(label: str, tokens: list[str], weights: list[float]) -> go.Figure:
    """Each word's push on ``label``: green raised its log-odds, red lowered them (query order, top to bottom)."""
    fig = go.Figure(go.Bar(x=weights, y=[f"{i + 1}. {t}" for i, t in enumerate(tokens)], orientation="h",
                           marker_color=["#54A24B" if w >= 0 else "#E45756" for w in weights],
                           text=[f"{w:+.2f}" for w in weights], textposition="outside"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=max(180, 34 * len(tokens) + 60),
                      yaxis=dict(autorange="reversed"),
                      xaxis=dict(title=f"how much each word pushes the query towards {label} (log-odds: without "
                                       "the word, the model is this much less sure)",
                                 zeroline=True, zerolinecolor="#888"))
    return fig


def score_waterfall(components: dict[str, float], score: float) -> go.Figure:
    """The components of one item's score as a waterfall that ends exactly at the score."""
    names = [n for n in components if abs(components[n]) > 1e-6]
    fig = go.Figure(go.Waterfall(
        x=[n.replace("_", " ") for n in names] + ["score"], y=[components[n] for n in names] + [score],
        measure=["relative"] * len(names) + ["total"], text=[f"{components[n]:+.3f}" for n in names] + [f"{score:.3f}"],
        textposition="outside", connector=dict(line=dict(color="#bbb")),
        increasing=dict(marker_color="#54A24B"), decreasing=dict(marker_color="#E45756"),
        totals=dict(marker_color="#4C78A8")))
    fig.update_layout(margin=dict(t=20, l=0, r=0, b=0), height=260, yaxis=dict(title="contribution to score"),
                      xaxis=dict(automargin=True), showlegend=False)
    return fig


def interest_bars(shares: dict[str, float], top: int = 8) -> go.Figure:
    """A profile's interest shares (categories, brands or price bands), largest on top."""
    items = sorted(shares.items(), key=lambda kv: -kv[1])[:top][::-1]
    fig = go.Figure(go.Bar(x=[v for _, v in items], y=[S.leaf(k) for k, _ in items], orientation="h",
                           marker_color="#4C78A8", text=[f"{v:.0%}" for _, v in items], textposition="outside"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=max(140, 28 * len(items) + 50),
                      xaxis=dict(title="share of interest", range=[0, 1.15], tickformat=".0%"))
    return fig


def contributions(labels: list[str], values: list[float]) -> go.Figure:
    """Leave-one-out: how much the score drops when each history product is left out."""
    fig = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h",
                           marker_color=["#54A24B" if v >= 0 else "#E45756" for v in values[::-1]],
                           text=[f"{v:+.2f}" for v in values[::-1]], textposition="outside"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=max(140, 30 * len(labels) + 50),
                      xaxis=dict(title="score lost without it",  # room for the labels outside the bars
                                 range=[min(0.0, min(values, default=0.0)) * 1.3, max(values, default=1.0) * 1.3]))
    return fig


def model_vs_baseline(records: dict[str, dict], labels: dict[str, str]) -> go.Figure:
    """Each task's model and strongest baseline as dots with 95 % interval whiskers, one row per task."""
    rows = [(name, r) for name, r in records.items() if "skipped" not in r]
    fig = go.Figure()
    for key, colour, label in (("baseline", "#BAB0AC", "strongest baseline"), ("model", "#4C78A8", "model")):
        fig.add_trace(go.Scatter(
            x=[r[key] for _, r in rows], y=[f"{labels.get(n, n)} ({r['metric']})" for n, r in rows],
            mode="markers", name=label, marker=dict(color=colour, size=11),
            error_x=dict(type="data", symmetric=False, array=[r[f"{key}_ci"][1] - r[key] for _, r in rows],
                         arrayminus=[r[key] - r[f"{key}_ci"][0] for _, r in rows]),
            customdata=[r["baseline_name"] for _, r in rows],
            hovertemplate="%{y}: %{x:.3f}" + (" (%{customdata})" if key == "baseline" else "") + "<extra></extra>"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=60 + 34 * len(rows),
                      xaxis=dict(title="score (95 % interval)", range=[0, 1]), yaxis=dict(autorange="reversed"),
                      legend=dict(orientation="h", y=1.02, x=0))
    return fig


def label_pairs(table: pd.DataFrame, x_title: str, y_title: str) -> go.Figure:
    """A label x label table of counts (e.g. two annotators' answers to the same records)."""
    fig = px.imshow(table, x=list(table.columns), y=list(table.index), color_continuous_scale="Blues",
                    text_auto=True, labels={"x": x_title, "y": y_title, "color": "answers"})
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=380)
    return fig


def learning_curves(curves: dict[str, list[tuple[int, float]]], target: float) -> go.Figure:
    """Macro-F1 against labels used, one line per queue order, with the all-labels F1 as a dashed line."""
    fig = go.Figure()
    for (name, points), colour in zip(curves.items(), ("#F58518", "#4C78A8")):
        fig.add_trace(go.Scatter(x=[n for n, _ in points], y=[f for _, f in points], mode="lines+markers",
                                 name=name, line=dict(color=colour)))
    fig.add_hline(y=target, line_dash="dash", line_color="#888", annotation_text="F1 with every label")
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=320, xaxis_title="labels used",
                      yaxis_title="macro-F1 on held-out queries")
    return fig


def reliability(table: pd.DataFrame) -> go.Figure:
    """A reliability diagram: per confidence bin, how often the model was right (bars) against how sure it was
    (the diagonal: a calibrated model's bars reach it).

    Args:
        table: :func:`ecomrec.evaluation.calibration.reliability`.
    """
    mid = (table["low"] + table["high"]) / 2
    fig = go.Figure(go.Bar(x=mid, y=table["accuracy"], width=0.09, marker_color="#4C78A8",
                           name="right this often",
                           customdata=table[["count", "confidence"]],
                           hovertemplate="sure %{customdata[1]:.0%} · right %{y:.0%} · %{customdata[0]} queries"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#E45756", dash="dash"),
                             name="as sure as right"))
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=300, legend=dict(orientation="h", y=1.1),
                      xaxis=dict(title="how sure the model was (confidence)", range=[0, 1]),
                      yaxis=dict(title="share right", range=[0, 1.05]))
    return fig


def labels_per_label_curve(rows: list[dict]) -> go.Figure:
    """Validation macro-F1 against labelled queries per label, one line per method (log-scaled x)."""
    frame = pd.DataFrame(rows)
    fig = px.line(frame, x="per_label", y="val_macro_f1", color="method", markers=True,
                  labels={"per_label": "labelled queries per label", "val_macro_f1": "macro-F1 (validation)",
                          "method": ""})
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=300, legend=dict(orientation="h", y=1.12),
                      xaxis=dict(type="log", tickvals=sorted(frame["per_label"].unique())), yaxis=dict(range=[0, 1]))
    return fig

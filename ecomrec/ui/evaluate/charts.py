"""The Evaluate page's Plotly figures: plain data in, figure out."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

STRONG, OTHER, BASELINE = "#2E7D32", "#4C78A8", "#9E9E9E"


def _text(values) -> list[str]:
    """User text (queries) as Plotly labels, shown as typed: Plotly reads a few HTML tags (<a href>, <b>, <br>)
    in labels, so angle brackets become look-alikes."""
    return [str(v).replace("<", "‹").replace(">", "›") for v in values]


def system_bars(table: pd.DataFrame, metric: str, title: str) -> go.Figure:
    """One bar per system (``label``) with its mean ``metric`` and 95 % interval whiskers; the strongest in green.

    Args:
        table: :meth:`ecomrec.services.relevance.EvalRun.table` (columns ``label``, ``strongest``, ``<metric>``,
            ``<metric> lo``, ``<metric> hi``).
    """
    t = table.iloc[::-1]  # the first system on top
    colours = [STRONG if s else OTHER for s in t["strongest"]]
    fig = go.Figure(go.Bar(
        x=t[metric], y=t["label"], orientation="h", marker_color=colours,
        error_x=dict(type="data", symmetric=False, array=t[f"{metric} hi"] - t[metric],
                     arrayminus=t[metric] - t[f"{metric} lo"], color="#424242", thickness=1.2),
        text=[f"{v:.3f}" for v in t[metric]], textposition="inside", insidetextanchor="start",
        customdata=t[[f"{metric} lo", f"{metric} hi"]].to_numpy(),
        hovertemplate="%{y}<br>%{x:.3f} (95 % interval %{customdata[0]:.3f} – %{customdata[1]:.3f})<extra></extra>"))
    fig.update_layout(margin=dict(t=30, l=0, r=10, b=0), height=60 + 44 * len(t), title=title,
                      xaxis=dict(range=[0, max(1.0, float(t[f"{metric} hi"].max()) * 1.05)]))
    return fig


def query_differences(diff: pd.DataFrame, a: str, b: str, a_label: str, b_label: str, top: int = 20) -> go.Figure:
    """The ``top`` queries where systems ``a`` and ``b`` differ most: a bar per query, right when ``a`` is better."""
    d = diff.head(top).iloc[::-1]
    colours = [STRONG if v > 0 else "#C62828" for v in d["difference"]]
    fig = go.Figure(go.Bar(x=d["difference"], y=_text(d["query"]), orientation="h", marker_color=colours,
                           customdata=d[[a, b]].to_numpy() if a != b else None,
                           hovertemplate="%{y}<br>difference %{x:+.3f}<extra></extra>"))
    fig.update_layout(margin=dict(t=30, l=0, r=10, b=0), height=80 + 24 * len(d),
                      title=f"← {b_label} better · {a_label} better →", title_font_size=13,
                      xaxis=dict(range=[-1.05, 1.05], zeroline=True, zerolinecolor="#616161"))
    return fig


def trial_history(history: pd.DataFrame, active: float, default: float, scored_on: str = "validation"
                  ) -> go.Figure:
    """Each tuning trial's NDCG@10 on the queries it was ``scored_on`` (dots), the best so far (line), the active
    profile and the defaults (dashed)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=history["trial"], y=history["ndcg@10"], mode="markers", name="trial",
                             marker=dict(color=OTHER, size=6, opacity=0.6)))
    fig.add_trace(go.Scatter(x=history["trial"], y=history["best"], mode="lines", name="best so far",
                             line=dict(color=STRONG, width=2, shape="hv")))
    fig.add_hline(y=active, line_dash="dash", line_color="#616161", annotation_text="active profile",
                  annotation_position="bottom right")
    if abs(default - active) > 1e-9:
        fig.add_hline(y=default, line_dash="dot", line_color=BASELINE, annotation_text="defaults",
                      annotation_position="top right")
    fig.update_layout(margin=dict(t=10, l=0, r=0, b=0), height=300, xaxis_title="trial",
                      yaxis_title=f"{scored_on} NDCG@10", legend=dict(orientation="h", y=1.1))
    return fig


def agreement_bars(table: pd.DataFrame, k: int, top: int = 15) -> go.Figure:
    """The ``top`` queries whose first ``k`` changed most: their RBO and overlap@k (0 = nothing in common)."""
    d = table.head(top).iloc[::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=d[f"overlap@{k}"], y=_text(d["query"]), orientation="h",
                         name=f"same products in the top {k}",
                         marker_color=BASELINE))
    fig.add_trace(go.Bar(x=d["rbo"], y=_text(d["query"]), orientation="h", name="rank-biased overlap",
                         marker_color=OTHER))
    fig.update_layout(barmode="group", margin=dict(t=10, l=0, r=0, b=0), height=100 + 36 * len(d),
                      xaxis=dict(range=[0, 1]), legend=dict(orientation="h", y=1.08))
    return fig

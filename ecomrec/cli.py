"""Command line: `python -m ecomrec <command> ...` (see `--help`)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from ecomrec.config import SAMPLE_DATA_DIR
from ecomrec.roles import ROLES


def _tqdm_progress(desc: str):
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="item")

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_sample_data(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ecomrec.data.sample.generate import SampleConfig, generate

    bar = tqdm(total=100, desc="sample data", unit="%")

    def progress(stage: str, frac: float) -> None:
        if round(frac * 100) != bar.n or stage != bar.postfix:
            bar.set_postfix_str(stage, refresh=False)
            bar.n = round(frac * 100)
            bar.refresh()

    config = SampleConfig(seed=args.seed)
    if args.products:
        config = replace(config, n_products=args.products)
    counts = generate(Path(args.out), config, progress)
    bar.close()
    for file, n in counts.items():
        print(f"{file}: {n} rows")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ecomrec.data.importer import parse_mapping, run_import

    policy = "skip" if args.on_bad_rows == "skip" else "all"
    report = run_import(args.file, args.into, preset=args.preset, kind=args.kind, mapping=parse_mapping(args.map),
                        fmt=args.format, policy=policy, encoding=args.encoding)
    print(report.summary())
    if report.rejects:
        print(f"{len(report.rejects)} rejected row(s) listed in {Path(args.into) / 'rejects.csv'}")
    return 0


def cmd_build_cache(args: argparse.Namespace) -> int:
    from ecomrec import first_run
    from ecomrec.engine import Engine

    engine = Engine.load(args.data)
    if args.models_only:  # the background process `--background` starts
        status = first_run.run(engine, lambda role, progress: engine.models.train(role, progress=progress))
        for stage, why in status.errors.items():
            print(f"{stage}: not trained: {why}")
        print(f"first run done: {', '.join(status.done) or 'nothing to do'}")
        return 0
    if engine.embeddings.on_disk():
        print(f"catalog embeddings: cached ({engine.embeddings.cache_file().name})")
    engine.embeddings.catalog_embeddings(_tqdm_progress("encoding catalog"))
    print("catalog map: ", end="", flush=True)
    engine.embeddings.embedding_map()
    print("ready")
    print(f"queries are encoded by: {engine.embeddings.encoder.prepare_queries()}")
    todo = first_run.stages(engine)  # the app never shows an untrained model
    if args.background:
        status = first_run.start(args.data, engine.models.registry.root, todo)
        if status is not None:
            print(f"training in the background (process {status.pid}): "
                  f"{', '.join(status.label(s) for s in status.stages)}; the app's sidebar shows how far it is, "
                  f"its log is {engine.models.registry.root / first_run.LOG_FILE}")
        return 0
    if first_run.CART in todo:
        bar = _tqdm_progress("cart list (what goes together, from the shop's baskets)")
        engine.recs.cart_choice(lambda stage, frac: bar(round(frac * 1000), 1000))
    for role in (r.name for r in ROLES.values() if r.first_run):
        if role not in todo:  # active already, or this data set cannot train it (the app says so on its pages)
            active = engine.models.active(role)
            print(f"{role} model: {active} active" if active else
                  f"{role}: not trained: {engine.models.cannot_train(role)}")
            continue
        print(f"no active {role} model yet: training the default one (first run only)")
        try:
            manifest = train_role(engine, role)
        except ValueError as exc:  # too little to learn from after all
            print(f"{role}: not trained: {exc}")
            continue
        print(f"{role}: version {manifest.version} active")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from ecomrec.bench import run

    only = [s.strip() for s in args.only.split(",")] if args.only else None
    results = run(Path(args.data), only, Path(args.json) if args.json else None)
    print(json.dumps(results, indent=2))
    if "honest" in results:
        from ecomrec.config import REPO_ROOT
        from ecomrec.honest import RESULTS_FILE, markdown_table

        if Path(args.data).resolve() == SAMPLE_DATA_DIR.resolve():  # what README and Home quote
            (REPO_ROOT / RESULTS_FILE).parent.mkdir(exist_ok=True)
            (REPO_ROOT / RESULTS_FILE).write_text(json.dumps(results["honest"], indent=2) + "\n")
        print(markdown_table(results["honest"]))
    return 0


def _train_progress_bar(desc: str):
    """A tqdm bar for a training run: steps, epoch, loss and the validation metric when there is one."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="step")

    def progress(p) -> None:
        bar.total = p.total_steps
        extra = {"val": f"{p.val_metric:.3f}"} if p.val_metric is not None else {}
        bar.set_postfix(epoch=p.epoch, loss=f"{p.loss:.3f}", **extra)
        bar.n = p.step
        bar.refresh()

    return bar, progress


def train_role(engine, role: str, lora: bool = False, epochs: int | None = None, lr: float | None = None,
               activate: bool | None = None, student_layers: int | None = None):
    """Train one role with a progress bar; returns the new version's manifest. ``student_layers``: the reranker's
    distilled student (0: none; default: :class:`~ecomrec.models.reranker.RerankerConfig`'s)."""
    spec = ROLES[role]
    overrides: dict = {"seed": engine.config.seed}
    if student_layers is not None:
        if role != "reranker":
            raise ValueError(f"a distilled student is offered for the reranker, not the {role} model")
        if not 0 <= student_layers <= 5:
            raise ValueError(f"--student-layers {student_layers}: MiniLM has 6 layers; give 1 to 5, or 0 for none")
        overrides["student_layers"] = student_layers
    if spec.lora:
        overrides["lora"] = lora
    elif lora:
        offered = ", ".join(r.name for r in ROLES.values() if r.lora)
        raise ValueError(f"LoRA is offered for {offered}, not the {role} model")
    if epochs is not None:
        overrides["epochs"] = epochs
    if lr is not None:
        overrides["lora_learning_rate" if lora else "learning_rate"] = lr
    method = f" ({'LoRA' if lora else 'full'})" if spec.lora else ""
    bar, progress = _train_progress_bar(f"training {role}{method}")
    manifest = engine.models.train(role, spec.config(**overrides), progress, activate=activate)
    bar.close()
    return manifest


def cmd_train(args: argparse.Namespace) -> int:
    from ecomrec.engine import Engine

    engine = Engine.load(args.data)
    manifest = train_role(engine, args.role, args.lora, args.epochs, args.lr, True if args.activate else None,
                          args.student_layers)
    print(json.dumps({"version": manifest.version, "active": engine.models.active(args.role),
                      "train_s": manifest.train_s, "metrics": manifest.metrics}, indent=2))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ecomrec.engine import Engine

    engine = Engine.load(args.data)
    print(json.dumps({**engine.catalog.counts(), **engine.status()}, indent=2))
    return 0


def _gains_text(gains: dict[str, float]) -> str:
    """A gain table as ``--gains`` takes it: ``1=0,2=0.3333,3=0.6667,4=1``."""
    return ",".join(f"{g}={v:.4g}" for g, v in gains.items())


def cmd_judgments_import(args: argparse.Namespace) -> int:
    from ecomrec.engine import Engine

    relevance = Engine.load(args.data).relevance
    columns = {"query": args.query, "query_id": args.query_id, "product_id": args.product_id, "title": args.title,
               "grade": args.grade}
    parsed = relevance.read_file(args.file, columns, args.format, args.encoding, args.topics)
    print(parsed.summary())
    print(f'proposed gains ({parsed.scale}): --gains "{_gains_text(parsed.proposed)}"' if parsed.proposed
          else f"no gains proposed: {parsed.scale}")
    if args.gains:
        gains = relevance.parse_gains(args.gains)
    elif args.accept_proposed_gains and parsed.proposed:
        gains = parsed.proposed
    else:
        print("error: no gain table chosen: pass --gains \"GRADE=GAIN,...\" (the proposal above, changed as you "
              "like)" + (" or --accept-proposed-gains" if parsed.proposed else ""), file=sys.stderr)
        return 2
    policy = "skip" if args.on_bad_rows == "skip" else "all"
    jl = relevance.import_file(parsed, args.name, gains, policy=policy)
    c = jl.counts
    print(f"judgment list {jl.name!r}: {c['pairs']} pairs, {c['queries']} queries ({c['relevant_queries']} with a "
          f"relevant product); {c['unmatched']} unmatched, {c['rejected']} rejected row(s); gains "
          f"{_gains_text(jl.gains)}; stored in {relevance.folder}")
    if len(jl.rejects):
        print(jl.rejects.head(10).to_string(index=False))
    return 0


def cmd_judgments_list(args: argparse.Namespace) -> int:
    from ecomrec.engine import Engine

    table = Engine.load(args.data).relevance.lists()
    print(table.to_string(index=False) if len(table) else "no judgment lists yet")
    return 0


def cmd_judgments_from_clicks(args: argparse.Namespace) -> int:
    from ecomrec.engine import Engine

    engine = Engine.load(args.data)
    jl = engine.relevance.from_clicks(args.name, exclude=() if args.keep_held_out else None)
    c = jl.counts
    print(f"judgment list {jl.name!r}: {c['pairs']} pairs, {c['queries']} queries from {c['clicks']} search clicks "
          f"({c['queries_dropped']} queries with fewer than 2 clicked products dropped); stored in "
          f"{engine.relevance.folder}\n{jl.notes}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m ecomrec", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sample-data", help="generate the sample data set (deterministic)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--products", type=int, help="catalog size (default 3600; e.g. 50000 to measure the app at "
                   "scale; queries and shoppers stay as they are)")
    p.add_argument("--out", default=str(SAMPLE_DATA_DIR))
    p.set_defaults(fn=cmd_sample_data)
    p = sub.add_parser("import", help="import a CSV/TSV/Parquet/JSONL file into a data set folder")
    p.add_argument("file")
    p.add_argument("--into", required=True, help="data set folder to write (created if missing)")
    p.add_argument("--preset", choices=["baskets", "wands", "online_retail", "flipkart"],
                   help="baskets: one basket a line, items comma-separated (e.g. arules' Groceries)")
    p.add_argument("--kind", choices=["products", "queries", "events", "promotions", "orders"],
                   help="what the file holds; orders = order lines, imported as purchase events")
    p.add_argument("--map", action="append", help="column mapping source=target[,source=target...]; map several "
                   "columns to category to join them (department=category,aisle=category)")
    p.add_argument("--format", choices=["csv", "tsv", "parquet", "jsonl", "json"])
    p.add_argument("--encoding", default="utf-8", help="text encoding of the file (e.g. cp1252, latin-1)")
    p.add_argument("--on-bad-rows", choices=["fail", "skip"], default="fail",
                   help="fail: import nothing when a row is bad (default); skip: import the good rows and write "
                        "the rejected ones to rejects.csv beside the data set")
    p.set_defaults(fn=cmd_import)
    p = sub.add_parser("build-cache", help="encode the catalog, build its 2-D map and train the default intent "
                                          "model, reranker and sequential recommender (each skipped when there)")
    p.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    p.add_argument("--background", action="store_true",
                   help="encode the catalog, then train the missing models in a background process and return at "
                        "once (`make run`: the app serves while they train; its sidebar shows how far they are)")
    p.add_argument("--models-only", action="store_true", help=argparse.SUPPRESS)  # that background process
    p.set_defaults(fn=cmd_build_cache)
    p = sub.add_parser("bench", help="benchmarks; writes one JSON object")
    p.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    p.add_argument("--json", help="write results to this file")
    p.add_argument("--only", help="comma-separated sections (default: all)")
    p.set_defaults(fn=cmd_bench)
    p = sub.add_parser("train", help="fine-tune a model and save it in the registry")
    p.add_argument("role", choices=list(ROLES))
    p.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float, help="learning rate (default depends on --lora)")
    p.add_argument("--lora", action="store_true", help="LoRA adapters instead of full fine-tuning (intent, reranker)")
    p.add_argument("--activate", action="store_true", help="make the new version active (default: only if none is)")
    p.add_argument("--student-layers", type=int,
                   help="reranker only: layers of the distilled student, kept only within 0.01 validation NDCG@10 of "
                        "the full reranker (0: no student; default 3)")
    p.set_defaults(fn=cmd_train)
    p = sub.add_parser("status", help="data set counts, model and device")
    p.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    p.set_defaults(fn=cmd_status)
    p = sub.add_parser("judgments", help="judgment lists: import a judged file, list them, build one from clicks")
    jsub = p.add_subparsers(dest="judgments_command", required=True)
    j = jsub.add_parser("import", help="import a judgment file (CSV/TSV/JSONL/Parquet or TREC qrels) as a list")
    j.add_argument("file")
    j.add_argument("--data", default=str(SAMPLE_DATA_DIR), help="the data set folder whose catalog it judges")
    j.add_argument("--name", required=True, help="the list's name (made a safe file name)")
    j.add_argument("--query", help="column of the query text (default: guessed, e.g. query, search_term)")
    j.add_argument("--query-id", help="column of query ids whose text --topics gives (TREC qrels: always)")
    product = j.add_mutually_exclusive_group()
    product.add_argument("--product-id", help="column of catalog product ids (default: guessed, e.g. product_id)")
    product.add_argument("--title", help="column of product titles, matched to the catalog's (casefolded, "
                                         "spacing collapsed, end punctuation stripped)")
    j.add_argument("--grade", help="column of the grade (default: guessed, e.g. grade, relevance, label)")
    j.add_argument("--topics", help="file of query_id and query text for files of query ids (default: the id is "
                                    "the text)")
    j.add_argument("--format", choices=["csv", "tsv", "parquet", "jsonl", "json", "trec"])
    j.add_argument("--encoding", default="utf-8", help="text encoding of the file (e.g. cp1252, latin-1)")
    table = j.add_mutually_exclusive_group()
    table.add_argument("--gains", help='grade -> gain table, e.g. "1=0,2=0.33,3=0.67,4=1" (see the proposal)')
    table.add_argument("--accept-proposed-gains", action="store_true", help="use the proposal (printed first)")
    j.add_argument("--on-bad-rows", choices=["fail", "skip"], default="fail",
                   help="fail: import nothing when a row is bad or unmatched (default); skip: import the good rows")
    j.set_defaults(fn=cmd_judgments_import)
    j = jsub.add_parser("list", help="the data set's judgment lists")
    j.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    j.set_defaults(fn=cmd_judgments_list)
    j = jsub.add_parser("from-clicks", help="a list from the data set's search clicks (COEC gains per query)")
    j.add_argument("--data", default=str(SAMPLE_DATA_DIR))
    j.add_argument("--name", default="clicks", help="the list's name (default: clicks)")
    j.add_argument("--keep-held-out", action="store_true", help="keep the data set's held-out test queries "
                   "(left out by default, so the list can train and tune)")
    j.set_defaults(fn=cmd_judgments_from_clicks)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point; user errors print one clear line and exit 2, never a traceback."""
    from ecomrec.schema import ValidationError

    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (ValidationError, ValueError, FileNotFoundError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

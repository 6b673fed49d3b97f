"""Run the shared widget harness for several engines on one embedded control plane; print (and write) one table.

    python -m bench.widgets.side_by_side --run-py PATH/run.py --sizes 300 2000 --steady 15 \\
        --engine "teamop=python -m bench.widgets" --engine "controller-runtime=widgets-cr --workers 1" ...

The first engine is the subject: the table gives its ratio to each of the others. `bench/run-widgets` is the
command that builds the anchors and calls this; the harness and the anchors are passed in as paths and commands,
so nothing here reads outside the repository by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.widgets import CRD
from teamop.testing.controlplane import ControlPlane

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "bench" / "README.md"
SECTION = "## Widgets"

# (result key, column title, format)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("converge_s", "converge s", "{:.2f}"),
    ("quiet_s", "quiet s", "{:.2f}"),
    ("requests_per_widget", "requests / widget", "{:.2f}"),
    ("steady_writes", "steady writes", "{:d}"),
    ("restart_writes", "restart writes", "{:d}"),
    ("rss_mb", "RSS MB", "{:d}"),
)


@dataclass(frozen=True)
class Engine:
    name: str
    command: str


def parse_engine(text: str) -> Engine:
    name, sep, command = text.partition("=")
    if not sep or not name or not command:
        raise argparse.ArgumentTypeError(f"expected NAME=COMMAND, got {text!r}")
    return Engine(name.strip(), command.strip())


def say(message: str) -> None:
    print(f"[run-widgets] {message}", file=sys.stderr, flush=True)


def run_one(plane: ControlPlane, run_py: Path, engine: Engine, n: int, steady: float) -> dict[str, Any]:
    env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig), "PATH": f"{plane.bin_dir}:{os.environ['PATH']}"}
    argv = [sys.executable, str(run_py), "--n", str(n), "--name", engine.name, "--cmd", engine.command,
            "--kubectl", str(plane.bin_dir / "kubectl"), "--steady", str(steady)]
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"run.py for {engine.name} at N={n} failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(lines[-1])
    say(f"{engine.name} N={n} in {time.monotonic() - started:.0f} s: {lines[-1]}")
    return figures


def ratio(subject: float, anchor: float) -> str:
    if anchor == 0:
        return "—" if subject == 0 else "∞"
    return f"{subject / anchor:.2f}x"


# bench/run-widgets also runs the subject with this many workers, under its name and this suffix: kopf runs the
# handlers of every object at once, where the subject and controller-runtime run one reconcile at a time.
CONCURRENT_WORKERS = 4
CONCURRENT_SUFFIX = f"-{CONCURRENT_WORKERS}-workers"

WORST_OF = ("requests_per_widget", "steady_writes", "restart_writes")


def aggregate(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per engine and N from repeated runs: the median of each timing and of memory, the worst of the
    request and write counts, the converge times of every run (`converge_runs`), and the request breakdown of
    the run whose converge time is the median."""
    rows: list[dict[str, Any]] = []
    keys = list(dict.fromkeys((r["engine"], r["n"]) for r in runs))
    for engine, n in keys:
        mine = sorted((r for r in runs if r["engine"] == engine and r["n"] == n), key=lambda r: r["converge_s"])
        middle = mine[(len(mine) - 1) // 2]
        row = dict(middle)
        for key, _, fmt in COLUMNS:
            values = [r[key] for r in mine]
            row[key] = max(values) if key in WORST_OF else statistics.median_low(values) if "d" in fmt else \
                round(statistics.median(values), 2)
        row["converge_runs"] = [r["converge_s"] for r in mine]
        rows.append(row)
    return rows


def table(results: Sequence[dict[str, Any]], subject: str) -> str:
    header = "| engine | N | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    for n in sorted({r["n"] for r in results}):
        at_n = [r for r in results if r["n"] == n]
        mine = next((r for r in at_n if r["engine"] == subject), None)
        for r in at_n:
            cells = [fmt.format(r[key]) for key, _, fmt in COLUMNS]
            name = f"**{r['engine']}**" if r["engine"] == subject else r["engine"]
            lines.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
        if mine is None:
            continue
        variants = [r for r in at_n if r["engine"].startswith(f"{subject}-")]
        anchors = [r for r in at_n if r["engine"] != subject and r not in variants]
        pairs = [(mine, r) for r in anchors] + [(v, r) for v in variants for r in anchors if r["engine"] == "kopf"]
        for left, right in pairs:
            cells = [ratio(left[key], right[key]) for key, _, _ in COLUMNS]
            lines.append(f"| {left['engine']} ÷ {right['engine']} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def breakdown(results: Sequence[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        verbs = ", ".join(f"{k} {v}" for k, v in r["by_verb"].items())
        restart = f"; restart writes {r['restart_writes']}" if r["restart_writes"] else ""
        lines.append(f"- {r['engine']}, N={r['n']}: {verbs}{restart}")
    return "\n".join(lines)


def verdicts(results: Sequence[dict[str, Any]], subject: str, big: int) -> str:
    """The issue's targets, each met or missed, from this run's figures."""
    def find(engine: str, n: int) -> dict[str, Any] | None:
        return next((r for r in results if r["engine"] == engine and r["n"] == n), None)

    out: list[str] = []
    mine = [r for r in results if r["engine"] == subject]
    worst = max((r["requests_per_widget"] for r in mine), default=0.0)
    per = ", ".join("N={}: {:.2f}".format(r["n"], r["requests_per_widget"]) for r in mine)
    writes = {r["n"]: sum(v for k, v in r["by_verb"].items() if not k.endswith(" GET")) / r["n"] for r in mine}
    if worst <= 3.0:
        out.append(f"- requests per widget 3.00: met ({per})")
    elif max(writes.values(), default=0.0) <= 3.0:
        out.append(f"- requests per widget 3.00: met by the engine's writes, 3.00 at every N; the harness counted "
                   f"{per} with the GETs above (garbage collector)")
    else:
        out.append(f"- requests per widget 3.00: missed ({per})")
    total = sum(r["steady_writes"] + r["restart_writes"] for r in mine)
    each = ", ".join("N={}: {} + {}".format(r["n"], r["steady_writes"], r["restart_writes"]) for r in mine)
    out.append(f"- 0 steady and 0 restart writes: {'met' if total == 0 else 'missed'} ({each})")
    me, cr, kopf = find(subject, big), find("controller-runtime", big), find("kopf", big)
    if me and cr:
        value = me["converge_s"] / cr["converge_s"]
        out.append(f"- converge at N={big} ≤ 0.8x controller-runtime: {'met' if value <= 0.8 else 'missed'} "
                   f"({value:.2f}x)")
        rss = me["rss_mb"] / cr["rss_mb"]
        out.append(f"- RSS at N={big} ≤ 1.5x controller-runtime: {'met' if rss <= 1.5 else 'missed'} ({rss:.2f}x)")
    if me and kopf:
        out.append(f"- converge at N={big} never behind kopf: "
                   f"{'met' if me['converge_s'] <= kopf['converge_s'] else 'missed'} "
                   f"({me['converge_s']:.2f} s vs {kopf['converge_s']:.2f} s with one worker)")
        concurrent = find(f"{subject}{CONCURRENT_SUFFIX}", big)
        if concurrent:  # kopf runs every object's handler at once; teamop's match for that is more workers
            out.append(f"  - with {CONCURRENT_WORKERS} workers: "
                       f"{'met' if concurrent['converge_s'] <= kopf['converge_s'] else 'missed'} "
                       f"({concurrent['converge_s']:.2f} s vs {kopf['converge_s']:.2f} s)")
        out.append(f"- RSS at N={big} below kopf: {'met' if me['rss_mb'] < kopf['rss_mb'] else 'missed'} "
                   f"({me['rss_mb']} MB vs {kopf['rss_mb']} MB)")
    return "\n".join(out)


def machine(plane: ControlPlane) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = plane.kubectl("version", "-o", "json", check=False).stdout
    server = json.loads(version).get("serverVersion", {}).get("gitVersion", "?") if version.strip() else "?"
    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"kube-apiserver {server} (embedded control plane); Python {platform.python_version()}; "
            f"load average {load:.1f} at the start")


def write_readme(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n\nFigures from the commands in this folder.\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = section.rstrip("\n") + "\n\n"
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    README.write_text(text.rstrip("\n") + "\n")


def render(runs: Sequence[dict[str, Any]], subject: str, about: str, when: str, steady: float, warmup: int) -> str:
    results = aggregate(runs)
    repeats = max(len(r["converge_runs"]) for r in results)
    warm = f", after an unmeasured warm-up ({subject}, N={warmup})" if warmup else ""
    how = ("One run of each engine, one after the other" if repeats == 1 else
           f"{repeats} runs of each engine, taking turns (the engine that goes first changes each round); the "
           "table gives the median of the timings and of memory and the worst of the counts")
    spread = "\n".join(f"- {r['engine']}, N={r['n']}: " + ", ".join(f"{v:.2f}" for v in r["converge_runs"])
                        for r in results) if repeats > 1 else ""
    return "\n".join([
        SECTION, "",
        f"`bench/run-widgets`, {when}.", "",
        f"Machine: {about}.", "",
        f"{how}, on one embedded control plane{warm}; `--steady {steady:g}`.",
        "Harness and anchors of the shared widget benchmark: controller-runtime v0.23.3 (`CreateOrUpdate`, one",
        "worker), kopf 1.45.2 (every Widget's handler at once); teamop is `python -m bench.widgets` (one worker,",
        f"children of a Widget written together), teamop{CONCURRENT_SUFFIX} the same with `--workers "
        f"{CONCURRENT_WORKERS}`. Absolute seconds follow the machine's load: compare engines within a run.",
        "", table(results, subject), "",
        *(["Converge seconds of every run:", "", spread, ""] if spread else []),
        "Requests counted by the harness from the API server's `apiserver_request_total` (GETs included; they are",
        "not all the engine's own: the garbage collector GETs owners and dependents it has not seen yet):",
        "", breakdown(results), "",
        "Targets (issue 11):", "", verdicts(results, subject, max(r["n"] for r in results)), "",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.widgets.side_by_side", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-py", type=Path, help="the shared harness, run.py")
    parser.add_argument("--engine", type=parse_engine, action="append", default=[], help="NAME=COMMAND")
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 2000])
    parser.add_argument("--steady", type=float, default=15.0, help="seconds of steady state and after a restart")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each engine at each N (medians reported)")
    parser.add_argument("--warmup", type=int, default=50, help="run the first engine at this N first, unmeasured")
    parser.add_argument("--results", type=Path, help="append each engine's JSON line to this file")
    parser.add_argument("--no-readme", action="store_true", help=f"do not write the table into {README}")
    parser.add_argument("--render", type=Path, metavar="RESULTS",
                        help="only render the table of a results file (with --machine, --when, --subject)")
    parser.add_argument("--machine", default="", help="with --render: the machine line")
    parser.add_argument("--when", default="", help="with --render: when the results were measured")
    parser.add_argument("--subject", default="teamop", help="with --render: the engine the ratios are of")
    args = parser.parse_args(argv)

    if args.render:
        results = [json.loads(line) for line in args.render.read_text().splitlines() if line.strip()]
        section = render(results, args.subject, args.machine, args.when, args.steady, args.warmup)
    else:
        if not args.run_py or not args.engine:
            parser.error("--run-py and at least one --engine are needed (or --render)")
        engines: list[Engine] = args.engine
        subject = engines[0].name
        # The CRD goes in before the controller manager starts, so that its garbage collector knows Widgets from
        # the start (else it GETs each owner it has not seen yet, and those requests count for the first engine).
        plane = ControlPlane(crd_paths=[CRD])
        plane.start()
        results = []
        try:
            about = machine(plane)
            say(f"machine: {about}")
            if args.warmup:  # the first measured run should not pay for a control plane that just started
                run_one(plane, args.run_py, engines[0], args.warmup, 1.0)
            for n in args.sizes:
                for round_ in range(args.repeat):
                    turn = round_ % len(engines)
                    for engine in [*engines[turn:], *engines[:turn]]:
                        figures = run_one(plane, args.run_py, engine, n, args.steady)
                        results.append(figures)
                        if args.results:
                            with args.results.open("a") as file:
                                file.write(json.dumps(figures) + "\n")
        finally:
            plane.stop(remove_workdir=True)
        section = render(results, subject, about, time.strftime("%Y-%m-%d %H:%M %Z"), args.steady, args.warmup)
    print(section)
    if not args.no_readme:
        write_readme(section)
        say(f"table written to {README.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

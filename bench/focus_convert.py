"""Billing export -> FOCUS conversion: costwarden against a DuckDB floor and focus-converter.

For every (rows, source kind, file format) the same generated input (``gen_cur.py``) is
converted three ways, each in a fresh process so peak RSS is that run's own (``os.wait4``
returns the child's rusage; a child's ``ru_maxrss`` covers it and the processes it waited for):

* ``floor``: DuckDB reading just the source columns the mapping reads (``needed_columns`` plus
  the tag columns the reader folds into ``Tags``) and writing them to Parquet untransformed, on
  a connection set up like costwarden's (same reader options, ``preserve_insertion_order=false``,
  zstd). Nothing can convert faster than it reads and writes the data it needs.
* ``costwarden``: ``costwarden.focus.convert.convert`` (read -> map -> write -> check ->
  reconcile -> publish), with the time of each stage from its progress callback.
* ``focus-converter``: the FinOps Foundation's converter 1.0.0 (legacy CUR only: it has no CUR
  2.0 plan) from its own venv, FOCUS columns only, Parquet output; ``aws-cur`` plan for the
  ``lineItem/...`` CSV, ``aws`` plan for the Athena-named Parquet. Skipped above
  ``--converter-max-rows`` (it holds the whole input in memory: 4 GB at 1M CSV rows).

Figures: wall seconds of the process (interpreter start and imports included, alike for all
three), input rows per second, CPU seconds, peak RSS; ratios costwarden/floor and
focus-converter/costwarden. Issue 5's targets: costwarden within 1.25x of the floor, peak RSS
<= 1 GiB at 10M rows and flat as N grows.

    python bench/focus_convert.py --rows 1000000 --kinds aws-cur-legacy --formats csv parquet
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gen_cur

ROOT = Path(__file__).resolve().parents[1]
SETUP_HELP = (
    "python3.11 -m venv {venv} && {venv}/bin/pip install 'focus-converter==1.0.0' "
    "'multimethod<2' 'click<8.2'"
)

FLOOR_CHILD = r"""
import json, sys, time
import duckdb
from costwarden.focus.sources import inspect_input, legacy_tag_key, name_key, needed_columns
from pathlib import Path
kind, path, out, threads = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
memory_limit = sys.argv[5]
t0 = time.perf_counter()
con = duckdb.connect()
con.execute("SET preserve_insertion_order = false")
if memory_limit:
    con.execute(f"SET memory_limit = '{memory_limit}'")
if threads:
    con.execute(f"SET threads = {threads}")
have = inspect_input(con, path).columns  # clean name -> raw name, as costwarden sees the file
wanted = {name_key(c) for c in needed_columns(kind)}
cols = [raw for clean, raw in have.items()
        if name_key(clean) in wanted or legacy_tag_key(clean) is not None]
q = lambda n: '"' + n.replace('"', '""') + '"'
if path.suffix == ".parquet":
    reader = f"read_parquet('{path}')"
else:
    reader = f"read_csv('{path}', header = true, all_varchar = true)"
con.execute(f"COPY (SELECT {', '.join(map(q, cols))} FROM {reader}) TO '{out}' "
            "(FORMAT parquet, COMPRESSION zstd)")
rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
print(json.dumps({"rows_out": rows, "columns": len(cols), "inner_s": time.perf_counter() - t0}))
"""

COSTWARDEN_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from costwarden.focus.convert import convert
kind, path, out, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
memory_limit = sys.argv[5] or None
stages, last = {}, [time.perf_counter(), None]
def progress(event):
    now = time.perf_counter()
    if last[1] is not None:
        stages[last[1]] = round(now - last[0], 3)
    last[:] = [now, event.stage]
t1 = time.perf_counter()
result = convert(kind, [path], output=out, progress=progress, threads=threads or None,
                 memory_limit=memory_limit)
end = time.perf_counter()
stages[last[1]] = round(end - last[0], 3)
print(json.dumps({"rows_out": result.rows, "import_s": t1 - t0, "inner_s": end - t1,
                  "stages": stages}))
"""


@dataclass
class Sample:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    ok: bool
    detail: dict[str, object]


def measure(name: str, argv: list[str], *, timeout: float, cwd: Path) -> Sample:
    """Run ``argv`` as a fresh process; wall time, CPU time and peak RSS from its own rusage.

    The child is reaped with ``os.wait4``, which returns that one child's rusage (its
    ``ru_maxrss`` covers it and the descendants it waited for). ``getrusage(RUSAGE_CHILDREN)``
    would not do: its ``ru_maxrss`` is the largest of all children so far.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # A session of its own, so a timeout ends the child and any workers it started.
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Sample(
                    name, timeout, 0.0, 0.0, False, {"error": f"timed out after {timeout:.0f} s"}
                )
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        # focus-converter leaves worker processes behind after an error; end them.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    detail: dict[str, object] = {}
    if proc.returncode != 0:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        detail["error"] = f"exit {proc.returncode}: " + " | ".join(tail)
    else:
        # The result is the last line; DuckDB's progress bar (shown after 2 s) may precede it
        # on the same line.
        at = stdout.rfind('{"rows_out"')
        if at >= 0:
            detail = json.loads(stdout[at:].strip())
        else:
            detail["error"] = "no result line: " + stdout[-300:]
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(name, wall, cpu, usage.ru_maxrss / 1024, proc.returncode == 0, detail)


def converter_argv(venv: Path, src: Path, out: Path) -> list[str] | None:
    exe = venv / "bin" / "focus-converter"
    if not exe.exists():
        return None
    parquet = src.suffix == ".parquet"
    argv = [
        str(exe),
        "convert",
        "--provider",
        "aws" if parquet else "aws-cur",
        "--data-format",
        "parquet" if parquet else "csv",
        "--data-path",
        str(src),
        "--export-path",
        str(out),
        "--export-format",
        "parquet",
        "--no-export-include-source-columns",
    ]
    if parquet:
        argv += ["--parquet-data-format", "file"]
    return argv


def run_case(args: argparse.Namespace, rows: int, kind: str, fmt: str) -> dict[str, object]:
    src = gen_cur.generate(args.workdir, kind, rows, fmt)
    out_root = args.workdir / "out"
    shutil.rmtree(out_root, ignore_errors=True)
    out_root.mkdir(parents=True)
    py = sys.executable
    threads = str(args.threads or 0)
    samples: dict[str, Sample] = {}
    samples["floor"] = measure(
        "floor",
        [
            py,
            "-c",
            FLOOR_CHILD,
            kind,
            str(src),
            str(out_root / "floor.parquet"),
            threads,
            args.memory_limit,
        ],
        timeout=args.timeout,
        cwd=ROOT,
    )
    samples["costwarden"] = measure(
        "costwarden",
        [
            py,
            "-c",
            COSTWARDEN_CHILD,
            kind,
            str(src),
            str(out_root / "costwarden"),
            threads,
            args.memory_limit,
        ],
        timeout=args.timeout,
        cwd=ROOT,
    )
    fc_argv = converter_argv(args.converter_venv, src, out_root / "focus-converter")
    if kind != "aws-cur-legacy" or args.no_converter:
        pass
    elif fc_argv is None:
        print(
            f"  focus-converter not found; set it up with: "
            f"{SETUP_HELP.format(venv=args.converter_venv)}"
        )
    elif rows > args.converter_max_rows:
        print(f"  focus-converter skipped above {args.converter_max_rows:,} rows")
    else:
        samples["focus-converter"] = measure(
            "focus-converter", fc_argv, timeout=args.timeout, cwd=args.workdir
        )
    shutil.rmtree(out_root, ignore_errors=True)
    return report(rows, kind, fmt, src, samples)


def report(
    rows: int, kind: str, fmt: str, src: Path, samples: dict[str, Sample]
) -> dict[str, object]:
    size = src.stat().st_size / 2**20
    print(f"\n{kind} {fmt}, {rows:,} rows ({size:,.0f} MiB)")
    print(f"  {'':16} {'wall s':>8} {'rows/s':>11} {'cpu s':>7} {'peak RSS MiB':>13}  notes")
    for s in samples.values():
        if not s.ok:
            print(f"  {s.name:16} FAILED: {s.detail.get('error')}")
            continue
        notes = ""
        if s.name == "costwarden" and "stages" in s.detail:
            stages = s.detail["stages"]
            assert isinstance(stages, dict)
            notes = "stages " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
        elif s.name == "floor":
            notes = f"{s.detail.get('columns')} columns"
        print(
            f"  {s.name:16} {s.wall_s:8.2f} {rows / s.wall_s:11,.0f} {s.cpu_s:7.1f} "
            f"{s.peak_rss_mib:13,.0f}  {notes}"
        )
    ratios: dict[str, float] = {}
    floor, cw, fc = samples.get("floor"), samples.get("costwarden"), samples.get("focus-converter")
    if floor and cw and floor.ok and cw.ok:
        ratios["costwarden/floor"] = cw.wall_s / floor.wall_s
        ratios["costwarden/floor cpu"] = cw.cpu_s / floor.cpu_s
    if cw and fc and cw.ok and fc.ok:
        ratios["focus-converter/costwarden"] = fc.wall_s / cw.wall_s
        ratios["focus-converter/costwarden rss"] = fc.peak_rss_mib / cw.peak_rss_mib
    if ratios:
        print("  " + "   ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    return {
        "rows": rows,
        "kind": kind,
        "format": fmt,
        "input_mib": round(size),
        "samples": {k: vars(v) for k, v in samples.items()},
        "ratios": ratios,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--kinds", nargs="+", choices=gen_cur.KINDS, default=list(gen_cur.KINDS))
    parser.add_argument(
        "--formats", nargs="+", choices=gen_cur.FORMATS, default=list(gen_cur.FORMATS)
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=gen_cur.DEFAULT_WORKDIR,
        help="inputs are cached here; outputs are written and removed here",
    )
    parser.add_argument("--converter-venv", type=Path, default=gen_cur.DEFAULT_WORKDIR / "venv-fc")
    parser.add_argument("--converter-max-rows", type=int, default=1_000_000)
    parser.add_argument("--no-converter", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    parser.add_argument(
        "--memory-limit",
        default="",
        help="DuckDB memory_limit for floor and costwarden, e.g. 512MB",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    load = os.getloadavg()
    print(
        f"FOCUS conversion benchmark, {os.cpu_count()} cores, load {load[0]:.1f}/{load[1]:.1f}"
        f"/{load[2]:.1f} at start, Python {sys.version.split()[0]}"
    )
    results = []
    for rows in args.rows:
        for kind in args.kinds:
            for fmt in args.formats:
                results.append(run_case(args, rows, kind, fmt))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "shared"))
    main()

#!/usr/bin/env python3
"""bench_filesystem.py - sanctuary-filesystem against ripgrep and @modelcontextprotocol/server-filesystem.

Driven by scripts/bench-filesystem.sh, which installs the peers and builds the release binary.

  bench_filesystem.py --tree DIR --bin target/release/sanctuary-filesystem \
                      --peer .cache/bench/node/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js

1. Generates (once) a deterministic tree under DIR: 53 248 files in 1 088 directories, about 540 MB
   of code-like text, with rare planted lines to search for.
2. grep: three searches (a rare literal, a regex, a case-insensitive literal) with `rg` and with the
   `grep` tool, interleaved, on a warm page cache; wall time per run (the MCP call includes
   the client round trip and JSON), peak RSS; the number of matching lines must agree.
3. directory_tree and search_files: the same calls to server-filesystem and to sanctuary-filesystem
   (caps raised so both return the whole tree; a run with the default caps is shown too), both over
   stdio through the same minimal JSON-RPC client, with peak RSS (VmHWM) of each server.

Prints Markdown for docs/BENCHMARKS.md. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mcp_stdio import StdioServer, text_of

TOP_DIRS = 64
SUB_DIRS = 16
FILES_PER_DIR = 52
SEED = 20261121
LITERAL = "XQZ_NEEDLE_42"
REGEX_LINE = "fn compute_delta_v9(x: u64) -> u64 {"
REGEX = r"fn\s+compute_[a-z]+_v9\("
STAMP = "GENERATED-v2"

WORDS = (
    "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega vector buffer cache "
    "client server request response handler router config value index count total offset "
    "length width height parse render encode decode stream socket channel worker thread "
    "queue stack node graph edge weight score token lexer parser module crate package"
).split()


def line_pool(rng: random.Random) -> list[str]:
    """Code-like lines in several languages; none contains the needles."""
    pool = []
    for _ in range(4000):
        w = rng.sample(WORDS, 4)
        n = rng.randrange(1000)
        kind = rng.randrange(8)
        if kind == 0:
            pool.append(f"fn compute_{w[0]}_v{rng.randrange(9)}({w[1]}: u64) -> u64 {{")
        elif kind == 1:
            pool.append(f"    let {w[0]}_{w[1]} = {w[2]}.{w[3]}({n});")
        elif kind == 2:
            pool.append(f"def {w[0]}_{w[1]}(self, {w[2]}={n}):")
        elif kind == 3:
            pool.append(f"        return self.{w[0]}[{w[1]}] + {n}  # {w[2]} {w[3]}")
        elif kind == 4:
            pool.append(f"const {w[0]}{w[1].title()} = ({w[2]}) => {w[3]} * {n};")
        elif kind == 5:
            pool.append(f"// {w[0]} {w[1]} {w[2]}: keep the {w[3]} within {n} bytes")
        elif kind == 6:
            pool.append("")
        else:
            pool.append(f"    if {w[0]} > {n} {{ {w[1]}.push({w[2]}); }}")
    return pool


def generate(tree: Path) -> None:
    stamp = tree / STAMP
    if stamp.exists():
        return
    t0 = time.monotonic()
    rng = random.Random(SEED)
    pool = line_pool(rng)
    exts = ["rs", "py", "js", "txt", "md"]
    total = 0
    for d in range(TOP_DIRS):
        for s in range(SUB_DIRS):
            directory = tree / f"pkg{d:02d}" / f"sub{s:02d}"
            directory.mkdir(parents=True, exist_ok=True)
            for i in range(FILES_PER_DIR):
                lines = rng.choices(pool, k=rng.randrange(80, 420))
                r = rng.random()
                if r < 0.006:
                    lines.insert(rng.randrange(len(lines)), f"    // {LITERAL} planted")
                elif r < 0.014:
                    lines.insert(rng.randrange(len(lines)), REGEX_LINE)
                text = "\n".join(lines) + "\n"
                total += len(text)
                (directory / f"mod_{i}.{exts[i % len(exts)]}").write_text(text)
    stamp.write_text(f"{total} bytes\n")
    print(f"# generated {TOP_DIRS * SUB_DIRS * FILES_PER_DIR} files, {total / 1e6:.0f} MB in {time.monotonic() - t0:.0f}s", file=sys.stderr)


def run_rg(args: list[str]) -> tuple[float, int, str, float]:
    """One rg run: wall time, peak RSS (KiB), stdout and CPU seconds (user + system)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(["rg", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read() if p.stdout else b""
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"rg {args} failed")
    return dt, ru.ru_maxrss, out.decode(errors="replace"), ru.ru_utime + ru.ru_stime


def ms(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.0f}"


def mib(kb: int) -> str:
    return f"{kb / 1024:.1f}"


def count_tree(nodes: list[dict]) -> int:
    return sum(1 + count_tree(n.get("children") or []) for n in nodes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--peer", required=True, help="server-filesystem's dist/index.js")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    tree = a.tree.resolve()
    generate(tree)
    files = TOP_DIRS * SUB_DIRS * FILES_PER_DIR
    size_mb = int((tree / STAMP).read_text().split()[0]) / 1e6
    threads = os.cpu_count() or 1
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    ours_env = dict(env, FS_ROOTS=str(tree), RUST_LOG="warn", FS_WALK_TIMEOUT="300s", FS_MAX_ENTRIES="1000000", FS_MAX_OUTPUT_BYTES="268435456")
    rg_version = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = os.getloadavg()

    print(f"Tree: {files} files in {TOP_DIRS * SUB_DIRS + TOP_DIRS} directories, {size_mb:.0f} MB (`{tree.relative_to(Path.cwd()) if tree.is_relative_to(Path.cwd()) else tree}`), warm page cache; "
          f"{threads} CPUs, load average {load[0]:.1f} at the start; median of {a.runs} runs after one warm-up, runs interleaved. {rg_version}.")
    print()

    # grep against ripgrep.
    ours = StdioServer("sanctuary-filesystem", [a.bin], ours_env)
    searches = [
        ("rare literal", ["-F", LITERAL], {"pattern": LITERAL, "literal": True, "case": "sensitive"}),
        ("regex", [REGEX], {"pattern": REGEX, "case": "sensitive"}),
        ("case-insensitive literal", ["-i", "-F", LITERAL.lower()], {"pattern": LITERAL.lower(), "literal": True, "case": "insensitive"}),
    ]
    print("| search | matching lines | rg p50 ms | `grep` tool p50 ms | wall ratio | rg CPU ms/run | `grep` CPU ms/run | CPU ratio | rg peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, rg_args, tool_args in searches:
        tool_args = dict(tool_args, max_results=2000)
        rg_times, our_times, rg_rss, rg_cpu, our_cpu = [], [], 0, 0.0, 0.0
        # Warm-up, and the counts both must agree on.
        _, _, out, _ = run_rg(["--count", *rg_args, str(tree)])
        rg_lines = sum(int(l.rsplit(":", 1)[1]) for l in out.splitlines() if l)
        _, res = ours.call("grep", tool_args)
        our_lines = res["structuredContent"]["total_matches"]
        if rg_lines != our_lines or res["structuredContent"].get("truncated"):
            raise SystemExit(f"{label}: rg found {rg_lines} lines, grep {our_lines} ({res['structuredContent'].get('truncated')})")
        for _ in range(a.runs):
            dt, rss, _, cpu = run_rg([*rg_args, str(tree)])
            rg_times.append(dt)
            rg_rss = max(rg_rss, rss)
            rg_cpu += cpu
            before = ours.cpu_s()
            dt = ours.call("grep", tool_args)[0] / 1000
            our_cpu += ours.cpu_s() - before
            our_times.append(dt)
        ratio = statistics.median(our_times) / statistics.median(rg_times)
        rg_c, our_c = rg_cpu / a.runs * 1000, our_cpu / a.runs * 1000
        print(f"| {label} (`{rg_args[-1]}`) | {rg_lines} | {ms(rg_times)} | {ms(our_times)} | {ratio:.2f}× | {rg_c:.0f} | {our_c:.0f} | {our_c / rg_c:.2f}× | {mib(rg_rss)} |")
    grep_peak = ours.status_kb("VmHWM")
    ours.close()
    print()
    print(f"sanctuary-filesystem peak RSS over all grep runs: {mib(grep_peak)} MiB (`FS_GREP_THREADS` = {threads}).")
    print()

    # directory_tree and search_files against server-filesystem.
    peer = StdioServer("server-filesystem", ["node", a.peer, str(tree)], env)
    ours = StdioServer("sanctuary-filesystem", [a.bin], ours_env)
    calls = [
        ("directory_tree", {"path": str(tree)}, {"path": str(tree)}),
        ("search_files", {"path": str(tree), "pattern": "**/mod_1*.py"}, {"path": str(tree), "pattern": "**/mod_1*.py"}),
    ]
    rows = []
    for tool, peer_args, our_args in calls:
        peer_times, our_times, peer_cpu, our_cpu = [], [], 0.0, 0.0
        _, res_p = peer.call(tool, peer_args)
        _, res_o = ours.call(tool, our_args)
        if tool == "directory_tree":
            n_peer = count_tree(json.loads(text_of(res_p)))
            n_ours = res_o["structuredContent"]["entries"]
        else:
            n_peer = len([l for l in text_of(res_p).splitlines() if l.strip()])
            n_ours = len(res_o["structuredContent"]["matches"])
        if n_peer != n_ours:
            raise SystemExit(f"{tool}: server-filesystem {n_peer} entries, sanctuary-filesystem {n_ours}")
        for _ in range(a.runs):
            before = peer.cpu_s()
            dt = peer.call(tool, peer_args)[0] / 1000
            peer_cpu += peer.cpu_s() - before
            peer_times.append(dt)
            before = ours.cpu_s()
            dt = ours.call(tool, our_args)[0] / 1000
            our_cpu += ours.cpu_s() - before
            our_times.append(dt)
        rows.append((tool, n_peer, peer_times, our_times, peer_cpu / a.runs, our_cpu / a.runs))
    peer_peak, ours_peak = peer.status_kb("VmHWM"), ours.status_kb("VmHWM")
    peer.close()
    ours.close()

    # The same with the default caps: a bounded answer.
    capped = StdioServer("sanctuary-filesystem", [a.bin], dict(env, FS_ROOTS=str(tree), RUST_LOG="warn"))
    _, res = capped.call("directory_tree", {"path": str(tree)})
    capped_times = []
    for _ in range(a.runs):
        dt = capped.call("directory_tree", {"path": str(tree)})[0] / 1000
        capped_times.append(dt)
    capped_entries = res["structuredContent"]["entries"]
    capped_peak = capped.status_kb("VmHWM")
    capped.close()

    print("| call | entries | server-filesystem p50 ms | sanctuary-filesystem p50 ms | wall ratio | server-filesystem CPU ms/call | sanctuary-filesystem CPU ms/call |")
    print("|---|---|---|---|---|---|---|")
    for tool, n, pt, ot, pc, oc in rows:
        print(f"| `{tool}` (whole tree) | {n} | {ms(pt)} | {ms(ot)} | {statistics.median(ot) / statistics.median(pt):.2f}× | {pc * 1000:.0f} | {oc * 1000:.0f} |")
    print(f"| `directory_tree`, default caps (`FS_MAX_ENTRIES` = 10000) | {capped_entries} (truncated) | — | {ms(capped_times)} | — | — | — |")
    print()
    print(f"Peak RSS (VmHWM) of each server after these calls: server-filesystem {mib(peer_peak)} MiB, "
          f"sanctuary-filesystem {mib(ours_peak)} MiB (caps raised), {mib(capped_peak)} MiB (default caps).")


if __name__ == "__main__":
    main()

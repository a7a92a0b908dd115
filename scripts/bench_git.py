#!/usr/bin/env python3
"""Benchmark helper for sanctuary-git against mcp-server-git (standard library only).

    bench_git.py gen DIR [--commits 20000] [--files 10000]
        Build a repository with git fast-import: one commit adding FILES files in 100 directories,
        then COMMITS-1 commits each changing one file (an hour apart), a checked-out working tree,
        and 20 files modified in it (so status and the unstaged diff have work to do).
    bench_git.py run --repo DIR --server NAME=COMMAND [--server ...] [-n 30]
        Start each server on stdio, speak raw JSON-RPC to it (initialize, initialized, then
        sequential tools/call), and print one Markdown row per server and operation:
        status, log (1000 entries), unstaged diff, diff against HEAD~100. Servers are interleaved
        operation by operation so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from mcp_stdio import StdioServer, text_of

MODIFIED = 20


def gen(path: Path, commits: int, files: int) -> None:
    if (path / ".git").exists():
        print(f"bench_git: {path} exists, keeping it", file=sys.stderr)
        return
    path.mkdir(parents=True)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=str(path))
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE, env=env)
    out = proc.stdin
    assert out is not None

    def data(b: bytes) -> None:
        out.write(b"data %d\n" % len(b))
        out.write(b)
        out.write(b"\n")

    def name(i: int) -> str:
        return f"src/d{i % 100:02d}/f{i:05d}.txt"

    t0 = 1577836800  # 2020-01-01T00:00:00Z
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer Bench <bench@example.invalid> %d +0000\n" % t0)
    data(b"initial: %d files" % files)
    for i in range(files):
        out.write(f"M 100644 inline {name(i)}\n".encode())
        data(("".join(f"file {i} line {k}\n" for k in range(20))).encode())
    for c in range(1, commits):
        i = (c * 7919) % files
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Bench <bench@example.invalid> %d +0000\n" % (t0 + c * 3600))
        data(f"change {c}: edit {name(i)}\n\nCommit number {c} of the benchmark history.".encode())
        out.write(f"M 100644 inline {name(i)}\n".encode())
        data(("".join(f"file {i} line {k}\n" for k in range(20)) + f"edited by commit {c}\n").encode())
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True, env=env)
    for i in range(MODIFIED):
        f = path / name(i * 37)
        f.write_text(f.read_text() + "local edit\n")
    count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=path, capture_output=True, text=True, env=env).stdout.strip()
    tracked = subprocess.run(["git", "ls-files"], cwd=path, capture_output=True, text=True, env=env).stdout.count("\n")
    print(f"bench_git: {path}: {count} commits, {tracked} files, {MODIFIED} modified", file=sys.stderr)


def run(repo: Path, servers: list[tuple[str, str]], n: int) -> None:
    repo = repo.resolve()
    env = dict(os.environ, GIT_BASE_DIRS=str(repo.parent), GIT_REPO_PATH=str(repo), RUST_LOG="warn",
               GIT_AUDIT_LOG="-")
    ops = [
        ("status", "git_status", {"repo_path": str(repo)}),
        ("log, 1000 entries", "git_log", {"repo_path": str(repo), "max_count": 1000}),
        ("unstaged diff (20 files)", "git_diff_unstaged", {"repo_path": str(repo)}),
        ("diff against HEAD~100", "git_diff", {"repo_path": str(repo), "target": "HEAD~100"}),
    ]
    running = [StdioServer(label, ["sh", "-c", f"exec {cmd}"], env) for label, cmd in servers]
    try:
        print("| operation | server | p50 ms | p90 ms | min ms | n | answer |")
        print("|---|---|---|---|---|---|---|")
        for op, tool, args in ops:
            for s in running:  # warm-up: caches, lazy imports, first stat of the tree
                for _ in range(3):
                    s.call(tool, args)
            samples: dict[str, list[float]] = {s.label: [] for s in running}
            answers: dict[str, str] = {}
            for _ in range(n):
                for s in running:
                    ms, res = s.call(tool, args)
                    samples[s.label].append(ms)
                    t = text_of(res)
                    if tool == "git_log":
                        answers[s.label] = f"{t.count('Commit: ')} entries"
                    elif tool == "git_status":
                        answers[s.label] = f"{t.count('modified:')} modified"
                    else:
                        answers[s.label] = f"{t.count('diff --git')} files, {len(t)} chars"
            for s in running:
                xs = sorted(samples[s.label])
                p90 = xs[min(len(xs) - 1, int(len(xs) * 0.9))]
                print(f"| {op} | {s.label} | {statistics.median(xs):.1f} | {p90:.1f} | {xs[0]:.1f} | {len(xs)} | {answers[s.label]} |")
    finally:
        for s in running:
            s.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir", type=Path)
    g.add_argument("--commits", type=int, default=20000)
    g.add_argument("--files", type=int, default=10000)
    r = sub.add_parser("run")
    r.add_argument("--repo", type=Path, required=True)
    r.add_argument("--server", action="append", required=True, help="LABEL=COMMAND")
    r.add_argument("-n", type=int, default=30)
    a = ap.parse_args()
    if a.cmd == "gen":
        gen(a.dir, a.commits, a.files)
    else:
        run(a.repo, [tuple(s.split("=", 1)) for s in a.server], a.n)


if __name__ == "__main__":
    main()

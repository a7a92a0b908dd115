#!/usr/bin/env python3
"""sanctuary-git through the real IBM ContextForge gateway.

1. The cluster registers itself; the gateway lists its 24 tools.
2. `git_get_status` through POST /rpc on a real repository whose `origin` is a local bare repository.
3. A Protocol 101 refusal through the gateway: staging on main is an isError result naming the rule.
4. A full feature cycle through POST /rpc: git_start_feature -> git_add -> git_smart_commit ->
   git_push_feature (checked in the bare repository with the git command line) -> git_finish_feature
   refused while unmerged -> merge in the bare remote (a reviewer's clone) -> git_finish_feature
   with delete_remote -> main checked out, fast-forwarded, branch gone locally and remotely.
5. The audit log holds every mutating call.

Needs `scripts/contextforge.sh install`, the `git` command line and a built `sanctuary-git`
(FLEET_BIN_DIR, default target/debug). Run: python3 tests/e2e/gateway_git.py
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from fleet_e2e import Cluster, Gateway, check, finish, result, result_text, wait_for

CLUSTER = "sanctuary-git"
BRANCH = "feature/task-4-gateway-cycle"
GIT_ENV = dict(
    os.environ,
    GIT_AUTHOR_NAME="Reviewer",
    GIT_AUTHOR_EMAIL="reviewer@example.invalid",
    GIT_COMMITTER_NAME="Reviewer",
    GIT_COMMITTER_EMAIL="reviewer@example.invalid",
    GIT_CONFIG_NOSYSTEM="1",
)


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, env=dict(GIT_ENV, HOME=str(cwd)), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {out.stderr.strip()}")
    return out.stdout.strip()


def make_repos(root: Path) -> tuple[Path, Path, Path]:
    base = root / "repos"
    base.mkdir()
    origin, work = base / "origin.git", base / "work"
    git(base, "init", "-q", "--bare", "-b", "main", str(origin))
    git(base, "init", "-q", "-b", "main", str(work))
    (work / "README.md").write_text("# Sanctuary\n")
    (work / ".gitignore").write_text("target/\n*.log\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial commit")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "-u", "origin", "main")
    return base, origin, work


def call(gw: Gateway, tool: str, arguments: dict) -> tuple[dict, str]:
    status, body = gw.rpc(f"{CLUSTER}-{tool.replace('_', '-')}", arguments)
    res = result(body)
    if status != 200 or "error" in (body or {}):
        return {"isError": True, "rpc": body}, json.dumps(body)
    return res, result_text(body)


def main() -> None:
    tmp = tempfile.TemporaryDirectory(prefix="gateway-git-")
    root = Path(tmp.name).resolve()
    base, origin, work = make_repos(root)
    audit = root / "audit.jsonl"
    gw = Gateway()
    took = gw.start()
    print(f"# contextforge started on {gw.url} in {took:.1f}s")
    cluster = None
    try:
        cluster = Cluster(CLUSTER, gw.cluster_env(**{
            "GIT_BASE_DIRS": str(base),
            "GIT_REPO_PATH": str(work),
            "GIT_AUDIT_LOG": str(audit),
            "GIT_AUTHOR_NAME": "Sanctuary Agent",
            "GIT_AUTHOR_EMAIL": "agent@sanctuary.invalid",
        }))
        cluster.env["FLEET_ADVERTISE_URL"] = f"{cluster.url}/mcp"
        cluster.start()
        check("cluster registered itself with the gateway", bool(wait_for("registration", lambda: cluster.registered(), timeout=30)), cluster.registration())
        entry = gw.gateway_named(CLUSTER)
        tools = gw.tools_of(entry["id"]) if entry else []
        check("gateway discovered all 24 git tools", len(tools) == 24 and "sanctuary-git-git-smart-commit" in tools, tools)

        res, text = call(gw, "git_get_status", {})
        sc = res.get("structuredContent") or {}
        check("git_get_status through POST /rpc", not res.get("isError") and sc.get("branch") == "main" and sc.get("clean") is True and sc.get("upstream") == "origin/main", res)
        check("git_get_status text is the original's", text.startswith("Branch: main\n"), text)

        (work / "notes.txt").write_text("on main\n")
        res, text = call(gw, "git_add", {})
        check("staging on main is refused through the gateway (Protocol 101)", res.get("isError") is True and text.startswith("refused by protected-branch") and "remedy:" in text, text)
        check("nothing was staged", git(work, "diff", "--cached", "--name-only") == "", git(work, "status", "--porcelain"))
        (work / "notes.txt").unlink()

        res, text = call(gw, "git_start_feature", {"task_id": 4, "description": "Gateway cycle"})
        check("git_start_feature creates the canonical branch from main", not res.get("isError") and (res.get("structuredContent") or {}).get("branch") == BRANCH and git(work, "branch", "--show-current") == BRANCH, text)

        (work / "src").mkdir()
        (work / "src" / "cycle.rs").write_text("pub fn cycle() {}\n")
        res, text = call(gw, "git_add", {"files": ["src/cycle.rs"]})
        check("git_add stages the new file", not res.get("isError") and (res.get("structuredContent") or {}).get("staged") == ["src/cycle.rs"], text)

        res, text = call(gw, "git_smart_commit", {"message": "feat: gateway cycle"})
        commit = (res.get("structuredContent") or {}).get("hash", "")
        check("git_smart_commit commits with the server's identity", not res.get("isError") and text.startswith("Commit successful. Hash: ") and git(work, "log", "-1", "--format=%an <%ae>") == "Sanctuary Agent <agent@sanctuary.invalid>", text)

        res, text = call(gw, "git_push_feature", {})
        check("git_push_feature pushes and verifies", not res.get("isError") and (res.get("structuredContent") or {}).get("verified") is True and text.startswith(f"Verified push to {BRANCH}"), text)
        check("the bare origin has the commit", git(origin, "rev-parse", f"refs/heads/{BRANCH}") == commit, commit)

        res, text = call(gw, "git_finish_feature", {"branch_name": BRANCH})
        check("finishing before the merge is refused", res.get("isError") is True and text.startswith("refused by merged-before-finish"), text)

        reviewer = root / "reviewer"
        git(root, "clone", "-q", str(origin), str(reviewer))
        git(reviewer, "merge", "-q", "--no-ff", "-m", f"Merge {BRANCH}", f"origin/{BRANCH}")
        git(reviewer, "push", "-q", "origin", "main")

        res, text = call(gw, "git_finish_feature", {"branch_name": BRANCH, "delete_remote": True})
        sc = res.get("structuredContent") or {}
        check("git_finish_feature after the merge", not res.get("isError") and sc.get("merged_by") == "ancestor" and sc.get("deleted_remote") is True, text)
        check("main is checked out and up to date", git(work, "branch", "--show-current") == "main" and git(work, "rev-parse", "main") == git(origin, "rev-parse", "main"), git(work, "log", "--oneline", "-3"))
        check("the branch is gone locally and on the remote", git(work, "branch", "--list", BRANCH) == "" and git(origin, "branch", "--list", BRANCH) == "")

        records = [json.loads(line) for line in audit.read_text().splitlines()] if audit.exists() else []
        outcomes = [f"{r['tool']}:{r['outcome']}" for r in records]
        check("the audit log holds every mutating call", outcomes == [
            "git_add:refused", "git_start_feature:ok", "git_add:ok", "git_smart_commit:ok",
            "git_push_feature:ok", "git_finish_feature:refused", "git_finish_feature:ok",
        ], outcomes)
    finally:
        if cluster:
            cluster.stop()
        gw.stop()
        tmp.cleanup()
    finish("gateway e2e (git)")


if __name__ == "__main__":
    main()

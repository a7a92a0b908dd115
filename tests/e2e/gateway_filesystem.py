#!/usr/bin/env python3
"""sanctuary-filesystem through the real IBM ContextForge gateway.

1. The cluster registers itself (Streamable HTTP, minted JWT) with a temporary workspace as its
   only root and an audit log; the gateway lists its 27 tools.
2. Through POST /rpc: a read (`read_text_file` with tail), a grep (regex with context), a tree, an
   outline, an edit
   (`edit_file`: dry run first, then for real, with the unified diff) and a patch; the file on disk
   shows the edit, and the audit log has one line per mutation.
3. The jail holds through the gateway: a `..` path, an absolute path outside and a symlink out are
   isError results naming the path, and the secret outside the root never appears.
4. The same read over the legacy SSE transport, with a bearer token, and read-only mode refusing an
   edit.

Needs `scripts/contextforge.sh install` and a built `sanctuary-filesystem` (FLEET_BIN_DIR, default
target/debug). Run: python3 tests/e2e/gateway_filesystem.py
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from fleet_e2e import Cluster, Gateway, check, finish, result, result_text, wait_for

CLUSTER = "sanctuary-filesystem"
SECRET = "TOP SECRET outside the jail"


def cluster_env(gw: Gateway, root: Path, **extra: str) -> dict[str, str]:
    return gw.cluster_env(FS_ROOTS=str(root), **extra)


def structured(body) -> dict:
    return result(body).get("structuredContent") or {}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="fs-e2e-")).resolve()
    root = work / "workspace"
    outside = work / "outside"
    (root / "src").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    (root / "src" / "app.py").write_text(
        "import os\n\n\ndef greet(name):\n    # TODO: localise\n    return f\"hello {name}\"\n\n\ndef main():\n    print(greet(os.getlogin()))\n"
    )
    (root / "notes.md").write_text("# Notes\n\n- first\n- second\n- third\n")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    audit = work / "audit.jsonl"

    gw = Gateway()
    took = gw.start()
    print(f"# contextforge started on {gw.url} in {took:.1f}s")
    clusters: list[Cluster] = []
    try:
        # 1. Registration.
        a = Cluster(CLUSTER, cluster_env(gw, root, FS_AUDIT_LOG=str(audit)))
        a.env["FLEET_ADVERTISE_URL"] = f"{a.url}/mcp"
        a.start()
        clusters.append(a)
        reg = wait_for("self-registration", lambda: a.registered(), timeout=30)
        check("cluster registered itself with the gateway (minted JWT, Streamable HTTP)", bool(reg), a.registration())
        entry = gw.gateway_named(CLUSTER)
        check("gateway lists the registration under the cluster's name", bool(entry) and entry["transport"] == "STREAMABLEHTTP", entry)
        tools = gw.tools_of(entry["id"]) if entry else []
        check(
            "gateway discovered all 27 filesystem tools",
            len(tools) == 27 and {"sanctuary-filesystem-grep", "sanctuary-filesystem-edit-file", "sanctuary-filesystem-read-text-file"} <= set(tools),
            tools,
        )

        # 2. A read, a grep, an edit and a patch through POST /rpc.
        status, body = gw.rpc("sanctuary-filesystem-read-text-file", {"path": "notes.md", "tail": 2})
        check("read through the gateway: tail 2 of notes.md", status == 200 and structured(body).get("content") == "- second\n- third", body)
        status, body = gw.rpc("sanctuary-filesystem-read-text-file", {"path": str(root / "src" / "app.py"), "head": 1})
        check("read by absolute path through the gateway", result_text(body) == "import os", body)

        status, body = gw.rpc("sanctuary-filesystem-grep", {"pattern": r"def \w+\(", "context": 1, "type": "py"})
        s = structured(body)
        lines = [m["line"] for f in s.get("files", []) for m in f.get("matches", [])]
        check("grep through the gateway finds both definitions with context", status == 200 and lines == [4, 9] and s["files"][0]["path"] == str(root / "src" / "app.py"), body)
        check("grep's text is ripgrep's layout", "4:def greet(name):" in result_text(body) and "5-    # TODO: localise" in result_text(body), result_text(body))

        status, body = gw.rpc("sanctuary-filesystem-directory-tree", {"path": "."})
        tree = structured(body).get("tree", [])
        check("directory_tree through the gateway (recursive output schema)", [n["name"] for n in tree] == ["leak.txt", "notes.md", "src"] and tree[2]["children"][0]["name"] == "app.py", body)
        status, body = gw.rpc("sanctuary-filesystem-code-analyze", {"path": "src/app.py"})
        symbols = [(x["kind"], x["name"]) for x in structured(body).get("symbols", [])]
        check("code_analyze through the gateway outlines the Python file", symbols == [("function", "greet"), ("function", "main")], body)

        edit = {"path": "src/app.py", "edits": [{"oldText": "# TODO: localise\n    return f\"hello {name}\"", "newText": "return f\"bonjour {name}\""}]}
        status, body = gw.rpc("sanctuary-filesystem-edit-file", {**edit, "dryRun": True})
        diff = structured(body).get("diff", "")
        check("edit dry run through the gateway returns a unified diff", "-    # TODO: localise" in diff and "+    return f\"bonjour {name}\"" in diff, body)
        check("the dry run wrote nothing", "TODO" in (root / "src" / "app.py").read_text())
        status, body = gw.rpc("sanctuary-filesystem-edit-file", edit)
        check("edit through the gateway", not result(body).get("isError") and structured(body).get("edits", [{}])[0].get("matched") == "exact", body)
        text = (root / "src" / "app.py").read_text()
        check("the file on disk shows the edit", "bonjour" in text and "TODO" not in text, text)

        patch = "--- a/notes.md\n+++ b/notes.md\n@@ -3,3 +3,3 @@\n - first\n-- second\n+- 2nd\n - third\n"
        status, body = gw.rpc("sanctuary-filesystem-apply-patch", {"patch": patch})
        check("patch through the gateway", (root / "notes.md").read_text() == "# Notes\n\n- first\n- 2nd\n- third\n", body)
        status, body = gw.rpc("sanctuary-filesystem-apply-patch", {"patch": patch})
        check("a patch that no longer applies says which hunk and line", result(body).get("isError") is True and "hunk 1 of 1" in result_text(body) and "nothing was written" in result_text(body), body)

        records = [json.loads(line) for line in audit.read_text().splitlines()]
        check(
            "the audit log has one line per mutation, failures included",
            [(r["tool"], r["outcome"]) for r in records] == [("edit_file", "ok"), ("apply_patch", "ok"), ("apply_patch", "error")]
            and records[0]["paths"] == [str(root / "src" / "app.py")],
            records,
        )

        # 3. The jail through the gateway.
        for args, needle in [
            ({"path": "../outside/secret.txt"}, "escapes the allowed roots"),
            ({"path": str(outside / "secret.txt")}, "escapes the allowed roots"),
            ({"path": "leak.txt"}, "points outside the allowed roots"),
        ]:
            status, body = gw.rpc("sanctuary-filesystem-read-text-file", args)
            text = result_text(body)
            check(f"read of {args['path']} is refused through the gateway", result(body).get("isError") is True and needle in text and SECRET not in text, body)
        status, body = gw.rpc("sanctuary-filesystem-grep", {"pattern": "SECRET", "hidden": True, "no_ignore": True})
        check("grep through the gateway does not follow the symlink out", structured(body).get("total_matches") == 0 and SECRET not in json.dumps(body), body)
        status, body = gw.rpc("sanctuary-filesystem-write-file", {"path": "leak.txt", "content": "pwned"})
        check("a write through a symlink out is refused", result(body).get("isError") is True and (outside / "secret.txt").read_text() == SECRET + "\n", body)

        # 4. Legacy SSE with a bearer token, read-only.
        b = Cluster(
            CLUSTER,
            cluster_env(gw, root, MCPGATEWAY_JWT_SECRET="", MCPGATEWAY_BEARER_TOKEN=gw.token(), FLEET_GATEWAY_NAME="sanctuary-filesystem-ro", FS_READ_ONLY="1"),
        )
        b.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{b.port}/sse"
        b.start()
        clusters.append(b)
        check("read-only SSE cluster registered itself (bearer token)", bool(wait_for("SSE registration", lambda: b.registered(), timeout=30)), b.registration())
        entry_b = gw.gateway_named("sanctuary-filesystem-ro")
        check("gateway uses the SSE transport for it", bool(entry_b) and entry_b["transport"] == "SSE", entry_b)
        status, body = gw.rpc("sanctuary-filesystem-ro-read-text-file", {"path": "notes.md", "head": 1})
        check("read over SSE through the gateway", result_text(body) == "# Notes", body)
        status, body = gw.rpc("sanctuary-filesystem-ro-edit-file", edit)
        check("read-only mode refuses an edit through the gateway", result(body).get("isError") is True and "read-only" in result_text(body), body)
    finally:
        for cl in clusters:
            cl.stop()
        gw.stop()
        shutil.rmtree(work, ignore_errors=True)
    finish("gateway e2e (filesystem)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The whole fleet under compose, checked end to end (driven by scripts/e2e-compose.sh).

Assumes the images exist (scripts/fleet build --local-images --test-ollama) and FLEET_ENV_FILE
names the run's .env. Brings the fleet up with the gateway profile, then checks, failing loudly:
every container healthy; every cluster registered *itself* with the gateway and its tools are
listed there; one real tool call per cluster through the gateway's POST /rpc; the resource limits
of ADR 060 visible in `podman inspect`; a crashed cluster container is restarted by its policy and
re-registers on its own; cortex data survives `down`/`up`; `down -v` removes containers, volumes and
networks. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fleet_e2e import ROOT, check, finish, http_json, wait_for  # noqa: E402

FLEET = [str(ROOT / "scripts" / "fleet")]
UP_OPTIONS = ["--gateway", "--local-images", "--test-ollama"]
GATEWAY = "http://127.0.0.1:4444"
ENV = {}

# ADR 060 Guardrail 4: service -> (cpus, memory bytes).
LIMITS = {
    "sanctuary-utils": (0.5, 256 << 20),
    "sanctuary-filesystem": (0.5, 256 << 20),
    "sanctuary-network": (0.5, 256 << 20),
    "sanctuary-git": (0.5, 512 << 20),
    "sanctuary-cortex": (1.0, 1 << 30),
    "sanctuary-vector-db": (1.0, 2 << 30),
    "sanctuary-ollama": (2.0, 4 << 30),
}

CLUSTERS = ["sanctuary-utils", "sanctuary-filesystem", "sanctuary-network", "sanctuary-git", "sanctuary-cortex"]


def present_clusters() -> list[str]:
    only = os.environ.get("FLEET_CLUSTERS", "").split()
    return [c for c in CLUSTERS if (ROOT / "crates" / c.removeprefix("sanctuary-")).is_dir()
            and (not only or c.removeprefix("sanctuary-") in only)]


def sh(*args: str, check_rc: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    out = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc and out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}): {out.stderr[-2000:]}{out.stdout[-1000:]}")
    return out


def podman(*args: str, check_rc: bool = True) -> subprocess.CompletedProcess:
    return sh("podman", *args, check_rc=check_rc)


def load_env(path: str) -> dict[str, str]:
    env = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


def mint_token() -> str:
    """An HS256 token for the gateway's API, minted from its JWT_SECRET_KEY like the clusters do."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": ENV.get("PLATFORM_ADMIN_EMAIL", "admin@example.com"), "iat": now, "exp": now + 600,
                             "jti": str(uuid.uuid4()), "aud": "mcpgateway-api", "iss": "mcpgateway"}).encode())
    sig = hmac.new(ENV["JWT_SECRET_KEY"].encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64(sig)}"


def gw(method: str, path: str, body=None):
    return http_json(method, GATEWAY + path, body, token=mint_token())


def gateways() -> dict[str, dict]:
    status, body = gw("GET", "/gateways?include_inactive=true&limit=0")
    items = body if isinstance(body, list) else (body or {}).get("items", []) if status == 200 else []
    return {g["name"]: g for g in items}


def tools_of(gateway_id: str) -> list[str]:
    status, body = gw("GET", f"/tools?gateway_id={gateway_id}&limit=0")
    items = body if isinstance(body, list) else (body or {}).get("items", [])
    return sorted(t["name"] for t in items) if status == 200 else []


def rpc(tool: str, arguments: dict):
    status, body = gw("POST", "/rpc", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
    result = (body or {}).get("result") or {}
    text = "".join(c.get("text", "") for c in result.get("content", []))
    return status, body, result, text


def healthy(container: str) -> bool:
    # podman schedules health checks through systemd timers, absent here: run the check now.
    return podman("healthcheck", "run", container, check_rc=False).returncode == 0


def running_containers() -> list[str]:
    out = podman("ps", "--format", "{{.Names}}").stdout.split()
    return sorted(c for c in out if c.startswith("sanctuary-"))


def fleet(*args: str) -> None:
    sh(*FLEET, *args, timeout=900)


# One real call per cluster: (tool, arguments, predicate on (result, text)).
MARKER = "lapis-lazuli"
CALLS = {
    "sanctuary-utils": ("time-get-current-time", {"timezone_name": "Asia/Kathmandu"},
                        lambda r, t: "+05:45" in t and not r.get("isError")),
    # The workspace mounted read-only at /workspace holds marker.txt (scripts/e2e-compose.sh).
    "sanctuary-filesystem": ("read-text-file", {"path": "marker.txt"},
                             lambda r, t: MARKER in t and not r.get("isError")),
    # A fetch across the fleet network by alias; the e2e allow-lists that one internal host.
    "sanctuary-network": ("fetch", {"url": "http://sanctuary-vector-db:8000/api/v2/heartbeat", "raw": True},
                          lambda r, t: "nanosecond heartbeat" in t and not r.get("isError")),
    # GIT_REPO_PATH points at the repository mounted under /repo.
    "sanctuary-git": ("git-get-status", {},
                      lambda r, t: (r.get("structuredContent") or {}).get("branch") == "main" and not r.get("isError")),
    "sanctuary-cortex": ("cortex-ingest-incremental", {"file_paths": ["marker.txt"]},
                         lambda r, t: not r.get("isError")),
}


def check_all_up(expected: list[str]) -> None:
    started = time.monotonic()
    for c in expected:
        ok = wait_for(f"{c} healthy", lambda c=c: healthy(c), timeout=180, interval=1)
        check(f"{c} is healthy ({time.monotonic() - started:.0f}s after up)", bool(ok), podman("logs", "--tail", "20", c, check_rc=False).stderr[-1500:])


def check_registrations(clusters: list[str]) -> dict[str, dict]:
    entries = wait_for("every cluster registered", lambda: (g := gateways()) and all(c in g for c in clusters) and g, timeout=180, interval=2) or {}
    for c in clusters:
        entry = entries.get(c)
        check(f"{c} registered itself with the gateway as {c}", bool(entry), sorted(entries))
        if entry:
            names = tools_of(entry["id"])
            check(f"gateway lists {len(names)} tools of {c}", len(names) > 0 and all(n.startswith(c + "-") for n in names), names[:5])
            health = json.loads(podman("exec", c, "/usr/local/bin/cluster", "healthcheck").stdout)
            check(f"{c} /health reports state=registered", health["registration"]["state"] == "registered", health["registration"])
    return entries


def check_calls(clusters: list[str]) -> None:
    for c in clusters:
        if c not in CALLS:
            check(f"a tool call is defined for {c}", False, "add it to CALLS in tests/e2e/compose_e2e.py")
            continue
        tool, args, ok = CALLS[c]
        status, body, result, text = rpc(f"{c}-{tool}", args)
        check(f"{c}-{tool} through the gateway's /rpc", status == 200 and ok(result, text), text[:300] or body)


def check_aliases(clusters: list[str], entries: dict[str, dict]) -> None:
    # Guardrail 3: every service answers to both spellings of its alias on the fleet networks (looked
    # up from inside the gateway's container), and the gateway calls each cluster by alias, not IP.
    names = clusters + ["sanctuary-vector-db", "sanctuary-ollama"]
    aliases = [n for c in names for n in (c, c.replace("-", "_"))]
    probe = "import socket, sys\nfor n in sys.argv[1:]:\n    print(n, socket.gethostbyname(n))"
    out = podman("exec", "sanctuary-gateway", "python3", "-c", probe, *aliases, check_rc=False)
    resolved = dict(line.split() for line in out.stdout.splitlines() if len(line.split()) == 2)
    check(f"all {len(aliases)} aliases (hyphenated and underscored) resolve on the fleet networks",
          out.returncode == 0 and set(resolved) == set(aliases), out.stderr[-500:] or resolved)
    for c in clusters:
        url = (entries.get(c) or {}).get("url", "")
        check(f"the gateway calls {c} by its alias", url.startswith(f"http://{c}:8000/"), url)


def reach(container: str, host: str, port: int) -> str:
    # Connect from inside `container`'s network namespace (clusters are FROM scratch, and podman-compose
    # puts them in a pod, which `--network container:` cannot join): this Python, entered into the
    # namespace with nsenter. `host` must be an address, since the host's resolver is not reachable
    # from there. Returns "open" or "closed <why>".
    pid = podman("inspect", container, "--format", "{{.State.Pid}}").stdout.strip()
    probe = ("import socket, sys\ntry:\n    socket.create_connection((sys.argv[1], int(sys.argv[2])), 5).close()\n"
             "    print('open')\nexcept OSError as e:\n    print('closed', e)")
    out = sh("nsenter", "-t", pid, "-n", sys.executable, "-c", probe, host, str(port), check_rc=False)
    return out.stdout.strip() or out.stderr.strip()[-300:]


def addresses(container: str) -> dict[str, str]:
    nets = json.loads(podman("inspect", container).stdout)[0]["NetworkSettings"]["Networks"]
    return {name: n.get("IPAddress", "") for name, n in nets.items()}


def check_least_privilege(clusters: list[str]) -> None:
    for c in clusters:
        info = json.loads(podman("inspect", c).stdout)[0]
        host, cfg = info["HostConfig"], info["Config"]
        check(f"{c} runs as uid 65532 on a read-only root filesystem with no capabilities",
              cfg.get("User") == "65532:65532" and host.get("ReadonlyRootfs") is True
              and not (info.get("EffectiveCaps") or []),
              {"User": cfg.get("User"), "ReadonlyRootfs": host.get("ReadonlyRootfs"), "EffectiveCaps": info.get("EffectiveCaps")})
        mounts = {m["Destination"]: m for m in info.get("Mounts", [])}
        expected = {"sanctuary-utils": set(), "sanctuary-network": set(), "sanctuary-filesystem": {"/workspace", "/audit"},
                    "sanctuary-git": {"/repo", "/audit"}, "sanctuary-cortex": {"/state", "/models", "/sources"}}[c]
        check(f"{c} mounts exactly {sorted(expected) or 'nothing'}", set(mounts) == expected, sorted(mounts))
        if c == "sanctuary-filesystem" and "/workspace" in mounts:
            check(f"{c}'s workspace is mounted read-only", mounts["/workspace"].get("RW") is False, mounts["/workspace"])
    if "sanctuary-filesystem" not in clusters:
        return
    # The filesystem cluster sits on the internal network only: the gateway yes, anything else no.
    fs_nets = addresses("sanctuary-filesystem")
    check("sanctuary-filesystem is on the internal network only", list(fs_nets) == ["sanctuary-fleet-internal"], fs_nets)
    gw_ip = addresses("sanctuary-gateway").get("sanctuary-fleet-internal", "")
    to_gateway = reach("sanctuary-filesystem", gw_ip, 4444)
    check(f"sanctuary-filesystem reaches the gateway ({gw_ip}:4444, to register)", to_gateway == "open", to_gateway)
    db_ip = addresses("sanctuary-vector-db").get("sanctuary-fleet", "")
    to_chroma = reach("sanctuary-filesystem", db_ip, 8000)
    check(f"sanctuary-filesystem cannot reach the vector database ({db_ip}:8000)", to_chroma.startswith("closed"), to_chroma)
    try:
        public = socket.gethostbyname("pypi.org")
    except OSError as e:
        print(f"# note: the host cannot resolve pypi.org ({e}): the route-out check is skipped")
        return
    control = reach("sanctuary-network", public, 443) if "sanctuary-network" in clusters else "closed (no network cluster)"
    outside = reach("sanctuary-filesystem", public, 443)
    check(f"sanctuary-filesystem has no route out of the fleet (pypi.org, {public}:443)", outside.startswith("closed"), outside)
    # The control: the same probe from a cluster that is meant to have a route out.
    print(f"# control: sanctuary-network to pypi.org ({public}:443): {control}"
          + ("" if control == "open" else " (no egress from the fleet network here: the check above proves less)"))


def check_limits() -> None:
    for c, (cpus, mem) in LIMITS.items():
        if c not in running_containers():
            continue
        cfg = json.loads(podman("inspect", c).stdout)[0]["HostConfig"]
        got_cpus = cfg.get("CpuQuota", 0) / (cfg.get("CpuPeriod") or 100000)
        check(f"{c} limited to {cpus} CPU and {mem >> 20} MiB", abs(got_cpus - cpus) < 0.01 and cfg.get("Memory") == mem,
              {"CpuQuota": cfg.get("CpuQuota"), "CpuPeriod": cfg.get("CpuPeriod"), "Memory": cfg.get("Memory")})
        check(f"{c} has a memory reservation", (cfg.get("MemoryReservation") or 0) > 0, cfg.get("MemoryReservation"))


def check_crash_restart() -> None:
    c = "sanctuary-utils"
    entry = gateways().get(c)
    if entry:
        gw("DELETE", f"/gateways/{entry['id']}")
    check(f"{c} registration removed from the gateway before the crash", c not in gateways())
    pid = podman("inspect", c, "--format", "{{.State.Pid}}").stdout.strip()
    sh("kill", "-9", pid)
    restarted = wait_for(f"{c} restarted by its policy", lambda: podman("inspect", c, "--format", "{{.RestartCount}}").stdout.strip() not in ("", "0") and healthy(c), timeout=60, interval=1)
    check(f"{c} killed with SIGKILL was restarted by its restart policy", bool(restarted), podman("inspect", c, "--format", "{{.State.Status}} {{.RestartCount}}").stdout)
    again = wait_for(f"{c} re-registered", lambda: c in gateways(), timeout=90, interval=2)
    check(f"{c} re-registered on its own after the restart", bool(again))
    status, _, result, text = rpc(f"{c}-calculator-add", {"a": 40, "b": 2})
    check(f"{c} serves through the gateway again", status == 200 and "42" in text, text)


def main() -> None:
    global ENV
    ENV = load_env(os.environ["FLEET_ENV_FILE"])
    clusters = present_clusters()
    t0 = time.monotonic()
    fleet("up", *UP_OPTIONS)
    print(f"# compose up took {time.monotonic() - t0:.0f}s")
    try:
        expected = clusters + ["sanctuary-vector-db", "sanctuary-ollama", "sanctuary-gateway"]
        check_all_up(expected)
        check("every container is running", set(expected) <= set(running_containers()), running_containers())
        wait_for("gateway health", lambda: http_json("GET", GATEWAY + "/health", timeout=5)[0] == 200, timeout=180, interval=2)
        entries = check_registrations(clusters)
        check_aliases(clusters, entries)
        check_least_privilege(clusters)
        check_calls(clusters)
        check_limits()
        check_crash_restart()
        if "sanctuary-cortex" in clusters:
            check_cortex_persistence()
        check_external_gateway(clusters)
    finally:
        podman("rm", "-f", "-v", EXTERNAL_GATEWAY, check_rc=False)
        fleet("down", "-v")
    left = [c for c in podman("ps", "-a", "--format", "{{.Names}}").stdout.split() if c.startswith("sanctuary-")]
    # The fleet's named volumes, as compose.yaml names them (other projects' volumes are not ours).
    ours = set(re.findall(r"\{name: (sanctuary_\w+)\}", (ROOT / "compose.yaml").read_text()))
    vols = [v for v in podman("volume", "ls", "--format", "{{.Name}}").stdout.split() if v in ours]
    check("compose.yaml names the fleet's volumes", len(ours) >= 5, sorted(ours))
    nets = [n for n in podman("network", "ls", "--format", "{{.Name}}").stdout.split() if n.startswith("sanctuary-fleet")]
    check("down -v removed every container", not left, left)
    check("down -v removed every volume", not vols, vols)
    check("down -v removed the fleet networks", not nets, nets)
    finish("compose e2e")


def cortex_finds_marker() -> tuple[bool, str]:
    status, body, result, text = rpc("sanctuary-cortex-cortex-query", {"query": "What is the fleet e2e marker?", "use_cache": False})
    return (status == 200 and not result.get("isError") and MARKER in text, text[:300] or str(body))


def check_cortex_persistence() -> None:
    """The marker ingested earlier is found; after `down` (volumes kept) and `up` it still is."""
    ok, detail = cortex_finds_marker()
    check("cortex finds the ingested marker", ok, detail)
    fleet("down")
    check("down removed the containers", not running_containers(), running_containers())
    fleet("up", *UP_OPTIONS)
    for c in ("sanctuary-vector-db", "sanctuary-cortex", "sanctuary-gateway"):
        wait_for(f"{c} healthy again", lambda c=c: healthy(c), timeout=180, interval=1)
    wait_for("cortex registered again", lambda: "sanctuary-cortex" in gateways(), timeout=120, interval=2)
    ok, detail = cortex_finds_marker()
    check("after down and up, cortex still finds the marker (Chroma and state volumes kept)", ok, detail)


EXTERNAL_GATEWAY = "sanctuary-e2e-external-gateway"


def check_external_gateway(clusters: list[str]) -> None:
    """ADR 058: a gateway that is not part of the compose project joins the fleet's two networks under
    the alias `sanctuary-gateway` (docs/DEPLOYMENT.md's commands); every cluster finds it and registers
    with it on its own, and calls routed through it reach the fleet, the filesystem cluster included."""
    info = json.loads(podman("inspect", "sanctuary-gateway").stdout)[0]
    env = [e for e in info["Config"]["Env"] if not e.startswith(("HOSTNAME=", "container="))]
    podman("rm", "-f", "sanctuary-gateway")
    check("the compose gateway is gone", "sanctuary-gateway" not in running_containers(), running_containers())
    run = ["run", "-d", "--name", EXTERNAL_GATEWAY, "-p", "127.0.0.1:4444:4444"]
    for e in env:
        run += ["-e", e]
    podman(*run, info["ImageName"])  # its own, empty database: it knows no cluster yet
    for net in ("sanctuary-fleet", "sanctuary-fleet-internal"):
        podman("network", "connect", "--alias", "sanctuary-gateway", net, EXTERNAL_GATEWAY)
    up = wait_for("external gateway health", lambda: http_json("GET", GATEWAY + "/health", timeout=5)[0] == 200, timeout=180, interval=2)
    check("an external gateway attached by alias is up", bool(up))
    got = wait_for("every cluster registered with the external gateway",
                   lambda: (g := gateways()) and all(c in g for c in clusters) and g, timeout=180, interval=2) or {}
    check(f"all {len(clusters)} clusters registered themselves with the external gateway", all(c in got for c in clusters), sorted(got))
    for c in ("sanctuary-utils", "sanctuary-filesystem"):
        if c in clusters:
            tool, args, ok = CALLS[c]
            status, body, result, text = rpc(f"{c}-{tool}", args)
            check(f"{c}-{tool} through the external gateway", status == 200 and ok(result, text), text[:300] or body)


if __name__ == "__main__":
    main()

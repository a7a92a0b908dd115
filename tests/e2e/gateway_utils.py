#!/usr/bin/env python3
"""sanctuary-utils through the real IBM ContextForge gateway (Guardrails 1 and 2 end to end).

1. Gateway up first: the cluster registers *itself* (no host-side script), the gateway lists its
   tools, "what time is it" answers a valid time through POST /rpc, a division by zero is an
   isError result and the time tool still works afterwards.
2. The same over the legacy SSE transport, with a bearer token instead of a minted JWT.
3. The gateway restarts with an empty database: the cluster notices and registers again.
4. Cluster first, gateway second: registration still happens once the gateway appears.
5. FLEET_DEREGISTER_ON_SHUTDOWN=1 removes the registration on SIGTERM.

Needs `scripts/contextforge.sh install` and a built `sanctuary-utils` (FLEET_BIN_DIR, default
target/debug). Run: python3 tests/e2e/gateway_utils.py
"""

from __future__ import annotations

import datetime

from fleet_e2e import Cluster, Gateway, check, finish, result_text, wait_for

CLUSTER = "sanctuary-utils"


def time_is_now(body) -> tuple[bool, str]:
    res = (body or {}).get("result") or {}
    text = result_text(body)
    structured = res.get("structuredContent") or {}
    try:
        when = datetime.datetime.fromisoformat(structured["time"])
        skew = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
        return (not res.get("isError") and skew < 30, f"{structured['time']} (skew {skew:.1f}s)")
    except (KeyError, ValueError) as e:
        return False, f"{e}: {text or body}"


def main() -> None:
    gw = Gateway()
    took = gw.start()
    print(f"# contextforge started on {gw.url} in {took:.1f}s")
    clusters: list[Cluster] = []
    try:
        # 1. Gateway first, Streamable HTTP, JWT minted from the gateway's secret.
        a = Cluster(CLUSTER, gw.cluster_env())
        a.env["FLEET_ADVERTISE_URL"] = f"{a.url}/mcp"
        a.start()
        clusters.append(a)
        reg = wait_for("self-registration", lambda: a.registered(), timeout=30)
        check("cluster registered itself with the gateway (minted JWT, Streamable HTTP)", bool(reg), a.registration())
        entry = gw.gateway_named(CLUSTER)
        check("gateway lists the registration under the cluster's name", bool(entry) and entry["transport"] == "STREAMABLEHTTP", entry)
        tools = gw.tools_of(entry["id"]) if entry else []
        check("gateway discovered all 20 utils tools", len(tools) == 20 and "sanctuary-utils-time-get-current-time" in tools, tools)

        status, body = gw.rpc("sanctuary-utils-time-get-current-time", {})
        ok, detail = time_is_now(body)
        check("'what time is it' through POST /rpc returns the current time", status == 200 and ok, detail)
        status, body = gw.rpc("sanctuary-utils-calculator-divide", {"a": 1, "b": 0})
        res = (body or {}).get("result") or {}
        check("division by zero through the gateway is an isError result", res.get("isError") is True and "division by zero" in result_text(body), body)
        status, body = gw.rpc("sanctuary-utils-time-get-current-time", {"timezone_name": "Asia/Kathmandu"})
        ok, detail = time_is_now(body)
        check("time tool still works after the calculator failure", ok and "+05:45" in detail, detail)
        status, body = gw.rpc("sanctuary-utils-calculator-calculate", {"expression": "(2+3)*4^2"})
        check("calculator expression through the gateway", ((body or {}).get("result") or {}).get("structuredContent", {}).get("result") == 80.0, body)

        # 2. Legacy SSE transport, fixed bearer token.
        b = Cluster(CLUSTER, gw.cluster_env(MCPGATEWAY_JWT_SECRET="", MCPGATEWAY_BEARER_TOKEN=gw.token(), FLEET_GATEWAY_NAME="sanctuary-utils-sse"))
        b.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{b.port}/sse"
        b.start()
        clusters.append(b)
        check("SSE cluster registered itself (bearer token)", bool(wait_for("SSE registration", lambda: b.registered(), timeout=30)), b.registration())
        entry_b = gw.gateway_named("sanctuary-utils-sse")
        check("gateway uses the SSE transport for it", bool(entry_b) and entry_b["transport"] == "SSE", entry_b)
        status, body = gw.rpc("sanctuary-utils-sse-string-reverse", {"text": "gateway"})
        check("tool call through the gateway over SSE", ((body or {}).get("result") or {}).get("structuredContent", {}).get("result") == "yawetag", body)
        b.stop()
        clusters.remove(b)

        # 3. Gateway restarted with an empty database: the cluster registers again by itself.
        old_id = (a.registered() or {}).get("gateway_id")
        gw.stop()
        gw.reset()
        took = gw.start()
        print(f"# contextforge restarted with an empty database in {took:.1f}s")
        again = wait_for("re-registration", lambda: (r := a.registered()) and r.get("gateway_id") != old_id and r, timeout=60)
        check("cluster re-registered after the gateway lost its database", bool(again), a.registration())
        entry = gw.gateway_named(CLUSTER)
        check("the new gateway lists the cluster and its tools", bool(entry) and len(gw.tools_of(entry["id"])) == 20, entry)
        status, body = gw.rpc("sanctuary-utils-time-get-current-time", {})
        check("time through the restarted gateway", time_is_now(body)[0], body)

        # 4. Cluster first, gateway second.
        a.stop()
        clusters.remove(a)
        gw.stop()
        gw.reset()
        c = Cluster(CLUSTER, gw.cluster_env())
        c.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{c.port}/mcp"
        c.start()
        clusters.append(c)
        retrying = wait_for("retry state", lambda: (r := c.registration()).get("state") == "retrying" and r.get("attempt", 0) >= 1 and r, timeout=15)
        check("without a gateway the cluster serves and /health says it is retrying", bool(retrying) and "unreachable" in str(retrying.get("last_error")), c.registration())
        gw.start()
        check("once the gateway is up the cluster registers on its own", bool(wait_for("late registration", lambda: c.registered(), timeout=60)), c.registration())
        status, body = gw.rpc("sanctuary-utils-uuid-generate-uuid4", {})
        check("tool call after the late registration", ((body or {}).get("result") or {}).get("structuredContent", {}).get("version") == 4, body)

        # 5. Deregistration on shutdown (opt-in).
        c.stop()
        clusters.remove(c)
        d = Cluster(CLUSTER, gw.cluster_env(FLEET_DEREGISTER_ON_SHUTDOWN="1", FLEET_GATEWAY_NAME="sanctuary-utils-ephemeral"))
        d.env["FLEET_ADVERTISE_URL"] = f"http://127.0.0.1:{d.port}/mcp"
        d.start()
        wait_for("ephemeral registration", lambda: d.registered(), timeout=30)
        check("ephemeral cluster is listed", gw.gateway_named("sanctuary-utils-ephemeral") is not None)
        code = d.stop()
        check("SIGTERM exits 0", code == 0, code)
        check("deregistered on shutdown", gw.gateway_named("sanctuary-utils-ephemeral") is None)
    finally:
        for cl in clusters:
            cl.stop()
        gw.stop()
    finish("gateway e2e (utils)")


if __name__ == "__main__":
    main()

/**
 * Step 4 of the access report — format: the plain-text table (with the gateway workloads, the direct-reach
 * probes, the findings and the report's verdict), the Mermaid diagram, and the verdict itself.
 */
import type { AccessReport, AccessRow, Finding } from "./types.js";

function pad(s: string, n: number): string {
    return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function table(header: string[], data: string[][], maxWidths: number[]): string[] {
    const widths = header.map((h, i) => Math.min(Math.max(h.length, ...data.map((d) => d[i].length)), maxWidths[i] ?? 60));
    const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : pad(c, widths[i]))).join("  ");
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...data.map(line)];
}

function hostCell(r: AccessRow): string {
    return `${r.host}:${r.port}${r.request ? ` [${r.request}]` : ""}`;
}

/** The report's verdict: it passes only without critical findings (never with a row that bypasses the gateway). */
export function reportVerdict(report: AccessReport): { pass: boolean; critical: Finding[]; text: string } {
    const critical = report.findings.filter((f) => f.severity === "critical");
    const pass = critical.length === 0;
    return { pass, critical, text: pass ? "PASS" : `FAIL (${critical.length} critical finding${critical.length === 1 ? "" : "s"})` };
}

/** A plain-text rendering of the report: one row per source × host:port (× request class), then the rest. */
export function formatReportTable(report: AccessReport): string {
    const requestRows = report.rows.filter((r) => r.kind !== "alternate-gateway");
    const header = ["SOURCE", "HOST", "VERDICT", "PATH", "RULE", "LOGGED"];
    const out = table(
        header,
        requestRows.map((r) => [r.source, hostCell(r), r.verdict, r.path, r.rule, r.logged ? "yes" : "no"]),
        [60, 60, 10, 24, 70, 6],
    );
    if (report.rows.length === 0) {
        out.push("(no rows)");
    }
    const alternates = report.rows.filter((r) => r.kind === "alternate-gateway");
    if (alternates.length > 0) {
        out.push("", "through other gateway workloads that serve the same hosts (a caller addressing them directly):");
        out.push(
            ...table(
                ["SOURCE", "HOST", "GATEWAY PODS", "VERDICT", "OUTCOME", "RULE"],
                alternates.map((r) => [r.source, hostCell(r), r.gatewayWorkload ?? "", r.verdict, r.outcome, r.rule]),
                [60, 50, 50, 8, 18, 70],
            ).map((l) => `  ${l}`),
        );
    }
    if (report.workloads.length > 0) {
        out.push("", "gateway workloads (what Istio programs into each set of gateway pods):");
        for (const w of report.workloads) {
            out.push(
                `  ${w.id} (labels ${
                    Object.entries(w.labels)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(",") || "none"
                })`,
            );
            out.push(
                `    Gateways: ${w.gateways.join(", ") || "none"}${w.foreignGateways.length > 0 ? ` — from other namespaces: ${w.foreignGateways.join(", ")}` : ""}`,
            );
            for (const s of w.servers) {
                out.push(
                    `    server ${s.gateway}[${s.index}] ${s.port}→${s.listenerPort} ${s.protocol}${s.tlsMode ? ` ${s.tlsMode}` : ""} ${s.hosts.join(", ")}${s.skipped ? ` — SKIPPED: ${s.skipped}` : ""}`,
                );
            }
            out.push(`    AuthorizationPolicies: ${w.authorizationPolicies.join(", ") || "none (every request the servers route is allowed)"}`);
            for (const a of w.admits) {
                out.push(
                    `    ingress on ${a.port}: ${a.isolatedBy.length === 0 ? "not isolated (any pod)" : `${a.namespaces.join(", ") || "no known namespace"}; other namespaces: ${a.otherNamespaces ? "admitted" : "TCP timeout"} (${a.isolatedBy.join(", ")})`}`,
                );
            }
            for (const n of w.notes) {
                out.push(`    note: ${n}`);
            }
        }
    }
    const reachable = report.probes.filter((p) => p.allowed);
    if (report.probes.length > 0) {
        out.push(
            "",
            `direct reach (NetworkPolicy only: what a pod that skips its sidecar, or sends UDP, can reach): ${reachable.length} of ${report.probes.length} probes open`,
        );
        if (reachable.length > 0) {
            out.push(
                ...table(
                    ["SOURCE", "TARGET", "PROTO/PORTS", "ADDRESS", "RULE"],
                    reachable.map((p) => [p.source, p.target, `${p.protocol} ${p.ports}`, p.reachable ?? p.address, p.rule]),
                    [60, 22, 14, 60, 60],
                ).map((l) => `  ${l}`),
            );
        }
    }
    if (report.findings.length > 0) {
        out.push("", "findings:");
        for (const f of report.findings) {
            out.push(`  ${f.severity === "critical" ? "CRITICAL" : "warning"}: ${f.message}`);
        }
    }
    for (const w of report.warnings) {
        out.push(`warning: ${w}`);
    }
    out.push(`report verdict: ${reportVerdict(report).text}`);
    return out.join("\n") + "\n";
}

function mermaidText(s: string): string {
    return s.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));
}

/** A Mermaid flowchart: workloads (grouped by namespace) → gateway → hosts, edges labelled allowed/denied. */
export function reportToMermaid(report: AccessReport): string {
    const lines = ["flowchart LR"];
    const ids = new Map<string, string>();
    const nodeId = (kind: string, key: string) => {
        const k = `${kind}:${key}`;
        if (!ids.has(k)) {
            ids.set(k, `${kind}${ids.size}`);
        }
        return ids.get(k)!;
    };
    const byNs = new Map<string, Set<string>>();
    for (const r of report.rows) {
        const set = byNs.get(r.namespace) ?? new Set<string>();
        set.add(r.source);
        byNs.set(r.namespace, set);
    }
    for (const [n, srcs] of byNs) {
        lines.push(`  subgraph ${nodeId("ns", n)}["namespace ${mermaidText(n)}"]`);
        for (const s of srcs) {
            lines.push(`    ${nodeId("src", s)}["${mermaidText(s)}"]`);
        }
        lines.push("  end");
    }
    for (const g of new Set(report.rows.map((r) => r.gateway).filter((g): g is string => !!g))) {
        lines.push(`  ${nodeId("gw", g)}{{"gateway ${mermaidText(g)}"}}`);
    }
    for (const h of new Set(report.rows.map((r) => `${r.host}:${r.port}`))) {
        lines.push(`  ${nodeId("host", h)}(["${mermaidText(h)}"])`);
    }
    const gwToHost = new Set<string>();
    const seen = new Set<string>();
    for (const r of report.rows) {
        const s = nodeId("src", r.source);
        const h = nodeId("host", `${r.host}:${r.port}`);
        const hostLabel = `${r.host}:${r.port}${r.request ? ` [${r.request}]` : ""}`;
        const via = r.kind === "alternate-gateway" ? ` via ${r.gatewayWorkload}` : "";
        let line: string;
        if (r.path === "gateway" && r.gateway) {
            const g = nodeId("gw", r.gateway);
            const label = mermaidText(`${r.verdict}: ${hostLabel}${via}${r.verdict === "denied" ? ` (${r.rule})` : ""}${r.logged ? ", logged" : ""}`);
            line = r.verdict === "allowed" ? `  ${s} -->|"${label}"| ${g}` : `  ${s} --x|"${label}"| ${g}`;
            if (r.verdict === "allowed" && !gwToHost.has(`${g}>${h}`)) {
                gwToHost.add(`${g}>${h}`);
                lines.push(line);
                lines.push(`  ${g} --> ${h}`);
                continue;
            }
        } else if (r.path === "direct (bypass!)") {
            line = `  ${s} -.->|"${mermaidText(`allowed: BYPASS, direct (${r.rule})`)}"| ${h}`;
        } else if (r.path === "direct" || r.path === "in-cluster") {
            line = `  ${s} -.->|"${mermaidText(`allowed: ${r.path}${r.logged ? ", logged" : ""}`)}"| ${h}`;
        } else {
            line = `  ${s} --x|"${mermaidText(`denied: blocked by ${r.rule}`)}"| ${r.gateway ? nodeId("gw", r.gateway) : h}`;
        }
        if (!seen.has(line)) {
            seen.add(line);
            lines.push(line);
        }
    }
    return lines.join("\n") + "\n";
}

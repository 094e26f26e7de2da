/**
 * The egress access report: who (namespace / service account) can reach which external host, through which
 * path, by which rule, whether it is logged, and what the request observes — computed from Kubernetes and Istio
 * objects alone (not from the component's arguments), so it explains hand-written configurations too.
 *
 * Four steps, each in its own module and testable alone:
 * 1. collect (`inventory.ts`): sources, external hosts, gateway pods, and the Istio configuration in the order
 *    istiod considers it;
 * 2. resolve the path (`sidecar.ts` mesh leg, `gateway.ts` gateway leg, `path.ts` both): the sidecar's route
 *    (exportTo, Sidecar imports, the VirtualService that wins for the host), the TLS it uses towards the gateway,
 *    the gateway pods behind the Service, the servers Istio merges into them (Gateways of every namespace unless
 *    PILOT_SCOPE_GATEWAY_TO_NAMESPACE), the filter chain the SNI selects and the route that forwards it;
 * 3. decide (`decide.ts`): NetworkPolicy on every hop, AuthorizationPolicy with the request the gateway sees
 *    (HTTP-only fields of ALLOW rules drop the rule on TCP, of DENY rules widen it), per request class when the
 *    rules tell methods or paths apart, the direct bypass, logging; plus what other gateway workloads serving the
 *    same host would do (`alternateRows`) and what a pod can reach on its own (`reach.ts` probes);
 * 4. format (`format.ts`): table, Mermaid diagram, verdict.
 */
import { isRecord, listAt, shown, valueAt, type K8sObject } from "../model/index.js";
import { id, ns } from "./config.js";
import { alternateRows, gatewayPodRef, rowsForSourceHost } from "./decide.js";
import { disguisedExternalFindings } from "./disguised.js";
import { gatewaysSelecting, mergeServers } from "./gateway.js";
import { collectInventory, type GatewayPods, type Inventory, memo, namespaceLabels } from "./inventory.js";
import { ingressAllowed, isolatingPolicies } from "./netpol.js";
import { probeSource } from "./reach.js";
import { sidecarScopeFor, seesEntry } from "./sidecar.js";
import { resolveShortname, serviceOfHost } from "./config.js";
import type { AccessReport, AccessRow, AccessSource, DirectProbe, ExternalHost, Finding, GatewayInfo, GatewayWorkload, ReportOptions } from "./types.js";
import { podRefOf } from "./decide.js";

export * from "./types.js";
export { collectExternalHosts, collectSources, collectInventory } from "./inventory.js";
export { formatReportTable, reportToMermaid, reportVerdict } from "./format.js";

/**
 * A VirtualService destination host as a Kubernetes Service `{name, namespace}` (istiod's resolution: a short
 * name is a Service of `defaultNs`; `svc.ns` is NOT `svc.ns.svc.cluster.local`), or undefined for anything else.
 */
export function clusterService(host: string, defaultNs: string): { name: string; namespace: string } | undefined {
    return serviceOfHost(resolveShortname(host, defaultNs));
}

function sourceKey(s: AccessSource): string {
    return `${s.namespace}|${s.serviceAccount}|${s.workload ?? ""}|${JSON.stringify(s.labels)}`;
}

/** Whether a source's namespace sees the host at all (the entry is exported to it and its Sidecar imports it). */
function hostVisible(inv: Inventory, src: AccessSource, host: ExternalHost): boolean {
    const byId = memo(inv, "serviceEntriesById", () => new Map(inv.serviceEntries.map((se) => [id(se), se])));
    const entries = (host.serviceEntries ?? [host.serviceEntry]).map((e) => byId.get(e)).filter((e): e is K8sObject => !!e);
    if (src.sidecar === false) {
        // Without a sidecar the pod has no registry; the host matters where its namespace is meant to see it.
        return entries.some((se) =>
            seesEntry(inv, { namespace: src.namespace, labels: src.labels, mode: "ALLOW_ANY", modeFrom: "", imports: () => true, notes: [] }, se, host.host),
        );
    }
    const scope = sidecarScopeFor(inv, src);
    return entries.some((se) => seesEntry(inv, scope, se, host.host));
}

function summarize(inv: Inventory, pods: GatewayPods, knownNamespaces: string[]): GatewayWorkload {
    const servers = mergeServers(inv, pods);
    const gateways = gatewaysSelecting(inv, pods);
    const gwPod = gatewayPodRef(inv, pods);
    const authorizationPolicies = inv.authz
        .filter((p) => {
            const pns = ns(p);
            if (pns !== pods.namespace && pns !== inv.options.root) return false;
            if (listAt(p.spec, "targetRefs").length > 0 || valueAt(p.spec, "targetRef")) return false;
            const l = valueAt(p.spec, "selector", "matchLabels");
            // A selector that is not an object (the API server refuses one; authz.ts refuses to evaluate it) is listed,
            // so the reviewer sees it.
            if (!isRecord(l)) return true;
            return Object.keys(l).length === 0 || Object.entries(l).every(([k, v]) => pods.labels[k] === v);
        })
        .map(id);
    const ports = [...new Set(servers.filter((s) => !s.skipped).map((s) => s.listenerPort))].sort((a, b) => a - b);
    const isolatedBy = isolatingPolicies(inv.netpols, gwPod, "Ingress").map(id);
    const admits = ports.map((port) => ({
        port,
        namespaces: knownNamespaces.filter(
            (n) => ingressAllowed(inv.netpols, gwPod, { pod: { namespace: n, labels: {}, namespaceLabels: namespaceLabels(inv.objects, n) } }, port).allowed,
        ),
        otherNamespaces: ingressAllowed(
            inv.netpols,
            gwPod,
            { pod: { namespace: "istio-egress-report-other", labels: {}, namespaceLabels: { "kubernetes.io/metadata.name": "istio-egress-report-other" } } },
            port,
        ).allowed,
        isolatedBy,
    }));
    return {
        id: pods.id,
        namespace: pods.namespace,
        labels: pods.labels,
        origin: pods.origin,
        services: pods.services,
        gateways: gateways.map(id),
        foreignGateways: gateways.filter((g) => ns(g) !== pods.namespace).map(id),
        servers: servers.map((s) => ({
            gateway: s.gatewayId,
            index: s.index,
            port: s.port,
            listenerPort: s.listenerPort,
            protocol: s.protocol,
            hosts: s.hosts,
            ...(s.tlsMode ? { tlsMode: s.tlsMode } : {}),
            ...(s.skipped ? { skipped: s.skipped } : {}),
        })),
        authorizationPolicies,
        admits,
        notes: pods.notes,
    };
}

function dedupeFindings(findings: Finding[]): Finding[] {
    const seen = new Map<string, Finding>();
    for (const f of findings) {
        const prev = seen.get(f.message);
        if (!prev || (prev.severity === "warning" && f.severity === "critical")) seen.set(f.message, f);
    }
    return [...seen.values()].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
}

/** Builds the access report from rendered (or hand-written) objects. */
export function buildAccessReport(objects: K8sObject[], options: ReportOptions = {}): AccessReport {
    const inv = collectInventory(objects, options);
    const warnings = [...inv.warnings];
    const rows: AccessRow[] = [];
    const findings: Finding[] = [];
    const gateways = new Map<string, GatewayInfo>();
    const takenNames = inv.hosts.map((h) => h.host).filter((h) => !h.startsWith("*"));
    const visible = new Map<AccessSource, ExternalHost[]>();
    const primaryPods = new Map<string, Set<string>>();
    for (const src of inv.sources) {
        const hosts = inv.hosts.filter((h) => hostVisible(inv, src, h));
        visible.set(src, hosts);
        for (const host of hosts) {
            const r = rowsForSourceHost(inv, src, host, takenNames);
            rows.push(...r.rows);
            // The pods a source's own traffic to this host name reaches (on any port) are not "other" gateway pods.
            const k = `${sourceKey(src)}|${host.host}`;
            primaryPods.set(k, new Set([...(primaryPods.get(k) ?? []), ...r.rows.map((x) => x.gatewayWorkload).filter((x): x is string => !!x)]));
            findings.push(...r.findings);
            for (const g of r.gateways) {
                if (!gateways.has(`${g.gateway}|${g.podNamespace}`)) gateways.set(`${g.gateway}|${g.podNamespace}`, g);
            }
        }
    }
    // Other gateway workloads that serve the same hosts (after the first pass found every gateway pod set).
    for (const src of inv.sources) {
        for (const host of visible.get(src) ?? []) {
            const alt = alternateRows(inv, src, host, takenNames, primaryPods.get(`${sourceKey(src)}|${host.host}`) ?? new Set());
            rows.push(...alt.rows);
            if (src.origin !== "other") findings.push(...alt.findings);
        }
    }
    for (const r of rows) {
        if (r.kind === "request" && r.path === "direct (bypass!)") {
            const src = inv.sources.find((s) => s.namespace === r.namespace && s.serviceAccount === r.serviceAccount && s.workload === r.workload);
            if (src?.origin !== "other") {
                findings.push({
                    severity: "critical",
                    message: `${r.source} can reach ${r.host}:${r.port} around the gateway (${r.rule}): unlogged, unauthorized`,
                });
            }
        }
    }
    // External destinations dressed as in-cluster ones: the rows take them for in-cluster Services.
    findings.push(...disguisedExternalFindings(inv));
    const probes: DirectProbe[] = [];
    for (const src of inv.sources) {
        probes.push(
            ...probeSource(inv.netpols, src, podRefOf(inv, src), {
                publicIp: inv.options.publicIp,
                clusterCidrs: inv.options.clusterCidrs,
                apiServer: inv.options.apiServer,
            }),
        );
    }
    const knownNamespaces = [...new Set([...inv.sources.map((s) => s.namespace), ...inv.namespaces.keys()])].sort();
    const workloads = inv.gatewayPods.map((p) => summarize(inv, p, knownNamespaces));
    for (const w of workloads) {
        if (w.foreignGateways.length > 0) {
            const routed = w.servers.filter((s) => !s.skipped && w.foreignGateways.includes(s.gateway)).flatMap((s) => s.hosts);
            findings.push({
                severity: "warning",
                message: `gateway pods ${w.id} get the servers of ${w.foreignGateways.join(", ")} from another namespace (their selector matches the pods' labels; PILOT_SCOPE_GATEWAY_TO_NAMESPACE is ${inv.options.scopeGatewayToNamespace ? "on" : "off"}, pilot/pkg/model/push_context.go mergeGateways): they serve ${[...new Set(routed)].join(", ") || "no host"} under ${w.authorizationPolicies.length > 0 ? `the AuthorizationPolicies ${w.authorizationPolicies.join(", ")}` : "no AuthorizationPolicy at all"}, not those of the Gateway's namespace`,
            });
        }
    }
    // Istio's stock egress gateway (istioctl's default and demo profiles; manifests/charts/gateways/istio-egress/
    // values.yaml) carries these labels. Not among the objects does not mean not in the cluster.
    const STOCK_LABELS: Record<string, string> = { app: "istio-egressgateway", istio: "egressgateway" };
    const stockKnown = inv.gatewayPods.some((p) => p.namespace === "istio-system" && Object.entries(STOCK_LABELS).every(([k, v]) => p.labels[k] === v));
    if (!inv.options.scopeGatewayToNamespace && !stockKnown) {
        for (const g of inv.gateways) {
            const sel = valueAt(g.spec, "selector");
            if (isRecord(sel) && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => STOCK_LABELS[k] === v) && ns(g) !== "istio-system") {
                findings.push({
                    severity: "warning",
                    message: `Gateway ${id(g)} selects ${Object.entries(sel)
                        .map(([k, v]) => `${k}=${shown(v)}`)
                        .join(
                            ",",
                        )}, labels of Istio's stock egress gateway (istio-system/istio-egressgateway, installed by istioctl's default and demo profiles): where the cluster runs one, it gets these servers too, under none of ${ns(g)}'s AuthorizationPolicies (PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off)`,
                });
            }
        }
    }
    if (inv.hosts.length === 0) {
        warnings.push("no ServiceEntry with location MESH_EXTERNAL: there are no external hosts to report on");
    }
    if (inv.sources.length === 0) {
        warnings.push("no sources: no workloads, NetworkPolicies or AuthorizationPolicy sources among the objects");
    }
    if (objects.some((o) => o.kind === "EnvoyFilter")) {
        warnings.push("EnvoyFilter objects are among the objects: they can change any listener or route, and the report does not model them");
    }
    for (const s of inv.options.settingsFrom) {
        warnings.push(`istiod setting read from the objects: ${s}`);
    }
    return { rows, sources: inv.sources, hosts: inv.hosts, gateways: [...gateways.values()], workloads, probes, findings: dedupeFindings(findings), warnings };
}

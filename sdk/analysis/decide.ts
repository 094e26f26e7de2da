/**
 * Step 3 of the access report — decide: for a source, an external host and a request class, given the resolved
 * path (`path.ts`), what the request gets: NetworkPolicy on every hop (source → gateway pods, gateway pods →
 * upstream, or source → internet), the gateway pods' AuthorizationPolicies with the request the gateway really
 * sees, the outcome the caller observes, whether it is logged, and whether the pod can go around it all.
 */
import { isRecord, listAt, valueAt, type K8sObject } from "../model/index.js";
import { type AuthzRequest, evaluateAuthz } from "./authz.js";
import { describeClasses, type RequestClass, requestClasses } from "./classes.js";
import { id, isTelemetry, ns, sampleName } from "./config.js";
import { type GatewayPods, type Inventory, memo, namespaceLabels } from "./inventory.js";
import { connectionAllowed, type NetpolDecision, type PodRef, type Protocol } from "./netpol.js";
import { internetReach } from "./reach.js";
import { type GatewayLeg, type ResolvedPath, resolveGatewayLeg, resolvePaths, upstreamOf } from "./path.js";
import { sectionOf, sidecarScopeFor, type SidecarScope } from "./sidecar.js";
import type { AccessRow, AccessSource, ExternalHost, Finding, GatewayInfo, Outcome, RuleRef } from "./types.js";
import { mergeServers, type MergedServer } from "./gateway.js";

export function principalOf(s: AccessSource, trustDomain: string): string {
    return `${trustDomain}/ns/${s.namespace}/sa/${s.serviceAccount}`;
}

export function netpolRule(d: NetpolDecision): { text: string; ref: RuleRef } {
    if (d.policies.length === 0) {
        return { text: d.reason, ref: { kind: "none" } };
    }
    return { text: `NetworkPolicy ${d.policies.join(", ")}`, ref: { kind: "NetworkPolicy", name: d.policies.join(", ") } };
}

export function podRefOf(inv: Inventory, src: AccessSource): PodRef {
    return {
        namespace: src.namespace,
        labels: src.labels,
        namespaceLabels: src.namespaceLabels ?? namespaceLabels(inv.objects, src.namespace),
        namedPorts: src.namedPorts,
    };
}

export function gatewayPodRef(inv: Inventory, pods: GatewayPods): PodRef {
    return { namespace: pods.namespace, labels: pods.labels, namespaceLabels: namespaceLabels(inv.objects, pods.namespace), namedPorts: pods.namedPorts };
}

/**
 * The Telemetry that turns access logs on for a proxy: the root namespace's selector-less one (mesh-wide), then
 * the proxy namespace's selector-less one, then one selecting the proxy in its namespace; a later layer overrides
 * an earlier one (`pilot/pkg/model/telemetry.go` applicableTelemetries). A root-namespace Telemetry with a
 * selector applies to the root namespace's own workloads only. Undefined: not logged.
 */
export function accessLogTelemetry(inv: Inventory, podNs: string, labels: Record<string, string>): string | undefined {
    const root = inv.options.root;
    const matchLabelsOf = (t: K8sObject) => valueAt(t.spec, "selector", "matchLabels");
    const noSelector = (t: K8sObject) => {
        const l = matchLabelsOf(t);
        return !l || (isRecord(l) && Object.keys(l).length === 0);
    };
    const usable = inv.telemetries.filter((t) => isTelemetry(t) && !(listAt(t.spec, "targetRefs").length > 0) && !valueAt(t.spec, "targetRef"));
    const layers: K8sObject[][] = [
        usable.filter((t) => ns(t) === root && noSelector(t)),
        podNs !== root ? usable.filter((t) => ns(t) === podNs && noSelector(t)) : [],
        usable.filter((t) => {
            // A selector that is not an object (the API server refuses one) selects no pod.
            const l = matchLabelsOf(t);
            return ns(t) === podNs && !noSelector(t) && isRecord(l) && Object.entries(l).every(([k, v]) => labels[k] === v);
        }),
    ];
    let state: string | undefined;
    for (const layer of layers) {
        for (const t of layer) {
            const logging = listAt(t.spec, "accessLogging");
            if (logging.length === 0) continue;
            if (logging.some((l) => valueAt(l, "disabled") === true)) state = undefined;
            else if (logging.some((l) => listAt(l, "providers").length > 0)) state = id(t);
        }
    }
    return state;
}

/** `internetReach`, once per pod (namespace and labels), port and protocol. */
function internetOf(inv: Inventory, pod: PodRef, port: number, protocol: Protocol): ReturnType<typeof internetReach> {
    return memo(inv, `internet|${pod.namespace}|${JSON.stringify(pod.labels)}|${JSON.stringify(pod.namespaceLabels ?? {})}|${port}|${protocol}`, () =>
        internetReach(inv.netpols, pod, port, protocol, inv.options.clusterCidrs),
    );
}

/**
 * Whether the pod can reach the host directly on `port`: its pinned addresses when the entry has some, the
 * caller's `samplePublicIp` when given, else the internet at large (`internetReach`, symbolic).
 */
function directDecision(
    inv: Inventory,
    pod: PodRef,
    host: ExternalHost,
    port: number,
    protocol: Protocol = "TCP",
): NetpolDecision & { partial?: string; target: string } {
    const pinned = (host.addresses ?? []).filter((a) => !a.includes("/"));
    const explicit = inv.options.publicIpExplicit ? [inv.options.publicIp] : [];
    const targets = pinned.length > 0 ? pinned : explicit;
    if (targets.length > 0) {
        let last: NetpolDecision | undefined;
        for (const ip of targets) {
            last = connectionAllowed(inv.netpols, pod, { ip }, port, protocol);
            if (last.allowed) return { ...last, target: `${ip}:${port}` };
        }
        return { ...last!, target: `${targets[0]}:${port}` };
    }
    return { ...internetOf(inv, pod, port, protocol), target: `the internet on ${port}` };
}

/** Whether a pod can go around its sidecar to the host: TCP on the host's port, or UDP (QUIC) for HTTP/TLS. */
function bypassOf(inv: Inventory, pod: PodRef, host: ExternalHost): { bypass: boolean; decision: NetpolDecision; how: string; partial?: string } {
    // The host's declared port, and the port it really listens on (ServiceEntry targetPort): a pod going around its
    // sidecar dials the real one.
    let tcp = directDecision(inv, pod, host, host.port);
    for (const port of [host.port, ...(host.targetPort !== undefined ? [host.targetPort] : [])]) {
        const d = port === host.port ? tcp : directDecision(inv, pod, host, port);
        if (d.allowed) {
            return { bypass: true, decision: d, how: `${d.target} (TCP)` };
        }
        if (port === host.port) tcp = d;
    }
    if (sectionOf(host.protocol) !== "tcp") {
        const udp = directDecision(inv, pod, host, host.port, "UDP");
        if (udp.allowed) {
            return {
                bypass: true,
                decision: udp,
                how: `${udp.target} over UDP (HTTP/3 QUIC is never captured by the sidecar: tools/istio-iptables/pkg/capture/run.go redirects UDP for DNS only)`,
            };
        }
    }
    return { bypass: false, decision: tcp, how: "", partial: tcp.partial };
}

/** A decision before it becomes a row: the row's verdict fields (types.ts AccessRow), plus what the caller folds in. */
type Draft = Pick<
    AccessRow,
    | "verdict"
    | "path"
    | "rule"
    | "ruleRef"
    | "outcome"
    | "outcomeText"
    | "gateway"
    | "gatewayWorkload"
    | "upstream"
    | "routes"
    | "weight"
    | "gatewayDecision"
    | "gatewayRequest"
    | "logged"
    | "notes"
> & {
    findings: Finding[];
    gatewayInfo?: GatewayInfo;
};

function failureOutcome(httpApp: boolean): Outcome {
    return httpApp ? "http-503" : "connection-reset";
}

/** A request through a gateway leg, decided. */
export function decideAtGateway(
    inv: Inventory,
    src: AccessSource,
    srcPod: PodRef,
    leg: GatewayLeg,
    listenerPort: number,
    cls: RequestClass,
    httpApp: boolean,
    upstream: ResolvedPath["upstream"],
    base: Partial<Draft>,
    portVia?: string,
): Draft {
    const pods = leg.pods;
    const gwPod = gatewayPodRef(inv, pods);
    const notes = [...(base.notes ?? []), ...leg.notes];
    const findings: Finding[] = [];
    const server = leg.server;
    const draft = (d: Omit<Draft, "notes" | "findings" | "gatewayWorkload">): Draft => ({ ...base, ...d, gatewayWorkload: pods.id, notes, findings });
    const toGw = connectionAllowed(inv.netpols, srcPod, { pod: gwPod }, listenerPort);
    if (!toGw.allowed) {
        const nr = netpolRule(toGw);
        notes.push(`the source pod cannot reach the gateway pods ${pods.id} on TCP ${listenerPort}${portVia ? ` (${portVia})` : ""}: ${toGw.reason}`);
        return draft({
            verdict: "denied",
            path: "blocked-by-networkpolicy",
            rule: nr.text,
            ruleRef: nr.ref,
            outcome: "tcp-timeout",
            outcomeText: `TCP timeout: ${nr.text} drops the packets to ${pods.id}:${listenerPort}; the sidecar accepts the application's connection, then gives up after the mesh's connect timeout (MeshConfig connectTimeout, 10 s by default) — ${httpApp ? "HTTP 503 (UF)" : "the connection is closed"}, never a 403`,
            gateway: server?.gatewayId,
            logged: false,
        });
    }
    const logSource = accessLogTelemetry(inv, pods.namespace, pods.labels);
    if (logSource) {
        notes.push(`gateway access logged (Telemetry ${logSource})`);
    }
    const gwRef: RuleRef = server ? { kind: "Gateway", name: server.gatewayId } : { kind: "none" };
    if (leg.status !== "routed") {
        const outcome: Outcome =
            leg.status === "no-route" ? "http-404" : leg.status === "redirect" || leg.status === "direct-response" ? "local-response" : failureOutcome(httpApp);
        return draft({
            verdict: "denied",
            path: "gateway",
            rule: leg.text,
            ruleRef: leg.route ? { kind: "VirtualService", name: id(leg.route.vs) } : (base.ruleRef ?? gwRef),
            outcome,
            outcomeText: `${outcome}: ${leg.text}`,
            gateway: server?.gatewayId,
            logged: !!logSource && leg.status !== "no-listener",
        });
    }
    const req: AuthzRequest = {
        workload: { namespace: pods.namespace, labels: pods.labels },
        source: leg.terminatedMtls ? { principal: principalOf(src, inv.options.trustDomain), namespace: src.namespace } : {},
        http: leg.http,
        // destination.port is the port the gateway's listener binds (the Service's targetPort).
        port: listenerPort,
        ...(leg.sni ? { sni: leg.sni } : {}),
        ...(leg.http ? { host: cls.host, method: cls.method, path: cls.path } : {}),
    };
    if (leg.chain?.kind === "passthrough") {
        notes.push("TLS passthrough: the gateway sees only the SNI, not the caller's identity — it cannot tell sources apart");
    } else if (!leg.terminatedMtls) {
        notes.push(
            `the gateway server does not terminate Istio mTLS (${server?.protocol ?? "?"}${server?.tlsMode ? ` ${server.tlsMode}` : ""}): no source identity at the gateway`,
        );
    }
    const decision = evaluateAuthz(inv.authz, req, inv.options.root);
    for (const ig of decision.ignored ?? []) {
        notes.push(`ignored ${ig}`);
    }
    if (decision.droppedRules && decision.droppedRules.length > 0) {
        notes.push(
            `on this ${leg.http ? "HTTP" : "TCP"} filter chain istiod drops the ALLOW rules that use HTTP-only fields, so they never allow it: ${decision.droppedRules.join(", ")} (pilot/pkg/security/authz/model/model.go checkError)`,
        );
    }
    const ruleRef: RuleRef = decision.policy ? { kind: "AuthorizationPolicy", name: decision.policy, ruleIndex: decision.ruleIndex } : { kind: "none" };
    const ruleText = decision.policy ? `AuthorizationPolicy ${decision.policy} rule ${decision.ruleIndex} (${decision.action})` : decision.reason;
    const common = { gateway: server?.gatewayId, gatewayDecision: decision, gatewayRequest: req, logged: !!logSource };
    if (!decision.allowed) {
        // The network RBAC filter closes the connection; an HTTP application behind its sidecar then gets a 503.
        const outcome: Outcome = decision.action === "CUSTOM" ? "external-authorizer" : leg.http ? "http-403" : httpApp ? "http-503" : "connection-reset";
        const text =
            outcome === "http-403"
                ? "HTTP 403 (RBAC: access denied)"
                : outcome === "external-authorizer"
                  ? "decided by an external authorizer"
                  : `connection closed by the gateway's RBAC filter${httpApp ? " (the sidecar answers 503)" : ""}`;
        return draft({ ...common, verdict: "denied", path: "gateway", rule: ruleText, ruleRef, outcome, outcomeText: `${text}: ${ruleText}` });
    }
    if (!upstream || upstream.kind === "unknown") {
        const why = upstream?.text ?? "the gateway route has no destination";
        return draft({
            ...common,
            verdict: "denied",
            path: "gateway",
            rule: why,
            ruleRef: leg.route ? { kind: "VirtualService", name: id(leg.route.vs) } : gwRef,
            outcome: failureOutcome(httpApp),
            outcomeText: `${failureOutcome(httpApp)}: ${why}`,
            upstream: upstream ? `${upstream.host}${upstream.port ? `:${upstream.port}` : ""}` : undefined,
        });
    }
    const upstreamText = `${upstream.host}${upstream.port ? `:${upstream.port}` : ""}`;
    /** The gateway allowed the request and forwarded it: the row that says where it got. */
    const connected = (outcomeText: string) =>
        draft({ ...common, verdict: "allowed", path: "gateway", rule: ruleText, ruleRef, outcome: "connected", outcomeText, upstream: upstreamText });
    if (upstream.kind === "in-cluster") {
        notes.push(`the gateway forwards to ${upstream.text}; the report does not follow it further`);
        return connected(`reaches ${upstream.text}`);
    }
    const out = inv.options.publicIpExplicit
        ? connectionAllowed(inv.netpols, gwPod, { ip: inv.options.publicIp }, upstream.port ?? listenerPort)
        : internetOf(inv, gwPod, upstream.port ?? listenerPort, "TCP");
    if (!out.allowed) {
        const nr = netpolRule(out);
        notes.push(`the gateway pods cannot reach ${upstreamText}: ${out.reason}`);
        return draft({
            ...common,
            verdict: "denied",
            path: "gateway",
            rule: nr.text,
            ruleRef: nr.ref,
            outcome: failureOutcome(httpApp),
            outcomeText: `${failureOutcome(httpApp)}: the gateway's own connection to ${upstreamText} times out (${nr.text})`,
            upstream: upstreamText,
        });
    }
    return connected(`reaches ${upstreamText} through ${pods.id}`);
}

/**
 * Findings a gateway leg carries: a route another namespace's VirtualService takes over or contests, and a host
 * forwarded by a VirtualService written for another host (overlapping server hosts).
 */
function routeFindings(leg: GatewayLeg, host: string): Finding[] {
    const out: Finding[] = [];
    const server = leg.server;
    const route = leg.route;
    if (!server || !route) return out;
    const gwNs = ns(server.gateway);
    const foreign = (vs: K8sObject) => ns(vs) !== gwNs;
    const owns = (vs: K8sObject) => listAt(vs.spec, "hosts").some((h) => String(h).toLowerCase() === host.toLowerCase());
    const dests = (r: { destinations: { host: string; port?: number }[] }) =>
        r.destinations.map((d) => `${d.host}${d.port ? `:${d.port}` : ""}`).join(", ") || "(no destination)";
    const where = `Gateway ${server.gatewayId} servers[${server.index}] (hosts ${server.hosts.join(", ")})`;
    if (foreign(route.vs)) {
        out.push({
            severity: "critical",
            message: `VirtualService ${id(route.vs)} (namespace ${ns(route.vs)}, not the Gateway's ${gwNs}) routes ${host} on ${where} to ${dests(route)}: a server host without a namespace (ns/host) lets any namespace's VirtualService attach (pilot/pkg/networking/core/gateway.go pickMatchingGatewayHosts)`,
        });
    }
    const owner = owns(route.vs) ? undefined : leg.contested.find((c) => owns(c.vs));
    if (owner && dests(owner.route) !== dests(route)) {
        out.push({
            severity: "critical",
            message: `${host} is forwarded by VirtualService ${id(route.vs)} (written for ${listAt(route.vs.spec, "hosts").join(", ")}) to ${dests(route)}, not by its own ${id(owner.vs)} to ${dests(owner.route)}: on ${where} istiod takes the first VirtualService whose hosts overlap the server's (pilot/pkg/networking/core/gateway.go buildGatewayNetworkFiltersFromTCPRoutes; order: pilot/pkg/model/config.go configCompareByCreationTime)`,
        });
    }
    for (const c of leg.contested) {
        if (dests(c.route) === dests(route) || c === owner) continue;
        out.push({
            severity: foreign(c.vs) ? "critical" : "warning",
            message: `VirtualService ${id(c.vs)} also claims ${host} on ${where} and would send it to ${dests(c.route)}; ${id(route.vs)} wins ${c.orderAssumed ? "only by the assumed order (creation time unknown, then name): created earlier, the other one would win" : "by creation time, until it is recreated"} (pilot/pkg/model/config.go configCompareByCreationTime)`,
        });
    }
    return out;
}

/** The rows of one source × external host: one per request class with a distinct result (usually one). */
export function rowsForSourceHost(
    inv: Inventory,
    src: AccessSource,
    host: ExternalHost,
    takenNames: string[],
): { rows: AccessRow[]; findings: Finding[]; gateways: GatewayInfo[] } {
    const srcPod = podRefOf(inv, src);
    const sidecar = src.sidecar !== false;
    const scope: SidecarScope | undefined = sidecar ? sidecarScopeFor(inv, src) : undefined;
    const httpApp = sectionOf(host.protocol) === "http";
    const target = sampleName(host.host, takenNames);
    const classes: RequestClass[] = httpApp
        ? requestClasses(inv.authz, inv.virtualServices, target)
        : [{ host: target, method: "GET", path: "/", methodMatters: false, pathMatters: false }];
    const bypass = bypassOf(inv, srcPod, host);
    const findings: Finding[] = [];
    const gateways: GatewayInfo[] = [];
    const results: { cls: RequestClass; draft: Draft }[] = [];
    for (const cls of classes) {
        const paths = resolvePaths(inv, scope, host, { host: cls.host, method: cls.method, path: cls.path });
        for (const p of paths) {
            const d = decidePath(inv, src, srcPod, scope, host, cls, p, httpApp);
            if (p.gateway) {
                d.findings.push(...routeFindings(p.gateway, host.host));
            }
            findings.push(...d.findings);
            if (d.gatewayInfo) gateways.push(d.gatewayInfo);
            results.push({ cls, draft: d });
        }
    }
    if (target !== host.host) {
        for (const r of results) r.draft.notes.unshift(`wildcard host evaluated with the sample name ${target}`);
    }
    // Merge classes with the same result.
    const groups = new Map<string, { classes: RequestClass[]; draft: Draft }>();
    for (const r of results) {
        const d = r.draft;
        const key = JSON.stringify([d.verdict, d.path, d.outcome, d.rule, d.gateway, d.gatewayWorkload, d.upstream, d.weight, d.logged]);
        const g = groups.get(key);
        if (g) g.classes.push(r.cls);
        else groups.set(key, { classes: [r.cls], draft: d });
    }
    const rows: AccessRow[] = [];
    for (const g of groups.values()) {
        const d = g.draft;
        const request = groups.size > 1 ? describeClasses(g.classes, classes) : undefined;
        const row = rowOf(src, host, target, "request", d, bypass.bypass, request ? { request, rep: g.classes[0] } : undefined);
        if (sidecar && !bypass.bypass && bypass.partial) {
            row.notes.push(
                `the pod can reach part of the internet directly on ${host.port}: ${bypass.partial}; if ${host.host} resolves there, it can skip the gateway`,
            );
        }
        if (host.upstreamOf && host.upstreamOf.length > 0) {
            row.notes.push(`${host.host} is also the upstream the gateway forwards ${host.upstreamOf.join(", ")} to`);
        }
        // Skipping the sidecar matters where the sidecar would not go straight to the host itself.
        if (sidecar && bypass.bypass && d.path !== "direct") {
            const dr = netpolRule(bypass.decision);
            row.notes.push(
                `the pod can also reach ${bypass.how} directly (${dr.text}); skipping its sidecar skips the gateway (${d.path === "gateway" ? `gateway decision: ${d.verdict} by ${d.rule}` : `through the sidecar: ${d.verdict}`}; a request through the sidecar gets: ${d.outcomeText})`,
            );
            row.verdict = "allowed";
            row.path = "direct (bypass!)";
            row.rule = dr.text;
            row.ruleRef = dr.ref;
            row.logged = false;
        }
        rows.push(row);
    }
    return { rows, findings, gateways };
}

/** One resolved path, decided. */
function decidePath(
    inv: Inventory,
    src: AccessSource,
    srcPod: PodRef,
    scope: SidecarScope | undefined,
    host: ExternalHost,
    cls: RequestClass,
    p: ResolvedPath,
    httpApp: boolean,
): Draft {
    const notes: string[] = [...p.notes];
    const findings: Finding[] = [];
    const meshText = p.mesh?.text;
    const routes = meshText ? { mesh: meshText } : undefined;
    const mk = (d: Omit<Draft, "notes" | "findings">): Draft => ({ ...d, notes, findings });
    const direct = (why: string, viaSidecar: boolean, upstreamPort = host.port): Draft => {
        notes.push(why);
        const dd = directDecision(inv, srcPod, host, upstreamPort);
        const nr = netpolRule(dd);
        const sidecarLog = viaSidecar ? accessLogTelemetry(inv, src.namespace, src.labels) : undefined;
        if (sidecarLog) {
            notes.push(`logged by the source's sidecar (Telemetry ${sidecarLog})`);
        }
        return dd.allowed
            ? mk({
                  verdict: "allowed",
                  path: "direct",
                  rule: nr.text,
                  ruleRef: nr.ref,
                  outcome: "connected",
                  outcomeText: `straight to ${host.host}:${upstreamPort} from the pod`,
                  upstream: `${host.host}:${upstreamPort}`,
                  routes,
                  logged: !!sidecarLog,
              })
            : mk({
                  verdict: "denied",
                  path: "blocked-by-networkpolicy",
                  rule: nr.text,
                  ruleRef: nr.ref,
                  outcome: "tcp-timeout",
                  outcomeText: `TCP timeout: ${nr.text} drops the packets to the internet${viaSidecar ? ` (through the sidecar: ${httpApp ? "HTTP 503 (UF)" : "the connection is closed"} after the mesh's connect timeout)` : ""}`,
                  routes,
                  logged: false,
              });
    };
    switch (p.kind) {
        case "no-sidecar":
            return direct(
                `no sidecar${src.sidecarNote ? ` (${src.sidecarNote})` : ""}: Istio routing does not apply, only NetworkPolicy stands between the pod and the internet`,
                false,
            );
        case "direct":
            return direct(
                `${meshText}: the sidecar connects to ${p.upstream?.host ?? host.host} itself (not through a gateway)`,
                true,
                p.upstream?.port ?? host.port,
            );
        case "passthrough":
            return direct(`${meshText}`, true);
        case "blackhole":
            return mk({
                verdict: "denied",
                path: "blocked-by-sidecar",
                rule: meshText ?? "REGISTRY_ONLY",
                ruleRef: scope?.sidecar ? { kind: "Sidecar", name: id(scope.sidecar) } : { kind: "none" },
                outcome: httpApp ? "http-502" : "connection-reset",
                outcomeText: `${httpApp ? "HTTP 502" : "connection reset"}: ${meshText}`,
                routes,
                logged: !!accessLogTelemetry(inv, src.namespace, src.labels),
            });
        case "no-route":
            return mk({
                verdict: "denied",
                path: "blocked-by-sidecar",
                rule: meshText ?? "no route",
                ruleRef: p.mesh?.vs ? { kind: "VirtualService", name: id(p.mesh.vs) } : { kind: "none" },
                outcome: "http-404",
                outcomeText: `HTTP 404: ${meshText}`,
                routes,
                logged: !!accessLogTelemetry(inv, src.namespace, src.labels),
            });
        case "redirect":
            return mk({
                verdict: "denied",
                path: "blocked-by-sidecar",
                rule: `${meshText} answers locally (redirect or direct response)`,
                ruleRef: p.mesh?.vs ? { kind: "VirtualService", name: id(p.mesh.vs) } : { kind: "none" },
                outcome: "local-response",
                outcomeText: `the sidecar answers itself: ${meshText}`,
                routes,
                logged: !!accessLogTelemetry(inv, src.namespace, src.labels),
            });
        case "unknown-destination":
            return mk({
                verdict: "denied",
                path: "blocked-by-sidecar",
                rule: notes[0] ?? `${meshText}: unknown destination`,
                ruleRef: p.mesh?.vs ? { kind: "VirtualService", name: id(p.mesh.vs) } : { kind: "none" },
                outcome: failureOutcome(httpApp),
                outcomeText: `${failureOutcome(httpApp)}: no cluster for the route's destination`,
                routes,
                logged: false,
            });
        case "in-cluster":
            return mk({
                verdict: "allowed",
                path: "in-cluster",
                rule: meshText ?? "",
                ruleRef: p.mesh?.vs ? { kind: "VirtualService", name: id(p.mesh.vs) } : { kind: "none" },
                outcome: "connected",
                outcomeText: `forwarded to the in-cluster Service ${p.service?.namespace}/${p.service?.name} (not followed further)`,
                upstream: `${p.service?.name}.${p.service?.namespace}:${p.servicePort}`,
                routes,
                weight: weightOf(p),
                logged: false,
            });
        case "gateway": {
            const leg = p.gateway!;
            notes.push(
                `${meshText} → Service ${p.service!.namespace}/${p.service!.name}:${p.servicePort} → pods ${leg.pods.id}:${p.arrival!.listenerPort} (${p.portVia}); ${p.outer!.text}`,
            );
            if (p.mesh?.conditional)
                notes.push(`the mesh route also requires ${p.mesh.conditional.join(", ")} (taken as met); other requests may take another route`);
            notes.push(...leg.pods.notes);
            const d = decideAtGateway(
                inv,
                src,
                srcPod,
                leg,
                p.arrival!.listenerPort,
                cls,
                httpApp,
                p.upstream,
                {
                    notes,
                    ruleRef: p.mesh?.vs ? { kind: "VirtualService", name: id(p.mesh.vs) } : undefined,
                },
                p.portVia,
            );
            d.routes = {
                ...(meshText ? { mesh: meshText } : {}),
                ...(leg.route ? { gateway: `VirtualService ${id(leg.route.vs)} ${leg.route.section}[${leg.route.index}]` } : {}),
            };
            const w = weightOf(p);
            if (w !== undefined) d.weight = w;
            if (leg.server) {
                d.gatewayInfo = {
                    gateway: leg.server.gatewayId,
                    podNamespace: leg.pods.namespace,
                    podLabels: leg.pods.labels,
                    service: `${p.service!.name}.${p.service!.namespace}.svc.cluster.local`,
                };
            }
            return d;
        }
    }
}

function weightOf(p: ResolvedPath): number | undefined {
    return p.mesh && p.mesh.destinations.length > 1 ? p.destination?.weight : undefined;
}

/**
 * Rows for the other gateway workloads that serve a host: what a caller gets by addressing those pods directly,
 * with the SNI their server expects (a DestinationRule of its own, `tls.mode: ISTIO_MUTUAL` and `sni`, in its own
 * namespace, is all it takes; without a sidecar it can only use servers that do not require Istio mTLS).
 */
export function alternateRows(
    inv: Inventory,
    src: AccessSource,
    host: ExternalHost,
    takenNames: string[],
    primary: Set<string>,
): { rows: AccessRow[]; findings: Finding[] } {
    const rows: AccessRow[] = [];
    const findings: Finding[] = [];
    const target = sampleName(host.host, takenNames);
    const srcPod = podRefOf(inv, src);
    const sidecar = src.sidecar !== false;
    const httpApp = sectionOf(host.protocol) === "http";
    for (const pods of inv.gatewayPods) {
        if (primary.has(pods.id)) continue;
        const section = sectionOf(host.protocol);
        const servers = mergeServers(inv, pods).filter(
            (s) =>
                !s.skipped &&
                serverCarries(s, section) &&
                s.sniHosts.some(
                    (h) =>
                        h !== "*" &&
                        (h.toLowerCase() === target.toLowerCase() || (h.startsWith("*.") && target.toLowerCase().endsWith(h.slice(1).toLowerCase()))),
                ),
        );
        const seenPorts = new Set<number>();
        for (const s of servers) {
            if (seenPorts.has(s.listenerPort)) continue;
            seenPorts.add(s.listenerPort);
            const row = alternateRow(inv, src, srcPod, sidecar, host, target, httpApp, pods, s);
            if (row) {
                rows.push(row);
                if (row.verdict === "allowed") {
                    findings.push({
                        severity: "critical",
                        message: `${row.source} reaches ${host.host} through the gateway pods ${pods.id} (${s.gatewayId} servers[${s.index}] is applied to them${ns(s.gateway) !== pods.namespace ? `, from namespace ${ns(s.gateway)}: PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off` : ""}), decided by ${row.rule}`,
                    });
                }
            }
        }
    }
    return { rows, findings };
}

/** Whether a server can carry the host's protocol for a caller that addresses it directly. */
function serverCarries(s: MergedServer, section: "http" | "tls" | "tcp"): boolean {
    const p = s.protocol;
    const httpish = ["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTPS"].includes(p);
    if (section === "http") return httpish && s.tlsMode !== "PASSTHROUGH";
    if (section === "tls")
        return p === "TLS" || (p === "HTTPS" && s.tlsMode === "PASSTHROUGH") || (p === "HTTPS" && s.tlsMode === "ISTIO_MUTUAL") || p === "TCP";
    return p === "TCP" || p === "TLS";
}

function alternateRow(
    inv: Inventory,
    src: AccessSource,
    srcPod: PodRef,
    sidecar: boolean,
    host: ExternalHost,
    target: string,
    httpApp: boolean,
    pods: GatewayPods,
    s: MergedServer,
): AccessRow | undefined {
    const mtls = s.tlsMode === "ISTIO_MUTUAL";
    if (mtls && !sidecar) return undefined;
    const leg = resolveGatewayLeg(inv, pods, {
        listenerPort: s.listenerPort,
        transport: mtls ? "istio-mtls" : "plaintext",
        sni: mtls ? target : undefined,
        app: sectionOf(host.protocol),
        request: { host: target, method: "GET", path: "/" },
    });
    const cls: RequestClass = { host: target, method: "GET", path: "/", methodMatters: false, pathMatters: false };
    let upstream: ResolvedPath["upstream"];
    if (leg.status === "routed" && leg.route?.destinations[0]) {
        upstream = upstreamOf(inv, pods, leg.route.destinations[0], s.port);
    }
    const how = `${mtls ? `Istio mTLS with SNI ${target} (a DestinationRule of the caller's own for ${pods.services[0] ?? pods.id})` : "a direct connection"} to ${pods.services[0] ?? `the pods ${pods.id}`}:${s.port}`;
    const d = decideAtGateway(inv, src, srcPod, leg, s.listenerPort, cls, httpApp, upstream, {
        notes: [`another gateway workload serving ${host.host}: ${how}`],
    });
    const routes = leg.route ? { gateway: `VirtualService ${id(leg.route.vs)} ${leg.route.section}[${leg.route.index}]` } : undefined;
    return rowOf(src, host, target, "alternate-gateway", { ...d, gatewayWorkload: pods.id, routes }, false);
}

/**
 * The row of `src` to `host` that a Draft decides: the one place an AccessRow is assembled from one. `cls` names the
 * request class when the row holds for some requests only; `bypass` says whether the pod also reaches the host around
 * its sidecar (NetworkPolicy).
 */
function rowOf(
    src: AccessSource,
    host: ExternalHost,
    target: string,
    kind: AccessRow["kind"],
    d: Draft,
    bypass: boolean,
    cls?: { request: string; rep: RequestClass },
): AccessRow {
    return {
        source: `${src.namespace}/${src.serviceAccount}${src.workload ? ` (${src.workload})` : ""}`,
        namespace: src.namespace,
        serviceAccount: src.serviceAccount,
        workload: src.workload,
        host: host.host,
        port: host.port,
        protocol: host.protocol,
        kind,
        ...(cls ? { request: cls.request, method: cls.rep.method, requestPath: cls.rep.path } : {}),
        ...(target !== host.host ? { requestHost: target } : {}),
        verdict: d.verdict,
        path: d.path,
        rule: d.rule,
        ruleRef: d.ruleRef,
        outcome: d.outcome,
        outcomeText: d.outcomeText,
        ...(d.gateway ? { gateway: d.gateway } : {}),
        ...(d.gatewayWorkload ? { gatewayWorkload: d.gatewayWorkload } : {}),
        ...(d.upstream ? { upstream: d.upstream } : {}),
        ...(d.routes ? { routes: d.routes } : {}),
        ...(d.weight !== undefined ? { weight: d.weight } : {}),
        ...(d.gatewayDecision ? { gatewayDecision: d.gatewayDecision } : {}),
        ...(d.gatewayRequest ? { gatewayRequest: d.gatewayRequest } : {}),
        bypass,
        logged: d.logged,
        notes: [...new Set(d.notes)],
    };
}

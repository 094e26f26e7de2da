/**
 * The egress access report: who (namespace / service account) can reach which external host, through which
 * path, by which rule, and whether it is logged — computed from Kubernetes and Istio objects alone (not from the
 * component's arguments), so it explains hand-written configurations too.
 *
 * For each source × external host × port:
 * 1. Sidecar? A workload without a sidecar (`sidecar.istio.io/inject: "false"`, `hostNetwork`, or a Namespace
 *    object present without injection labels) is not routed by Istio at all: its only path is direct.
 * 2. Mesh leg: a VirtualService visible to the source's namespace, bound to `mesh`, whose route for the host's
 *    port (http / tls-with-sniHosts / tcp section, chosen by the ServiceEntry port's protocol) sends the traffic
 *    to a cluster Service `<svc>.<ns>.svc.cluster.local` → the gateway path. No such route → direct path.
 * 3. Gateway leg: a VirtualService bound to an Istio `Gateway` with a server for the host, routing the host
 *    onwards. The gateway pods are the Gateway's `selector` labels in the namespace of the mesh leg's Service.
 * 4. NetworkPolicy: the source pod must reach a gateway pod on the gateway's container port (egress at the
 *    source AND ingress at the gateway); otherwise `blocked-by-networkpolicy`.
 * 5. AuthorizationPolicy at the gateway pods, with the request the gateway actually sees: ISTIO_MUTUAL TLS server
 *    → TCP with the source principal and `connection.sni` = the gateway DestinationRule subset's `sni` (or the
 *    host); ISTIO_MUTUAL HTTP server → HTTP with the source principal and the host; PASSTHROUGH or a server that
 *    does not terminate Istio mTLS → no source identity (the gateway cannot tell callers apart).
 * 6. Direct bypass: can the source pod open a connection to a sample public IP (203.0.113.10, TEST-NET-3) on the
 *    host's port? If yes the pod can skip the gateway (by skipping its own sidecar), so the effective verdict is
 *    `allowed` via `direct (bypass!)`, whatever the gateway decides (that decision is kept in `gatewayDecision`).
 * 7. Logged: a Telemetry with access-logging providers that selects the gateway pods (gateway path) or the
 *    source pod (direct path with a sidecar), in their namespace or mesh-wide in the root namespace. A bypass is
 *    never logged.
 */
import { hostsOverlap, isWorkloadKind, podTemplatesOf, type K8sObject } from "../model/index.js";
import { AuthzDecision, AuthzRequest, evaluateAuthz } from "./authz.js";
import { connectionAllowed, NetpolDecision, PodRef } from "./netpol.js";
import { selectorMatches } from "../model/index.js";

export const SAMPLE_PUBLIC_IP = "203.0.113.10";

export type AccessPath = "gateway" | "direct" | "blocked-by-networkpolicy" | "direct (bypass!)";

export interface AccessSource {
    namespace: string;
    serviceAccount: string;
    /** Pod labels (empty for a namespace-level source: "any pod of the namespace"). */
    labels: Record<string, string>;
    /** Where the source came from: a workload object, a namespace with policies, or the caller. */
    origin: "workload" | "namespace" | "extra";
    /** `Kind/name` of the workload, when it is one. */
    workload?: string;
    /** Whether the pod runs an Istio sidecar (default true). */
    sidecar?: boolean;
    /** Why it has no sidecar. */
    sidecarNote?: string;
    namespaceLabels?: Record<string, string>;
    namedPorts?: Record<string, number>;
}

export interface RuleRef {
    kind: "AuthorizationPolicy" | "NetworkPolicy" | "VirtualService" | "Gateway" | "none";
    /** `ns/name` (several NetworkPolicies are joined with ", "). */
    name?: string;
    ruleIndex?: number;
}

export interface AccessRow {
    /** `namespace/serviceAccount`, plus ` (Kind/name)` for workloads. */
    source: string;
    namespace: string;
    serviceAccount: string;
    workload?: string;
    host: string;
    port: number;
    protocol: string;
    verdict: "allowed" | "denied";
    path: AccessPath;
    /** Human-readable deciding rule, e.g. `AuthorizationPolicy istio-egress/deny-frontend rule 0`. */
    rule: string;
    ruleRef: RuleRef;
    /** `ns/name` of the Istio Gateway the traffic is routed to (gateway paths). */
    gateway?: string;
    /** The gateway pods' AuthorizationPolicy decision, when the traffic reaches the gateway. */
    gatewayDecision?: AuthzDecision;
    /** The request the gateway was asked about. */
    gatewayRequest?: AuthzRequest;
    /** The pod can open a connection to a public IP on this port (NetworkPolicy allows it). */
    bypass: boolean;
    logged: boolean;
    notes: string[];
}

export interface ExternalHost {
    host: string;
    port: number;
    protocol: string;
    serviceEntry: string;
}

export interface GatewayInfo {
    /** `ns/name` of the Gateway object. */
    gateway: string;
    podNamespace: string;
    podLabels: Record<string, string>;
    service: string;
}

export interface AccessReport {
    rows: AccessRow[];
    sources: AccessSource[];
    hosts: ExternalHost[];
    gateways: GatewayInfo[];
    /** Things the report could not decide or configurations that look wrong. */
    warnings: string[];
}

export interface HelmReleaseInfo {
    name: string;
    namespace: string;
    chart: string;
    values?: Record<string, any>;
}

export interface ReportOptions {
    rootNamespace?: string;
    /** Extra sources to evaluate (e.g. a namespace that has no objects in the stack). */
    extraSources?: AccessSource[];
    /** Sample public IP used to test direct internet access. */
    samplePublicIp?: string;
    /** Helm releases (their Services are not rendered): used to map gateway Service ports to container ports. */
    helmReleases?: HelmReleaseInfo[];
    trustDomain?: string;
}


const ns = (o: K8sObject) => o.metadata?.namespace ?? "default";
const id = (o: K8sObject) => `${ns(o)}/${o.metadata?.name}`;

function isIstio(o: K8sObject, kind: string, group: string): boolean {
    return o?.kind === kind && String(o.apiVersion ?? "").startsWith(`${group}/`);
}

/** The (first) pod template of a workload object. */
function podTemplate(o: K8sObject): { metadata?: any; spec?: any } | undefined {
    return podTemplatesOf(o.kind, o)[0];
}

function namedPortsOf(spec: any): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of spec?.containers ?? []) {
        for (const p of c?.ports ?? []) {
            if (p?.name && typeof p.containerPort === "number") {
                out[p.name] = p.containerPort;
            }
        }
    }
    return out;
}

function namespaceObject(objects: K8sObject[], name: string): K8sObject | undefined {
    return objects.find((o) => o.kind === "Namespace" && o.apiVersion === "v1" && o.metadata?.name === name);
}

function namespaceLabels(objects: K8sObject[], name: string): Record<string, string> {
    return { ...(namespaceObject(objects, name)?.metadata?.labels ?? {}), "kubernetes.io/metadata.name": name };
}

/** Whether a pod with these labels/annotations in this namespace gets a sidecar, and why not. */
function sidecarOf(objects: K8sObject[], namespace: string, labels: Record<string, string>, annotations: Record<string, string>, hostNetwork: boolean): { sidecar: boolean; why?: string } {
    if (hostNetwork) {
        return { sidecar: false, why: "hostNetwork: true (injection skips the pod)" };
    }
    const podInject = labels["sidecar.istio.io/inject"] ?? annotations["sidecar.istio.io/inject"];
    if (podInject === "false") {
        return { sidecar: false, why: "sidecar.istio.io/inject: \"false\"" };
    }
    const nsObj = namespaceObject(objects, namespace);
    if (nsObj) {
        const l = nsObj.metadata?.labels ?? {};
        if (l["istio-injection"] === "disabled") {
            return { sidecar: false, why: `namespace ${namespace} has istio-injection=disabled` };
        }
        if (l["istio.io/dataplane-mode"] === "none") {
            return { sidecar: false, why: `namespace ${namespace} has istio.io/dataplane-mode=none` };
        }
        if (l["istio.io/dataplane-mode"] === "ambient" && l["istio-injection"] !== "enabled") {
            return { sidecar: false, why: `namespace ${namespace} is in ambient mode, whose waypoint routing this report does not model` };
        }
        if (podInject !== "true" && l["istio-injection"] !== "enabled" && !l["istio.io/rev"]) {
            return { sidecar: false, why: `namespace ${namespace} has no istio-injection=enabled or istio.io/rev label` };
        }
    }
    return { sidecar: true };
}

/** The sources the report evaluates: workloads, namespaces with policies, AuthorizationPolicy sources, extras. */
export function collectSources(objects: K8sObject[], gatewaySelectors: Record<string, string>[], extra: AccessSource[] = []): AccessSource[] {
    const out: AccessSource[] = [];
    const seen = new Set<string>();
    const add = (s: AccessSource) => {
        const key = `${s.namespace}|${s.serviceAccount}|${JSON.stringify(Object.entries(s.labels).sort())}|${s.workload ?? ""}`;
        if (!seen.has(key)) {
            seen.add(key);
            out.push(s);
        }
    };
    for (const o of objects) {
        if (!isWorkloadKind(o.kind)) {
            continue;
        }
        const t = podTemplate(o);
        const labels: Record<string, string> = t?.metadata?.labels ?? {};
        // The gateway's own pods are not sources.
        if (gatewaySelectors.some((s) => Object.keys(s).length > 0 && Object.entries(s).every(([k, v]) => labels[k] === v))) {
            continue;
        }
        const spec = t?.spec ?? {};
        const sc = sidecarOf(objects, ns(o), labels, t?.metadata?.annotations ?? {}, spec.hostNetwork === true);
        add({
            namespace: ns(o),
            serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? "default",
            labels,
            origin: "workload",
            workload: `${o.kind}/${o.metadata?.name}`,
            sidecar: sc.sidecar,
            sidecarNote: sc.why,
            namedPorts: namedPortsOf(spec),
        });
    }
    const nsSource = (namespace: string, sa = "default") => {
        const sc = sidecarOf(objects, namespace, {}, {}, false);
        add({ namespace, serviceAccount: sa, labels: {}, origin: "namespace", sidecar: sc.sidecar, sidecarNote: sc.why });
    };
    for (const o of objects) {
        if (o.kind === "NetworkPolicy") {
            nsSource(ns(o));
        }
        if (isIstio(o, "AuthorizationPolicy", "security.istio.io")) {
            for (const rule of o.spec?.rules ?? []) {
                for (const f of rule?.from ?? []) {
                    for (const n of f?.source?.namespaces ?? []) {
                        if (!String(n).includes("*")) {
                            nsSource(String(n));
                        }
                    }
                    for (const p of f?.source?.principals ?? []) {
                        const m = /(?:^|\/)ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(String(p));
                        if (m) {
                            nsSource(m[1], m[2]);
                        }
                    }
                }
                for (const c of rule?.when ?? []) {
                    if (c?.key === "source.namespace") {
                        for (const n of c.values ?? []) {
                            if (!String(n).includes("*")) {
                                nsSource(String(n));
                            }
                        }
                    }
                }
            }
        }
    }
    for (const s of extra) {
        add({ ...s, origin: s.origin ?? "extra" });
    }
    return out;
}

/** External hosts: every host × port of ServiceEntries with location MESH_EXTERNAL (or unset). */
export function collectExternalHosts(objects: K8sObject[]): ExternalHost[] {
    const out: ExternalHost[] = [];
    for (const o of objects) {
        if (!isIstio(o, "ServiceEntry", "networking.istio.io")) {
            continue;
        }
        if ((o.spec?.location ?? "MESH_EXTERNAL") !== "MESH_EXTERNAL") {
            continue;
        }
        const ports: any[] = o.spec?.ports?.length ? o.spec.ports : [{ number: 443, protocol: "TLS" }];
        for (const h of o.spec?.hosts ?? []) {
            for (const p of ports) {
                if (!out.some((e) => e.host === h && e.port === p.number)) {
                    out.push({ host: String(h), port: Number(p.number), protocol: String(p.protocol ?? "TCP").toUpperCase(), serviceEntry: id(o) });
                }
            }
        }
    }
    return out;
}

function visibleTo(o: K8sObject, namespace: string): boolean {
    const exportTo: string[] | undefined = o.spec?.exportTo;
    if (!exportTo || exportTo.length === 0) {
        return true;
    }
    return exportTo.some((e) => e === "*" || e === namespace || (e === "." && ns(o) === namespace));
}

/** Resolves a VirtualService gateway reference to "mesh" or "ns/name". */
function gatewayRef(ref: string, vsNamespace: string): string {
    if (ref === "mesh") {
        return "mesh";
    }
    return ref.includes("/") ? ref : `${vsNamespace}/${ref}`;
}

function routeSection(protocol: string): "http" | "tls" | "tcp" {
    if (["HTTP", "HTTP2", "GRPC", "GRPC-WEB"].includes(protocol)) {
        return "http";
    }
    if (["HTTPS", "TLS"].includes(protocol)) {
        return "tls";
    }
    return "tcp";
}

interface RouteHit {
    vs: K8sObject;
    section: "http" | "tls" | "tcp";
    index: number;
    destination: { host: string; subset?: string; port?: { number?: number } };
    conditional: boolean;
}

/** First route of a VirtualService for `host:port` as seen by `gw` ("mesh" or "ns/name"). */
function findRoute(objects: K8sObject[], gw: string, host: string, port: number, section: "http" | "tls" | "tcp", sourceNamespace?: string): RouteHit | undefined {
    for (const vs of objects) {
        if (!isIstio(vs, "VirtualService", "networking.istio.io")) {
            continue;
        }
        if (sourceNamespace !== undefined && !visibleTo(vs, sourceNamespace)) {
            continue;
        }
        if (!(vs.spec?.hosts ?? []).some((h: string) => hostsOverlap(String(h), host))) {
            continue;
        }
        const vsGateways = ((vs.spec?.gateways as string[] | undefined) ?? ["mesh"]).map((g) => gatewayRef(g, ns(vs)));
        if (!vsGateways.includes(gw)) {
            continue;
        }
        for (const [index, entry] of ((vs.spec?.[section] ?? []) as any[]).entries()) {
            const matches: any[] = entry?.match ?? [];
            let applies = matches.length === 0;
            let conditional = false;
            for (const m of matches) {
                const gws = ((m?.gateways as string[] | undefined) ?? vsGateways).map((g) => gatewayRef(g, ns(vs)));
                if (!gws.includes(gw)) {
                    continue;
                }
                if (m?.port !== undefined && Number(m.port) !== port) {
                    continue;
                }
                if (section === "tls" && m?.sniHosts && !(m.sniHosts as string[]).some((s) => hostsOverlap(String(s), host))) {
                    continue;
                }
                const extra = Object.keys(m ?? {}).filter((k) => !["gateways", "port", "sniHosts", "name"].includes(k));
                conditional = extra.length > 0;
                applies = true;
                break;
            }
            const dest = entry?.route?.[0]?.destination;
            if (applies && dest?.host) {
                return { vs, section, index, destination: dest, conditional };
            }
        }
    }
    return undefined;
}

/** `svc.ns.svc.cluster.local`, `svc.ns.svc`, `svc.ns` or `svc` (in `defaultNs`) → {name, namespace}; external → undefined. */
export function clusterService(host: string, defaultNs: string): { name: string; namespace: string } | undefined {
    let m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(host);
    if (m) {
        return { name: m[1], namespace: m[2] };
    }
    m = /^([a-z0-9-]+)\.([a-z0-9-]+)$/.exec(host);
    if (m && !/^(com|org|net|io|dev|local|cn|de|uk|app|cloud)$/.test(m[2])) {
        return { name: m[1], namespace: m[2] };
    }
    if (/^[a-z0-9-]+$/.test(host)) {
        return { name: host, namespace: defaultNs };
    }
    return undefined;
}

function telemetryLogs(objects: K8sObject[], podNamespace: string, podLabels: Record<string, string>, rootNamespace: string): string | undefined {
    for (const t of objects) {
        if (!isIstio(t, "Telemetry", "telemetry.istio.io")) {
            continue;
        }
        const tNs = ns(t);
        if (tNs !== podNamespace && tNs !== rootNamespace) {
            continue;
        }
        const selector = t.spec?.selector?.matchLabels;
        const hasSelector = selector && Object.keys(selector).length > 0;
        if (hasSelector && !Object.entries(selector).every(([k, v]) => podLabels[k] === v)) {
            continue;
        }
        if (t.spec?.targetRefs?.length || t.spec?.targetRef) {
            continue;
        }
        const logging: any[] = t.spec?.accessLogging ?? [];
        if (logging.some((l) => l?.disabled !== true && (l?.providers ?? []).length > 0)) {
            return id(t);
        }
    }
    return undefined;
}

function destinationRuleSni(objects: K8sObject[], svc: { name: string; namespace: string }, subset: string | undefined, port: number, clientNs: string, rootNamespace: string, host: string): { sni: string; from?: string } {
    const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
    const candidates = objects.filter((o) => {
        if (!isIstio(o, "DestinationRule", "networking.istio.io") || !visibleTo(o, clientNs)) {
            return false;
        }
        const h = String(o.spec?.host ?? "");
        const resolved = clusterService(h, ns(o));
        return h === fqdn || (resolved && resolved.name === svc.name && resolved.namespace === svc.namespace);
    });
    // Lookup order: the client's namespace, the service's namespace, the root namespace.
    const rank = (o: K8sObject) => {
        const i = [clientNs, svc.namespace, rootNamespace].indexOf(ns(o));
        return i < 0 ? 99 : i;
    };
    candidates.sort((a, b) => rank(a) - rank(b));
    const dr = candidates[0];
    if (!dr) {
        return { sni: host };
    }
    const tlsOf = (tp: any): any => (tp?.portLevelSettings ?? []).find((s: any) => s?.port?.number === port)?.tls ?? tp?.tls;
    const sub = subset ? (dr.spec?.subsets ?? []).find((s: any) => s?.name === subset) : undefined;
    const sni = tlsOf(sub?.trafficPolicy)?.sni ?? tlsOf(dr.spec?.trafficPolicy)?.sni;
    return sni ? { sni, from: id(dr) } : { sni: host, from: id(dr) };
}

function servicePortToContainer(objects: K8sObject[], helm: HelmReleaseInfo[], svc: { name: string; namespace: string }, port: number, podNamedPorts: Record<string, number>): { port: number; name?: string; via: string } {
    const svcObj = objects.find((o) => o.kind === "Service" && o.apiVersion === "v1" && o.metadata?.name === svc.name && ns(o) === svc.namespace);
    const fromPorts = (ports: any[], via: string) => {
        const sp = ports.find((p) => Number(p?.port) === port);
        if (!sp) {
            return undefined;
        }
        const tp = sp.targetPort ?? sp.port;
        if (typeof tp === "string" && !/^\d+$/.test(tp)) {
            return podNamedPorts[tp] !== undefined ? { port: podNamedPorts[tp], name: tp, via } : { port, name: tp, via: `${via} (named targetPort ${tp} unresolved)` };
        }
        return { port: Number(tp), via };
    };
    if (svcObj) {
        const r = fromPorts(svcObj.spec?.ports ?? [], `Service ${id(svcObj)}`);
        if (r) {
            return r;
        }
    }
    for (const h of helm) {
        if (h.namespace === svc.namespace && /(^|\/)gateway$/.test(h.chart) && (h.values?.service?.ports ?? []).length > 0) {
            const r = fromPorts(h.values!.service.ports, `Helm release ${h.namespace}/${h.name} values.service.ports`);
            if (r) {
                return r;
            }
        }
    }
    return { port, via: "service port (no Service object: targetPort assumed equal)" };
}

function principalOf(s: AccessSource, trustDomain: string): string {
    return `${trustDomain}/ns/${s.namespace}/sa/${s.serviceAccount}`;
}

function sampleHost(host: string): string {
    return host.startsWith("*.") ? `sample.${host.slice(2)}` : host === "*" ? "sample.example.com" : host;
}

function netpolRule(d: NetpolDecision): { text: string; ref: RuleRef } {
    if (d.policies.length === 0) {
        return { text: d.reason, ref: { kind: "none" } };
    }
    return { text: `NetworkPolicy ${d.policies.join(", ")}`, ref: { kind: "NetworkPolicy", name: d.policies.join(", ") } };
}

/** Builds the access report from rendered objects. */
export function buildAccessReport(objects: K8sObject[], options: ReportOptions = {}): AccessReport {
    const root = options.rootNamespace ?? "istio-system";
    const publicIp = options.samplePublicIp ?? SAMPLE_PUBLIC_IP;
    const trustDomain = options.trustDomain ?? "cluster.local";
    const helm = options.helmReleases ?? [];
    const warnings: string[] = [];
    const netpols = objects.filter((o) => o.kind === "NetworkPolicy");
    const authzPolicies = objects.filter((o) => isIstio(o, "AuthorizationPolicy", "security.istio.io"));
    const gatewayObjs = objects.filter((o) => isIstio(o, "Gateway", "networking.istio.io"));
    const gatewaySelectors = gatewayObjs.map((g) => (g.spec?.selector ?? {}) as Record<string, string>);

    // Namespaces that host gateway pods (mesh routes point at a Service there, or a gateway chart is installed
    // there) are not sources: the pods there are the gateway.
    const gatewayNamespaces = new Set<string>();
    for (const vs of objects.filter((o) => isIstio(o, "VirtualService", "networking.istio.io"))) {
        const gws = (vs.spec?.gateways ?? []) as string[];
        if (!gws.includes("mesh") || gws.length < 2) {
            continue;
        }
        for (const section of ["http", "tls", "tcp"]) {
            for (const entry of (vs.spec?.[section] ?? []) as any[]) {
                for (const r of entry?.route ?? []) {
                    const svc = r?.destination?.host ? clusterService(String(r.destination.host), ns(vs)) : undefined;
                    if (svc) {
                        gatewayNamespaces.add(svc.namespace);
                    }
                }
            }
        }
    }
    for (const h of helm) {
        if (/(^|\/)gateway$/.test(h.chart)) {
            gatewayNamespaces.add(h.namespace);
        }
    }
    const sources = collectSources(objects, gatewaySelectors, options.extraSources ?? []).filter(
        (s) => !(s.origin === "namespace" && gatewayNamespaces.has(s.namespace)),
    );
    const hosts = collectExternalHosts(objects);
    const gateways = new Map<string, GatewayInfo>();
    const rows: AccessRow[] = [];

    for (const src of sources) {
        const srcPod: PodRef = {
            namespace: src.namespace,
            labels: src.labels,
            namespaceLabels: src.namespaceLabels ?? namespaceLabels(objects, src.namespace),
            namedPorts: src.namedPorts,
        };
        const sidecar = src.sidecar !== false;
        for (const eh of hosts) {
            const notes: string[] = [];
            const direct = connectionAllowed(netpols, srcPod, { ip: publicIp }, eh.port);
            const base = {
                source: `${src.namespace}/${src.serviceAccount}${src.workload ? ` (${src.workload})` : ""}`,
                namespace: src.namespace,
                serviceAccount: src.serviceAccount,
                workload: src.workload,
                host: eh.host,
                port: eh.port,
                protocol: eh.protocol,
                bypass: direct.allowed,
            };
            const directRow = (why: string): AccessRow => {
                notes.push(why);
                const nr = netpolRule(direct);
                const sidecarLog = sidecar ? telemetryLogs(objects, src.namespace, src.labels, root) : undefined;
                if (sidecarLog) {
                    notes.push(`logged by the source's sidecar (Telemetry ${sidecarLog})`);
                }
                return direct.allowed
                    ? { ...base, verdict: "allowed", path: "direct", rule: nr.text, ruleRef: nr.ref, logged: !!sidecarLog, notes }
                    : { ...base, verdict: "denied", path: "blocked-by-networkpolicy", rule: nr.text, ruleRef: nr.ref, logged: false, notes };
            };
            if (!sidecar) {
                rows.push(directRow(`no sidecar${src.sidecarNote ? ` (${src.sidecarNote})` : ""}: Istio routing does not apply, only NetworkPolicy stands between the pod and the internet`));
                continue;
            }
            const mesh = findRoute(objects, "mesh", eh.host, eh.port, routeSection(eh.protocol), src.namespace);
            const svc = mesh ? clusterService(mesh.destination.host, ns(mesh.vs)) : undefined;
            if (!mesh || !svc) {
                rows.push(directRow(mesh ? `VirtualService ${id(mesh.vs)} routes ${eh.host} to ${mesh.destination.host} (not through a cluster gateway)` : `no VirtualService routes ${eh.host}:${eh.port} (${routeSection(eh.protocol)}) from the mesh to a gateway`));
                continue;
            }
            if (mesh.conditional) {
                notes.push(`the mesh route ${id(mesh.vs)} ${mesh.section}[${mesh.index}] has extra match conditions; other requests may take another route`);
            }
            // Gateway leg: a VS bound to an Istio Gateway that routes the host onwards.
            let gwObj: K8sObject | undefined;
            let gwLeg: RouteHit | undefined;
            const servicePort = Number(mesh.destination.port?.number ?? eh.port);
            const candidateRefs = new Set<string>();
            for (const vs of objects) {
                if (isIstio(vs, "VirtualService", "networking.istio.io") && (vs.spec?.hosts ?? []).some((h: string) => hostsOverlap(String(h), eh.host))) {
                    for (const g of vs.spec?.gateways ?? []) {
                        const ref = gatewayRef(String(g), ns(vs));
                        if (ref !== "mesh") {
                            candidateRefs.add(ref);
                        }
                    }
                }
            }
            for (const ref of candidateRefs) {
                const g = gatewayObjs.find((o) => id(o) === ref);
                if (!g) {
                    notes.push(`Gateway ${ref} is referenced but not among the objects`);
                    continue;
                }
                const serverPorts = ((g.spec?.servers ?? []) as any[]).filter((s) => (s?.hosts ?? []).some((h: string) => hostsOverlap(String(h).split("/").pop()!, eh.host))).map((s) => Number(s?.port?.number));
                // The gateway leg may sit in any section: TLS wrapped in ISTIO_MUTUAL arrives as TCP at the gateway,
                // TLS origination turns HTTP into TLS, and so on.
                const sections: ("http" | "tls" | "tcp")[] = [routeSection(eh.protocol), "tcp", "http", "tls"];
                search: for (const p of [servicePort, ...serverPorts]) {
                    for (const section of sections) {
                        gwLeg = findRoute(objects, ref, eh.host, p, section);
                        if (gwLeg) {
                            break search;
                        }
                    }
                }
                if (gwLeg) {
                    gwObj = g;
                    break;
                }
            }
            if (!gwObj || !gwLeg) {
                const why = `VirtualService ${id(mesh.vs)} sends ${eh.host} to ${svc.name}.${svc.namespace}, but no Gateway route forwards it (dropped at the gateway)`;
                if (direct.allowed) {
                    const dr = netpolRule(direct);
                    notes.push(why, `the pod can reach ${publicIp}:${eh.port} directly (${dr.text})`);
                    rows.push({ ...base, verdict: "allowed", path: "direct (bypass!)", rule: dr.text, ruleRef: dr.ref, logged: false, notes });
                } else {
                    rows.push({ ...base, verdict: "denied", path: "gateway", rule: why, ruleRef: { kind: "VirtualService", name: id(mesh.vs) }, logged: false, notes });
                }
                continue;
            }
            const gwRef = id(gwObj);
            const selector = (gwObj.spec?.selector ?? {}) as Record<string, string>;
            // Gateway pods: the Gateway's selector labels in the Service's namespace; a Deployment there adds ports.
            const gwDeploy = objects.find((o) => isWorkloadKind(o.kind) && ns(o) === svc.namespace && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podTemplate(o)?.metadata?.labels?.[k] === v));
            const gwPod: PodRef = {
                namespace: svc.namespace,
                labels: gwDeploy ? podTemplate(gwDeploy)!.metadata.labels : selector,
                namespaceLabels: namespaceLabels(objects, svc.namespace),
                namedPorts: gwDeploy ? namedPortsOf(podTemplate(gwDeploy)!.spec) : undefined,
            };
            if (!gateways.has(gwRef)) {
                gateways.set(gwRef, { gateway: gwRef, podNamespace: svc.namespace, podLabels: selector, service: `${svc.name}.${svc.namespace}.svc.cluster.local` });
            }
            const container = servicePortToContainer(objects, helm, svc, servicePort, gwPod.namedPorts ?? {});
            const toGw = connectionAllowed(netpols, srcPod, { pod: gwPod }, container.port);
            const logSource = telemetryLogs(objects, gwPod.namespace, gwPod.labels, root);
            if (!toGw.allowed) {
                const nr = netpolRule(toGw);
                notes.push(`the source pod cannot reach the gateway pods ${svc.namespace}/${JSON.stringify(selector)} on TCP ${container.port} (${container.via})`);
                if (direct.allowed) {
                    notes.push("yet the pod can reach the internet directly (NetworkPolicy)");
                    const dr = netpolRule(direct);
                    rows.push({ ...base, verdict: "allowed", path: "direct (bypass!)", rule: dr.text, ruleRef: dr.ref, gateway: gwRef, logged: false, notes });
                } else {
                    rows.push({ ...base, verdict: "denied", path: "blocked-by-networkpolicy", rule: nr.text, ruleRef: nr.ref, gateway: gwRef, logged: false, notes });
                }
                continue;
            }
            // What the gateway sees.
            const servers: any[] = gwObj.spec?.servers ?? [];
            const coveringServers = servers.filter((s) => (s?.hosts ?? []).some((h: string) => hostsOverlap(String(h).split("/").pop()!, eh.host)));
            const server = coveringServers.find((s) => Number(s?.port?.number) === container.port) ?? coveringServers.find((s) => Number(s?.port?.number) === servicePort) ?? coveringServers[0];
            const serverProto = String(server?.port?.protocol ?? "").toUpperCase();
            const tlsMode = server?.tls?.mode ?? (["HTTPS", "TLS"].includes(serverProto) ? "SIMPLE" : undefined);
            const req: AuthzRequest = {
                workload: { namespace: gwPod.namespace, labels: gwPod.labels },
                source: {},
                http: false,
                // destination.port at the gateway is the port its listener binds: the container (target) port,
                // which Istio derives from the Service port a Gateway server names.
                port: container.port,
            };
            const target = sampleHost(eh.host);
            if (target !== eh.host) {
                notes.push(`wildcard host evaluated with the sample name ${target}`);
            }
            if (!server) {
                notes.push(`Gateway ${gwRef} has no server for ${eh.host}`);
            }
            if (tlsMode === "ISTIO_MUTUAL") {
                req.source = { principal: principalOf(src, trustDomain), namespace: src.namespace };
                if (["HTTP", "HTTPS", "HTTP2", "GRPC"].includes(serverProto)) {
                    req.http = true;
                    req.host = target;
                } else {
                    const sni = destinationRuleSni(objects, svc, mesh.destination.subset, servicePort, src.namespace, root, target);
                    req.sni = sni.sni;
                    if (sni.from) {
                        notes.push(`connection.sni ${sni.sni} from DestinationRule ${sni.from}`);
                    }
                }
            } else if (tlsMode === "PASSTHROUGH" || tlsMode === "AUTO_PASSTHROUGH") {
                req.sni = target;
                notes.push("TLS passthrough: the gateway sees only the SNI, not the caller's identity — it cannot tell sources apart");
            } else if (serverProto === "HTTP" || serverProto === "HTTP2" || serverProto === "GRPC") {
                req.http = true;
                req.host = target;
                notes.push("the gateway server does not terminate Istio mTLS (no tls.mode ISTIO_MUTUAL): no source identity at the gateway");
            } else {
                req.sni = target;
                notes.push(`gateway server ${serverProto || "?"} tls.mode ${tlsMode ?? "none"}: no source identity at the gateway`);
            }
            const decision = evaluateAuthz(authzPolicies, req, root);
            for (const ig of decision.ignored ?? []) {
                notes.push(`ignored ${ig}`);
            }
            if (logSource) {
                notes.push(`gateway access logged (Telemetry ${logSource})`);
            }
            const ruleRef: RuleRef = decision.policy ? { kind: "AuthorizationPolicy", name: decision.policy, ruleIndex: decision.ruleIndex } : { kind: "none" };
            const ruleText = decision.policy ? `AuthorizationPolicy ${decision.policy} rule ${decision.ruleIndex} (${decision.action})` : decision.reason;
            const row: AccessRow = {
                ...base,
                verdict: decision.allowed ? "allowed" : "denied",
                path: "gateway",
                rule: ruleText,
                ruleRef,
                gateway: gwRef,
                gatewayDecision: decision,
                gatewayRequest: req,
                logged: !!logSource,
                notes,
            };
            if (direct.allowed) {
                const dr = netpolRule(direct);
                row.notes.push(`the pod can also reach ${publicIp}:${eh.port} directly (${dr.text}); skipping its sidecar skips the gateway (gateway decision: ${decision.allowed ? "allowed" : "denied"} by ${ruleText})`);
                row.verdict = "allowed";
                row.path = "direct (bypass!)";
                row.rule = dr.text;
                row.ruleRef = dr.ref;
                row.logged = false;
            }
            rows.push(row);
        }
    }
    if (hosts.length === 0) {
        warnings.push("no ServiceEntry with location MESH_EXTERNAL: there are no external hosts to report on");
    }
    if (sources.length === 0) {
        warnings.push("no sources: no workloads, NetworkPolicies or AuthorizationPolicy sources among the objects");
    }
    return { rows, sources, hosts, gateways: [...gateways.values()], warnings };
}

function pad(s: string, n: number): string {
    return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/** A plain-text table of the report, one row per source × host:port. */
export function formatReportTable(report: AccessReport): string {
    const header = ["SOURCE", "HOST", "VERDICT", "PATH", "RULE", "LOGGED"];
    const data = report.rows.map((r) => [r.source, `${r.host}:${r.port}`, r.verdict, r.path, r.rule, r.logged ? "yes" : "no"]);
    const widths = header.map((h, i) => Math.min(Math.max(h.length, ...data.map((d) => d[i].length)), i === 4 ? 70 : 60));
    const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : pad(c, widths[i]))).join("  ");
    const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...data.map(line)];
    if (report.rows.length === 0) {
        out.push("(no rows)");
    }
    for (const w of report.warnings) {
        out.push(`warning: ${w}`);
    }
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
    for (const r of report.rows) {
        const s = nodeId("src", r.source);
        const h = nodeId("host", `${r.host}:${r.port}`);
        const hostLabel = `${r.host}:${r.port}`;
        if (r.path === "gateway" && r.gateway) {
            const g = nodeId("gw", r.gateway);
            const label = mermaidText(`${r.verdict}: ${hostLabel}${r.verdict === "denied" ? ` (${r.rule})` : ""}${r.logged ? ", logged" : ""}`);
            lines.push(r.verdict === "allowed" ? `  ${s} -->|"${label}"| ${g}` : `  ${s} --x|"${label}"| ${g}`);
            if (r.verdict === "allowed" && !gwToHost.has(`${g}>${h}`)) {
                gwToHost.add(`${g}>${h}`);
                lines.push(`  ${g} --> ${h}`);
            }
        } else if (r.path === "direct (bypass!)") {
            lines.push(`  ${s} -.->|"${mermaidText(`allowed: BYPASS, direct (${r.rule})`)}"| ${h}`);
        } else if (r.path === "direct") {
            lines.push(`  ${s} -.->|"${mermaidText(`allowed: direct${r.logged ? ", logged" : ""}`)}"| ${h}`);
        } else {
            lines.push(`  ${s} --x|"${mermaidText(`denied: blocked by ${r.rule}`)}"| ${r.gateway ? nodeId("gw", r.gateway) : h}`);
        }
    }
    return lines.join("\n") + "\n";
}

/**
 * Step 2a of the access report — resolve the mesh leg: what the source pod's sidecar does with a connection to
 * an external host. Which configuration the sidecar imports (`exportTo`, the `Sidecar` resource), which
 * VirtualService wins, and which TLS settings the sidecar uses towards the route's destination.
 *
 * Sources (istio/istio, 1.28–1.30): `pilot/pkg/model/virtualservice.go` SelectVirtualServices (import order:
 * private to the namespace, exported to it by name, public; each by creation time), `pilot/pkg/model/sidecar.go`
 * (egress hosts `ns/host`, outboundTrafficPolicy), `pilot/pkg/networking/core/httproute.go` (a domain claimed by
 * an earlier VirtualService is dropped from later ones), `pilot/pkg/networking/core/route/route.go`
 * BuildSidecarVirtualHostWrapper (services without a VirtualService get a default virtual host),
 * `pilot/pkg/networking/core/tls.go` buildSidecarOutboundTLSFilterChainOpts / buildSidecarOutboundTCPFilterChainOpts,
 * `pilot/pkg/networking/core/cluster_tls.go` and `cluster_builder.go` (ISTIO_MUTUAL's default SNI
 * `outbound_.<port>_.<subset>_.<host>`), `pilot/pkg/model/push_context.go` destinationRule (lookup order).
 */
import { hostCovers, hostsOverlap, isRecord, listAt, shown, stringAt, valueAt, type K8sObject } from "../model/index.js";
import { exportedTo, id, mostSpecific, ns, vsGateways } from "./config.js";
import { type Inventory, memo } from "./inventory.js";
import { httpRouteMatches, type RequestProbe, type RouteDestination, routeDestinations, staticMatch } from "./routes.js";
import type { AccessSource, ExternalHost } from "./types.js";

export type Section = "http" | "tls" | "tcp";

/** The VirtualService section a ServiceEntry port's protocol is routed by. */
export function sectionOf(protocol: string): Section {
    const p = protocol.toUpperCase();
    if (["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"].includes(p)) {
        return "http";
    }
    if (["HTTPS", "TLS"].includes(p)) {
        return "tls";
    }
    return "tcp";
}

/** The sidecar configuration that applies to a pod. */
export interface SidecarScope {
    /** Identifies the scope for memoisation: namespace and labels. */
    key?: string;
    namespace: string;
    labels: Record<string, string>;
    sidecar?: K8sObject;
    mode: "ALLOW_ANY" | "REGISTRY_ONLY";
    modeFrom: string;
    /** Whether the sidecar imports a config of namespace `configNs` for host `host` (egress `hosts`). */
    imports(configNs: string, host: string): boolean;
    notes: string[];
}

/**
 * The Sidecar resource of a pod: one in its namespace whose `workloadSelector` matches, else one without a
 * selector there, else the root namespace's one without a selector (`pilot/pkg/model/push_context.go`
 * getSidecarScope; `pilot/pkg/model/sidecar.go`).
 */
export function sidecarScopeFor(inv: Inventory, source: AccessSource): SidecarScope {
    const key = `${source.namespace}|${JSON.stringify(Object.entries(source.labels).sort())}`;
    return memo(inv, `sidecarScope|${key}`, () => ({ ...computeSidecarScope(inv, source), key }));
}

/** A Sidecar's `workloadSelector.labels` as written. */
function workloadSelectorOf(s: K8sObject): unknown {
    return valueAt(s.spec, "workloadSelector", "labels");
}

/** Whether a Sidecar has no workload selector (unset or empty): it is its namespace's default. Any other value is a selector. */
function isNamespaceDefault(s: K8sObject): boolean {
    const l = workloadSelectorOf(s);
    return !l || (isRecord(l) && Object.keys(l).length === 0);
}

function computeSidecarScope(inv: Inventory, source: AccessSource): SidecarScope {
    const own = inv.sidecars.filter((s) => ns(s) === source.namespace);
    const selected =
        own.find((s) => {
            // A selector that is not an object (the API server refuses one) selects no pod.
            const l = workloadSelectorOf(s);
            return isRecord(l) && Object.keys(l).length > 0 && Object.entries(l).every(([k, v]) => source.labels[k] === v);
        }) ??
        own.find(isNamespaceDefault) ??
        inv.sidecars.find((s) => ns(s) === inv.options.root && isNamespaceDefault(s));
    const notes: string[] = [];
    const sidecarMode = valueAt(selected?.spec, "outboundTrafficPolicy", "mode");
    const mode = sidecarMode === "REGISTRY_ONLY" || sidecarMode === "ALLOW_ANY" ? sidecarMode : inv.options.outboundTrafficPolicy;
    const modeFrom = sidecarMode ? `Sidecar ${id(selected!)}` : (inv.options.settingsFrom.find((s) => s.startsWith("outboundTrafficPolicy")) ?? "mesh default");
    const egress = listAt(selected?.spec, "egress");
    const entries: { ns: string; host: string }[] = [];
    for (const e of egress) {
        if (valueAt(e, "port")) {
            notes.push(
                `Sidecar ${id(selected!)} has a port-specific egress listener (port ${shown(valueAt(e, "port", "number"))}); the report applies its hosts to every port`,
            );
        }
        for (const h of listAt(e, "hosts")) {
            const text = String(h);
            const i = text.indexOf("/");
            if (i < 0) {
                notes.push(`Sidecar ${id(selected!)} egress host "${text}" is not of the form namespace/host; ignored`);
                continue;
            }
            entries.push({ ns: text.slice(0, i), host: text.slice(i + 1) });
        }
    }
    const imports = (configNs: string, host: string) => {
        if (!selected || egress.length === 0) {
            return true;
        }
        return entries.some((e) => {
            const nsOk = e.ns === "*" || e.ns === configNs || (e.ns === "." && configNs === source.namespace);
            return nsOk && (e.host === "*" || hostsOverlap(e.host, host));
        });
    };
    return { namespace: source.namespace, labels: source.labels, sidecar: selected, mode, modeFrom, imports, notes };
}

/** VirtualServices bound to `mesh` that the pod's sidecar imports, in SelectVirtualServices order. */
export function meshVirtualServices(inv: Inventory, scope: SidecarScope): K8sObject[] {
    return scope.key ? memo(inv, `meshVS|${scope.key}`, () => computeMeshVirtualServices(inv, scope)) : computeMeshVirtualServices(inv, scope);
}

function computeMeshVirtualServices(inv: Inventory, scope: SidecarScope): K8sObject[] {
    const visible = inv.virtualServices.filter(
        (vs) =>
            vsGateways(vs).includes("mesh") &&
            exportedTo(vs, scope.namespace, inv.options.exportDefaults.virtualService) &&
            listAt(vs.spec, "hosts").some((h) => scope.imports(ns(vs), String(h))),
    );
    const bucket = (vs: K8sObject) => {
        const declared = listAt(vs.spec, "exportTo");
        const exp: string[] = declared.length > 0 ? declared.map(String) : (inv.options.exportDefaults.virtualService ?? ["*"]);
        if (exp.includes("*")) return 2;
        if (ns(vs) === scope.namespace && (exp.includes(".") || exp.includes(scope.namespace))) return 0;
        return 1;
    };
    return [...visible].sort((a, b) => bucket(a) - bucket(b));
}

/** Whether the pod's sidecar knows a ServiceEntry (exported to its namespace and imported by its Sidecar). */
export function seesEntry(inv: Inventory, scope: SidecarScope, se: K8sObject, host: string): boolean {
    return exportedTo(se, scope.namespace, inv.options.exportDefaults.service) && scope.imports(ns(se), host);
}

/** The external hosts on `port` the pod's sidecar has in its registry. */
function registryHostsOnPort(inv: Inventory, scope: SidecarScope, port: number): string[] {
    return scope.key
        ? memo(inv, `registry|${scope.key}|${port}`, () => computeRegistryHostsOnPort(inv, scope, port))
        : computeRegistryHostsOnPort(inv, scope, port);
}

function computeRegistryHostsOnPort(inv: Inventory, scope: SidecarScope, port: number): string[] {
    const out: string[] = [];
    for (const se of inv.serviceEntries) {
        if ((valueAt(se.spec, "location") ?? "MESH_EXTERNAL") !== "MESH_EXTERNAL") continue;
        const declared = listAt(se.spec, "ports");
        const ports: unknown[] = declared.length ? declared : [{ number: 443 }];
        if (!ports.some((p) => Number(valueAt(p, "number")) === port)) continue;
        for (const h of listAt(se.spec, "hosts")) {
            if (seesEntry(inv, scope, se, String(h))) out.push(String(h));
        }
    }
    return out;
}

export interface MeshLeg {
    /**
     * `route`: a VirtualService route; `default`: the host's own cluster (no VirtualService for it), the sidecar
     * connects to the host itself; `no-route`: a virtual host without a matching route (HTTP 404);
     * `passthrough`: nothing matches and outboundTrafficPolicy is ALLOW_ANY; `blackhole`: REGISTRY_ONLY.
     */
    kind: "route" | "default" | "no-route" | "passthrough" | "blackhole";
    section: Section;
    vs?: K8sObject;
    index?: number;
    destinations: RouteDestination[];
    conditional?: string[];
    redirect?: boolean;
    directResponse?: number;
    /** `VirtualService ns/name tls[0]`, or what decided otherwise. */
    text: string;
    notes: string[];
}

type Proxy = { gateway: string; port: number; labels: Record<string, string>; namespace: string };

/**
 * The sidecar's virtual hosts on a port: each domain belongs to the first VirtualService that claims it — a
 * VirtualService without any route for the port builds no virtual host at all (route.go
 * buildSidecarVirtualHostsForVirtualService: "len(routes) == 0 → nil") — and registry hosts no VirtualService
 * covers get their own default virtual host (BuildSidecarVirtualHostWrapper).
 */
function httpDomains(vss: K8sObject[], registry: string[], proxy: Proxy): { domains: Map<string, K8sObject | undefined>; notes: string[] } {
    const notes: string[] = [];
    const domains = new Map<string, K8sObject | undefined>();
    const routesHere = (vs: K8sObject) =>
        listAt(vs.spec, "http").some((e) => {
            const ms = listAt(e, "match");
            return ms.length === 0 || ms.some((m) => staticMatch(m, vs, proxy));
        });
    for (const vs of vss) {
        if (!routesHere(vs)) continue;
        for (const h of listAt(vs.spec, "hosts")) {
            const d = String(h).toLowerCase();
            if (!domains.has(d)) domains.set(d, vs);
            else if (domains.get(d) !== vs)
                notes.push(
                    `domain ${d} of VirtualService ${id(vs)} is dropped: ${id(domains.get(d)!)} claimed it first (pilot/pkg/networking/core/httproute.go, duplicate domain)`,
                );
        }
    }
    const keys = [...domains.keys()];
    for (const r of registry) {
        if (!keys.some((d) => hostCovers(d, r))) {
            domains.set(r.toLowerCase(), undefined);
        }
    }
    return { domains, notes };
}

interface TlsChain {
    sni: string[];
    vs?: K8sObject;
    index?: number;
    entry?: unknown;
}

/**
 * The sidecar's TLS filter chains on a port: one per VirtualService tls match (the first for a given set of SNI
 * names wins), plus the host's own chain for registry hosts without a VirtualService TLS match
 * (tls.go buildSidecarOutboundTLSFilterChainOpts: `matchHasBeenHandled`, `hasTLSMatch`).
 */
function tlsChains(vss: K8sObject[], registry: string[], proxy: Proxy): { chains: TlsChain[]; notes: string[] } {
    const notes: string[] = [];
    const chains: TlsChain[] = [];
    const seen = new Set<string>();
    const withTlsMatch = new Set<string>();
    for (const vs of vss) {
        const vsHosts = listAt(vs.spec, "hosts").map(String);
        let matched = false;
        for (const [index, entry] of listAt(vs.spec, "tls").entries()) {
            if (listAt(entry, "route").length === 0) continue;
            for (const m of listAt(entry, "match")) {
                if (!staticMatch(m, vs, proxy)) continue;
                matched = true;
                const sni: string[] = listAt(m, "sniHosts").map(String);
                const key = [...sni].sort().join(",") + "|" + listAt(m, "destinationSubnets").join(",");
                if (seen.has(key)) {
                    notes.push(`VirtualService ${id(vs)} tls[${index}] repeats SNI ${sni.join(", ")}: the earlier match wins`);
                    continue;
                }
                seen.add(key);
                chains.push({ sni, vs, index, entry });
            }
        }
        if (matched) {
            for (const r of registry) {
                if (vsHosts.some((h) => hostsOverlap(h, r))) withTlsMatch.add(r);
            }
        }
    }
    for (const r of registry) {
        if (!withTlsMatch.has(r)) chains.push({ sni: [r] });
    }
    return { chains, notes };
}

/** What the sidecar of `scope`'s pod does with a connection to `host` (the request `req`). */
export function resolveMeshLeg(inv: Inventory, scope: SidecarScope, host: ExternalHost, req: RequestProbe): MeshLeg {
    const section = sectionOf(host.protocol);
    const proxy: Proxy = { gateway: "mesh", port: host.port, labels: scope.labels, namespace: scope.namespace };
    const vss = meshVirtualServices(inv, scope);
    const notes: string[] = [...scope.notes];
    const fallback = (why: string): MeshLeg =>
        scope.mode === "REGISTRY_ONLY"
            ? { kind: "blackhole", section, destinations: [], text: `${why}; outboundTrafficPolicy REGISTRY_ONLY (${scope.modeFrom}): BlackHoleCluster`, notes }
            : {
                  kind: "passthrough",
                  section,
                  destinations: [],
                  text: `${why}; outboundTrafficPolicy ALLOW_ANY (${scope.modeFrom}): PassthroughCluster, straight to the address the pod dialled`,
                  notes,
              };
    const registry = registryHostsOnPort(inv, scope, host.port);

    if (section === "http") {
        const { domains, notes: domainNotes } = scope.key
            ? memo(inv, `httpDomains|${scope.key}|${host.port}`, () => httpDomains(vss, registry, proxy))
            : httpDomains(vss, registry, proxy);
        const domain = mostSpecific([...domains.keys()], (d) => [d], req.host);
        notes.push(...domainNotes.filter((n) => domain !== undefined && n.startsWith(`domain ${domain} `)));
        if (domain === undefined) {
            return fallback(`no virtual host for ${req.host}:${host.port}`);
        }
        const vs = domains.get(domain);
        if (!vs) {
            return {
                kind: "default",
                section,
                destinations: [{ host: domain, port: host.port, weight: 100 }],
                text: `no VirtualService for ${domain}: the sidecar's own cluster for the host`,
                notes,
            };
        }
        for (const [index, entry] of listAt(vs.spec, "http").entries()) {
            const m = httpRouteMatches(entry, vs, req, proxy);
            if (m.matches) {
                return {
                    kind: "route",
                    section,
                    vs,
                    index,
                    destinations: routeDestinations(entry, vs),
                    ...(m.conditional.length > 0 ? { conditional: m.conditional } : {}),
                    ...(valueAt(entry, "redirect") ? { redirect: true } : {}),
                    ...(valueAt(entry, "directResponse") ? { directResponse: Number(valueAt(entry, "directResponse", "status") ?? 200) } : {}),
                    text: `VirtualService ${id(vs)} http[${index}]`,
                    notes,
                };
            }
        }
        return {
            kind: "no-route",
            section,
            vs,
            destinations: [],
            text: `VirtualService ${id(vs)} has no http route for this request on port ${host.port} (Envoy answers 404)`,
            notes,
        };
    }

    if (section === "tls") {
        const { chains, notes: chainNotes } = scope.key
            ? memo(inv, `tlsChains|${scope.key}|${host.port}`, () => tlsChains(vss, registry, proxy))
            : tlsChains(vss, registry, proxy);
        const best = mostSpecific(chains, (c) => c.sni, req.host);
        notes.push(...chainNotes.filter((n) => best !== undefined && best.sni.some((x) => n.includes(`SNI ${x}`))));
        if (!best) {
            return fallback(`no filter chain for SNI ${req.host} on port ${host.port}`);
        }
        if (!best.vs) {
            return {
                kind: "default",
                section,
                destinations: [{ host: best.sni[0], port: host.port, weight: 100 }],
                text: `no VirtualService TLS route for ${best.sni[0]}: the sidecar's own cluster for the host`,
                notes,
            };
        }
        return {
            kind: "route",
            section,
            vs: best.vs,
            index: best.index,
            destinations: routeDestinations(best.entry, best.vs),
            text: `VirtualService ${id(best.vs)} tls[${best.index}] (SNI ${best.sni.join(", ")})`,
            notes,
        };
    }

    // TCP: the first VirtualService for the host whose tcp entry matches statically.
    for (const vs of vss) {
        if (!listAt(vs.spec, "hosts").some((h) => hostsOverlap(String(h), host.host))) continue;
        for (const [index, entry] of listAt(vs.spec, "tcp").entries()) {
            if (listAt(entry, "route").length === 0) continue;
            const matches = listAt(entry, "match");
            if (matches.length === 0 || matches.some((m) => staticMatch(m, vs, proxy) && !listAt(m, "destinationSubnets").length)) {
                return { kind: "route", section, vs, index, destinations: routeDestinations(entry, vs), text: `VirtualService ${id(vs)} tcp[${index}]`, notes };
            }
        }
    }
    return {
        kind: "default",
        section,
        destinations: [{ host: host.host, port: host.port, weight: 100 }],
        text: `no VirtualService TCP route for ${host.host}: the sidecar's own cluster for the host`,
        notes,
    };
}

/** The TLS the sidecar uses towards a cluster Service (the gateway): from the DestinationRule it sees. */
export interface OuterTls {
    transport: "plaintext" | "istio-mtls" | "tls";
    sni?: string;
    destinationRule?: string;
    /** Why (for notes). */
    text: string;
}

function drHostRank(drHost: string, fqdn: string): number | undefined {
    if (drHost === fqdn) return 0;
    if (drHost.startsWith("*") && hostCovers(drHost, fqdn)) return 1000 - drHost.length;
    return undefined;
}

/**
 * The DestinationRule a sidecar in `clientNs` applies to `fqdn`: its own namespace's first, then the Service's
 * namespace's exported to it, then the root namespace's (`push_context.go` destinationRule), most specific host.
 */
export function destinationRuleFor(inv: Inventory, clientNs: string, fqdn: string, serviceNs: string): K8sObject | undefined {
    const pick = (cands: K8sObject[]) => {
        let best: K8sObject | undefined;
        let rank = Number.POSITIVE_INFINITY;
        for (const dr of cands) {
            const h = shown(valueAt(dr.spec, "host") ?? "");
            const full = h.includes(".") || h === "*" ? h : `${h}.${ns(dr)}.svc.cluster.local`;
            const r = drHostRank(full, fqdn);
            if (r !== undefined && r < rank) {
                best = dr;
                rank = r;
            }
        }
        return best;
    };
    const drs = inv.destinationRules;
    const d = inv.options.exportDefaults.destinationRule;
    return (
        // The client's own namespace: the rules exported to it (`setDestinationRules` namespaceLocal).
        pick(drs.filter((dr) => ns(dr) === clientNs && exportedTo(dr, clientNs, d))) ??
        pick(drs.filter((dr) => ns(dr) === serviceNs && serviceNs !== clientNs && exportedTo(dr, clientNs, d))) ??
        pick(drs.filter((dr) => ns(dr) === inv.options.root && inv.options.root !== clientNs && exportedTo(dr, clientNs, d)))
    );
}

function tlsOf(policy: unknown, port: number): unknown {
    const pl = listAt(policy, "portLevelSettings").find((s) => Number(valueAt(s, "port", "number")) === port);
    return valueAt(pl, "tls") ?? valueAt(policy, "tls");
}

/**
 * The sidecar's TLS towards a gateway Service: the subset's (port-level, then top-level) TLS settings override
 * the rule's (`pilot/pkg/networking/util/util.go` MergeSubsetTrafficPolicy). Without TLS settings the sidecar
 * sends plaintext: auto mTLS only upgrades endpoints labelled `security.istio.io/tlsMode: istio`, which the
 * injector's gateway template does not set (`manifests/charts/istio-control/istio-discovery/files/
 * gateway-injection-template.yaml`, unlike `injection-template.yaml`).
 */
export function outerTlsTo(inv: Inventory, clientNs: string, svc: { name: string; namespace: string }, subset: string | undefined, port: number): OuterTls {
    const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
    const dr = destinationRuleFor(inv, clientNs, fqdn, svc.namespace);
    if (!dr) {
        return { transport: "plaintext", text: `no DestinationRule for ${fqdn}: plaintext (gateway pods are not auto-mTLS endpoints)` };
    }
    const sub = subset ? listAt(dr.spec, "subsets").find((s) => valueAt(s, "name") === subset) : undefined;
    const notes = subset && !sub ? ` (subset ${subset} is not defined: Envoy has no such cluster)` : "";
    const tls = tlsOf(valueAt(sub, "trafficPolicy"), port) ?? tlsOf(valueAt(dr.spec, "trafficPolicy"), port);
    const mode = valueAt(tls, "mode");
    // An `sni` that is not a string (the API server refuses one) reads as unset.
    const tlsSni = stringAt(tls, "sni");
    if (mode === "ISTIO_MUTUAL") {
        const sni = tlsSni || `outbound_.${port}_.${subset ?? ""}_.${fqdn}`;
        return {
            transport: "istio-mtls",
            sni,
            destinationRule: id(dr),
            text: `Istio mTLS (DestinationRule ${id(dr)}), SNI ${sni}${tlsSni ? "" : " (istiod's default for ISTIO_MUTUAL)"}${notes}`,
        };
    }
    if (mode === "SIMPLE" || mode === "MUTUAL") {
        return { transport: "tls", sni: tlsSni, destinationRule: id(dr), text: `TLS ${mode} (DestinationRule ${id(dr)})${notes}` };
    }
    return { transport: "plaintext", destinationRule: id(dr), text: `DestinationRule ${id(dr)} sets no TLS towards ${fqdn}: plaintext${notes}` };
}

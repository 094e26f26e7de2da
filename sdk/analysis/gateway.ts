/**
 * Step 2b of the access report — resolve the gateway leg: which Istio Gateways istiod applies to a set of
 * gateway pods, the servers that result once it merged them, which filter chain a connection lands on, and
 * which VirtualService route forwards it. Each rule follows istiod's source (istio/istio, 1.28–1.30):
 * `pilot/pkg/model/push_context.go` (`mergeGateways`, `VirtualServicesForGateway`), `pilot/pkg/model/gateway.go`
 * (`mergeGateways`, `resolvePorts`, `CheckDuplicates`, `sanitizeServerHostNamespace`) and
 * `pilot/pkg/networking/core/gateway.go` (`buildGatewayHTTPRouteConfig`, `createGatewayTCPFilterChainOpts`,
 * `buildGatewayNetworkFiltersFromTCPRoutes`, `buildGatewayNetworkFiltersFromTLSRoutes`, `pickMatchingGatewayHosts`).
 */
import { hostsOverlap, hostCovers, isRecord, listAt, shown, valueAt, type K8sObject } from "../model/index.js";
import { exportedTo, id, mostSpecific, ns, orderIsAssumed, resolveGatewayName, resolveShortname, vsGateways } from "./config.js";
import { type GatewayPods, type Inventory, memo } from "./inventory.js";
import { httpRouteMatches, RequestProbe, type RouteDestination, routeDestinations } from "./routes.js";

/** A server after istiod merged every Gateway that selects the pods. */
export interface MergedServer {
    gateway: K8sObject;
    gatewayId: string;
    index: number;
    /** The Gateway's `servers[index]` as written. */
    server: Record<string, unknown>;
    /** The port the Gateway declares (matched by VirtualService `port` matches) and the port the pods bind. */
    port: number;
    listenerPort: number;
    protocol: string;
    /** Hosts after `sanitizeServerHostNamespace`: `./h` → `<gw ns>/h`, `*\/h` → `h`, `*\/*` → `*`. */
    hosts: string[];
    /** SNI names of the server's filter chain (`GetSNIHostsForServer`: the hosts without namespace). */
    sniHosts: string[];
    tlsMode?: string;
    bind?: string;
    skipped?: string;
}

/** A field as text (a string as is), or undefined when unset. */
function shownIfSet(v: unknown): string | undefined {
    return v === undefined ? undefined : shown(v);
}

const HTTP_PROTOCOLS = ["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"];

function protocolOf(s: unknown): string {
    return shown(valueAt(s, "port", "protocol") ?? "").toUpperCase();
}

function isPassthrough(s: unknown): boolean {
    const mode = valueAt(s, "tls", "mode");
    return mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH";
}

/** `pkg/config/gateway/gateway.go` IsHTTPSServerWithTLSTermination: HTTPS (or HTTP with TLS) that is not passthrough. */
function terminatesHttps(s: unknown): boolean {
    const p = protocolOf(s);
    return !!valueAt(s, "tls") && !isPassthrough(s) && (p === "HTTPS" || HTTP_PROTOCOLS.includes(p));
}

function isPlainHttp(s: unknown): boolean {
    return !valueAt(s, "tls") && HTTP_PROTOCOLS.includes(protocolOf(s));
}

/**
 * The Gateways whose `selector` picks pods with these labels, in istiod's merge order (creation time, then
 * name): any namespace's Gateway unless PILOT_SCOPE_GATEWAY_TO_NAMESPACE, when only the pods' own namespace's
 * (`push_context.go` `initGateways` / `mergeGateways`; `features/pilot.go` ScopeGatewayToNamespace). A Gateway
 * without selector applies to every gateway proxy.
 */
export function gatewaysSelecting(inv: Inventory, pods: { namespace: string; labels: Record<string, string> }): K8sObject[] {
    return inv.gateways.filter((g) => {
        if (inv.options.scopeGatewayToNamespace && ns(g) !== pods.namespace) {
            return false;
        }
        const sel = valueAt(g.spec, "selector");
        if (!sel || typeof sel !== "object" || Object.keys(sel).length === 0) {
            return true;
        }
        return Object.entries(sel).every(([k, v]) => pods.labels[k] === v);
    });
}

/**
 * The port a server binds on the pods: with label selection (the "legacy" path every Istio `Gateway` with a
 * selector takes), the targetPort of the first Service port of the pods whose port is the server's number, else
 * the number itself (`pilot/pkg/model/gateway.go` resolvePorts).
 */
export function listenerPortFor(pods: GatewayPods, serverPort: number): number {
    const sp = pods.servicePorts.find((p) => p.port === serverPort);
    if (!sp) {
        return serverPort;
    }
    if (typeof sp.targetPort === "number" || /^\d+$/.test(String(sp.targetPort))) {
        return Number(sp.targetPort);
    }
    return pods.namedPorts[String(sp.targetPort)] ?? serverPort;
}

function sanitizeHosts(hosts: string[], gatewayNamespace: string): string[] {
    const out: string[] = [];
    for (const h of hosts) {
        const i = h.indexOf("/");
        if (i < 0) {
            out.push(h);
            continue;
        }
        const [n, name] = [h.slice(0, i), h.slice(i + 1)];
        if (n === ".") {
            out.push(`${gatewayNamespace}/${name}`);
        } else if (n === "*") {
            if (name === "*") {
                return ["*"];
            }
            out.push(name);
        } else {
            out.push(h);
        }
    }
    return out;
}

/** The servers istiod builds for the pods, in merge order, with the ones it drops marked `skipped`. */
export function mergeServers(inv: Inventory, pods: GatewayPods): MergedServer[] {
    return memo(inv, `mergeServers|${pods.id}|${JSON.stringify(pods.labels)}`, () => computeMergeServers(inv, pods));
}

function computeMergeServers(inv: Inventory, pods: GatewayPods): MergedServer[] {
    const out: MergedServer[] = [];
    const tlsHostsByPort = new Map<number, Map<string, string>>();
    const kindByPort = new Map<number, "plain-http" | "tls" | "tcp">();
    for (const g of gatewaysSelecting(inv, pods)) {
        for (const [index, s] of listAt(g.spec, "servers").entries()) {
            const portNumber = valueAt(s, "port", "number");
            if (!isRecord(s) || typeof portNumber !== "number") {
                continue;
            }
            const hosts = sanitizeHosts(listAt(s, "hosts").map(String), ns(g));
            const listenerPort = listenerPortFor(pods, portNumber);
            const merged: MergedServer = {
                gateway: g,
                gatewayId: id(g),
                index,
                server: s,
                port: portNumber,
                listenerPort,
                protocol: protocolOf(s),
                hosts,
                sniHosts: [...new Set(hosts.map((h) => (h.includes("/") ? h.slice(h.indexOf("/") + 1) : h)))].sort(),
                tlsMode: shownIfSet(valueAt(s, "tls", "mode")),
                bind: shownIfSet(s.bind),
            };
            const kind = isPlainHttp(s) ? "plain-http" : s.tls ? "tls" : "tcp";
            if (s.tls) {
                // Envoy rejects two filter chains with the same SNI match: a later server repeating a host on the
                // port is dropped whole (`CheckDuplicates`).
                const known = tlsHostsByPort.get(listenerPort) ?? new Map<string, string>();
                tlsHostsByPort.set(listenerPort, known);
                const dups = hosts.filter((h) => known.has(h) && known.get(h) === shown(s.bind ?? ""));
                if (dups.length > 0) {
                    merged.skipped = `duplicate host ${dups.join(", ")} on port ${listenerPort}: istiod keeps the earlier server (pilot/pkg/model/gateway.go CheckDuplicates)`;
                    out.push(merged);
                    continue;
                }
                for (const h of hosts) {
                    known.set(h, shown(s.bind ?? ""));
                }
            }
            const existing = kindByPort.get(listenerPort);
            if (existing && (existing === "plain-http") !== (kind === "plain-http")) {
                merged.skipped = `port ${listenerPort} already carries ${existing === "plain-http" ? "plain HTTP" : "TLS/TCP"} servers: istiod skips a server of the other kind (pilot/pkg/model/gateway.go mergeGateways)`;
                out.push(merged);
                continue;
            }
            if (existing === "tcp" && kind === "tcp") {
                merged.skipped = `a second plain TCP server on port ${listenerPort}: istiod skips it (no route name to tell them apart)`;
                out.push(merged);
                continue;
            }
            kindByPort.set(listenerPort, kind);
            out.push(merged);
        }
    }
    return out;
}

/**
 * The VirtualServices bound to `gatewayName` as a gateway proxy in `proxyNamespace` sees them: exported to that
 * namespace, those private to it first, then those exported to it by name, then public ones, each in creation
 * order (`push_context.go` VirtualServicesForGateway, `initVirtualServices`).
 */
export function virtualServicesForGateway(inv: Inventory, proxyNamespace: string, gatewayName: string): K8sObject[] {
    return memo(inv, `vsForGateway|${proxyNamespace}|${gatewayName}`, () => computeVirtualServicesForGateway(inv, proxyNamespace, gatewayName));
}

function computeVirtualServicesForGateway(inv: Inventory, proxyNamespace: string, gatewayName: string): K8sObject[] {
    const bound = inv.virtualServices.filter(
        (vs) => vsGateways(vs).includes(gatewayName) && exportedTo(vs, proxyNamespace, inv.options.exportDefaults.virtualService),
    );
    const bucket = (vs: K8sObject) => {
        const declared = listAt(vs.spec, "exportTo");
        const exp: string[] = declared.length > 0 ? declared.map(String) : (inv.options.exportDefaults.virtualService ?? ["*"]);
        if (exp.includes("*")) return 2;
        if (ns(vs) === proxyNamespace && (exp.includes(".") || exp.includes(proxyNamespace))) return 0;
        return 1;
    };
    return [...bound].sort((a, b) => bucket(a) - bucket(b));
}

/** `pickMatchingGatewayHosts`: a server host `ns/h` only matches VirtualServices of namespace `ns`. */
export function serverHostsFor(server: MergedServer, vsNamespace: string): string[] {
    const out: string[] = [];
    for (const h of server.hosts) {
        const i = h.indexOf("/");
        if (i < 0) {
            out.push(h);
        } else if (h.slice(0, i) === vsNamespace || h.slice(0, i) === "*") {
            out.push(h.slice(i + 1));
        }
    }
    return out;
}

function vsHosts(vs: K8sObject): string[] {
    return listAt(vs.spec, "hosts").map((h) => resolveShortname(String(h), ns(vs)));
}

function hostsIntersect(server: MergedServer, vs: K8sObject): boolean {
    const sh = serverHostsFor(server, ns(vs));
    return vsHosts(vs).some((v) => sh.some((s) => hostsOverlap(s, v)));
}

/** VirtualService L4 match (`l4SingleMatch`): `port` against the server's declared port, `gateways` against the Gateway. */
function l4Matches(m: unknown, server: MergedServer, vs: K8sObject): boolean {
    const port = valueAt(m, "port");
    if (port !== undefined && port !== 0 && Number(port) !== server.port) {
        return false;
    }
    const declared = listAt(m, "gateways");
    const gws: string[] | undefined = declared.length > 0 ? declared.map((g) => resolveGatewayName(String(g), ns(vs))) : undefined;
    return !gws || gws.includes(server.gatewayId);
}

export interface GatewayRoute {
    vs: K8sObject;
    section: "http" | "tls" | "tcp";
    index: number;
    destinations: RouteDestination[];
    /** For HTTP: the route has runtime conditions this report took as matching (headers, query, …). */
    conditional?: string[];
    redirect?: boolean;
    directResponse?: number;
}

/** Other VirtualServices that also claim the server's hosts, and what they would do if they came first. */
export interface ContestedRoute {
    vs: K8sObject;
    route: GatewayRoute;
    /** Whether the order between the winner and this one rests on creation times the objects do not carry. */
    orderAssumed: boolean;
}

/**
 * The TCP route of a TLS-terminating or plain TCP server: the first VirtualService (in gateway order) whose hosts
 * meet the server's and that has a `tcp` entry matching the server (`buildGatewayNetworkFiltersFromTCPRoutes`:
 * "there can be only one match that succeeds"). Every other candidate is returned as contested.
 */
export function tcpRouteOf(inv: Inventory, pods: GatewayPods, server: MergedServer): { route?: GatewayRoute; contested: ContestedRoute[] } {
    const candidates: GatewayRoute[] = [];
    for (const vs of virtualServicesForGateway(inv, pods.namespace, server.gatewayId)) {
        if (!hostsIntersect(server, vs)) {
            continue;
        }
        for (const [index, entry] of listAt(vs.spec, "tcp").entries()) {
            const matches = listAt(entry, "match");
            if ((matches.length === 0 || matches.some((m) => l4Matches(m, server, vs))) && listAt(entry, "route").length > 0) {
                candidates.push({ vs, section: "tcp", index, destinations: routeDestinations(entry, vs) });
                break;
            }
        }
    }
    const [route, ...rest] = candidates;
    return { route, contested: rest.map((r) => ({ vs: r.vs, route: r, orderAssumed: route ? orderIsAssumed(route.vs, r.vs) : false })) };
}

/** A filter chain on a gateway listener. */
export interface GatewayChain {
    kind: "http" | "tcp" | "passthrough";
    /** SNI names the chain matches (empty or `*`: every connection). */
    sni: string[];
    servers: MergedServer[];
    /** TCP and passthrough chains carry their route. */
    route?: GatewayRoute;
    contested?: ContestedRoute[];
}

/** The filter chains of one listener port (`buildGatewayTCPBasedFilterChains`). */
export function chainsOf(inv: Inventory, pods: GatewayPods, servers: MergedServer[], listenerPort: number): { chains: GatewayChain[]; notes: string[] } {
    return memo(inv, `chains|${pods.id}|${JSON.stringify(pods.labels)}|${listenerPort}|${servers.length}`, () =>
        computeChains(inv, pods, servers, listenerPort),
    );
}

function computeChains(inv: Inventory, pods: GatewayPods, servers: MergedServer[], listenerPort: number): { chains: GatewayChain[]; notes: string[] } {
    const notes: string[] = [];
    const onPort = servers.filter((s) => s.listenerPort === listenerPort && !s.skipped);
    const plainHttp = onPort.filter((s) => isPlainHttp(s.server));
    if (plainHttp.length > 0) {
        return { chains: [{ kind: "http", sni: [], servers: plainHttp }], notes };
    }
    const chains: GatewayChain[] = [];
    const sniKnown = new Set<string>();
    for (const s of onPort) {
        if (terminatesHttps(s.server)) {
            chains.push({ kind: "http", sni: s.sniHosts, servers: [s] });
        } else if (!isPassthrough(s.server)) {
            const { route, contested } = tcpRouteOf(inv, pods, s);
            if (route) {
                chains.push({ kind: "tcp", sni: s.server.tls ? s.sniHosts : [], servers: [s], route, contested });
            } else {
                notes.push(
                    `server ${s.gatewayId} servers[${s.index}] (${s.hosts.join(", ")}) has no VirtualService tcp route: istiod builds no filter chain for it (pilot/pkg/networking/core/gateway.go createGatewayTCPFilterChainOpts)`,
                );
            }
        } else if (s.tlsMode === "AUTO_PASSTHROUGH") {
            notes.push(`server ${s.gatewayId} servers[${s.index}] is AUTO_PASSTHROUGH (routes by the mesh's internal SNI): not modelled`);
        } else {
            for (const vs of virtualServicesForGateway(inv, pods.namespace, s.gatewayId)) {
                if (!hostsIntersect(s, vs)) {
                    continue;
                }
                for (const [index, entry] of listAt(vs.spec, "tls").entries()) {
                    if (listAt(entry, "route").length === 0) {
                        continue;
                    }
                    for (const m of listAt(entry, "match")) {
                        if (!l4Matches(m, s, vs)) {
                            continue;
                        }
                        const sni: string[] = listAt(m, "sniHosts").map(String);
                        const dups = sni.filter((h) => sniKnown.has(h));
                        if (dups.length > 0) {
                            notes.push(
                                `VirtualService ${id(vs)} tls[${index}] repeats SNI ${dups.join(", ")} on port ${listenerPort}: istiod skips it (buildGatewayNetworkFiltersFromTLSRoutes CheckDuplicates)`,
                            );
                            continue;
                        }
                        sni.forEach((h) => sniKnown.add(h));
                        chains.push({
                            kind: "passthrough",
                            sni,
                            servers: [s],
                            route: { vs, section: "tls", index, destinations: routeDestinations(entry, vs) },
                        });
                    }
                }
            }
        }
    }
    return { chains, notes };
}

/** The chain Envoy picks for a connection's SNI: the most specific `server_names` match, else a chain without any. */
export function pickChain(chains: GatewayChain[], sni: string | undefined): GatewayChain | undefined {
    const named = chains.filter((c) => c.sni.length > 0 && !c.sni.includes("*"));
    if (sni) {
        const best = mostSpecific(named, (c) => c.sni, sni);
        if (best) {
            return best;
        }
    }
    return chains.find((c) => c.sni.length === 0 || c.sni.includes("*"));
}

interface VHostRoute {
    vs: K8sObject;
    server: MergedServer;
    index: number;
    entry: unknown;
    catchAll: boolean;
}

function isCatchAll(entry: unknown): boolean {
    const matches = listAt(entry, "match");
    if (matches.length === 0) {
        return true;
    }
    return matches.some((m) => {
        const keys = (m === undefined || m === null ? [] : Object.keys(m)).filter(
            (k) => !["name", "gateways", "port", "sourceLabels", "sourceNamespace"].includes(k),
        );
        if (keys.length === 0) {
            return true;
        }
        return keys.length === 1 && keys[0] === "uri" && (valueAt(m, "uri", "prefix") === "/" || valueAt(m, "uri", "regex") === ".*");
    });
}

/**
 * HTTP at the gateway: the virtual hosts of the chain's route configuration (each VirtualService whose hosts meet a
 * server's, its routes appended per host in gateway order), the most specific one for the request's authority,
 * and in it the first route that matches (routes without conditions sorted last: `route.go` SortVHostRoutes).
 */
const vhostCache = new WeakMap<GatewayChain, Map<string, VHostRoute[]>>();

export function gatewayHttpRoute(
    inv: Inventory,
    pods: GatewayPods,
    chain: GatewayChain,
    req: RequestProbe,
): { route?: GatewayRoute; vhost?: string; contested: ContestedRoute[]; notes: string[] } {
    const notes: string[] = [];
    let vhosts = vhostCache.get(chain);
    if (!vhosts) {
        vhosts = virtualHostsOf(inv, pods, chain);
        vhostCache.set(chain, vhosts);
    }
    return routeInVirtualHosts(vhosts, pods, req, notes);
}

function virtualHostsOf(inv: Inventory, pods: GatewayPods, chain: GatewayChain): Map<string, VHostRoute[]> {
    const vhosts = new Map<string, VHostRoute[]>();
    for (const server of chain.servers) {
        for (const vs of virtualServicesForGateway(inv, pods.namespace, server.gatewayId)) {
            const sh = serverHostsFor(server, ns(vs));
            const names: string[] = [];
            for (const v of vsHosts(vs)) {
                for (const s of sh) {
                    if (hostCovers(s, v)) names.push(v.toLowerCase());
                    else if (hostCovers(v, s)) names.push(s.toLowerCase());
                }
            }
            for (const name of new Set(names)) {
                const list = vhosts.get(name) ?? [];
                for (const [index, entry] of listAt(vs.spec, "http").entries()) {
                    list.push({ vs, server, index, entry, catchAll: isCatchAll(entry) });
                }
                vhosts.set(name, list);
            }
        }
    }
    return vhosts;
}

function routeInVirtualHosts(
    vhosts: Map<string, VHostRoute[]>,
    pods: GatewayPods,
    req: RequestProbe,
    notes: string[],
): { route?: GatewayRoute; vhost?: string; contested: ContestedRoute[]; notes: string[] } {
    const domain = mostSpecific([...vhosts.keys()], (k) => [k], req.host);
    if (!domain) {
        return { contested: [], notes };
    }
    const routes = vhosts.get(domain)!;
    const ordered = [...routes.filter((r) => !r.catchAll), ...routes.filter((r) => r.catchAll)];
    const hits: { r: VHostRoute; conditional: string[] }[] = [];
    for (const r of ordered) {
        const m = httpRouteMatches(r.entry, r.vs, req, { gateway: r.server.gatewayId, port: r.server.port, labels: pods.labels, namespace: pods.namespace });
        if (m.matches) {
            hits.push({ r, conditional: m.conditional });
        }
    }
    const toRoute = (h: { r: VHostRoute; conditional: string[] }): GatewayRoute => ({
        vs: h.r.vs,
        section: "http",
        index: h.r.index,
        destinations: routeDestinations(h.r.entry, h.r.vs),
        ...(h.conditional.length > 0 ? { conditional: h.conditional } : {}),
        ...(valueAt(h.r.entry, "redirect") ? { redirect: true } : {}),
        ...(valueAt(h.r.entry, "directResponse") ? { directResponse: Number(valueAt(h.r.entry, "directResponse", "status") ?? 200) } : {}),
    });
    const [first, ...rest] = hits;
    const contested = rest
        .filter((h) => id(h.r.vs) !== (first ? id(first.r.vs) : ""))
        .map((h) => ({ vs: h.r.vs, route: toRoute(h), orderAssumed: first ? orderIsAssumed(first.r.vs, h.r.vs) : false }));
    return { route: first ? toRoute(first) : undefined, vhost: domain, contested, notes };
}

/** Whether a host is a ServiceEntry host the gateway pods' namespace sees (the gateway has a cluster for it). */
export function gatewaySeesHost(
    inv: Inventory,
    gatewayNamespace: string,
    host: string,
    port: number | undefined,
): { visible: boolean; entries: K8sObject[]; hidden: K8sObject[] } {
    const entries = inv.serviceEntries.filter(
        (se) =>
            listAt(se.spec, "hosts").map(String).includes(host) &&
            (port === undefined || listAt(se.spec, "ports").some((p) => Number(valueAt(p, "number")) === port)),
    );
    const visible = entries.filter((se) => exportedTo(se, gatewayNamespace, inv.options.exportDefaults.service));
    return { visible: visible.length > 0, entries: visible, hidden: entries.filter((e) => !visible.includes(e)) };
}

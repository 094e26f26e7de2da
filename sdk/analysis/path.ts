/**
 * Step 2 of the access report — resolve the path a connection takes: the sidecar's route (`sidecar.ts`), the
 * gateway pods behind the route's Service, the filter chain and route there (`gateway.ts`), and where the
 * traffic finally goes. No decision is taken here (NetworkPolicy and AuthorizationPolicy are `decide.ts`).
 */
import { id, ns, serviceOfHost } from "./config.js";
import {
    chainsOf,
    type ContestedRoute,
    type GatewayChain,
    gatewayHttpRoute,
    type GatewayRoute,
    gatewaySeesHost,
    gatewaysSelecting,
    type MergedServer,
    mergeServers,
    pickChain,
} from "./gateway.js";
import { type GatewayPods, type Inventory, isGatewayProxyTemplate, memo, podTemplate, portRef, servicesSelecting } from "./inventory.js";
import { isWorkloadKind, listAt, recordAt, stringRecord, valueAt, type K8sObject } from "../model/index.js";
import type { RequestProbe, RouteDestination } from "./routes.js";
import { type MeshLeg, type OuterTls, outerTlsTo, resolveMeshLeg, type Section, type SidecarScope } from "./sidecar.js";
import type { ExternalHost } from "./types.js";

/** How a connection arrives at the gateway pods. */
export interface Arrival {
    listenerPort: number;
    /** Outer layer: what the sidecar wraps the connection in. */
    transport: OuterTls["transport"];
    /** The SNI the gateway's TLS inspector reads: the outer one, or the application's own for plaintext TLS. */
    sni?: string;
    /** What is inside the outer layer. */
    app: Section;
    request: RequestProbe;
}

export type GatewayStatus =
    "routed" | "no-listener" | "no-filter-chain" | "handshake-failure" | "protocol-mismatch" | "no-route" | "redirect" | "direct-response";

export interface GatewayLeg {
    status: GatewayStatus;
    pods: GatewayPods;
    servers: MergedServer[];
    chain?: GatewayChain;
    server?: MergedServer;
    route?: GatewayRoute;
    contested: ContestedRoute[];
    /** The gateway's listener speaks HTTP (the RBAC filter is an HTTP one). */
    http: boolean;
    /** The gateway terminated Istio mTLS: it knows the caller's identity. */
    terminatedMtls: boolean;
    /** The `connection.sni` the gateway's RBAC sees. */
    sni?: string;
    text: string;
    notes: string[];
}

export interface Upstream {
    host: string;
    port?: number;
    /** `external` (a ServiceEntry the proxy sees), `in-cluster` (a Kubernetes Service), `unknown` (no cluster). */
    kind: "external" | "in-cluster" | "unknown";
    text: string;
}

export interface ResolvedPath {
    /**
     * `no-sidecar`: only NetworkPolicy applies; `direct`: the sidecar connects to the host itself;
     * `gateway`: the sidecar sends it to gateway pods; `in-cluster`: to another in-cluster Service (not a gateway);
     * `blackhole` / `passthrough` / `no-route` / `redirect`: see MeshLeg; `unknown-destination`: the route names a
     * host the sidecar has no cluster for.
     */
    kind: "no-sidecar" | "direct" | "gateway" | "in-cluster" | "blackhole" | "passthrough" | "no-route" | "redirect" | "unknown-destination";
    mesh?: MeshLeg;
    destination?: RouteDestination;
    service?: { name: string; namespace: string };
    servicePort?: number;
    portVia?: string;
    outer?: OuterTls;
    arrival?: Arrival;
    gateway?: GatewayLeg;
    upstream?: Upstream;
    notes: string[];
}

/** The gateway pods behind a Service: gateway workloads it selects, else pods inferred from its selector. */
export function podsBehind(inv: Inventory, svc: { name: string; namespace: string }, gatewayHint?: K8sObject[]): GatewayPods[] {
    const svcId = `${svc.namespace}/${svc.name}`;
    const svcObj = inv.services.find((s) => id(s) === svcId);
    const svcSelector = recordAt(svcObj?.spec, "selector");
    const bySelector = Object.keys(svcSelector).length > 0 ? svcSelector : undefined;
    const known = inv.gatewayPods.filter(
        (p) => p.namespace === svc.namespace && (p.services.includes(svcId) || (bySelector && Object.entries(bySelector).every(([k, v]) => p.labels[k] === v))),
    );
    if (known.length > 0) {
        return known;
    }
    // Not among the objects: pods with the Service's selector, else with the selector of the Gateways the
    // routes bind (what the Istio docs install: the Gateway's selector labels on the Service's pods).
    // A selector value that is not a string (the API server refuses one) selects no pod; left out of the labels.
    let labels = bySelector ? stringRecord(bySelector) : undefined;
    let why = svcObj ? `pods selected by Service ${svcId} (no workload object: labels from the Service's selector)` : "";
    if (!labels) {
        const hint = (gatewayHint ?? []).find((g) => Object.keys(recordAt(g.spec, "selector")).length > 0);
        labels = hint ? stringRecord(valueAt(hint.spec, "selector")) : {};
        why = `the Service ${svcId} and its pods are not among the objects: assumed pods with Gateway ${hint ? id(hint) : "?"}'s selector labels in ${svc.namespace}`;
    }
    const existing = inv.gatewayPods.find(
        (p) => p.origin === "inferred" && p.namespace === svc.namespace && JSON.stringify(p.labels) === JSON.stringify(labels),
    );
    if (existing) {
        return [existing];
    }
    const pods: GatewayPods = {
        id: `${svc.namespace}/Pods/${
            Object.entries(labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(",") || "?"
        }`,
        namespace: svc.namespace,
        labels,
        origin: "inferred",
        namedPorts: {},
        servicePorts: svcObj ? listAt(svcObj.spec, "ports").map((p) => portRef(svcId, p)) : [],
        services: [
            svcId,
            ...servicesSelecting(inv.services, svc.namespace, labels)
                .map(id)
                .filter((s) => s !== svcId),
        ],
        notes: [why],
    };
    inv.gatewayPods.push(pods);
    return [pods];
}

/** Service port → the pods' port: the Service's targetPort (named ones through the pods' container ports). */
export function targetPortOf(pods: GatewayPods, svc: { name: string; namespace: string }, port: number): { port: number; via: string; known: boolean } {
    const svcId = `${svc.namespace}/${svc.name}`;
    const sp = pods.servicePorts.find((p) => p.service === svcId && p.port === port);
    if (!sp) {
        return { port, via: `Service ${svcId} is not among the objects: targetPort assumed equal to ${port}`, known: false };
    }
    if (typeof sp.targetPort === "number" || /^\d+$/.test(String(sp.targetPort))) {
        return { port: Number(sp.targetPort), via: pods.origin === "helm-release" ? `${pods.id} values.service.ports` : `Service ${svcId}`, known: true };
    }
    const named = pods.namedPorts[String(sp.targetPort)];
    return named !== undefined
        ? { port: named, via: `Service ${svcId} (named targetPort ${sp.targetPort})`, known: true }
        : { port, via: `Service ${svcId} (named targetPort ${sp.targetPort} unresolved)`, known: false };
}

/** Which Gateways bind routes for a host (a hint for pods that are not among the objects). */
function gatewaysRoutingHost(inv: Inventory, host: string): K8sObject[] {
    const refs = new Set<string>();
    for (const vs of inv.virtualServices) {
        if (listAt(vs.spec, "hosts").some((h) => String(h) === host || String(h).startsWith("*"))) {
            for (const g of listAt(vs.spec, "gateways")) {
                const s = String(g);
                if (s !== "mesh") refs.add(s.includes("/") ? s.replace(/^\.\//, `${ns(vs)}/`) : `${ns(vs)}/${s}`);
            }
        }
    }
    return inv.gateways.filter((g) => refs.has(id(g)));
}

/** What the gateway pods do with a connection that arrives as `arrival`. */
export function resolveGatewayLeg(inv: Inventory, pods: GatewayPods, arrival: Arrival, portKnown = true): GatewayLeg {
    const servers = mergeServers(inv, pods);
    const notes: string[] = [];
    const base = { pods, servers, contested: [] as ContestedRoute[], http: false, terminatedMtls: false, notes };
    let listenerPort = arrival.listenerPort;
    if (!portKnown && !servers.some((s) => s.listenerPort === listenerPort && !s.skipped)) {
        // The Service's port mapping is unknown: take the listener of a server for the host.
        const guess = servers.find(
            (s) =>
                !s.skipped &&
                s.sniHosts.some(
                    (h) =>
                        h === "*" ||
                        h.toLowerCase() === arrival.request.host.toLowerCase() ||
                        (h.startsWith("*.") && arrival.request.host.toLowerCase().endsWith(h.slice(1).toLowerCase())),
                ),
        );
        if (guess) {
            notes.push(
                `the Service's port mapping is unknown: assumed it reaches the listener of Gateway ${guess.gatewayId} servers[${guess.index}] (port ${guess.listenerPort})`,
            );
            listenerPort = guess.listenerPort;
        }
    }
    if (!servers.some((s) => s.listenerPort === listenerPort && !s.skipped)) {
        const gws = gatewaysSelecting(inv, pods).map(id);
        return {
            ...base,
            status: "no-listener",
            text: `the gateway pods ${pods.id} have no listener on port ${listenerPort} (Gateways applied: ${gws.join(", ") || "none"})`,
        };
    }
    const { chains, notes: chainNotes } = chainsOf(inv, pods, servers, listenerPort);
    notes.push(...chainNotes);
    if (chains.length === 1 && chains[0].kind === "http" && chains[0].sni.length === 0) {
        // A plain HTTP listener.
        if (arrival.transport !== "plaintext" || arrival.app !== "http") {
            return {
                ...base,
                status: "protocol-mismatch",
                text: `port ${listenerPort} is a plain HTTP listener but the connection arrives as ${arrival.transport === "plaintext" ? arrival.app : arrival.transport}: Envoy cannot parse it and closes it`,
            };
        }
        return httpLeg(inv, pods, chains[0], arrival, { ...base, status: "routed", text: "", chain: chains[0], http: true, server: chains[0].servers[0] });
    }
    const sni = arrival.transport !== "plaintext" ? arrival.sni : arrival.app === "tls" ? arrival.request.host : undefined;
    const chain = pickChain(chains, sni);
    if (!chain) {
        return {
            ...base,
            status: "no-filter-chain",
            sni,
            text: `no filter chain on port ${listenerPort} matches SNI ${sni ?? "(none)"} (chains: ${chains.map((c) => c.sni.join(",") || "*").join("; ") || "none"}): the gateway closes the connection`,
        };
    }
    const server = chain.servers[0];
    const leg: GatewayLeg = { ...base, status: "routed", chain, server, sni, contested: chain.contested ?? [], http: chain.kind === "http", text: "" };
    if (chain.kind === "passthrough") {
        if (arrival.transport === "istio-mtls") {
            notes.push("the connection is Istio mTLS but the server passes TLS through: the upstream receives the Istio handshake");
        }
        return routed(
            leg,
            chain.route!,
            `Gateway ${server.gatewayId} servers[${server.index}] (PASSTHROUGH), VirtualService ${id(chain.route!.vs)} tls[${chain.route!.index}]`,
        );
    }
    const mode = server.tlsMode;
    if (server.server.tls) {
        if (mode === "ISTIO_MUTUAL" && arrival.transport !== "istio-mtls") {
            return {
                ...leg,
                status: "handshake-failure",
                text: `Gateway ${server.gatewayId} servers[${server.index}] requires Istio mTLS, the sidecar sends ${arrival.transport === "plaintext" ? "the application's bytes without it (no DestinationRule with tls.mode ISTIO_MUTUAL)" : "other TLS"}: the handshake fails`,
            };
        }
        if (mode !== "ISTIO_MUTUAL" && arrival.transport === "istio-mtls") {
            return {
                ...leg,
                status: "handshake-failure",
                text: `Gateway ${server.gatewayId} servers[${server.index}] terminates TLS ${mode ?? "SIMPLE"} with its own certificate, which the sidecar's Istio mTLS does not accept: the handshake fails`,
            };
        }
        if (mode !== "ISTIO_MUTUAL" && arrival.transport === "plaintext" && arrival.app === "tls") {
            notes.push(
                `Gateway ${server.gatewayId} servers[${server.index}] terminates the application's own TLS with the gateway's certificate: the application must trust it`,
            );
        }
        leg.terminatedMtls = mode === "ISTIO_MUTUAL";
    }
    if (chain.kind === "http") {
        if (arrival.app !== "http" && leg.terminatedMtls) {
            return {
                ...leg,
                status: "protocol-mismatch",
                text: `Gateway ${server.gatewayId} servers[${server.index}] expects HTTP inside the mTLS, the application sends ${arrival.app.toUpperCase()}: Envoy cannot parse it`,
            };
        }
        return httpLeg(inv, pods, chain, arrival, leg);
    }
    return routed(
        leg,
        chain.route!,
        `Gateway ${server.gatewayId} servers[${server.index}] (${server.protocol}${mode ? ` ${mode}` : ""}), VirtualService ${id(chain.route!.vs)} tcp[${chain.route!.index}]`,
    );
}

function httpLeg(inv: Inventory, pods: GatewayPods, chain: GatewayChain, arrival: Arrival, leg: GatewayLeg): GatewayLeg {
    const r = gatewayHttpRoute(inv, pods, chain, arrival.request);
    leg.notes.push(...r.notes);
    leg.contested = r.contested;
    const server = leg.server ?? chain.servers[0];
    if (!r.route) {
        return {
            ...leg,
            status: "no-route",
            text: `no virtual host or route for ${arrival.request.host}${r.vhost ? ` (virtual host ${r.vhost})` : ""} on Gateway ${server.gatewayId} port ${server.port}: Envoy answers 404`,
        };
    }
    if (r.route.conditional) {
        leg.notes.push(`the gateway route ${id(r.route.vs)} http[${r.route.index}] also requires ${r.route.conditional.join(", ")} (taken as met)`);
    }
    const where = `Gateway ${server.gatewayId} servers[${server.index}] (${server.protocol}${server.tlsMode ? ` ${server.tlsMode}` : ""}), VirtualService ${id(r.route.vs)} http[${r.route.index}]`;
    if (r.route.redirect) {
        return { ...leg, route: r.route, status: "redirect", text: `${where} redirects the request` };
    }
    if (r.route.directResponse !== undefined) {
        return { ...leg, route: r.route, status: "direct-response", text: `${where} answers ${r.route.directResponse} itself` };
    }
    return routed(leg, r.route, where);
}

function routed(leg: GatewayLeg, route: GatewayRoute, where: string): GatewayLeg {
    return { ...leg, route, status: "routed", text: where };
}

/** Where a gateway route's destination goes, from the gateway pods' point of view. */
export function upstreamOf(inv: Inventory, pods: GatewayPods, dest: RouteDestination, serverPort: number): Upstream {
    return memo(inv, `upstream|${pods.namespace}|${dest.host}|${dest.port ?? ""}|${serverPort}`, () => computeUpstream(inv, pods, dest, serverPort));
}

function computeUpstream(inv: Inventory, pods: GatewayPods, dest: RouteDestination, serverPort: number): Upstream {
    const svc = serviceOfHost(dest.host);
    const port = dest.port ?? serverPort;
    if (svc) {
        return { host: dest.host, port, kind: "in-cluster", text: `in-cluster Service ${svc.namespace}/${svc.name}` };
    }
    const seen = gatewaySeesHost(inv, pods.namespace, dest.host, dest.port);
    if (seen.visible) {
        // The proxy connects to the entry port's targetPort, where the host really listens
        // (networking/v1 ServiceEntry ServicePort.targetPort).
        const sp = listAt(seen.entries[0].spec, "ports").find((p) => Number(valueAt(p, "number")) === port);
        const targetPort = valueAt(sp, "targetPort");
        const real = typeof targetPort === "number" ? targetPort : port;
        return {
            host: dest.host,
            port: real,
            kind: "external",
            text: `ServiceEntry ${seen.entries.map(id).join(", ")}${real !== port ? ` (port ${port} → targetPort ${real})` : ""}`,
        };
    }
    if (seen.hidden.length > 0) {
        return {
            host: dest.host,
            port,
            kind: "unknown",
            text: `${dest.host} is declared by ServiceEntry ${seen.hidden.map(id).join(", ")}, which is not exported to the gateway's namespace ${pods.namespace} (exportTo): the gateway has no cluster for it`,
        };
    }
    const wildcardEntry = inv.serviceEntries.find((se) => listAt(se.spec, "hosts").some((h) => String(h) === dest.host && String(h).startsWith("*")));
    return {
        host: dest.host,
        port,
        kind: "unknown",
        text: wildcardEntry
            ? `${dest.host} is a wildcard: the gateway cannot resolve it`
            : `no ServiceEntry or Service declares ${dest.host}: the gateway has no cluster for it`,
    };
}

/** All paths a request of `scope`'s pod to `host` can take (one per weighted destination). */
export function resolvePaths(inv: Inventory, scope: SidecarScope | undefined, host: ExternalHost, req: RequestProbe): ResolvedPath[] {
    if (!scope) {
        return [{ kind: "no-sidecar", notes: [] }];
    }
    const mesh = resolveMeshLeg(inv, scope, host, req);
    if (mesh.kind === "blackhole" || mesh.kind === "passthrough" || mesh.kind === "no-route") {
        return [{ kind: mesh.kind, mesh, notes: [] }];
    }
    if (mesh.redirect || mesh.directResponse !== undefined) {
        return [{ kind: "redirect", mesh, notes: [] }];
    }
    if (mesh.destinations.length === 0) {
        return [{ kind: "unknown-destination", mesh, notes: ["the route has no destination"] }];
    }
    return mesh.destinations.map((destination) => resolveDestination(inv, scope, host, req, mesh, destination));
}

function resolveDestination(
    inv: Inventory,
    scope: SidecarScope,
    host: ExternalHost,
    req: RequestProbe,
    mesh: MeshLeg,
    destination: RouteDestination,
): ResolvedPath {
    const notes: string[] = [];
    const svc = serviceOfHost(destination.host);
    if (!svc) {
        // An external host: the sidecar connects to it itself (if it knows it).
        const known = inv.serviceEntries.some(
            (se) =>
                listAt(se.spec, "hosts").some((h) => String(h) === destination.host) && (valueAt(se.spec, "location") ?? "MESH_EXTERNAL") === "MESH_EXTERNAL",
        );
        if (!known && destination.host !== host.host) {
            return {
                kind: "unknown-destination",
                mesh,
                destination,
                notes: [`${mesh.text} sends it to ${destination.host}, which is not in the sidecar's registry: no cluster, the connection fails`],
            };
        }
        const port = destination.port ?? host.port;
        const real = destination.host === host.host && port === host.port && host.targetPort !== undefined ? host.targetPort : port;
        return { kind: "direct", mesh, destination, upstream: { host: destination.host, port: real, kind: "external", text: mesh.text }, notes };
    }
    const servicePort = destination.port ?? host.port;
    const hint = gatewaysRoutingHost(inv, host.host);
    const podsList = podsBehind(inv, svc, hint);
    const pods = podsList[0];
    if (podsList.length > 1) {
        notes.push(
            `Service ${svc.namespace}/${svc.name} selects several gateway workloads (${podsList.map((p) => p.id).join(", ")}); the report follows the first`,
        );
    }
    // Pods inferred from a selector are a gateway only if some Gateway programs them and no application workload
    // among the objects is what the Service selects.
    const appPods =
        pods?.origin === "inferred" &&
        inv.objects.some(
            (o) =>
                isWorkloadKind(o.kind) &&
                ns(o) === svc.namespace &&
                Object.keys(pods.labels).length > 0 &&
                Object.entries(pods.labels).every(([k, v]) => valueAt(podTemplate(o)?.metadata, "labels", k) === v) &&
                !isGatewayProxyTemplate(podTemplate(o)),
        );
    const isGateway = pods && !appPods && (pods.origin !== "inferred" || gatewaysSelecting(inv, pods).length > 0);
    if (!pods || !isGateway) {
        return {
            kind: "in-cluster",
            mesh,
            destination,
            service: svc,
            servicePort,
            notes: [
                `${mesh.text} sends it to the in-cluster Service ${svc.namespace}/${svc.name}, which no Istio Gateway programs: the report cannot follow it further`,
            ],
        };
    }
    const target = targetPortOf(pods, svc, servicePort);
    const outer = outerTlsTo(inv, scope.namespace, svc, destination.subset, servicePort);
    const arrival: Arrival = { listenerPort: target.port, transport: outer.transport, sni: outer.sni, app: mesh.section, request: req };
    const leg = resolveGatewayLeg(inv, pods, arrival, target.known);
    let upstream: Upstream | undefined;
    if (leg.status === "routed" && leg.route) {
        const first = leg.route.destinations[0];
        if (first) {
            upstream = upstreamOf(inv, pods, first, leg.server?.port ?? servicePort);
        }
        if (leg.route.destinations.length > 1) {
            notes.push(
                `the gateway route splits traffic: ${leg.route.destinations.map((d) => `${d.host}${d.port ? `:${d.port}` : ""} (${d.weight}%)`).join(", ")}; the row follows the first`,
            );
        }
    }
    return {
        kind: "gateway",
        mesh,
        destination,
        service: svc,
        servicePort,
        portVia: target.via,
        outer,
        arrival: { ...arrival, listenerPort: leg.server?.listenerPort ?? arrival.listenerPort },
        gateway: leg,
        upstream,
        notes,
    };
}

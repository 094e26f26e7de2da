/**
 * plan → routing objects (pure).
 *
 * Per host: a ServiceEntry (MESH_EXTERNAL, DNS) and a VirtualService with two legs — mesh → gateway (over Istio
 * mTLS, through a named subset of the gateway DestinationRule) and gateway → host — plus a DestinationRule only
 * where the gateway originates TLS. Shared by all hosts: one Gateway and one DestinationRule for the gateway's
 * Service (a subset per host that sets ISTIO_MUTUAL and the outer SNI the gateway sees as `connection.sni`).
 *
 * Everything lives in the gateway's namespace: ServiceEntries and VirtualServices are exported mesh-wide (the
 * default) so every sidecar routes the host to the gateway; the origination DestinationRules and a wildcard's
 * upstream ServiceEntry are exported to the gateway's namespace only, as only the gateway needs them.
 *
 * Traffic policy (plan.traffic, sdk/plan/production.ts): every port-level setting the component writes carries the
 * hop's connection pool and outlier detection next to its TLS, and every HTTP route carries retries on conditions
 * where the request never reached the upstream.
 */
import type { K8sObject } from "../model";
import { EgressPlan, gatewayLegPort, GatewayPlan, HostPlan, serviceEntryPorts } from "../plan";
import { HopPolicyPlan, planTraffic, TrafficPlan } from "../plan/production";
import { Checker } from "../plan";

/** The default traffic plan (for callers of the per-host builders that pass none). */
function defaultTraffic(): TrafficPlan {
    return planTraffic(new Checker(), undefined);
}

/**
 * A hop's connection pool and outlier detection, for a port-level setting. They must sit next to the port's `tls`:
 * a port-level setting replaces the policy it is in, and a subset's port-level setting replaces every field of the
 * destination's policy (pilot/pkg/networking/util/util.go GetPortLevelTrafficPolicy, MergeSubsetTrafficPolicy;
 * sdk/model/traffic-policy.ts effectiveTrafficPolicy) — a top-level `connectionPool` would do nothing here.
 */
function hopPolicy(hop: HopPolicyPlan): Record<string, unknown> {
    return {
        ...(hop.connectionPool ? { connectionPool: structuredClone(hop.connectionPool) } : {}),
        ...(hop.outlierDetection ? { outlierDetection: { ...hop.outlierDetection } } : {}),
    };
}

/** The `retries` of an HTTP route the component writes (both legs; sdk/plan/production.ts SAFE_RETRY_ON). */
function routeRetries(traffic: TrafficPlan): Record<string, unknown> {
    return { retries: { ...traffic.retries } };
}

const NETWORKING = "networking.istio.io/v1";
const MANAGED_BY = { "app.kubernetes.io/managed-by": "istio-egress" };

function meta(name: string, namespace: string, host?: string): K8sObject["metadata"] {
    return {
        name,
        namespace,
        labels: { ...MANAGED_BY },
        ...(host ? { annotations: { "istio-egress.io/host": host } } : {}),
    };
}

/**
 * A Gateway server's host entry: `./<host>`, so that only VirtualServices in the Gateway's own namespace (where
 * the component, and every team component, puts its VirtualServices) can bind the server. A bare host would let
 * a VirtualService in any namespace that names this Gateway attach to the server and add or take over the host's
 * route: istiod rewrites `./h` to `<gateway namespace>/h` (pilot/pkg/model/gateway.go
 * `sanitizeServerHostNamespace`) and then binds a `ns/h` entry only for VirtualServices of `ns`
 * (pilot/pkg/networking/core/gateway.go `pickMatchingGatewayHosts` for TCP/TLS routes, pkg/config/host/names.go
 * `NamesForNamespace` for HTTP routes).
 */
export function serverHost(host: string): string {
    return `./${host}`;
}

/** The shared Istio Gateway: one Istio-mTLS HTTP server for the HTTP-speaking hosts, one TLS server per TLS host. */
export function gatewayObject(plan: EgressPlan): K8sObject {
    const gw = plan.gateway;
    const httpHosts = plan.hosts.filter((h) => h.http).map((h) => serverHost(h.host));
    const servers: Record<string, unknown>[] = [];
    if (httpHosts.length > 0) {
        servers.push({
            port: { number: gw.httpPort.port, name: "https-mtls", protocol: "HTTPS" },
            hosts: httpHosts,
            tls: { mode: "ISTIO_MUTUAL" },
        });
    }
    for (const h of plan.hosts.filter((x) => !x.http)) {
        // One server per TLS host: the gateway terminates Istio mTLS and picks the filter chain by the outer SNI,
        // so each host's TCP route stays its own.
        servers.push({
            port: { number: gw.tlsPort.port, name: `tls-${h.key}`, protocol: "TLS" },
            hosts: [serverHost(h.host)],
            tls: { mode: "ISTIO_MUTUAL" },
        });
    }
    return {
        apiVersion: NETWORKING,
        kind: "Gateway",
        metadata: meta(gw.gatewayName, gw.namespace),
        spec: { selector: { ...gw.labels }, servers },
    };
}

/** The shared DestinationRule for the gateway's Service: Istio mTLS, a subset per host setting the outer SNI. */
export function gatewayDestinationRule(plan: EgressPlan): K8sObject {
    const gw = plan.gateway;
    return {
        apiVersion: NETWORKING,
        kind: "DestinationRule",
        metadata: meta(plan.names.destinationRule, gw.namespace),
        spec: {
            host: gw.serviceHost,
            trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
            subsets: plan.hosts.map((h) => ({
                name: h.subsetName,
                trafficPolicy: {
                    portLevelSettings: [
                        { port: { number: h.gatewayPort.port }, tls: { mode: "ISTIO_MUTUAL", sni: h.sni }, ...hopPolicy(plan.traffic.toGateway) },
                    ],
                },
            })),
        },
    };
}

/** The host's ServiceEntry (and, for a wildcard, the DNS ServiceEntry of its concrete upstream). */
export function serviceEntries(gw: GatewayPlan, h: HostPlan): K8sObject[] {
    const ports = serviceEntryPorts(h).map((p) => ({
        number: p.number,
        name: `${p.protocol.toLowerCase()}-${p.number}`,
        protocol: p.protocol,
        ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
    }));
    if (!h.wildcard) {
        return [
            {
                apiVersion: NETWORKING,
                kind: "ServiceEntry",
                metadata: meta(h.names.serviceEntry, gw.namespace, h.host),
                spec: { hosts: [h.host], location: "MESH_EXTERNAL", resolution: "DNS", ports },
            },
        ];
    }
    return [
        {
            // Istio cannot resolve a wildcard by DNS: the wildcard entry only teaches sidecars the name (matched by
            // SNI); the gateway leg never targets it, so NONE cannot make the gateway loop back to itself.
            apiVersion: NETWORKING,
            kind: "ServiceEntry",
            metadata: meta(h.names.serviceEntry, gw.namespace, h.host),
            spec: { hosts: [h.host], location: "MESH_EXTERNAL", resolution: "NONE", ports },
        },
        {
            apiVersion: NETWORKING,
            kind: "ServiceEntry",
            metadata: meta(h.names.upstreamServiceEntry!, gw.namespace, h.host),
            spec: {
                hosts: [h.upstreamHost!],
                location: "MESH_EXTERNAL",
                resolution: "DNS",
                exportTo: ["."],
                ports: [{ number: h.targetPort, name: `tls-${h.targetPort}`, protocol: "TLS" }],
            },
        },
    ];
}

/** The host's VirtualService: leg 1 (mesh → gateway subset), leg 2 (gateway → host). */
export function virtualService(gw: GatewayPlan, h: HostPlan, traffic: TrafficPlan = defaultTraffic()): K8sObject {
    const toGateway = { host: gw.serviceHost, subset: h.subsetName, port: { number: h.gatewayPort.port } };
    const toHost = { host: h.destinationHost, port: { number: gatewayLegPort(h) } };
    const spec: Record<string, unknown> = { hosts: [h.host], gateways: ["mesh", gw.gatewayRef] };
    if (h.http) {
        spec.http = [
            {
                name: "mesh-to-gateway",
                match: [{ gateways: ["mesh"], port: h.appPort }],
                route: [{ destination: toGateway, weight: 100 }],
                ...routeRetries(traffic),
            },
            {
                name: "gateway-to-host",
                match: [{ gateways: [gw.gatewayRef], port: h.gatewayPort.port }],
                route: [{ destination: toHost, weight: 100 }],
                ...routeRetries(traffic),
            },
        ];
    } else {
        // The app's TLS travels inside Istio mTLS: sidecars match it by SNI; at the gateway, once the Istio mTLS is
        // terminated, what is left is the app's TLS byte stream, routed as TCP on the host's own server.
        spec.tls = [{ match: [{ gateways: ["mesh"], port: h.appPort, sniHosts: [h.host] }], route: [{ destination: toGateway, weight: 100 }] }];
        spec.tcp = [{ match: [{ gateways: [gw.gatewayRef], port: h.gatewayPort.port }], route: [{ destination: toHost, weight: 100 }] }];
    }
    return { apiVersion: NETWORKING, kind: "VirtualService", metadata: meta(h.names.virtualService, gw.namespace, h.host), spec };
}

/** TLS origination at the gateway: SIMPLE or MUTUAL towards the host, verifying its certificate. */
export function originationDestinationRule(gw: GatewayPlan, h: HostPlan, traffic: TrafficPlan = defaultTraffic()): K8sObject | undefined {
    const o = h.origination;
    if (!o) return undefined;
    const tls: Record<string, unknown> = {
        mode: o.mode,
        sni: o.sni,
        subjectAltNames: [...o.subjectAltNames],
        insecureSkipVerify: false,
    };
    if (o.caCertificates) tls.caCertificates = o.caCertificates;
    if (o.credentialName) tls.credentialName = o.credentialName;
    return {
        apiVersion: NETWORKING,
        kind: "DestinationRule",
        metadata: meta(h.names.destinationRule!, gw.namespace, h.host),
        spec: {
            host: h.destinationHost,
            exportTo: ["."],
            // On the entry's port, which lands on the host's TLS port (targetPort): TLS is originated there.
            trafficPolicy: { portLevelSettings: [{ port: { number: gatewayLegPort(h) }, tls, ...hopPolicy(traffic.toHost) }] },
        },
    };
}

/** The objects of one host, in the order they should be applied. */
export function hostObjects(gw: GatewayPlan, h: HostPlan, traffic: TrafficPlan = defaultTraffic()): K8sObject[] {
    const dr = originationDestinationRule(gw, h, traffic);
    return [...serviceEntries(gw, h), ...(dr ? [dr] : []), virtualService(gw, h, traffic)];
}

export interface RoutingManifests {
    /** Shared, O(1): the Gateway and the gateway's DestinationRule. */
    shared: K8sObject[];
    /** Per host, keyed by host name. */
    perHost: Map<string, K8sObject[]>;
}

export function routingManifests(plan: EgressPlan): RoutingManifests {
    const perHost = new Map<string, K8sObject[]>();
    for (const h of plan.hosts) {
        perHost.set(h.host, hostObjects(plan.gateway, h, plan.traffic));
    }
    const shared = plan.hosts.length > 0 ? [gatewayObject(plan), gatewayDestinationRule(plan)] : [];
    return { shared, perHost };
}

/**
 * The lock-down's options beyond the protected namespaces and extra CIDRs (pure, part of the plan): the gateway's
 * access-log provider, and the cluster services a locked-down cluster needs to reach (issue 11, items 6 and 7).
 * Each check names the field and the rule; `planLockdown` (sdk/plan/index.ts) calls them.
 */
import type { Checker } from "./index";
import { extraCidrProblem } from "./index";
import {
    BUILTIN_ENVOY_PROVIDER,
    Cidr,
    cidrCovers,
    DNS_PORT,
    formatCidr,
    isPrivateCidr,
    NODE_LOCAL_DNS_DEFAULT,
    nodeLocalDnsAddressProblem,
    parseCidr,
} from "../model";

// The NodeLocal DNSCache address rules live in the shared model (the policy pack applies the same ones).
export { CLOUD_LINK_LOCAL_SERVICES, DNS_PORT, NODE_LOCAL_DNS_DEFAULT, nodeLocalDnsAddressProblem } from "../model";

/** An extension provider's name, as the Telemetry names it (Istio matches it case-insensitively). */
const PROVIDER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The access-log provider of the gateway's Telemetry. */
export function planAccessLogProvider(c: Checker, args: { accessLogs?: boolean; accessLogProvider?: string }, at: (f: string) => string): string {
    const provider = args.accessLogProvider;
    if (provider === undefined) return BUILTIN_ENVOY_PROVIDER;
    if (!PROVIDER_NAME.test(provider)) {
        c.fail(
            at("accessLogProvider"),
            `must be the name of an extension provider of istiod's mesh config (letters, digits, '-', '_', '.'); got ${JSON.stringify(provider)}`,
        );
    }
    if (args.accessLogs === false) {
        c.fail(at("accessLogProvider"), "names a provider while accessLogs is false: turn access logs on, or drop the provider");
    }
    return provider;
}

// ---------------------------------------------------------------------------------------------------------
// Cluster services the lock-down must let through (issue 11, item 7)

/** The metrics ports of an Istio proxy: pilot-agent's merged metrics (15020) and Envoy's Prometheus listener (15090). */
export const METRICS_PORTS = [15020, 15090] as const;
/** istio-csr's defaults (its chart's `app.server.serving.port` and selector). */
export const MESH_CA_DEFAULTS = { namespace: "cert-manager", labels: { app: "cert-manager-istio-csr" }, port: 6443 } as const;
/** The widest private endpoint range: an endpoint is a handful of addresses. */
export const PRIVATE_ENDPOINT_MAX_IPV4 = 24;
export const PRIVATE_ENDPOINT_MAX_IPV6 = 120;

export interface PodPeerPlan {
    namespace: string;
    labels: Record<string, string>;
    ports: number[];
}

export interface PrivateEndpointPlan {
    name: string;
    /** Canonical. */
    cidr: string;
    ports: number[];
}

export interface ClusterServicesPlan {
    dnsPorts: number[];
    /** NodeLocal DNSCache's addresses, as canonical single-address CIDRs. */
    nodeLocalDns?: { addresses: string[] };
    meshCa?: { namespace: string; labels: Record<string, string>; port: number };
    /** Canonical order. */
    telemetryCollectors: PodPeerPlan[];
    metricsScrapers: PodPeerPlan[];
    /** By name. */
    privateEndpoints: PrivateEndpointPlan[];
}

export interface ClusterServicesInput {
    dnsPorts?: number[];
    nodeLocalDns?: { addresses?: string[] };
    meshCa?: { namespace?: string; labels?: Record<string, string>; port?: number };
    telemetryCollectors?: { namespace: string; labels: Record<string, string>; ports: number[] }[];
    metricsScrapers?: { namespace: string; labels: Record<string, string>; ports?: number[] }[];
    privateEndpoints?: { name: string; cidr: string; ports: number[] }[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedPorts = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b);
const overlaps = (a: Cidr, b: Cidr) => cidrCovers(a, b) || cidrCovers(b, a);

/** Pods of another namespace the lock-down opens a path to (or from): the namespace may not be the gateway's own. */
function podPeer(c: Checker, field: string, namespace: string, labels: Record<string, string>, gatewayNamespace: string | undefined, what: string): void {
    if (c.dnsLabel(`${field}.namespace`, namespace, "a namespace name (DNS-1123 label)") && namespace === gatewayNamespace) {
        c.fail(
            `${field}.namespace`,
            `must not be the gateway's namespace (${gatewayNamespace}): its default deny cuts every other pod there off, ${what} included`,
        );
    }
    c.labels(`${field}.labels`, labels);
}

function canonicalPeers(peers: PodPeerPlan[]): PodPeerPlan[] {
    const keyed = peers.map((p) => [JSON.stringify([p.namespace, Object.entries(p.labels).sort(), p.ports]), p] as const);
    const seen = new Set<string>();
    return keyed
        .sort(([a], [b]) => byText(a, b))
        .filter(([k]) => (seen.has(k) ? false : (seen.add(k), true)))
        .map(([, p]) => ({ namespace: p.namespace, labels: Object.fromEntries(Object.entries(p.labels).sort(([a], [b]) => byText(a, b))), ports: p.ports }));
}

/** Plans the cluster-service options (shared by the platform and team components). */
export function planClusterServices(
    c: Checker,
    args: ClusterServicesInput,
    gatewayNamespace: string | undefined,
    clusterCidrs: string[],
    at: (f: string) => string,
): ClusterServicesPlan {
    const dnsPorts = sortedPorts(args.dnsPorts ?? [DNS_PORT]);

    let nodeLocalDns: ClusterServicesPlan["nodeLocalDns"];
    if (args.nodeLocalDns !== undefined) {
        const addresses: string[] = [];
        (args.nodeLocalDns.addresses ?? [NODE_LOCAL_DNS_DEFAULT]).forEach((a, i) => {
            const { problem, canonical } = nodeLocalDnsAddressProblem(a);
            if (problem) c.fail(at(`nodeLocalDns.addresses[${i}]`), problem);
            else addresses.push(canonical!);
        });
        nodeLocalDns = { addresses: [...new Set(addresses)].sort(byText) };
    }

    let meshCa: ClusterServicesPlan["meshCa"];
    if (args.meshCa !== undefined) {
        const namespace = args.meshCa.namespace ?? MESH_CA_DEFAULTS.namespace;
        const labels = { ...(args.meshCa.labels ?? MESH_CA_DEFAULTS.labels) };
        podPeer(c, at("meshCa"), namespace, labels, gatewayNamespace, "the mesh CA");
        meshCa = { namespace, labels, port: args.meshCa.port ?? MESH_CA_DEFAULTS.port };
    }

    const telemetryCollectors = canonicalPeers(
        (args.telemetryCollectors ?? []).flatMap((t, i) => {
            if (!t || typeof t.namespace !== "string" || !t.labels || !Array.isArray(t.ports)) return []; // the shape check named it
            podPeer(c, at(`telemetryCollectors[${i}]`), t.namespace, t.labels, gatewayNamespace, "the collector");
            return [{ namespace: t.namespace, labels: { ...t.labels }, ports: sortedPorts(t.ports) }];
        }),
    );

    const metricsScrapers = canonicalPeers(
        (args.metricsScrapers ?? []).flatMap((m, i) => {
            if (!m || typeof m.namespace !== "string" || !m.labels) return [];
            const field = at(`metricsScrapers[${i}]`);
            podPeer(c, field, m.namespace, m.labels, gatewayNamespace, "the scraper");
            const ports = sortedPorts(m.ports ?? [...METRICS_PORTS]);
            ports.forEach((p) => {
                if (!(METRICS_PORTS as readonly number[]).includes(p)) {
                    c.fail(
                        `${field}.ports`,
                        `may only name the gateway's metrics ports ${METRICS_PORTS.join(" and ")}; ${p} would let the scraper's pods reach another listener of the gateway`,
                    );
                }
            });
            return [{ namespace: m.namespace, labels: { ...m.labels }, ports }];
        }),
    );

    const cluster = clusterCidrs.map((x) => parseCidr(x));
    const privateEndpoints = (args.privateEndpoints ?? []).flatMap((e, i) => {
        if (!e || typeof e.name !== "string" || typeof e.cidr !== "string" || !Array.isArray(e.ports)) return [];
        const field = at(`privateEndpoints[${i}]`);
        c.dnsLabel(`${field}.name`, e.name, "a short DNS-1123 label saying what the endpoint is (e.g. payments-vpce)");
        const checked = extraCidrProblem(e.cidr, false);
        const canonical = checked.canonical;
        let problem = checked.problem;
        if (!problem && canonical) {
            const parsed = parseCidr(canonical);
            const max = parsed.family === 4 ? PRIVATE_ENDPOINT_MAX_IPV4 : PRIVATE_ENDPOINT_MAX_IPV6;
            const inCluster = cluster.find((k) => overlaps(k, parsed));
            if (!isPrivateCidr(parsed)) {
                problem = "must be a private range (RFC 1918, 100.64.0.0/10, fc00::/7): public addresses are the internet rule's (lockdown.externalPorts)";
            } else if (parsed.prefix < max) {
                problem = `is too wide for a private endpoint (at most /${PRIVATE_ENDPOINT_MAX_IPV4} for IPv4, /${PRIVATE_ENDPOINT_MAX_IPV6} for IPv6): a wider range reaches other machines of the network on those ports; list the endpoint's addresses`;
            } else if (inCluster) {
                problem = `overlaps the cluster's own range ${formatCidr(inCluster)} (lockdown.clusterCidrs): the gateway would reach pods, nodes or Services there`;
            }
        }
        if (problem) c.fail(`${field}.cidr`, problem);
        return [{ name: e.name, cidr: canonical ?? e.cidr, ports: sortedPorts(e.ports), index: i }];
    });
    const names = new Map<string, number>();
    privateEndpoints.forEach((e) => {
        if (names.has(e.name)) c.fail(at(`privateEndpoints[${e.index}].name`), `duplicates privateEndpoints[${names.get(e.name)}] (${e.name})`);
        else names.set(e.name, e.index);
    });

    return {
        dnsPorts,
        ...(nodeLocalDns ? { nodeLocalDns } : {}),
        ...(meshCa ? { meshCa } : {}),
        telemetryCollectors,
        metricsScrapers,
        privateEndpoints: privateEndpoints.map(({ name, cidr, ports }) => ({ name, cidr, ports })).sort((a, b) => byText(a.name, b.name)),
    };
}

/**
 * The lock-down around the egress gateway, as plain Kubernetes / Istio objects. Pure: plan in, objects out.
 *
 * What it keeps (see docs/lockdown.md):
 *  1. nothing bypasses the gateway — NetworkPolicies (L3/L4, enforced by the CNI, outside Istio's reach) make
 *     the gateway pods the only way out of a protected namespace, and the gateway's only way out is the
 *     internet on the external services' ports (never private ranges, cluster ranges or cloud metadata);
 *  2. per-host access by identity — AuthorizationPolicies on the gateway pods: default deny, one ALLOW policy
 *     and one DENY policy whose rules grow with the hosts (O(1) objects);
 *  3. all egress monitored — a Telemetry resource turns on Envoy access logs on the gateway pods, with the
 *     provider `lockdown.accessLogProvider` names (the built-in `envoy` one has no caller identity in its lines;
 *     sdk/model/mesh-logging.ts, docs/lockdown.md "Access logs");
 *  4. no impersonation — identities come from Istio mTLS: every server of the Gateway is ISTIO_MUTUAL, so the
 *     gateway's listeners require a client certificate issued by the mesh CA (pilot/pkg/networking/core/listener.go
 *     BuildListenerTLSContext: RequireClientCertificate for ISTIO_MUTUAL), and a caller is matched on the
 *     certificate istiod issued for its own service account. The namespace's STRICT PeerAuthentication does NOT
 *     apply to the gateway's listeners: istiod applies PeerAuthentication to sidecar (and waypoint) inbound
 *     listeners only (listener.go BuildListeners: a Router gets buildGatewayListeners; the PeerAuthentication-derived
 *     mTLS settings, plugin/authn ForPort/ForPassthrough, are used by listener_inbound.go and listener_waypoint.go
 *     only). It is kept for any sidecar-injected pod that lands in the gateway's namespace.
 *
 * Names: every object is named from (component, purpose[, qualifier]) by sdk/plan/names.ts, never from a list
 * position, so adding or reordering namespaces, hosts or CIDRs never renames (and so never replaces) an existing
 * object; the names are injective by construction.
 */
import type { AccessRulePlan, EgressPlan, HostPlan } from "../plan";
import type { K8sObject } from "../model";
import { canonicalCidr, Cidr, cidrCovers, formatCidr, isIPv4MappedCidr, NAMESPACE_NAME_LABEL, parseCidr, specialPurposeCidrs } from "../model";
import { objectName } from "../plan/names";
import { DNS_PORT } from "../plan/lockdown-options";

export { canonicalCidr };

export { NAMESPACE_NAME_LABEL };
/** istiod's xDS + CA port (mTLS). The webhook port 15017 is called by the API server, not by pods. */
export const ISTIOD_XDS_PORT = 15012;
export { DNS_PORT };

export interface LockdownManifests {
    /** Objects in the gateway's namespace: NetworkPolicies, PeerAuthentication, AuthorizationPolicies, Telemetry. */
    gatewayNamespace: K8sObject[];
    /**
     * Objects in the protected application namespaces: default-deny egress and its allows, the REGISTRY_ONLY
     * Sidecar. Apply them only once the gateway and its routes exist (they cut every other way out).
     */
    protectedNamespaces: K8sObject[];
}

/** Builds every lock-down object for a plan. */
export function lockdownManifests(plan: EgressPlan): LockdownManifests {
    return {
        gatewayNamespace: [...gatewayNetworkPolicies(plan), ...gatewaySecurity(plan)],
        protectedNamespaces: plan.lockdown.namespaces.flatMap((ns) => protectedNamespaceObjects(plan, ns.name, ns.registryOnlySidecar)),
    };
}

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

function managedLabels(plan: EgressPlan): Record<string, string> {
    return {
        "app.kubernetes.io/managed-by": "istio-egress",
        "app.kubernetes.io/part-of": plan.name,
    };
}

function metadata(plan: EgressPlan, name: string, namespace: string): K8sObject["metadata"] {
    return { name, namespace, labels: managedLabels(plan) };
}

function networkPolicy(plan: EgressPlan, name: string, namespace: string, spec: Record<string, unknown>): K8sObject {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: metadata(plan, name, namespace), spec };
}

/** Pods with `labels` in namespace `namespace`, as a NetworkPolicy peer. */
function podsIn(namespace: string, labels: Record<string, string>): Record<string, unknown> {
    return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } }, podSelector: { matchLabels: { ...labels } } };
}

/** UDP and TCP on each port (large answers and retries use TCP). */
function dnsPorts(ports: number[]): Record<string, unknown>[] {
    return ports.flatMap((port) => [
        { protocol: "UDP", port },
        { protocol: "TCP", port },
    ]);
}

function dnsRule(plan: EgressPlan): Record<string, unknown> {
    // The pods' own port: OpenShift's dns-default pods listen on 5353 behind the Service's 53 (lockdown.dnsPorts).
    return { to: [podsIn(plan.lockdown.dns.namespace, plan.lockdown.dns.labels)], ports: dnsPorts(plan.lockdown.clusterServices.dnsPorts) };
}

/**
 * The cluster services both the gateway pods and the protected namespaces' pods need besides DNS and istiod, each
 * its own NetworkPolicy (purpose → egress rules), present only when configured (issue 11, item 7):
 * - NodeLocal DNSCache: DNS (53, UDP and TCP) to its listen addresses, single IPs (sdk/plan/lockdown-options.ts
 *   refuses metadata and the clouds' link-local service blocks); the cache runs on the host network, so only an
 *   ipBlock matches it;
 * - the mesh CA (cert-manager istio-csr): its pods on its gRPC port — every proxy asks it for its certificate;
 * - tracing / OpenTelemetry collectors: their pods on their ports — every proxy sends its spans (and OTel access
 *   logs) there itself.
 */
function clusterServiceRules(plan: EgressPlan): { purpose: "egress-node-dns" | "egress-mesh-ca" | "egress-collectors"; rules: Record<string, unknown>[] }[] {
    const s = plan.lockdown.clusterServices;
    const out: { purpose: "egress-node-dns" | "egress-mesh-ca" | "egress-collectors"; rules: Record<string, unknown>[] }[] = [];
    if (s.nodeLocalDns) {
        out.push({ purpose: "egress-node-dns", rules: [{ to: s.nodeLocalDns.addresses.map((cidr) => ({ ipBlock: { cidr } })), ports: dnsPorts([DNS_PORT]) }] });
    }
    if (s.meshCa) {
        out.push({ purpose: "egress-mesh-ca", rules: [{ to: [podsIn(s.meshCa.namespace, s.meshCa.labels)], ports: tcpPorts([s.meshCa.port]) }] });
    }
    if (s.telemetryCollectors.length > 0) {
        out.push({
            purpose: "egress-collectors",
            rules: s.telemetryCollectors.map((t) => ({ to: [podsIn(t.namespace, t.labels)], ports: tcpPorts(t.ports) })),
        });
    }
    return out;
}

function istiodRule(plan: EgressPlan): Record<string, unknown> {
    return { to: [podsIn(plan.lockdown.istiod.namespace, plan.lockdown.istiod.labels)], ports: [{ protocol: "TCP", port: ISTIOD_XDS_PORT }] };
}

/**
 * The gateway pods' container ports that carry mesh traffic: the targetPorts of the Service ports the routing
 * uses (HTTP-speaking hosts, TLS-wrapped hosts), as configured in the chart values — never hard-coded.
 */
export function gatewayContainerPorts(plan: EgressPlan): number[] {
    return [...new Set([plan.gateway.httpPort.targetPort, plan.gateway.tlsPort.targetPort])].sort((a, b) => a - b);
}

function tcpPorts(ports: number[]): Record<string, unknown>[] {
    return ports.map((port) => ({ protocol: "TCP", port }));
}

// ---------------------------------------------------------------------------------------------------------
// 1. Protected application namespaces

/**
 * Names of the objects in a protected namespace (the same in each: the namespace tells them apart). `_ns` is
 * kept for callers that name the namespace; names do not depend on it.
 */
export function protectedNames(plan: EgressPlan, _ns?: string) {
    const n = (
        p:
            | "deny-egress"
            | "egress-dns"
            | "egress-istiod"
            | "egress-gateway"
            | "egress-in-cluster"
            | "registry-only"
            | "egress-node-dns"
            | "egress-mesh-ca"
            | "egress-collectors",
    ) => objectName(plan.name, plan.domain, p);
    return {
        denyEgress: n("deny-egress"),
        nodeDns: n("egress-node-dns"),
        meshCa: n("egress-mesh-ca"),
        collectors: n("egress-collectors"),
        dns: n("egress-dns"),
        istiod: n("egress-istiod"),
        gateway: n("egress-gateway"),
        inCluster: n("egress-in-cluster"),
        /** For an extra CIDR (its name is a DNS label, validated by the plan). */
        extra: (name: string) => objectName(plan.name, plan.domain, "allow-cidr", name),
        sidecar: n("registry-only"),
    };
}

export function protectedNamespaceObjects(plan: EgressPlan, ns: string, registryOnlySidecar: boolean): K8sObject[] {
    const names = protectedNames(plan, ns);
    const lock = plan.lockdown;
    const egress = (name: string, rules: Record<string, unknown>[]) =>
        networkPolicy(plan, name, ns, { podSelector: {}, policyTypes: ["Egress"], egress: rules });
    const objects: K8sObject[] = [
        // Selects every pod for Egress and allows nothing: what the policies below do not allow is dropped.
        networkPolicy(plan, names.denyEgress, ns, { podSelector: {}, policyTypes: ["Egress"] }),
        egress(names.dns, [dnsRule(plan)]),
        egress(names.istiod, [istiodRule(plan)]),
        egress(names.gateway, [{ to: [podsIn(plan.gateway.namespace, plan.gateway.labels)], ports: tcpPorts(gatewayContainerPorts(plan)) }]),
    ];
    for (const { purpose, rules } of clusterServiceRules(plan)) {
        objects.push(egress(objectName(plan.name, plan.domain, purpose), rules));
    }
    if (lock.allowInCluster) {
        // Pods of every namespace (selectors match pods only, never external addresses); every port.
        objects.push(egress(names.inCluster, [{ to: [{ namespaceSelector: {} }] }]));
    }
    for (const extra of lock.extraEgressCidrs) {
        objects.push(egress(names.extra(extra.name), [{ to: [{ ipBlock: { cidr: canonicalCidr(extra.cidr) } }], ports: tcpPorts(extra.ports) }]));
    }
    if (registryOnlySidecar) {
        objects.push({
            apiVersion: "networking.istio.io/v1",
            kind: "Sidecar",
            metadata: metadata(plan, names.sidecar, ns),
            spec: {
                // Every host of the registry stays visible (routing to the gateway keeps working); anything not in
                // the registry is refused by the sidecar instead of being passed through.
                egress: [{ hosts: ["*/*"] }],
                outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
            },
        });
    }
    return objects;
}

// ---------------------------------------------------------------------------------------------------------
// 2. The gateway's namespace: NetworkPolicies

/** Names of the objects in the gateway's namespace. */
export function gatewayNames(plan: EgressPlan) {
    return plan.names;
}

/**
 * The gateway pods' ingress: from pods of every namespace, on the gateway's two Istio-mTLS listener ports only
 * (the container ports of its HTTP and TLS servers); every other port of the gateway pods, and every other pod of
 * the gateway's namespace, stays closed (`deny-all`).
 *
 * Why every namespace: the routes are exported mesh-wide, so every namespace's sidecars send the routed hosts to
 * the gateway. Admitting only the protected namespaces at L3 black-holed everyone else (TCP timeouts instead of
 * answers) and made `allow: [{}]` ("any mesh identity") mean "the protected namespaces". Who may use a host is
 * decided at the gateway by identity instead: its servers are `ISTIO_MUTUAL`, so a caller without a mesh
 * certificate fails the handshake (pilot/pkg/networking/core/listener.go `BuildListenerTLSContext`:
 * ISTIO_MUTUAL sets `require_client_certificate` and validates against the mesh CA), and the AuthorizationPolicies (default deny, then
 * the hosts' ALLOW and DENY rules) answer a caller that is not allowed with 403 (HTTP) or a reset (TLS).
 * `namespaceSelector: {}` matches pods only — never node or external addresses.
 *
 * A team component adds none: the platform's policy already admits its namespaces.
 */
export function gatewayIngressPolicy(plan: EgressPlan): K8sObject[] {
    if (plan.domain === "team") return [];
    return [
        networkPolicy(plan, plan.names.ingress, plan.gateway.namespace, {
            podSelector: { matchLabels: { ...plan.gateway.labels } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: {} }], ports: tcpPorts(gatewayContainerPorts(plan)) }],
        }),
    ];
}

function gatewayNetworkPolicies(plan: EgressPlan): K8sObject[] {
    const gw = plan.gateway;
    const names = gatewayNames(plan);
    const gwPods = { matchLabels: { ...gw.labels } };
    const objects: K8sObject[] = [
        // Every pod of the namespace: no ingress, no egress, unless allowed below.
        networkPolicy(plan, names.denyAll, gw.namespace, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
        ...gatewayIngressPolicy(plan),
    ];
    const egress = (name: string, rules: Record<string, unknown>[]) =>
        networkPolicy(plan, name, gw.namespace, { podSelector: gwPods, policyTypes: ["Egress"], egress: rules });
    objects.push(egress(names.dns, [dnsRule(plan)]), egress(names.istiod, [istiodRule(plan)]));
    for (const { purpose, rules } of clusterServiceRules(plan)) {
        objects.push(egress(objectName(plan.name, plan.domain, purpose), rules));
    }
    objects.push(...gatewayOptionPolicies(plan));
    const ports = plan.lockdown.externalPorts;
    const blocks = internetIpBlocks(plan.lockdown.clusterCidrs);
    // (A rule with empty `ports` would open every port: with no external host, no internet rule at all.)
    if (ports.length > 0 && blocks.length > 0) {
        objects.push(egress(names.internet, [{ to: blocks.map((ipBlock) => ({ ipBlock })), ports: tcpPorts(ports) }]));
    }
    return objects;
}

/**
 * The gateway-only options (issue 11, item 7):
 * - metrics scrapers: ingress to the gateway pods from the scrapers' pods on 15020 (pilot-agent's merged metrics;
 *   its quit/drain/debug endpoints answer only to localhost, pilot/cmd/pilot-agent/status/server.go) and/or 15090
 *   (Envoy's Prometheus listener) — never the mesh listener ports, so a scraper gains no way out;
 * - private endpoints: egress from the gateway pods (only them) to each private CIDR on its ports, one policy
 *   each, for hosts behind PrivateLink-style endpoints, whose names resolve to private addresses that the internet
 *   rule excludes. The hosts stay hosts: routed, authorized and logged at the gateway like the others.
 */
export function gatewayOptionPolicies(plan: EgressPlan): K8sObject[] {
    const gw = plan.gateway;
    const s = plan.lockdown.clusterServices;
    const gwPods = { matchLabels: { ...gw.labels } };
    const out: K8sObject[] = [];
    if (s.metricsScrapers.length > 0) {
        out.push(
            networkPolicy(plan, objectName(plan.name, plan.domain, "ingress-metrics"), gw.namespace, {
                podSelector: gwPods,
                policyTypes: ["Ingress"],
                ingress: s.metricsScrapers.map((m) => ({ from: [podsIn(m.namespace, m.labels)], ports: tcpPorts(m.ports) })),
            }),
        );
    }
    for (const e of s.privateEndpoints) {
        out.push(
            networkPolicy(plan, objectName(plan.name, plan.domain, "private-endpoint", e.name), gw.namespace, {
                podSelector: gwPods,
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: e.cidr } }], ports: tcpPorts(e.ports) }],
            }),
        );
    }
    return out;
}

/**
 * The internet as NetworkPolicy ipBlocks: `0.0.0.0/0` and `::/0`, each minus every special-purpose range of its
 * family (sdk/model/special-ranges.ts: the IANA registries, cloud metadata, NAT64 and 6to4) and minus the
 * cluster's own CIDRs of that family. The `except` lists are minimal (a range inside another listed
 * one is dropped, duplicates too) and every entry is a strict subset of its `cidr`, as the API server requires.
 * A family whose every address is excluded gets no block.
 *
 * IPv4-mapped IPv6 (`::ffff:0:0/96`) is not excepted: the API server refuses it in an ipBlock (sdk/model/k8s-cidr.ts),
 * so the policy could never be created. Leaving it out opens no IPv4 space over IPv6: a socket connecting to
 * `::ffff:a.b.c.d` sends an IPv4 packet (Linux net/ipv6/tcp_ipv6.c `tcp_v6_connect` and net/ipv6/udp.c
 * `udpv6_sendmsg` hand mapped destinations to the IPv4 stack), which the IPv4 block and its excepts judge; mapped
 * addresses are not used on the wire (RFC 4291 §2.5.5.2). The translation prefixes that do carry IPv4 in IPv6
 * packets (NAT64 64:ff9b::/96, 6to4, Teredo) stay excepted.
 */
export function internetIpBlocks(clusterCidrs: string[]): { cidr: string; except: string[] }[] {
    const out: { cidr: string; except: string[] }[] = [];
    for (const [family, all, base] of [
        [4, "0.0.0.0/0", specialPurposeCidrs(4)],
        [6, "::/0", specialPurposeCidrs(6)],
    ] as const) {
        const candidates = [...base, ...clusterCidrs].map((text) => parseCidr(text)).filter((c) => c.family === family && !isIPv4MappedCidr(c));
        if (candidates.some((c) => c.prefix === 0)) {
            continue; // everything excluded: no internet in this family
        }
        const kept: Cidr[] = [];
        candidates.forEach((c, i) => {
            const covered = candidates.some((o, j) => j !== i && cidrCovers(o, c) && (o.prefix < c.prefix || j < i));
            if (!covered) kept.push(c);
        });
        out.push({ cidr: all, except: kept.map(formatCidr) });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// 2–4. The gateway's namespace: mTLS, authorization, telemetry

function gatewaySecurity(plan: EgressPlan): K8sObject[] {
    const gw = plan.gateway;
    const names = gatewayNames(plan);
    const selector = { matchLabels: { ...gw.labels } };
    const authz = (name: string, spec: Record<string, unknown>): K8sObject => ({
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: metadata(plan, name, gw.namespace),
        spec: { selector, ...spec },
    });
    const objects: K8sObject[] = [
        {
            // Namespace-wide (one per namespace). Not what refuses callers without a mesh certificate at the gateway
            // — the ISTIO_MUTUAL Gateway servers do that (see the module comment); istiod applies PeerAuthentication
            // to sidecar inbound listeners only. It keeps any sidecar-injected pod of this namespace mTLS-only.
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: metadata(plan, names.peerAuthentication, gw.namespace),
            spec: { mtls: { mode: "STRICT" } },
        },
        // An ALLOW policy without rules matches nothing; since an ALLOW policy applies, what no rule allows is denied.
        authz(names.authzDefaultDeny, {}),
    ];
    objects.push(...authorizationPolicies(plan));
    if (plan.lockdown.accessLogs) {
        objects.push({
            apiVersion: "telemetry.istio.io/v1",
            kind: "Telemetry",
            metadata: metadata(plan, names.telemetry, gw.namespace),
            // A Telemetry can only name a provider of istiod's meshConfig.extensionProviders; an unknown name gives no
            // access log at all (pilot/pkg/model/telemetry.go AccessLogging). Which fields the lines carry is the
            // provider's format: sdk/model/mesh-logging.ts resolveAccessLog.
            spec: { selector, accessLogging: [{ providers: [{ name: plan.lockdown.accessLogProvider }] }] },
        });
    }
    return objects;
}

/** The ALLOW and DENY AuthorizationPolicies of the plan's hosts (each only when it has rules). */
export function authorizationPolicies(plan: EgressPlan): K8sObject[] {
    const gw = plan.gateway;
    const authz = (name: string, spec: Record<string, unknown>): K8sObject => ({
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: metadata(plan, name, gw.namespace),
        spec: { selector: { matchLabels: { ...gw.labels } }, ...spec },
    });
    const allowRules = plan.hosts.flatMap((h) => h.allow.map((r) => authzRule(plan, h, r)));
    const denyRules = plan.hosts.flatMap((h) => h.deny.map((r) => authzRule(plan, h, r)));
    return [
        ...(allowRules.length > 0 ? [authz(plan.names.authzAllow, { action: "ALLOW", rules: allowRules })] : []),
        ...(denyRules.length > 0 ? [authz(plan.names.authzDeny, { action: "DENY", rules: denyRules })] : []),
    ];
}

/**
 * One AuthorizationPolicy rule: "a caller matching `rule` reaching `host`".
 *
 * - Source: in one of the namespaces OR one of the principals — separate `from` entries, which Istio ORs (the
 *   fields inside one `source` are ANDed). No namespace and no service account: any mTLS identity (`*`).
 * - Destination: always the gateway listener that serves the host (`ports`, TCP-valid), so that a DENY rule of an
 *   HTTP host can never widen onto the TLS listener (Istio drops HTTP-only fields of DENY rules on TCP traffic).
 *   HTTP-speaking hosts: the Host/authority header, with or without a port, plus the rule's paths and methods.
 *   TLS-wrapped hosts: the outer SNI the mesh leg sets for this host (`connection.sni`), which is also what the
 *   gateway routes on; the application's TLS is opaque to the gateway.
 */
export function authzRule(plan: EgressPlan, host: HostPlan, rule: AccessRulePlan): Record<string, unknown> {
    const from = rule.anyAuthenticated
        ? [{ source: { principals: ["*"] } }]
        : [
              ...(rule.namespaces.length > 0 ? [{ source: { namespaces: [...rule.namespaces] } }] : []),
              ...(rule.principals.length > 0 ? [{ source: { principals: [...rule.principals] } }] : []),
          ];
    if (from.length === 0) {
        // Unreachable with a valid plan; an empty `from` would match every caller, even unauthenticated ones.
        throw new Error(`access rule for ${host.host} names no source; refusing to emit a rule that matches everyone`);
    }
    const port = String(host.gatewayPort.targetPort);
    if (host.http) {
        const operation: Record<string, unknown> = { hosts: [host.host, `${host.host}:*`], ports: [port] };
        if (rule.paths.length > 0) operation.paths = [...rule.paths];
        if (rule.methods.length > 0) operation.methods = [...rule.methods];
        return { from, to: [{ operation }] };
    }
    return { from, to: [{ operation: { ports: [port] } }], when: [{ key: "connection.sni", values: [host.sni] }] };
}

/**
 * The access report's data: what it is asked (options), what it collects (sources, hosts, gateway workloads),
 * and what it answers (rows, probes, findings). Shared by the report's steps (`inventory.ts` collect, `path.ts`
 * resolve, `decide.ts` decide, `format.ts` format).
 */
import type { AuthzDecision, AuthzRequest } from "./authz.js";

export const SAMPLE_PUBLIC_IP = "203.0.113.10";

/**
 * `gateway`: through gateway pods; `direct`: the pod (or its sidecar) connects to the host itself;
 * `blocked-by-networkpolicy`: dropped on the way; `blocked-by-sidecar`: the sidecar refuses or cannot route it
 * (REGISTRY_ONLY, no route, no cluster); `in-cluster`: handed to an in-cluster Service that is not an Istio gateway
 * (not followed); `direct (bypass!)`: whatever the sidecar would do, the pod can reach the host around it.
 */
export type AccessPath = "gateway" | "direct" | "blocked-by-networkpolicy" | "blocked-by-sidecar" | "in-cluster" | "direct (bypass!)";

/**
 * What a request sent through the pod's sidecar (or, without one, from the pod itself) observes:
 * - `connected`: it reaches the upstream;
 * - `http-403`: an HTTP filter chain's RBAC filter refuses it with `403 RBAC: access denied`;
 * - `connection-reset`: the connection is closed: a TCP (network) RBAC deny ("if the request is deemed
 *   unauthorized by the network filter then the connection will be closed", Envoy
 *   `intro/arch_overview/security/rbac_filter`), no listener or filter chain for it, a failed handshake, or a
 *   destination the proxy has no cluster for;
 * - `tcp-timeout`: a NetworkPolicy drops the packets: the Kubernetes API leaves drop-or-reject to the network
 *   plugin, and the common ones drop (Calico FelixConfiguration `iptablesFilterDenyAction` defaults to Drop;
 *   Cilium drops with reason "Policy denied"), so the connection towards the next hop times out. Without a sidecar
 *   the application's own connect times out; with one, the sidecar has accepted the application's connection and
 *   closes it (HTTP: 503, flag UF) once the mesh's connect timeout (MeshConfig `connectTimeout`, 10 s) passes;
 * - `http-404` (no route, Envoy response flag NR), `http-502` (REGISTRY_ONLY: BlackHoleCluster — istio.io
 *   tasks/traffic-management/egress/egress-control), `http-503` (the sidecar's connection to the upstream fails or
 *   has no cluster: response flags UF/UH/NC — Envoy `configuration/observability/access_log/usage`);
 * - `external-authorizer`: a CUSTOM policy hands it to an external authorizer this report cannot evaluate;
 * - `local-response`: a route answers itself (redirect, direct response).
 */
export type Outcome =
    "connected" | "http-403" | "connection-reset" | "tcp-timeout" | "http-404" | "http-502" | "http-503" | "external-authorizer" | "local-response";

export interface AccessSource {
    namespace: string;
    serviceAccount: string;
    /** Pod labels (empty for a namespace-level source: "any pod of the namespace"). */
    labels: Record<string, string>;
    /**
     * Where the source came from: a workload object, a namespace with policies, the caller (`extra`), or the
     * stand-in for a namespace that is not among the objects (`other`).
     */
    origin: "workload" | "namespace" | "extra" | "other";
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
    kind: "AuthorizationPolicy" | "NetworkPolicy" | "VirtualService" | "Gateway" | "ServiceEntry" | "Sidecar" | "DestinationRule" | "none";
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
    /**
     * `request`: what the pod's own traffic gets. `alternate-gateway`: what a caller gets by addressing another
     * gateway workload that also serves the host (it needs only a DestinationRule of its own to set the SNI).
     */
    kind: "request" | "alternate-gateway";
    /**
     * The request class, when the rules on the path tell requests apart (`GET`, `POST /admin/*`,
     * `methods other than GET`); absent: the row holds for every request to the host.
     */
    request?: string;
    /** A representative request of the class (what was evaluated). */
    method?: string;
    requestPath?: string;
    requestHost?: string;
    verdict: "allowed" | "denied";
    path: AccessPath;
    /** Human-readable deciding rule, e.g. `AuthorizationPolicy istio-egress/deny-frontend rule 0`. */
    rule: string;
    ruleRef: RuleRef;
    /** What a request sent the normal way (through the sidecar) observes; a bypass is in `bypass`. */
    outcome: Outcome;
    outcomeText: string;
    /** `ns/name` of the Istio Gateway (server) the traffic is routed by, on gateway paths. */
    gateway?: string;
    /** The gateway pods the traffic reaches: `ns/Kind/name`. */
    gatewayWorkload?: string;
    /** Where the traffic finally goes: `host:port` (the gateway's destination, or the host for a direct path). */
    upstream?: string;
    /** The routes that decided each leg: `VirtualService ns/name tls[0]`. */
    routes?: { mesh?: string; gateway?: string };
    /** The route's weight for this destination, when a route splits traffic. */
    weight?: number;
    /** The gateway pods' AuthorizationPolicy decision, when the traffic reaches the gateway. */
    gatewayDecision?: AuthzDecision;
    /** The request the gateway was asked about. */
    gatewayRequest?: AuthzRequest;
    /** The pod can reach the host without its sidecar's routing (NetworkPolicy allows a direct connection). */
    bypass: boolean;
    logged: boolean;
    notes: string[];
}

export interface ExternalHost {
    host: string;
    port: number;
    protocol: string;
    /** The entry port's `targetPort`: where the host really listens (what a proxy connects to), when it differs. */
    targetPort?: number;
    /** The first ServiceEntry (`ns/name`) declaring the host on this port. */
    serviceEntry: string;
    /** Every ServiceEntry declaring it. */
    serviceEntries?: string[];
    /** The namespaces whose sidecars see the host (`*` or a list), from the entries' `exportTo`. */
    exportTo?: string;
    /** Wildcard hosts whose gateway route forwards to this host (it is their upstream). */
    upstreamOf?: string[];
    /** Addresses the entry pins (`addresses`, static `endpoints`), when any. */
    addresses?: string[];
}

export interface GatewayInfo {
    /** `ns/name` of the Gateway object. */
    gateway: string;
    podNamespace: string;
    podLabels: Record<string, string>;
    service: string;
}

/** A server a gateway workload serves, after Istio merged every Gateway that selects it. */
export interface GatewayServerInfo {
    gateway: string;
    /** The server's index in the Gateway's `spec.servers`. */
    index: number;
    /** The port the Gateway declares (a Service port), and the port the pods listen on. */
    port: number;
    listenerPort: number;
    protocol: string;
    hosts: string[];
    tlsMode?: string;
    /** Why istiod drops the server (a duplicate host or port conflict), when it does. */
    skipped?: string;
}

/** Pods that run an Istio gateway proxy, and what Istio programs into them. */
export interface GatewayWorkload {
    /** `ns/Kind/name` (`Kind` = Deployment, …, `HelmRelease`, or `Pods` when only a selector is known). */
    id: string;
    namespace: string;
    labels: Record<string, string>;
    origin: "workload" | "helm-release" | "inferred";
    /** Services (`ns/name`) that select the pods. */
    services: string[];
    /** Istio Gateways (`ns/name`) whose selector picks the pods, in Istio's merge order. */
    gateways: string[];
    /** Those of them defined in another namespace (applied because PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off). */
    foreignGateways: string[];
    servers: GatewayServerInfo[];
    /** AuthorizationPolicies (`ns/name`) that apply to the pods (their namespace and the root namespace). */
    authorizationPolicies: string[];
    /** Ingress: the namespaces (among those known) whose pods the NetworkPolicies admit on each listener port. */
    admits: { port: number; namespaces: string[]; otherNamespaces: boolean; isolatedBy: string[] }[];
    notes: string[];
}

/** What a pod can reach on its own, without the sidecar's routing: the attacker's first try. */
export interface DirectProbe {
    source: string;
    namespace: string;
    /** e.g. `public internet`, `cloud metadata`, `NodeLocal DNSCache`, `Kubernetes API server`, `public DNS resolvers`. */
    target: string;
    /** The address or range probed, and a witness address the NetworkPolicies let through when any. */
    address: string;
    protocol: "TCP" | "UDP";
    /** Ports probed: a number, a range `a-b`, or `any`. */
    ports: string;
    allowed: boolean;
    /** The reachable part (`0.0.0.0/0 minus …` or the ports), when allowed. */
    reachable?: string;
    rule: string;
    note?: string;
}

export interface Finding {
    severity: "critical" | "warning";
    message: string;
}

export interface AccessReport {
    rows: AccessRow[];
    sources: AccessSource[];
    hosts: ExternalHost[];
    /** The Istio Gateways traffic is routed to, with the pods behind the route's Service. */
    gateways: GatewayInfo[];
    /** Every gateway workload, with what Istio programs into it. */
    workloads: GatewayWorkload[];
    /** Direct reachability per source (NetworkPolicy only). */
    probes: DirectProbe[];
    /** What a reviewer must act on; `critical` ones fail the report's verdict. */
    findings: Finding[];
    /** Things the report could not decide or configurations that look wrong. */
    warnings: string[];
}

export interface HelmReleaseInfo {
    name: string;
    namespace: string;
    chart: string;
    values?: Record<string, unknown>;
}

export interface MeshOptions {
    /** MeshConfig `outboundTrafficPolicy.mode` (Istio's default ALLOW_ANY). */
    outboundTrafficPolicy?: "ALLOW_ANY" | "REGISTRY_ONLY";
    defaultServiceExportTo?: string[];
    defaultVirtualServiceExportTo?: string[];
    defaultDestinationRuleExportTo?: string[];
}

export interface ReportOptions {
    rootNamespace?: string;
    /** Extra sources to evaluate (e.g. a namespace that has no objects in the stack). */
    extraSources?: AccessSource[];
    /**
     * A public address to test direct access against. Default: none — direct reach is computed over the address
     * ranges the NetworkPolicies open (the internet at large, minus the special-purpose ranges).
     */
    samplePublicIp?: string;
    /** Helm releases (their charts are not rendered): gateway pods, labels and Service ports; istiod settings. */
    helmReleases?: HelmReleaseInfo[];
    trustDomain?: string;
    /**
     * istiod's `PILOT_SCOPE_GATEWAY_TO_NAMESPACE` (default false; read from an istiod Helm release's
     * `values.pilot.env` when the objects include one). When false a Gateway's selector picks gateway pods in
     * every namespace.
     */
    scopeGatewayToNamespace?: boolean;
    /** Mesh-wide settings (default: read from an istiod Helm release's `values.meshConfig`, else Istio's defaults). */
    mesh?: MeshOptions;
    /**
     * Add a source standing for a namespace that is not among the objects (injected, no NetworkPolicy): what
     * existing callers elsewhere in the cluster get. Its rows never fail the verdict (the stack does not govern it).
     */
    otherNamespace?: boolean;
    /** Pod and Service CIDRs, excluded from "public internet" in the probes. */
    clusterCidrs?: string[];
    /**
     * The ranges inside the cluster, where an ExternalName, a non-`MESH_EXTERNAL` ServiceEntry's endpoints or an
     * Endpoints / EndpointSlice address may lead without a finding (default: the policy pack's `inClusterCidrs`
     * default, `DEFAULT_IN_CLUSTER_CIDRS`).
     */
    inClusterCidrs?: string[];
    /** The API server's addresses as `ip:port` (default: probe private ranges on TCP 443 and 6443). */
    apiServer?: string[];
}

/**
 * The components' arguments: the one source of their shape.
 *
 * `npm run build` generates `sdk/schema/args.schema.json` (JSON Schema draft-07) from these types with
 * ts-json-schema-generator (scripts/generate-args-schema.js); the components validate every call against it at
 * run time (sdk/schema/args.ts), so TypeScript, JavaScript and other Pulumi languages get the same checks. The
 * JSDoc tags below (`@minimum`, `@minItems`, `@asType integer`, ...) are schema keywords: they are part of the
 * contract, not comments. Objects refuse unknown keys.
 *
 * Kept schema-friendly so that other Pulumi languages can consume the component later: interfaces, arrays,
 * maps and string enums only (no callbacks, classes or unions).
 *
 * Structural fields — the ones that decide which child resources exist and how they are named (hosts, modes,
 * ports, namespaces, names) — are plain values: Pulumi resource names cannot depend on outputs, and validation
 * must reject bad input before any resource is registered. An Output or a Promise there is refused up front.
 * Fields typed `pulumi.Input<T>` (chart version, repository, chart, resources, the team components' gateway
 * reference) may be Outputs; `gateway.values` may contain Outputs anywhere except under `service` (see
 * docs/lockdown.md, "Helm values").
 */
import * as pulumi from "@pulumi/pulumi";

/** How an application talks to an external host, and what the egress gateway does with it. */
export enum EgressMode {
    /** The app sends plain HTTP; sidecar → gateway over Istio mTLS; gateway → host on plain HTTP (port 80). */
    Http = "HTTP",
    /** The app sends plain HTTP; the gateway originates TLS to the host (port 443), verifying its certificate. */
    TlsOrigination = "TLS_ORIGINATION",
    /** The app speaks TLS itself; its TLS is wrapped in Istio mTLS to the gateway, which forwards the bytes. */
    Tls = "TLS",
    /** Like TLS_ORIGINATION, with a client certificate (a Secret in the gateway's namespace). */
    MutualTlsOrigination = "MUTUAL_TLS_ORIGINATION",
}

/**
 * A TCP port.
 * @asType integer
 * @minimum 1
 * @maximum 65535
 */
export type Port = number;

/**
 * Who a rule is about. A rule that names no namespace and no service account is about every authenticated mesh
 * identity (`{}`); a list, when given, must not be empty (an empty list that a program computed would otherwise
 * widen the rule to everyone).
 */
export interface AccessRuleArgs {
    /**
     * Source namespaces (matched on the caller's mTLS identity).
     * @minItems 1
     */
    namespaces?: string[];
    /**
     * Source service accounts, as `namespace/serviceaccount`.
     * @minItems 1
     */
    serviceAccounts?: string[];
    /**
     * HTTP paths (exact, `prefix*` or `*suffix`); HTTP-speaking modes only.
     * @minItems 1
     */
    paths?: string[];
    /**
     * HTTP methods (`GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `CONNECT`, `OPTIONS`, `TRACE`, `PATCH`, uppercase, as
     * Istio matches them); HTTP-speaking modes only.
     * @minItems 1
     */
    methods?: string[];
}

/** One external host that workloads may reach through the egress gateway. */
export interface ExternalHostArgs {
    /**
     * A DNS name (`api.example.com`) or a wildcard (`*.example.com`, TLS mode only). TLS-mode hosts of one component
     * must not overlap: a wildcard covering another TLS host is refused (Istio would route one by the other's
     * VirtualService; docs/lockdown.md, "Limits").
     */
    host: string;
    /** How the application talks to the host. */
    mode: EgressMode;
    /**
     * The port the application connects to. Default: 80 for HTTP, TLS_ORIGINATION and MUTUAL_TLS_ORIGINATION;
     * 443 for TLS.
     */
    port?: Port;
    /** The host's port the gateway connects to. Default: 80 for HTTP, 443 otherwise. */
    targetPort?: Port;
    /**
     * For a wildcard host: the one concrete host that the gateway forwards all of the wildcard's traffic to
     * (Istio cannot DNS-resolve a wildcard). Required for wildcards, forbidden otherwise.
     */
    upstreamHost?: string;
    /**
     * TLS_ORIGINATION: path (in the gateway pod) of the CA bundle used to verify the host. Default: the system
     * CAs. Refused for MUTUAL_TLS_ORIGINATION, where Istio takes the CA from the credential (`credentialName`)
     * and refuses both together.
     * @minLength 1
     */
    caCertificates?: string;
    /**
     * Origination modes: names the host's certificate must carry. Default: the host name.
     * @minItems 1
     */
    subjectAltNames?: string[];
    /**
     * MUTUAL_TLS_ORIGINATION: name of the client-certificate Secret, which must live in the gateway's namespace.
     * It must hold the client certificate and key (`tls.crt` and `tls.key`, or `cert` and `key`) AND the CA that
     * verifies the host (`ca.crt` or `cacert`) — or the CA goes in a second Secret named `<credentialName>-cacert`.
     * Without a CA the gateway fails every handshake to the host (Istio never falls back to the system CAs here).
     */
    credentialName?: string;
    /** Who may reach the host. A host without allow rules is reachable by nobody (fail-closed). */
    allow?: AccessRuleArgs[];
    /** Who must never reach the host, whatever the allow rules say (DENY is evaluated before ALLOW). */
    deny?: AccessRuleArgs[];
}

/** An application namespace whose egress the component locks down. */
export interface ProtectedNamespaceArgs {
    /** The namespace's name. It must exist (the component does not own application namespaces). */
    name: string;
    /**
     * Emit a selector-less `Sidecar` with `outboundTrafficPolicy: REGISTRY_ONLY` in this namespace. Default true.
     * Turn off where the namespace already has its own default Sidecar (only one may exist per namespace).
     */
    registryOnlySidecar?: boolean;
}

/** An extra destination outside the cluster that protected pods may reach directly (e.g. the API server). */
export interface ExtraEgressCidrArgs {
    /** A short DNS-1123 name saying what it is, used in the NetworkPolicy's name (e.g. `kube-apiserver`). */
    name: string;
    /**
     * The CIDR (IPv4 or IPv6), in canonical form (`10.0.0.0/8`, not `10.0.0.1/8`). Link-local and cloud
     * metadata addresses are refused; a public range wider than /28 (IPv4) or /124 (IPv6) needs `allowPublicRange`.
     */
    cidr: string;
    /**
     * TCP ports allowed. Required: an extra CIDR never opens every port.
     * @minItems 1
     */
    ports: Port[];
    /**
     * Opt in to a public (internet) range wider than /28 (IPv4) or /124 (IPv6): pods of the protected namespaces
     * reach it directly, without the gateway's identity checks and logs. Default false.
     */
    allowPublicRange?: boolean;
}

export interface GatewayArgs {
    /** Namespace of the gateway. Default `istio-egress`. */
    namespace?: string;
    /**
     * Create the namespace, labelled for sidecar injection: `istio-injection: enabled`, or `istio.io/rev: <revision>`
     * when `revision` is set. Default true.
     */
    createNamespace?: boolean;
    /**
     * Helm release name, which is also the gateway Service's and Deployment's name. Default `egress-gateway`
     * (istio-egress 0.1: `istio-egressgateway`, from which the chart derives the stock egress gateway's labels
     * `istio: egressgateway`; docs/lockdown.md, "Migration").
     */
    releaseName?: string;
    /**
     * Extra labels for the gateway pods (the chart's `labels` value; `app` and `istio` replace the chart's own
     * selector labels, which it derives from the release name). The component never selects the pods by them:
     * its Gateway, AuthorizationPolicies, NetworkPolicies and Telemetry select `istio-egress.io/gateway:
     * <namespace>.<releaseName>`, a label unique to this gateway (that key cannot be set here). Default none.
     * @minProperties 1
     */
    labels?: { [key: string]: string };
    /**
     * The Istio control-plane revision (or revision tag) that injects the gateway's proxy, for revision-based
     * installs: the namespace is labelled `istio.io/rev: <revision>` instead of `istio-injection: enabled` (which
     * only the default revision's injector selects) and the chart's `revision` is set. Default: the default
     * revision.
     */
    revision?: string;
    /**
     * Chart version (the Istio version). Default: `DEFAULT_CHART_VERSION`, with a warning: set it to your istiod's
     * version (gateway/istiod skew beyond Istio's supported range breaks the gateway).
     * @minLength 1
     */
    chartVersion?: pulumi.Input<string>;
    /**
     * Chart repository. Default Istio's (`https://istio-release.storage.googleapis.com/charts`). Ignored when
     * `chart` is a local path or an `oci://` reference.
     * @minLength 1
     */
    chartRepository?: pulumi.Input<string>;
    /**
     * The chart: `gateway` (default, from `chartRepository`), a local chart directory or `.tgz` archive (a path;
     * no repository is used), or an `oci://` reference. It must be the istio/gateway chart: the component's
     * lock-down relies on its templates. Its name must be the chart's (a directory `.../gateway`, an archive
     * `gateway-<version>.tgz`, `oci://.../gateway`): the policy pack recognises the gateway's Release by it.
     * @minLength 1
     */
    chart?: pulumi.Input<string>;
    /**
     * Do not wait for the release's resources to become ready (Helm Release `skipAwait`). Default false. For
     * clusters that cannot run the gateway's pods (CI without a container runtime); never needed in production.
     */
    skipAwait?: boolean;
    /**
     * Replicas when autoscaling is off. Default 2.
     * @asType integer
     * @minimum 1
     */
    replicas?: number;
    /** Horizontal autoscaling. Default off (fixed replicas). */
    autoscaling?: AutoscalingArgs;
    /**
     * PodDisruptionBudget `minAvailable`. Default 1.
     * @asType integer
     * @minimum 0
     */
    podDisruptionBudgetMinAvailable?: number;
    /** Container resources, as in the chart's `resources`. */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a public arg: Pulumi's component analyzer refuses `unknown` ("Unsupported type ... type 'unknown'", @pulumi/pulumi provider/experimental/analyzer), and the args schema must stay a free-form map
    resources?: pulumi.Input<{ [key: string]: any }>;
    /**
     * Extra Helm values, merged last (deeply; arrays are replaced). They may contain Outputs, except under
     * `service` (the lock-down derives the gateway's container ports from `service.ports`). Keys that change the
     * gateway's identity, exposure or pod contents are refused (docs/lockdown.md, "Helm values"); the typed args
     * are the way to set replicas, autoscaling, labels and resources.
     */
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a public arg: Pulumi's component analyzer refuses `unknown` ("Unsupported type ... type 'unknown'", @pulumi/pulumi provider/experimental/analyzer), and the args schema must stay a free-form map
    values?: { [key: string]: any };
    /**
     * How the gateway's pods spread across zones and nodes. Default: preferred across zones
     * (topologySpreadConstraints, ScheduleAnyway) and preferred across nodes (podAntiAffinity, preferred).
     */
    spread?: SpreadArgs;
    /**
     * Dedicated egress nodes: the node labels the gateway's pods must run on (the pod's `nodeSelector`). Prefer a
     * label under `node-restriction.kubernetes.io/`, which a node's kubelet cannot set on itself (NodeRestriction
     * admission), so a compromised node cannot attract the gateway. Default none.
     * @minProperties 1
     */
    nodeSelector?: { [key: string]: string };
    /**
     * Tolerations for the dedicated nodes' taints (e.g. `{ key: "dedicated", value: "egress", effect:
     * "NoSchedule" }`). Each names its taint's key: a key-less `Exists` would tolerate every taint, the control
     * plane's included. Default none.
     * @minItems 1
     */
    tolerations?: TolerationArgs[];
    /** How a terminating gateway pod drains its connections. */
    drain?: DrainArgs;
    /**
     * Connection pools, outlier detection and retries on both hops: sidecar → gateway (the gateway
     * DestinationRule's subsets) and gateway → host (the origination DestinationRules), retries on both HTTP legs.
     */
    traffic?: TrafficArgs;
}

/** Whether a spread is off, a preference (the scheduler may still co-locate pods) or a requirement. */
export enum SpreadMode {
    /** Not set. */
    Off = "off",
    /** Spread when possible (topologySpreadConstraints `ScheduleAnyway`; preferred podAntiAffinity). */
    Preferred = "preferred",
    /**
     * Spread or do not schedule (`DoNotSchedule`; required podAntiAffinity): pods stay Pending when the cluster
     * has fewer zones / nodes than they need, and a rolling update needs one free zone / node to surge into.
     */
    Required = "required",
}

export interface SpreadArgs {
    /** Across zones (`topology.kubernetes.io/zone`), with maxSkew 1. Default preferred. */
    zones?: SpreadMode;
    /** Across nodes (`kubernetes.io/hostname`), with pod anti-affinity. Default preferred. */
    nodes?: SpreadMode;
}

/** A Kubernetes toleration, as the pod spec has it. */
export interface TolerationArgs {
    /**
     * The taint's key. Required: a key-less toleration tolerates every taint.
     * @minLength 1
     */
    key: string;
    /** `Equal` (default) or `Exists`. */
    operator?: TolerationOperator;
    /** The taint's value (`Equal` only). */
    value?: string;
    /** The taint's effect; all effects when not set. */
    effect?: TaintEffect;
    /**
     * `NoExecute` only: how long the pod stays bound once the taint appears.
     * @asType integer
     * @minimum 0
     */
    tolerationSeconds?: number;
}

export enum TolerationOperator {
    Equal = "Equal",
    Exists = "Exists",
}

export enum TaintEffect {
    NoSchedule = "NoSchedule",
    PreferNoSchedule = "PreferNoSchedule",
    NoExecute = "NoExecute",
}

/**
 * A terminating gateway pod: on SIGTERM its pilot-agent drains Envoy's listeners (new connections go to other
 * gateway pods, which the callers' sidecars learn from the endpoints) and then either waits a fixed time
 * (ProxyConfig `terminationDrainDuration`, 5s by default) or, with `waitForConnections`, until no connection is left
 * (pilot-agent `EXIT_ON_ZERO_ACTIVE_CONNECTIONS`, after `MINIMUM_DRAIN_DURATION`); Kubernetes kills it at
 * `terminationGracePeriodSeconds` whatever is left (istio/istio pkg/envoy/agent.go terminate).
 */
export interface DrainArgs {
    /**
     * The pod's `terminationGracePeriodSeconds`: the longest a connection may keep going once the pod is told to
     * stop. Default 60 (the chart's is 30).
     * @asType integer
     * @minimum 1
     * @maximum 86400
     */
    terminationGracePeriodSeconds?: number;
    /**
     * Exit once no connection is left instead of after a fixed 5 s drain (sets the proxy's
     * `EXIT_ON_ZERO_ACTIVE_CONNECTIONS`). Default true: long connections (TLS streams, websockets, large downloads)
     * finish instead of being cut after 5 s.
     */
    waitForConnections?: boolean;
    /**
     * With `waitForConnections`: seconds to wait before counting connections (`MINIMUM_DRAIN_DURATION`), giving the
     * callers' sidecars time to stop sending new requests here. Default 5; less than terminationGracePeriodSeconds.
     * @asType integer
     * @minimum 1
     */
    minimumDrainSeconds?: number;
}

/**
 * A duration as Istio writes it: a positive whole number of milliseconds, seconds, minutes or hours (`500ms`,
 * `10s`, `5m`, `1h`).
 * @pattern ^[1-9][0-9]{0,8}(ms|s|m|h)$
 */
export type Duration = string;

/** Traffic settings of the component's DestinationRules and VirtualServices (see each field for its hop). */
export interface TrafficArgs {
    /** The sidecar → gateway hop: every subset of the gateway's DestinationRule. Per calling pod (each sidecar keeps its own pools and ejections). */
    toGateway?: HopTrafficArgs;
    /**
     * The gateway → host hop of the origination modes (their DestinationRules). Shared by every caller of a host:
     * pool limits and ejections here affect them all.
     */
    toHost?: HopTrafficArgs;
    /** HTTP retries on both legs of the HTTP-speaking hosts. */
    retries?: RetryArgs;
}

/** A hop's connection pool and outlier detection (Istio DestinationRule `connectionPool`, `outlierDetection`). */
export interface HopTrafficArgs {
    /** TCP connect timeout. Default: the mesh's `connectTimeout` (Istio: 10s). */
    connectTimeout?: Duration;
    /** TCP keepalive on the hop's connections. Default on: 120s idle, then probes every 30s, 3 probes. */
    tcpKeepalive?: TcpKeepaliveArgs;
    /**
     * Most connections (`tcp.maxConnections`). Default: Istio's (unlimited).
     * @asType integer
     * @minimum 1
     */
    maxConnections?: number;
    /**
     * Most requests waiting for a connection (`http.http1MaxPendingRequests`). Default: Istio's (unlimited).
     * @asType integer
     * @minimum 1
     */
    maxPendingRequests?: number;
    /**
     * Most requests in flight (`http.http2MaxRequests`). Default: Istio's (unlimited).
     * @asType integer
     * @minimum 1
     */
    maxRequests?: number;
    /**
     * Most requests per connection before it is closed (`http.maxRequestsPerConnection`). Default unlimited.
     * @asType integer
     * @minimum 1
     */
    maxRequestsPerConnection?: number;
    /**
     * Most retries in flight (`http.maxRetries`). Default: Istio's (unlimited).
     * @asType integer
     * @minimum 1
     */
    maxConcurrentRetries?: number;
    /** Close an HTTP connection idle for this long (`http.idleTimeout`). Default: Istio's (1h). */
    idleTimeout?: Duration;
    /** Eject endpoints that keep failing. Default on (see `OutlierDetectionArgs`). */
    outlierDetection?: OutlierDetectionArgs;
}

export interface TcpKeepaliveArgs {
    /** Default true. */
    enabled?: boolean;
    /** Idle time before the first probe. Default 120s (below the 4-minute idle timeout of Azure's NAT / LB and AWS NAT's 350 s). */
    time?: Duration;
    /** Between probes. Default 30s. */
    interval?: Duration;
    /**
     * Unanswered probes before the connection is dropped. Default 3.
     * @asType integer
     * @minimum 1
     * @maximum 20
     */
    probes?: number;
}

/**
 * Outlier detection on locally-originated failures only (connect failures, timeouts, resets of the hop's own
 * connection — `splitExternalLocalOriginErrors`), never on the HTTP status the upstream returns: a gateway that
 * relays an external host's 503 is healthy, and a caller that makes a host answer 5xx must not eject the host for
 * every other caller. (Istio: `consecutive5xxErrors: 0`, `consecutiveLocalOriginFailures`.)
 */
export interface OutlierDetectionArgs {
    /** Default true. */
    enabled?: boolean;
    /**
     * Consecutive local-origin failures before an endpoint is ejected. Default 5.
     * @asType integer
     * @minimum 1
     */
    consecutiveLocalOriginFailures?: number;
    /** How often ejections are evaluated. Default 10s. */
    interval?: Duration;
    /** First ejection's length (it grows with each ejection). Default 30s. */
    baseEjectionTime?: Duration;
    /**
     * Most endpoints ejected at once, in percent (Envoy ejects at least one whatever the percentage). Default 50.
     * @asType integer
     * @minimum 1
     * @maximum 100
     */
    maxEjectionPercent?: number;
}

/**
 * HTTP retries on both legs (sidecar → gateway, gateway → host). The conditions are fixed to the ones where the
 * request never reached the upstream — `connect-failure`, `refused-stream`, `reset-before-request` — so a
 * non-idempotent request (a POST) is never sent twice; Istio's default (which also retries gRPC `unavailable` and
 * `cancelled` responses, after the upstream received the request) is replaced on every route the component writes.
 */
export interface RetryArgs {
    /**
     * Retries per leg. Default 2; 0 turns retries off.
     * @asType integer
     * @minimum 0
     * @maximum 10
     */
    attempts?: number;
}

export interface AutoscalingArgs {
    enabled: boolean;
    /**
     * @asType integer
     * @minimum 1
     */
    minReplicas?: number;
    /**
     * @asType integer
     * @minimum 1
     */
    maxReplicas?: number;
    /**
     * @asType integer
     * @minimum 1
     * @maximum 100
     */
    targetCPUUtilizationPercentage?: number;
}

export interface LockdownArgs {
    /** Application namespaces whose egress is locked down. */
    namespaces?: ProtectedNamespaceArgs[];
    /** Let protected pods reach pods in any namespace of the cluster (in-cluster traffic). Default true. */
    allowInCluster?: boolean;
    /** Extra destinations outside the cluster that protected pods may reach directly. */
    extraEgressCidrs?: ExtraEgressCidrArgs[];
    /**
     * The cluster's own CIDRs (pod, service, node ranges). The gateway is never allowed to reach them as
     * "internet". Every IANA special-purpose range (RFC 1918, 100.64.0.0/10, link-local, NAT64, ...) is always
     * excluded.
     */
    clusterCidrs?: string[];
    /**
     * External ports the gateway may reach on the internet besides its own hosts' ports — for hosts that
     * application teams add from their own stacks (`EgressRoutes`). Default none.
     */
    externalPorts?: Port[];
    /** Namespace of istiod. Default `istio-system`. */
    istiodNamespace?: string;
    /**
     * Pod labels of istiod. Default `{ app: "istiod" }`.
     * @minProperties 1
     */
    istiodLabels?: { [key: string]: string };
    /** Namespace of the cluster DNS. Default `kube-system`. */
    dnsNamespace?: string;
    /**
     * Pod labels of the cluster DNS. Default `{ "k8s-app": "kube-dns" }`.
     * @minProperties 1
     */
    dnsLabels?: { [key: string]: string };
    /** The mesh's trust domain, used in principals (`<trustDomain>/ns/<ns>/sa/<sa>`). Default `cluster.local`. */
    trustDomain?: string;
    /** Envoy access logs on the gateway through the Telemetry API. Default true. */
    accessLogs?: boolean;
    /**
     * The access-log provider the gateway's Telemetry names: an entry of istiod's `meshConfig.extensionProviders`.
     * Default `envoy`, Istio's built-in file provider, whose lines (with the default mesh config) carry the SNI, the
     * authority, the upstream host and the response flags but NOT the caller's identity. For audit lines with the
     * caller (`%DOWNSTREAM_PEER_URI_SAN%`), define a provider such as `egressAuditLogProvider()` in istiod's mesh
     * config and name it here (docs/lockdown.md, "Access logs"). A name istiod does not know gives no logs at all.
     * @minLength 1
     * @maxLength 253
     */
    accessLogProvider?: string;
    /**
     * Ports of the cluster DNS pods (`dnsNamespace` + `dnsLabels`), UDP and TCP. Default `[53]`. OpenShift's
     * `dns-default` pods (namespace `openshift-dns`, labels `dns.operator.openshift.io/daemonset-dns: default`)
     * listen on 5353 behind the Service's 53: NetworkPolicy sees the pod's port.
     * @minItems 1
     */
    dnsPorts?: Port[];
    /** NodeLocal DNSCache: let pods query the node's cache on its link-local address. Default off. */
    nodeLocalDns?: NodeLocalDnsArgs;
    /**
     * An external mesh CA the proxies get their certificates from (cert-manager istio-csr), in addition to istiod
     * (which still serves xDS on 15012). Default none.
     */
    meshCa?: MeshCaArgs;
    /** Tracing / OpenTelemetry collectors the proxies (the gateway and the protected pods' sidecars) send to. */
    telemetryCollectors?: TelemetryCollectorArgs[];
    /** Pods that scrape the gateway's metrics (15020 and/or 15090). Default none: the gateway admits no scraper. */
    metricsScrapers?: MetricsScraperArgs[];
    /**
     * Private addresses only the gateway may reach, on given ports: hosts behind private endpoints (AWS
     * PrivateLink, Azure Private Endpoint, GCP Private Service Connect), whose names resolve to private
     * addresses that the gateway's internet rule excludes.
     */
    privateEndpoints?: PrivateEndpointArgs[];
}

/** NodeLocal DNSCache (https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/). */
export interface NodeLocalDnsArgs {
    /**
     * The addresses the cache listens on, single IPs: its link-local address (default `["169.254.20.10"]`) and,
     * where kube-proxy runs in iptables mode, also the kube-dns Service's ClusterIP (the cache answers it on the
     * node, so NetworkPolicy sees that address, not a DNS pod). Only DNS (UDP and TCP 53) is opened to them; the
     * clouds' link-local services (169.254.169.0/24, 169.254.170.0/24: metadata, credentials, the VPC resolver)
     * and every metadata address are refused.
     * @minItems 1
     */
    addresses?: string[];
}

/** cert-manager istio-csr (or another external CA speaking Istio's CA API), as a NetworkPolicy destination. */
export interface MeshCaArgs {
    /** Its namespace. Default `cert-manager`. */
    namespace?: string;
    /**
     * Its pods' labels. Default `{ app: "cert-manager-istio-csr" }` (the istio-csr chart's selector).
     * @minProperties 1
     */
    labels?: { [key: string]: string };
    /**
     * The container port of its gRPC CA service. Default 6443 (istio-csr's `app.server.serving.port`; its
     * Service's port 443 targets it, and NetworkPolicy sees the pod's port).
     */
    port?: Port;
}

/** A tracing / OpenTelemetry collector (e.g. an OpenTelemetry Collector, Jaeger, Zipkin), by its pods. */
export interface TelemetryCollectorArgs {
    /** Its namespace. */
    namespace: string;
    /**
     * Its pods' labels.
     * @minProperties 1
     */
    labels: { [key: string]: string };
    /**
     * The TCP container ports the proxies send to (OTLP gRPC 4317, OTLP HTTP 4318, Zipkin 9411, ...). Required.
     * @minItems 1
     */
    ports: Port[];
}

/** Pods that scrape the gateway's metrics (Prometheus). */
export interface MetricsScraperArgs {
    /** Their namespace. */
    namespace: string;
    /**
     * Their pods' labels.
     * @minProperties 1
     */
    labels: { [key: string]: string };
    /**
     * Which metrics ports: 15020 (pilot-agent's merged metrics, the chart's `prometheus.io/port`) and/or 15090
     * (Envoy's own). Default both. No other port may be named.
     * @minItems 1
     */
    ports?: Port[];
}

/** Private addresses (e.g. PrivateLink endpoints) that only the gateway may reach. */
export interface PrivateEndpointArgs {
    /** A short DNS-1123 name saying what it is, used in the NetworkPolicy's name (e.g. `payments-vpce`). */
    name: string;
    /**
     * A private CIDR (RFC 1918, 100.64.0.0/10, fc00::/7), canonical, at most /24 (IPv4) or /120 (IPv6) wide;
     * never link-local or metadata addresses, never inside `clusterCidrs`.
     */
    cidr: string;
    /**
     * TCP ports. Required: a private endpoint never opens every port.
     * @minItems 1
     */
    ports: Port[];
}

export interface EgressGatewayArgs {
    /**
     * What the children's names start with: Kubernetes names `<namePrefix>-...` and Pulumi names `<namePrefix>/...`.
     * Default: the component's name. To rename a component without replacing anything, give it an alias to its old
     * name and set `namePrefix` to the old name (docs/upgrading.md). A DNS-1123 label of at most 30 characters,
     * unique among the stack's istio-egress components.
     */
    namePrefix?: string;
    /** The gateway itself. */
    gateway?: GatewayArgs;
    /** The external hosts workloads may reach. */
    hosts?: ExternalHostArgs[];
    /** Network and identity lock-down around the gateway. */
    lockdown?: LockdownArgs;
}

/** The platform gateway, as its `EgressGateway` outputs describe it (typically read through a StackReference). */
export interface GatewayReferenceArgs {
    /** The gateway's namespace (`EgressGateway.namespace`). */
    namespace: pulumi.Input<string>;
    /** The gateway Service's name (`EgressGateway.serviceName`). */
    serviceName: pulumi.Input<string>;
    /** The gateway pods' labels (`EgressGateway.labels`). */
    labels: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** The gateway's container ports (`EgressGateway.containerPorts`). */
    containerPorts: pulumi.Input<ContainerPortsArgs>;
}

/** The gateway's container ports, as `EgressGateway.containerPorts` reports them. */
export interface ContainerPortsArgs {
    http: pulumi.Input<Port>;
    tls: pulumi.Input<Port>;
}

export interface EgressRoutesArgs {
    /**
     * What the children's names start with: Kubernetes names `<namePrefix>-...` and Pulumi names `<namePrefix>/...`.
     * Default: the component's name. To rename a component without replacing anything, give it an alias to its old
     * name and set `namePrefix` to the old name (docs/upgrading.md). A DNS-1123 label of at most 30 characters,
     * unique among the stack's istio-egress components.
     */
    namePrefix?: string;
    /** The platform gateway (the `EgressGateway`'s outputs, or the component itself through `gatewayOf`). */
    gateway: GatewayReferenceArgs;
    /** The team's external hosts, with their allow / deny rules. */
    hosts: ExternalHostArgs[];
    /** The team's namespaces, locked down like the platform's protected namespaces. */
    namespaces?: ProtectedNamespaceArgs[];
    /** Let the team's pods reach pods of every namespace. Default true. */
    allowInCluster?: boolean;
    /** Extra destinations outside the cluster the team's pods may reach directly. */
    extraEgressCidrs?: ExtraEgressCidrArgs[];
    /** Namespace of istiod, if not `istio-system`. */
    istiodNamespace?: string;
    /**
     * Pod labels of istiod, if not `{ app: "istiod" }`.
     * @minProperties 1
     */
    istiodLabels?: { [key: string]: string };
    /** Namespace of the cluster DNS, if not `kube-system`. */
    dnsNamespace?: string;
    /**
     * Pod labels of the cluster DNS, if not `{ "k8s-app": "kube-dns" }`.
     * @minProperties 1
     */
    dnsLabels?: { [key: string]: string };
    /** The mesh's trust domain, if not `cluster.local`. */
    trustDomain?: string;
    /**
     * Ports of the cluster DNS pods, if not `[53]` (as the platform's `lockdown.dnsPorts`).
     * @minItems 1
     */
    dnsPorts?: Port[];
    /** NodeLocal DNSCache, as the platform's `lockdown.nodeLocalDns`. */
    nodeLocalDns?: NodeLocalDnsArgs;
    /** An external mesh CA, as the platform's `lockdown.meshCa`. */
    meshCa?: MeshCaArgs;
    /** Tracing / OpenTelemetry collectors the team's sidecars send to, as the platform's `lockdown.telemetryCollectors`. */
    telemetryCollectors?: TelemetryCollectorArgs[];
}

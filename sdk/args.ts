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
     */
    chartVersion?: pulumi.Input<string>;
    /**
     * Chart repository. Default Istio's (`https://istio-release.storage.googleapis.com/charts`). Ignored when
     * `chart` is a local path or an `oci://` reference.
     */
    chartRepository?: pulumi.Input<string>;
    /**
     * The chart: `gateway` (default, from `chartRepository`), a local chart directory or `.tgz` archive (a path;
     * no repository is used), or an `oci://` reference. It must be the istio/gateway chart: the component's
     * lock-down relies on its templates.
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
    resources?: pulumi.Input<{ [key: string]: any }>;
    /**
     * Extra Helm values, merged last (deeply; arrays are replaced). They may contain Outputs, except under
     * `service` (the lock-down derives the gateway's container ports from `service.ports`). Keys that change the
     * gateway's identity, exposure or pod contents are refused (docs/lockdown.md, "Helm values"); the typed args
     * are the way to set replicas, autoscaling, labels and resources.
     */
    values?: { [key: string]: any };
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
}

export interface EgressGatewayArgs {
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
}

/**
 * The component's arguments.
 *
 * Kept schema-friendly so that other Pulumi languages can consume the component later: interfaces, arrays,
 * maps and string enums only (no callbacks, classes or unions).
 *
 * Structural fields — the ones that decide which child resources exist and how they are named (hosts, modes,
 * ports, namespaces) — are plain values: Pulumi resource names cannot depend on outputs, and validation must
 * reject bad input before any resource is registered. Fields that only flow into a child's inputs (chart
 * version, Helm values, resources, certificates) accept `pulumi.Input<T>`.
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

/** Who a rule is about. Empty lists mean "any". A rule with no namespaces and no service accounts matches every caller. */
export interface AccessRuleArgs {
    /** Source namespaces (matched on the caller's mTLS identity). */
    namespaces?: string[];
    /** Source service accounts, as `namespace/serviceaccount`. */
    serviceAccounts?: string[];
    /** HTTP paths (exact, `prefix*` or `*suffix`); HTTP-speaking modes only. */
    paths?: string[];
    /** HTTP methods; HTTP-speaking modes only. */
    methods?: string[];
}

/** One external host that workloads may reach through the egress gateway. */
export interface ExternalHostArgs {
    /** A DNS name (`api.example.com`) or a wildcard (`*.example.com`, TLS mode only). */
    host: string;
    /** How the application talks to the host. */
    mode: EgressMode;
    /**
     * The port the application connects to. Default: 80 for HTTP, TLS_ORIGINATION and MUTUAL_TLS_ORIGINATION;
     * 443 for TLS.
     */
    port?: number;
    /** The host's port the gateway connects to. Default: 80 for HTTP, 443 otherwise. */
    targetPort?: number;
    /**
     * For a wildcard host: the one concrete host that the gateway forwards all of the wildcard's traffic to
     * (Istio cannot DNS-resolve a wildcard). Required for wildcards, forbidden otherwise.
     */
    upstreamHost?: string;
    /** Origination modes: path (in the gateway pod) of the CA bundle used to verify the host. Default: system CAs. */
    caCertificates?: string;
    /** Origination modes: names the host's certificate must carry. Default: the host name. */
    subjectAltNames?: string[];
    /** MUTUAL_TLS_ORIGINATION: name of the client-certificate Secret, which must live in the gateway's namespace. */
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
    /** The CIDR (IPv4 or IPv6). */
    cidr: string;
    /** TCP ports allowed. Required: an extra CIDR never opens every port. */
    ports: number[];
}

export interface GatewayArgs {
    /** Namespace of the gateway. Default `istio-egress`. */
    namespace?: string;
    /** Create the namespace (labelled for sidecar injection). Default true. */
    createNamespace?: boolean;
    /** Helm release name, which is also the gateway Service's name. Default `istio-egressgateway`. */
    releaseName?: string;
    /** Pod labels that select the gateway. Default `{ istio: "egressgateway" }`. */
    labels?: { [key: string]: string };
    /** Chart version (the Istio version). Default: `DEFAULT_CHART_VERSION`. */
    chartVersion?: pulumi.Input<string>;
    /** Chart repository. Default Istio's (`https://istio-release.storage.googleapis.com/charts`). */
    chartRepository?: pulumi.Input<string>;
    /** Replicas when autoscaling is off. Default 2. */
    replicas?: number;
    /** Horizontal autoscaling. Default off (fixed replicas). */
    autoscaling?: AutoscalingArgs;
    /** PodDisruptionBudget `minAvailable`. Default 1. */
    podDisruptionBudgetMinAvailable?: number;
    /** Container resources, as in the chart's `resources`. */
    resources?: pulumi.Input<{ [key: string]: any }>;
    /**
     * Extra Helm values, merged last (deeply; arrays are replaced). Plain values, not outputs: the lock-down
     * derives the gateway's container ports from them. `service.type` must stay ClusterIP.
     */
    values?: { [key: string]: any };
}

export interface AutoscalingArgs {
    enabled: boolean;
    minReplicas?: number;
    maxReplicas?: number;
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
     * "internet". RFC 1918, 100.64.0.0/10 and 169.254.0.0/16 are always excluded.
     */
    clusterCidrs?: string[];
    /**
     * External ports the gateway may reach on the internet besides its own hosts' ports — for hosts that
     * application teams add from their own stacks (`EgressRoutes`). Default none.
     */
    externalPorts?: number[];
    /** Namespace of istiod. Default `istio-system`. */
    istiodNamespace?: string;
    /** Pod labels of istiod. Default `{ app: "istiod" }`. */
    istiodLabels?: { [key: string]: string };
    /** Namespace of the cluster DNS. Default `kube-system`. */
    dnsNamespace?: string;
    /** Pod labels of the cluster DNS. Default `{ "k8s-app": "kube-dns" }`. */
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

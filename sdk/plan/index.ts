/**
 * args → validated plan. Pure: no I/O, no resources (Pulumi Outputs the args carry are passed through untouched).
 *
 * 1. The args' shape is checked against their JSON Schema (sdk/schema/args.ts; generated from sdk/args.ts).
 * 2. Every semantic rule lives here — host names, CIDR ranges, ports, collisions, Helm values — so that bad input
 *    is rejected, with the field and the rule named, before a single resource is registered.
 * 3. The plan carries everything the manifest builders and the components need, already defaulted and in a
 *    canonical order (hosts by name, namespaces by name, CIDRs by name), so that the same set of hosts and
 *    namespaces in any order gives identical objects, and the children's names (sdk/plan/names.ts) depend on
 *    what they are, never on a list position.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    AccessRuleArgs,
    EgressGatewayArgs,
    EgressMode,
    EgressRoutesArgs,
    ExternalHostArgs,
    ExtraEgressCidrArgs,
    GatewayArgs,
    LockdownArgs,
    ProtectedNamespaceArgs,
} from "../args";
import {
    chartName,
    CLUSTER_DOMAIN,
    formatCidr,
    GATEWAY_CHART,
    GATEWAY_SELECTOR_LABEL,
    gatewayReleaseLabels,
    hostCovers,
    hostsOverlap,
    gatewaySelector,
    STOCK_GATEWAY_LABELS,
    internalHostProblem,
    ipLikeHostProblem,
    isIPv4MappedCidr,
    isPrivateCidr,
    ISTIO_CHART_REPOSITORY,
    serviceFqdn,
    specialRangesOverlapping,
    tryParseCidr,
    isRecord,
    recordAt,
    shown,
} from "../model";
import { ArgsError, ArgsProblem, checkArgsShape, DeferredInput, didYouMean } from "../schema/args";
import { helmValuesProblems, mergeValues } from "./values";
import { hostObjectName, NameDomain, namePrefix, objectName, PlainPurpose } from "./names";
import { ClusterServicesInput, ClusterServicesPlan, planAccessLogProvider, planClusterServices } from "./lockdown-options";
import { placementValues, planTraffic, TrafficPlan } from "./production";

export { ArgsError, ArgsProblem, ISTIO_CHART_REPOSITORY, mergeValues };

export const COMPONENT_TYPE = "istio-egress:index:EgressGateway";
export const ROUTES_TYPE = "istio-egress:index:EgressRoutes";
/** The istio/gateway chart version (= Istio version) installed unless `gateway.chartVersion` says otherwise. */
export const DEFAULT_CHART_VERSION = "1.29.2";
import { DEFAULT_GATEWAY_NAMESPACE, DEFAULT_RELEASE_NAME } from "../model/gateway-identity";
export { DEFAULT_GATEWAY_NAMESPACE, DEFAULT_RELEASE_NAME };
/** The default releaseName of istio-egress 0.1, for the migration note and warnings. */
export const LEGACY_RELEASE_NAME = "istio-egressgateway";
/**
 * The chart's default Service ports (values.yaml of istio/gateway); used when `values.service.ports` is not set.
 * One addition: `appProtocol: http` on the status port (pilot-agent's HTTP health endpoint). The chart's name
 * `status-port` names no Istio protocol, and `istioctl validate` refuses such a Service port outside the Istio
 * namespace ("does not follow the Istio naming convention": istioctl/pkg/validate/validate.go
 * `validateServicePortPrefix`, which takes `appProtocol` first); the name stays the chart's.
 */
export const CHART_DEFAULT_SERVICE_PORTS: ReadonlyArray<ServicePortPlan> = [
    { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP", appProtocol: "http" },
    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
];
/** Service ports of the gateway that the routing uses: HTTP-speaking hosts on 80, TLS-wrapped hosts on 443. */
export const GATEWAY_HTTP_PORT = 80;
export const GATEWAY_TLS_PORT = 443;
/** The widest public range an extra CIDR may open without `allowPublicRange`: 16 IPv4 / 16 IPv6 addresses. */
export const PUBLIC_CIDR_MAX_IPV4 = 28;
export const PUBLIC_CIDR_MAX_IPV6 = 124;
/** The widest private range an extra CIDR may open at all. */
export const PRIVATE_CIDR_MAX_IPV4 = 8;
export const PRIVATE_CIDR_MAX_IPV6 = 16;
/** Namespaces of cluster components whose egress this component does not know. */
const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

export interface ServicePortPlan {
    name: string;
    port: number;
    targetPort: number;
    protocol: string;
    /** Kubernetes `appProtocol`, which Istio's protocol selection reads before the port's name. */
    appProtocol?: string;
}

export interface GatewayPlan {
    namespace: string;
    createNamespace: boolean;
    releaseName: string;
    /** The gateway's Service (the chart names it after the release). */
    serviceName: string;
    /** `<svc>.<ns>.svc.cluster.local` */
    serviceHost: string;
    /**
     * The selector of the gateway pods: `{ "istio-egress.io/gateway": <namespace>.<release> }`, unique to this
     * release (sdk/model/gateway-identity.ts). Every object that selects the gateway pods uses it (the Gateway, the
     * AuthorizationPolicies, the NetworkPolicies, the Telemetry), never the chart's shared `app`/`istio` labels.
     */
    labels: Record<string, string>;
    /**
     * The labels the chart puts on the gateway pods that matter to Istio and to the lock-down: its `app`/`istio`
     * selector labels, `gateway.labels`, the selector label and the injection labels (`sidecar.istio.io/inject`,
     * `istio.io/rev`), as manifests/charts/gateway/templates/_helpers.tpl derives them. Platform plans only; a
     * team plan knows only the selector.
     */
    podLabels: Record<string, string>;
    /** The Istio control-plane revision (or revision tag) the gateway's pods are injected by; undefined: the default. */
    revision?: string;
    /** Name of this component's Istio `Gateway` object. */
    gatewayName: string;
    /** `namespace/name` of the Istio Gateway, as VirtualServices reference it. */
    gatewayRef: string;
    /** Service port used by HTTP-speaking hosts (sidecar → gateway). */
    httpPort: ServicePortPlan;
    /** Service port used by TLS-wrapped hosts. */
    tlsPort: ServicePortPlan;
    /** All Service ports (from the values), with the container ports they target. */
    servicePorts: ServicePortPlan[];
}

/** Everything the gateway's Helm release is given (platform components only). */
export interface ReleasePlan {
    name: string;
    namespace: string;
    /** Chart reference: `gateway` (from `repository`), a local path, or an `oci://` reference. */
    chart: pulumi.Input<string>;
    version: pulumi.Input<string>;
    /** The repository (unless `chart` is a path or an `oci://` reference, which need none). */
    repository?: pulumi.Input<string>;
    skipAwait: boolean;
    /** The component's values merged with `gateway.values` (which may contain Outputs; see `valuesPending`). */
    values: Record<string, unknown>;
    /** Container resources (typed `gateway.resources`), merged last; may be an Output. */
    resources?: pulumi.Input<Record<string, unknown>>;
    /** Whether `values` or `resources` hold Outputs: the values checks run again once they resolve. */
    valuesPending: boolean;
    /** Labels the chart must keep (for the check on resolved values): `gateway.labels` and the selector label. */
    labels: Record<string, string>;
    /** The chart's `revision` value, when `gateway.revision` is set (checked again on the resolved values). */
    revision?: string;
}

/** One access rule, normalised: a caller matches when it is in one of `namespaces` or is one of `principals`. */
export interface AccessRulePlan {
    namespaces: string[];
    /** SPIFFE-style principals without the `spiffe://` prefix: `<trustDomain>/ns/<ns>/sa/<sa>`. */
    principals: string[];
    /** True when the rule names no namespace and no service account: any authenticated mesh identity. */
    anyAuthenticated: boolean;
    paths: string[];
    methods: string[];
}

export interface OriginationPlan {
    mode: "SIMPLE" | "MUTUAL";
    sni: string;
    subjectAltNames: string[];
    caCertificates?: string;
    credentialName?: string;
}

export interface HostPlan {
    /** Stable key derived from the host only (never from its position in the list); a DNS label. */
    key: string;
    host: string;
    wildcard: boolean;
    mode: EgressMode;
    /** True when the application speaks plain HTTP to its sidecar (HTTP and the origination modes). */
    http: boolean;
    /** The port the application connects to. */
    appPort: number;
    /** The host's port the gateway connects to. */
    targetPort: number;
    /** Where the gateway sends the traffic: the host itself, or a wildcard's concrete upstream. */
    destinationHost: string;
    upstreamHost?: string;
    /** The gateway Service port the mesh leg uses. */
    gatewayPort: ServicePortPlan;
    /** The outer SNI that the gateway DestinationRule subset sets on the Istio mTLS hop (seen as `connection.sni`). */
    sni: string;
    subsetName: string;
    origination?: OriginationPlan;
    allow: AccessRulePlan[];
    deny: AccessRulePlan[];
    /** Kubernetes object names of the per-host Istio objects. */
    names: {
        serviceEntry: string;
        upstreamServiceEntry?: string;
        virtualService: string;
        destinationRule?: string;
    };
}

export interface ProtectedNamespacePlan {
    name: string;
    registryOnlySidecar: boolean;
}

export interface ExtraEgressCidrPlan {
    name: string;
    /** Canonical form. */
    cidr: string;
    ports: number[];
}

export interface LockdownPlan {
    namespaces: ProtectedNamespacePlan[];
    allowInCluster: boolean;
    extraEgressCidrs: ExtraEgressCidrPlan[];
    /** Canonical, sorted. */
    clusterCidrs: string[];
    istiod: { namespace: string; labels: Record<string, string> };
    dns: { namespace: string; labels: Record<string, string> };
    accessLogs: boolean;
    /** The access-log provider the gateway's Telemetry names (`envoy` unless `lockdown.accessLogProvider`). */
    accessLogProvider: string;
    /** DNS ports, NodeLocal DNSCache, the mesh CA, collectors, scrapers and private endpoints (lockdown-options.ts). */
    clusterServices: ClusterServicesPlan;
    trustDomain: string;
    /** Distinct external ports (TCP) the gateway must reach on the internet: the hosts' target ports. */
    externalPorts: number[];
}

/** Kubernetes names of the objects a component puts in the gateway's namespace (besides the per-host ones). */
export interface GatewayObjectNames {
    gateway: string;
    destinationRule: string;
    routesCatalog: string;
    denyAll: string;
    ingress: string;
    dns: string;
    istiod: string;
    internet: string;
    peerAuthentication: string;
    authzDefaultDeny: string;
    authzAllow: string;
    authzDeny: string;
    telemetry: string;
}

export interface EgressPlan {
    /** The component's name. */
    name: string;
    /** `platform` for an `EgressGateway`, `team` for an `EgressRoutes`: the naming domain of its children. */
    domain: NameDomain;
    gateway: GatewayPlan;
    /** The Helm release (platform only). */
    release?: ReleasePlan;
    /** Sorted by host. */
    hosts: HostPlan[];
    lockdown: LockdownPlan;
    /** Connection pools, outlier detection and retries of the routing objects (sdk/plan/production.ts). */
    traffic: TrafficPlan;
    names: GatewayObjectNames;
    /** Inputs given as Outputs, to check once they resolve. */
    deferred: DeferredInput[];
    /** Things that are allowed but probably wrong; the components log them as Pulumi warnings. */
    warnings: string[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Collects problems while walking the args. */
export class Checker {
    readonly problems: ArgsProblem[] = [];
    fail(field: string, rule: string): void {
        this.problems.push({ field, rule });
    }
    dnsLabel(field: string, value: string, what = "a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)"): boolean {
        if (value.length > 63 || !DNS_LABEL.test(value)) {
            this.fail(field, `must be ${what}; got ${JSON.stringify(value)}`);
            return false;
        }
        return true;
    }
    labels(field: string, value: Record<string, string>): boolean {
        let ok = true;
        for (const [k, v] of Object.entries(value)) {
            const keyOk = LABEL_KEY.test(k) && k.split("/").pop()!.length <= 63;
            if (!keyOk || v.length > 63 || !LABEL_VALUE.test(v)) {
                this.fail(`${field}["${k}"]`, `must be a valid Kubernetes label (key and value); got ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
                ok = false;
            }
        }
        return ok;
    }
}

/** The methods an access rule may name (RFC 9110 and PATCH, RFC 5789). */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (xs: string[]) => [...new Set(xs)].sort(byText);

/**
 * Validates an external host name. RFC 1123 labels, at least two of them, lowercase; a wildcard is `*.` followed
 * by a domain of at least two labels (`*.example.com`); not an IP-like literal; not a cluster-local or special-use
 * name. Returns the rule broken, or undefined.
 */
export function hostNameProblem(host: unknown, internalSuffixes: readonly string[] = [CLUSTER_DOMAIN], namespaces: readonly string[] = []): string | undefined {
    if (typeof host !== "string" || host.length === 0) {
        return "must be a non-empty DNS name";
    }
    if (host === "*") {
        return "a bare `*` would let every destination through the gateway; name the hosts (or `*.domain`)";
    }
    if (host !== host.toLowerCase()) {
        return "must be lowercase (DNS names are case-insensitive; Istio matches them lowercase)";
    }
    if (host.endsWith(".")) {
        return "must not end with a dot (write the name without the root label)";
    }
    const wildcard = host.startsWith("*.");
    const name = wildcard ? host.slice(2) : host;
    if (name.includes("*")) {
        return "a wildcard is only allowed as the whole leftmost label (`*.example.com`)";
    }
    if (host.length > 253) {
        return "must be at most 253 characters (RFC 1123)";
    }
    const ipLike = ipLikeHostProblem(host);
    if (ipLike) return ipLike;
    const labels = name.split(".");
    if (labels.some((l) => l.length === 0 || l.length > 63 || !DNS_LABEL.test(l))) {
        return "each label must be 1-63 lowercase letters, digits or '-', not starting or ending with '-' (RFC 1123)";
    }
    if (labels.length < 2) {
        return wildcard
            ? "a wildcard must cover a registrable domain (`*.example.com`), not a whole top-level domain"
            : "must be a fully qualified name with at least one dot";
    }
    return internalHostProblem(host, internalSuffixes, namespaces);
}

/**
 * A stable, DNS-label-safe key for a host (the `host`/`wildcard` segment of its objects' names, without the
 * component): one-to-one, bounded to 63 characters (sdk/plan/names.ts).
 */
export function hostKey(host: string): string {
    return hostObjectName("h", "platform", host).replace(/^h-/, "");
}

const modeDefaults: Record<EgressMode, { appPort: number; targetPort: number; http: boolean }> = {
    [EgressMode.Http]: { appPort: 80, targetPort: 80, http: true },
    [EgressMode.TlsOrigination]: { appPort: 80, targetPort: 443, http: true },
    [EgressMode.Tls]: { appPort: 443, targetPort: 443, http: false },
    [EgressMode.MutualTlsOrigination]: { appPort: 80, targetPort: 443, http: true },
};

function gatewayObjectNames(name: string, domain: NameDomain): GatewayObjectNames {
    const n = (p: PlainPurpose) => objectName(name, domain, p);
    return {
        gateway: n("gateway"),
        destinationRule: n("gateway"),
        routesCatalog: n("routes"),
        denyAll: n("deny-all"),
        ingress: n("ingress"),
        dns: n("egress-dns"),
        istiod: n("egress-istiod"),
        internet: n("egress-internet"),
        peerAuthentication: n("strict-mtls"),
        authzDefaultDeny: n("default-deny"),
        authzAllow: n("allow"),
        authzDeny: n("deny"),
        telemetry: n("access-logs"),
    };
}

/** The gateway's Service ports from the (merged) values: `service.ports`, else the chart's defaults. */
function servicePortsOf(c: Checker, rawPorts: unknown): ServicePortPlan[] {
    const servicePorts: ServicePortPlan[] = [];
    if (!Array.isArray(rawPorts)) {
        c.fail("gateway.values.service.ports", "must be a list of Service ports");
        return servicePorts;
    }
    rawPorts.forEach((p: unknown, i: number) => {
        const field = `gateway.values.service.ports[${i}]`;
        const isPort = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535;
        if (!isRecord(p)) {
            c.fail(field, "must be a Service port ({ name, port, targetPort })");
            return;
        }
        if (!isPort(p.port)) {
            c.fail(`${field}.port`, `must be an integer port from 1 to 65535; got ${JSON.stringify(p.port)}`);
            return;
        }
        const targetPort = p.targetPort ?? p.port;
        if (!isPort(targetPort)) {
            c.fail(
                `${field}.targetPort`,
                `must be an integer port from 1 to 65535 (a named targetPort is not supported: the lock-down needs the number); got ${JSON.stringify(targetPort)}`,
            );
            return;
        }
        // protocol passes through as given (the chart and the API server judge it).
        servicePorts.push({ name: shown(p.name ?? `port-${p.port}`), port: p.port, targetPort, protocol: (p.protocol ?? "TCP") as string });
    });
    return servicePorts;
}

function findPort(c: Checker, servicePorts: ServicePortPlan[], port: number, role: string, report: boolean): ServicePortPlan {
    const found = servicePorts.find((p) => p.port === port);
    if (!found && report) {
        c.fail("gateway.values.service.ports", `must expose port ${port} (the gateway's ${role} listener)`);
    }
    return found ?? { name: `port-${port}`, port, targetPort: port, protocol: "TCP" };
}

/**
 * Why `chart` cannot be the gateway's chart reference, or undefined. istio-egress-guard knows the gateway's Release
 * by its chart's name (sdk/model/kinds.ts `chartName`); under another name the pack would not learn the gateway's
 * Service and would reject every route of the stack. Found by the e2e suite (a local chart in `share/gateway-chart`).
 * The empty string is the schema's to refuse (`@minLength 1`).
 */
export function chartNameProblem(chart: string): string | undefined {
    if (chart.length === 0 || chartName(chart) === GATEWAY_CHART) return undefined;
    return `${JSON.stringify(chart)} must be named after the istio/gateway chart: "gateway", a directory named gateway (e.g. /charts/gateway, as \`helm pull istio/gateway --untar\` writes it), an archive gateway-<version>.tgz, or oci://.../gateway; the istio-egress-guard policy pack recognises the egress gateway's Release by that name`;
}

/** A chart reference that is a local path or an `oci://` reference needs no repository. */
export function chartNeedsRepository(chart: string): boolean {
    return !(
        chart.startsWith("oci://") ||
        chart.startsWith("/") ||
        chart.startsWith("./") ||
        chart.startsWith("../") ||
        chart.endsWith(".tgz") ||
        chart.includes("/")
    );
}

function planGateway(
    c: Checker,
    name: string,
    args: GatewayArgs,
    deferred: DeferredInput[],
    warnings: string[],
): { gateway: GatewayPlan; release: ReleasePlan } {
    const namespace = args.namespace ?? DEFAULT_GATEWAY_NAMESPACE;
    c.dnsLabel("gateway.namespace", namespace);
    const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAME;
    c.dnsLabel("gateway.releaseName", releaseName, "a DNS-1123 label (it names the gateway's Service)");
    const extraLabels = args.labels ?? {};
    c.labels("gateway.labels", extraLabels);
    for (const k of Object.keys(extraLabels).filter((key) => /^([a-z0-9.-]*\.)?istio\.io\//.test(key))) {
        // The chart sets sidecar.istio.io/inject and istio.io/rev itself (gateway.sidecarInjectionLabels); Istio reads
        // labels in its domains (injection, revision, network, canonical names), so they are not extra pod labels.
        c.fail(
            `gateway.labels["${k}"]`,
            "is a label in Istio's domain (istio.io), which Istio reads (injection, revision, topology): it cannot be set here; set gateway.revision for the revision",
        );
    }
    if (Object.prototype.hasOwnProperty.call(extraLabels, GATEWAY_SELECTOR_LABEL)) {
        c.fail(
            `gateway.labels["${GATEWAY_SELECTOR_LABEL}"]`,
            "is the component's own selector label (namespace.release, unique to this gateway); it cannot be set: another value would let this gateway's objects select other pods, or other gateways' objects select these",
        );
    }
    // The selector: unique to this release, so that neither a stock gateway nor another component's pods match it.
    const labels = gatewaySelector(namespace, releaseName);
    // The chart puts `values.labels` on the pods (keys other than app/istio) and uses app/istio, when given, as its
    // selector labels (manifests/charts/gateway/templates/_helpers.tpl, deployment.yaml).
    const chartLabels = { ...extraLabels, ...labels };
    const podLabels = gatewayReleaseLabels({ name: releaseName, values: { labels: chartLabels } }, releaseName);
    const stock = STOCK_GATEWAY_LABELS.find((set) => Object.entries(set).every(([k, v]) => podLabels[k] === v));
    if (stock) {
        warnings.push(
            `gateway: the gateway pods carry the labels of Istio's stock gateway (${Object.entries(stock)
                .map(([k, v]) => `${k}: ${v}`)
                .join(
                    ", ",
                )}), derived by the istio/gateway chart from gateway.releaseName ${JSON.stringify(releaseName)}${args.labels ? " or set by gateway.labels" : ""}: Istio applies a Gateway's selector in every namespace, so Gateways written for the stock gateway also configure these pods. Use another releaseName (the default is ${DEFAULT_RELEASE_NAME}) or run istiod with PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true (docs/lockdown.md, "Migration").`,
        );
    }

    const revision = args.revision;
    if (revision !== undefined)
        c.dnsLabel("gateway.revision", revision, "an Istio revision or revision tag name (a DNS-1123 label, as istio.io/rev values are)");
    // The chart's injection labels (manifests/charts/gateway/templates/_helpers.tpl gateway.sidecarInjectionLabels).
    podLabels["sidecar.istio.io/inject"] = "true";
    if (revision !== undefined) podLabels["istio.io/rev"] = revision;
    // The release's `Input<T>` fields: `args` holds plain values only (checkArgsShape removes every Output), so an
    // Output is taken from `deferred`, carried to the release as it is, and checked once it resolves
    // (sdk/manifests/gateway.ts releaseArgs).
    const input = <T>(field: string, plain: pulumi.Input<T> | undefined): pulumi.Input<T> | undefined =>
        plain ?? (deferred.find((d) => d.field === field)?.value as pulumi.Input<T> | undefined);
    const chartVersion = input<string>("gateway.chartVersion", args.chartVersion);
    const chartRepository = input<string>("gateway.chartRepository", args.chartRepository);
    const resources = input<Record<string, unknown>>("gateway.resources", args.resources);
    if (chartVersion === undefined) {
        warnings.push(
            `gateway.chartVersion is not set: installing the istio/gateway chart ${DEFAULT_CHART_VERSION}. Set gateway.chartVersion to your istiod's version; gateway/istiod skew beyond Istio's supported range breaks the gateway (the gateway, a data plane, may be at most one minor version behind istiod and never ahead of it: https://istio.io/latest/docs/releases/supported-releases/, "Control Plane/Data Plane Skew").`,
        );
    }

    const autoscaling = args.autoscaling;
    const replicas = args.replicas ?? 2;
    const minReplicas = autoscaling?.enabled ? (autoscaling.minReplicas ?? 2) : replicas;
    const maxReplicas = autoscaling?.maxReplicas ?? 5;
    if (autoscaling?.enabled && maxReplicas < minReplicas) {
        c.fail("gateway.autoscaling.maxReplicas", `must be at least minReplicas (${minReplicas})`);
    }
    const pdb = args.podDisruptionBudgetMinAvailable ?? (minReplicas >= 2 ? 1 : undefined);
    if (pdb !== undefined && pdb >= minReplicas) {
        c.fail("gateway.podDisruptionBudgetMinAvailable", `must be from 0 to replicas-1 (${minReplicas - 1}); otherwise no gateway pod could ever be evicted`);
    }

    const base: Record<string, unknown> = {
        service: { type: "ClusterIP", ports: CHART_DEFAULT_SERVICE_PORTS.map((p) => ({ ...p })) },
        labels: chartLabels,
        // The chart labels the pods istio.io/rev: <revision>, which that revision's injector selects
        // (manifests/charts/gateway/templates/_helpers.tpl gateway.sidecarInjectionLabels).
        ...(revision !== undefined ? { revision } : {}),
        autoscaling: autoscaling?.enabled
            ? {
                  enabled: true,
                  minReplicas,
                  maxReplicas,
                  ...(autoscaling.targetCPUUtilizationPercentage !== undefined
                      ? { targetCPUUtilizationPercentage: autoscaling.targetCPUUtilizationPercentage }
                      : {}),
              }
            : { enabled: false },
        ...(autoscaling?.enabled ? {} : { replicaCount: replicas }),
        ...(pdb !== undefined ? { podDisruptionBudget: { minAvailable: pdb } } : {}),
        ...placementValues(c, args, labels),
    };
    const valuesCheck = helmValuesProblems(args.values);
    valuesCheck.problems.forEach((p) => c.fail(p.field, p.rule));
    const values = args.values && valuesCheck.problems.length === 0 ? mergeValues(base, args.values) : base;
    const servicePorts = servicePortsOf(c, recordAt(values.service).ports);

    const chart = input<string>("gateway.chart", args.chart) ?? GATEWAY_CHART;
    if (typeof chart === "string") {
        const problem = chartNameProblem(chart);
        if (problem !== undefined) c.fail("gateway.chart", problem);
    }
    const needsRepository = typeof chart !== "string" || chartNeedsRepository(chart);
    const resourcesPending = deferred.some((d) => d.field === "gateway.resources");
    const gatewayName = objectName(name, "platform", "gateway");
    return {
        gateway: {
            namespace,
            createNamespace: args.createNamespace ?? true,
            releaseName,
            serviceName: releaseName,
            serviceHost: serviceFqdn(releaseName, namespace),
            labels: { ...labels },
            podLabels,
            ...(revision !== undefined ? { revision } : {}),
            gatewayName,
            gatewayRef: `${namespace}/${gatewayName}`,
            httpPort: findPort(c, servicePorts, GATEWAY_HTTP_PORT, "HTTP (Istio mTLS)", Array.isArray(recordAt(values.service).ports)),
            tlsPort: findPort(c, servicePorts, GATEWAY_TLS_PORT, "TLS (Istio mTLS)", Array.isArray(recordAt(values.service).ports)),
            servicePorts,
        },
        release: {
            name: releaseName,
            namespace,
            chart,
            version: chartVersion ?? DEFAULT_CHART_VERSION,
            ...(needsRepository ? { repository: chartRepository ?? ISTIO_CHART_REPOSITORY } : {}),
            skipAwait: args.skipAwait ?? false,
            values,
            ...(resources !== undefined ? { resources } : {}),
            valuesPending: valuesCheck.pending || resourcesPending,
            labels: { ...chartLabels },
            ...(revision !== undefined ? { revision } : {}),
        },
    };
}

function planRule(c: Checker, field: string, rule: AccessRuleArgs, http: boolean, trustDomain: string): AccessRulePlan {
    const namespaces = rule.namespaces ?? [];
    const serviceAccounts = rule.serviceAccounts ?? [];
    const paths = rule.paths ?? [];
    const methods: string[] = rule.methods ?? [];
    namespaces.forEach((ns, i) => c.dnsLabel(`${field}.namespaces[${i}]`, ns, "a namespace name (DNS-1123 label)"));
    const principals: string[] = [];
    serviceAccounts.forEach((sa, i) => {
        const parts = sa.split("/");
        if (parts.length !== 2 || !DNS_LABEL.test(parts[0]) || parts[0].length > 63 || !DNS_SUBDOMAIN.test(parts[1]) || parts[1].length > 253) {
            c.fail(`${field}.serviceAccounts[${i}]`, `must be "namespace/serviceaccount"; got ${JSON.stringify(sa)}`);
            return;
        }
        principals.push(`${trustDomain}/ns/${parts[0]}/sa/${parts[1]}`);
    });
    if (!http && (paths.length > 0 || methods.length > 0)) {
        c.fail(
            field,
            "paths and methods need an HTTP-speaking mode (HTTP, TLS_ORIGINATION, MUTUAL_TLS_ORIGINATION): the gateway cannot see inside the application's TLS",
        );
    }
    methods.forEach((m, i) => {
        if (!HTTP_METHODS.includes(m)) {
            c.fail(
                `${field}.methods[${i}]`,
                `must be an HTTP method (${HTTP_METHODS.join(", ")}), uppercase as Istio matches them; got ${JSON.stringify(m)}${didYouMean(m.toUpperCase(), HTTP_METHODS)}`,
            );
        }
    });
    paths.forEach((p, i) => {
        if (p === "*") {
            c.fail(`${field}.paths[${i}]`, 'must not be "*" (every path): omit paths to mean every path');
        } else if (!p.startsWith("/") && !p.startsWith("*")) {
            c.fail(`${field}.paths[${i}]`, `must start with "/" (or be a "*suffix" match); got ${JSON.stringify(p)}`);
        } else if (p.slice(1, -1).includes("*") || (p.startsWith("*") && p.endsWith("*"))) {
            c.fail(`${field}.paths[${i}]`, `may hold one "*", at its start or its end (Istio's exact, prefix or suffix match); got ${JSON.stringify(p)}`);
        }
    });
    return {
        namespaces: sortedUnique(namespaces),
        principals: sortedUnique(principals),
        anyAuthenticated: namespaces.length === 0 && serviceAccounts.length === 0,
        paths: sortedUnique(paths),
        methods: sortedUnique(methods),
    };
}

/** Sorts rules canonically (the order of rules in an ALLOW or DENY list does not change what they match). */
function canonicalRules(rules: AccessRulePlan[]): AccessRulePlan[] {
    const keyed = rules.map((r) => [JSON.stringify(r), r] as const);
    const seen = new Set<string>();
    return keyed
        .sort(([a], [b]) => byText(a, b))
        .filter(([k]) => (seen.has(k) ? false : (seen.add(k), true)))
        .map(([, r]) => r);
}

interface HostContext {
    component: string;
    domain: NameDomain;
    gw: GatewayPlan;
    trustDomain: string;
    internalSuffixes: string[];
    namespaces: string[];
}

function planHost(c: Checker, i: number, h: ExternalHostArgs, ctx: HostContext): HostPlan | undefined {
    const field = `hosts[${i}]`;
    if (!h || typeof h !== "object" || typeof h.host !== "string" || !(h.mode in modeDefaults)) return undefined; // the shape check named it
    const hostProblem = hostNameProblem(h.host, ctx.internalSuffixes, ctx.namespaces);
    if (hostProblem) {
        c.fail(`${field}.host`, `${hostProblem}; got ${JSON.stringify(h.host)}`);
        return undefined;
    }
    const host = h.host;
    if (host === ctx.gw.serviceHost || host === `${ctx.gw.serviceName}.${ctx.gw.namespace}`) {
        c.fail(`${field}.host`, "is the gateway's own Service, not an external host");
        return undefined;
    }
    const wildcard = host.startsWith("*.");
    const mode = h.mode;
    const defaults = modeDefaults[mode];
    const appPort = h.port ?? defaults.appPort;
    const targetPort = h.targetPort ?? defaults.targetPort;
    const origination = mode === EgressMode.TlsOrigination || mode === EgressMode.MutualTlsOrigination;
    if (origination && appPort === targetPort) {
        c.fail(`${field}.targetPort`, `must differ from port (${appPort}) in ${mode}: the application speaks HTTP on one, the gateway TLS on the other`);
    }

    if (wildcard) {
        if (mode !== EgressMode.Tls) {
            c.fail(`${field}.mode`, `a wildcard host (${host}) needs mode TLS: the gateway routes wildcards by SNI only`);
        }
        const upProblem =
            h.upstreamHost === undefined
                ? "is required for a wildcard host: Istio cannot DNS-resolve a wildcard, so the gateway forwards to one concrete host"
                : hostNameProblem(h.upstreamHost, ctx.internalSuffixes, ctx.namespaces);
        if (upProblem) {
            c.fail(`${field}.upstreamHost`, upProblem);
        } else if (h.upstreamHost!.startsWith("*.")) {
            c.fail(`${field}.upstreamHost`, "must be a concrete host, not a wildcard (it is resolved by DNS)");
        } else if (!h.upstreamHost!.endsWith(host.slice(1))) {
            c.fail(`${field}.upstreamHost`, `must be a name under ${host} (it serves the wildcard's traffic)`);
        }
    } else if (h.upstreamHost !== undefined) {
        c.fail(`${field}.upstreamHost`, "is only for wildcard hosts; a concrete host is its own upstream");
    }

    let originationPlan: OriginationPlan | undefined;
    if (origination) {
        const sans = h.subjectAltNames ?? [host];
        h.subjectAltNames?.forEach((s, j) => {
            if (s.length === 0) c.fail(`${field}.subjectAltNames[${j}]`, "must not be empty");
        });
        if (mode === EgressMode.MutualTlsOrigination) {
            if (h.caCertificates !== undefined) {
                // pkg/config/validation/agent/validation.go ValidateTLS: "cannot specify client certificates or CA
                // certificate or CA CRL If credentialName is set" — the DestinationRule would be rejected.
                c.fail(
                    `${field}.caCertificates`,
                    `cannot be combined with credentialName in ${mode}: Istio's validation refuses a DestinationRule whose TLS settings set both ("cannot specify client certificates or CA certificate or CA CRL If credentialName is set"). The CA that verifies the host comes from the credential: the Secret's ca.crt (or cacert) key, or a Secret named <credentialName>-cacert`,
                );
            }
            if (h.credentialName === undefined) {
                c.fail(`${field}.credentialName`, `is required for ${mode}: the client certificate Secret (in namespace ${ctx.gw.namespace})`);
            } else if (!DNS_SUBDOMAIN.test(h.credentialName) || h.credentialName.length > 253) {
                c.fail(
                    `${field}.credentialName`,
                    "must be a Secret name (DNS-1123 subdomain) in the gateway's namespace; a namespace/name reference is not supported",
                );
            }
        } else if (h.credentialName !== undefined) {
            c.fail(`${field}.credentialName`, `is only for ${EgressMode.MutualTlsOrigination}`);
        }
        originationPlan = {
            mode: mode === EgressMode.MutualTlsOrigination ? "MUTUAL" : "SIMPLE",
            sni: host,
            subjectAltNames: sortedUnique(sans),
            ...(h.caCertificates !== undefined ? { caCertificates: h.caCertificates } : {}),
            ...(h.credentialName !== undefined ? { credentialName: h.credentialName } : {}),
        };
    } else {
        for (const f of ["caCertificates", "subjectAltNames", "credentialName"] as const) {
            if (h[f] !== undefined) {
                c.fail(`${field}.${f}`, `is only for the origination modes (${EgressMode.TlsOrigination}, ${EgressMode.MutualTlsOrigination})`);
            }
        }
    }

    const rules = (list: AccessRuleArgs[] | undefined) => (list ?? []).filter((r) => r && typeof r === "object");
    const allow = canonicalRules(rules(h.allow).map((r, j) => planRule(c, `${field}.allow[${j}]`, r, defaults.http, ctx.trustDomain)));
    const deny = canonicalRules(rules(h.deny).map((r, j) => planRule(c, `${field}.deny[${j}]`, r, defaults.http, ctx.trustDomain)));

    const upstreamHost = wildcard ? h.upstreamHost : undefined;
    const main = hostObjectName(ctx.component, ctx.domain, host);
    return {
        key: main.slice(namePrefix(ctx.component, ctx.domain).length + 1),
        host,
        wildcard,
        mode,
        http: defaults.http,
        appPort,
        targetPort,
        destinationHost: upstreamHost ?? host,
        ...(upstreamHost ? { upstreamHost } : {}),
        gatewayPort: defaults.http ? ctx.gw.httpPort : ctx.gw.tlsPort,
        sni: upstreamHost ?? host,
        // Subsets of one host's DestinationRules merge across components (Istio merges DestinationRules of one host
        // in one namespace): the subset is named like the host's VirtualService, unique across components.
        subsetName: main,
        ...(originationPlan ? { origination: originationPlan } : {}),
        allow,
        deny,
        names: {
            serviceEntry: main,
            ...(upstreamHost ? { upstreamServiceEntry: hostObjectName(ctx.component, ctx.domain, host, "upstream") } : {}),
            virtualService: main,
            ...(originationPlan ? { destinationRule: hostObjectName(ctx.component, ctx.domain, host, "tls") } : {}),
        },
    };
}

/** One port of a host's ServiceEntry, as sidecars see it (`targetPort`: where the host really listens). */
export interface ServiceEntryPortPlan {
    number: number;
    protocol: "HTTP" | "HTTPS" | "TLS";
    targetPort?: number;
}

/**
 * Ports of the ServiceEntries a host produces, with their protocol, as Istio sees them on the sidecars.
 *
 * Only the ports the mesh leg routes are declared: an extra port would be a path sidecars pass straight to the
 * host, outside the gateway (REGISTRY_ONLY lets registered hosts through). So for the origination modes the one
 * HTTP port the app uses maps to the host's TLS port with `targetPort`, and the gateway originates TLS on it.
 */
export function serviceEntryPorts(h: HostPlan): ServiceEntryPortPlan[] {
    switch (h.mode) {
        case EgressMode.Http:
            return h.appPort === h.targetPort ? [{ number: h.appPort, protocol: "HTTP" }] : [{ number: h.appPort, protocol: "HTTP", targetPort: h.targetPort }];
        case EgressMode.TlsOrigination:
        case EgressMode.MutualTlsOrigination:
            return [{ number: h.appPort, protocol: "HTTP", targetPort: h.targetPort }];
        case EgressMode.Tls:
            // A wildcard's traffic lands on its upstream, whose own entry carries the target port.
            return h.appPort === h.targetPort || h.wildcard
                ? [{ number: h.appPort, protocol: "TLS" }]
                : [{ number: h.appPort, protocol: "TLS", targetPort: h.targetPort }];
    }
}

/** The port of the host's ServiceEntry the gateway leg routes to (the host's own port is its `targetPort`). */
export function gatewayLegPort(h: HostPlan): number {
    return h.wildcard ? h.targetPort : h.appPort;
}

/** Whether the address part of a CIDR has bits set beyond its prefix (`10.0.0.1/8`). */
export function hostBitsSet(cidr: string): boolean {
    const c = tryParseCidr(cidr);
    const address = tryParseCidr(cidr.trim().split("/")[0]);
    return !!c && !!address && address.network !== c.network;
}

/** Why an extra egress CIDR is refused, or undefined. Returns the canonical CIDR when it is fine. */
export function extraCidrProblem(cidr: string, allowPublicRange: boolean): { problem?: string; canonical?: string } {
    const c = tryParseCidr(cidr);
    if (!c || !cidr.includes("/")) {
        return { problem: `must be an IPv4 or IPv6 CIDR such as 10.0.0.1/32; got ${JSON.stringify(cidr)}` };
    }
    const canonical = formatCidr(c);
    if (c.prefix < (c.family === 4 ? PRIVATE_CIDR_MAX_IPV4 : PRIVATE_CIDR_MAX_IPV6)) {
        return {
            problem: `is too wide: an extra CIDR this large would let pods skip the egress gateway (at most /${PRIVATE_CIDR_MAX_IPV4} for IPv4, /${PRIVATE_CIDR_MAX_IPV6} for IPv6)`,
        };
    }
    if (hostBitsSet(cidr)) {
        const address = cidr.trim().split("/")[0];
        return {
            problem: `has host bits set: ${cidr} is not a network address (did you mean ${canonical}, or ${address}/${c.family === 4 ? 32 : 128} for the one address?)`,
        };
    }
    const hits = specialRangesOverlapping(c);
    const metadata = hits.filter((r) => r.use === "metadata");
    if (metadata.length > 0) {
        return {
            problem: `touches ${metadata.map((r) => `${r.cidr} (${r.name}, ${r.source})`).join(", ")}: link-local and cloud metadata addresses are never opened`,
        };
    }
    const refused = hits.filter((r) => r.use === "refused");
    if (refused.length > 0) {
        return {
            problem: `touches ${refused.map((r) => `${r.cidr} (${r.name}, ${r.source})`).join(", ")}: no pod needs to reach it directly (translation prefixes would reach IPv4 space, private ranges included, around every IPv4 rule)`,
        };
    }
    if (isPrivateCidr(c)) {
        const max = c.family === 4 ? PRIVATE_CIDR_MAX_IPV4 : PRIVATE_CIDR_MAX_IPV6;
        if (c.prefix < max) {
            return {
                problem: `is too wide: an extra CIDR this large would let pods skip the egress gateway (at most /${PRIVATE_CIDR_MAX_IPV4} for IPv4, /${PRIVATE_CIDR_MAX_IPV6} for IPv6)`,
            };
        }
        return { canonical };
    }
    if (hits.length > 0) {
        return { problem: "mixes private and public addresses: list the private and the public part separately" };
    }
    const max = c.family === 4 ? PUBLIC_CIDR_MAX_IPV4 : PUBLIC_CIDR_MAX_IPV6;
    if (c.prefix < max && !allowPublicRange) {
        return {
            problem: `is a public range wider than /${max}: pods would reach it directly, without the gateway's identity checks and logs; set allowPublicRange: true if that is meant`,
        };
    }
    if (c.prefix < (c.family === 4 ? PRIVATE_CIDR_MAX_IPV4 : PRIVATE_CIDR_MAX_IPV6)) {
        return { problem: `is too wide even with allowPublicRange (at most /${PRIVATE_CIDR_MAX_IPV4} for IPv4, /${PRIVATE_CIDR_MAX_IPV6} for IPv6)` };
    }
    return { canonical };
}

interface LockdownInput {
    namespaces?: ProtectedNamespaceArgs[];
    allowInCluster?: boolean;
    extraEgressCidrs?: ExtraEgressCidrArgs[];
    clusterCidrs?: string[];
    externalPorts?: number[];
    istiodNamespace?: string;
    istiodLabels?: Record<string, string>;
    dnsNamespace?: string;
    dnsLabels?: Record<string, string>;
    trustDomain?: string;
    accessLogs?: boolean;
    accessLogProvider?: string;
    dnsPorts?: number[];
    nodeLocalDns?: ClusterServicesInput["nodeLocalDns"];
    meshCa?: ClusterServicesInput["meshCa"];
    telemetryCollectors?: ClusterServicesInput["telemetryCollectors"];
    metricsScrapers?: ClusterServicesInput["metricsScrapers"];
    privateEndpoints?: ClusterServicesInput["privateEndpoints"];
}

function planLockdown(c: Checker, args: LockdownInput, gatewayNamespace: string | undefined, hosts: HostPlan[], at: (f: string) => string): LockdownPlan {
    const namespaces = (args.namespaces ?? []).flatMap((n, i) => {
        if (!n || typeof n.name !== "string") return [];
        const field = at(`namespaces[${i}]`);
        if (c.dnsLabel(`${field}.name`, n.name, "a namespace name (DNS-1123 label)") && n.name === gatewayNamespace) {
            c.fail(`${field}.name`, `must not be the gateway's own namespace (${gatewayNamespace}), which has its own lock-down`);
        }
        if (SYSTEM_NAMESPACES.includes(n.name)) {
            c.fail(`${field}.name`, `must be an application namespace; ${n.name} hosts cluster components whose egress this component does not know`);
        }
        return [{ name: n.name, registryOnlySidecar: n.registryOnlySidecar ?? true, index: i }];
    });
    const seen = new Map<string, number>();
    namespaces.forEach((n) => {
        if (seen.has(n.name)) c.fail(at(`namespaces[${n.index}].name`), `duplicates namespaces[${seen.get(n.name)}] (${n.name})`);
        else seen.set(n.name, n.index);
    });

    const extraEgressCidrs = (args.extraEgressCidrs ?? []).flatMap((e, i) => {
        if (!e || typeof e.name !== "string" || typeof e.cidr !== "string" || !Array.isArray(e.ports)) return [];
        const field = at(`extraEgressCidrs[${i}]`);
        c.dnsLabel(`${field}.name`, e.name, "a short DNS-1123 label saying what the destination is (e.g. kube-apiserver)");
        const { problem, canonical } = extraCidrProblem(e.cidr, e.allowPublicRange ?? false);
        if (problem) c.fail(`${field}.cidr`, problem);
        return [{ name: e.name, cidr: canonical ?? e.cidr, ports: [...new Set(e.ports)].sort((a, b) => a - b), index: i }];
    });
    const extraNames = new Map<string, number>();
    extraEgressCidrs.forEach((e) => {
        if (extraNames.has(e.name)) c.fail(at(`extraEgressCidrs[${e.index}].name`), `duplicates extraEgressCidrs[${extraNames.get(e.name)}] (${e.name})`);
        else extraNames.set(e.name, e.index);
    });

    const clusterCidrs: string[] = [];
    (args.clusterCidrs ?? []).forEach((cidr, i) => {
        const parsed = tryParseCidr(cidr);
        if (!parsed || !cidr.includes("/")) {
            c.fail(at(`clusterCidrs[${i}]`), `must be a CIDR; got ${JSON.stringify(cidr)}`);
        } else if (hostBitsSet(cidr)) {
            c.fail(at(`clusterCidrs[${i}]`), `has host bits set: did you mean ${formatCidr(parsed)}?`);
        } else if (isIPv4MappedCidr(parsed)) {
            c.fail(at(`clusterCidrs[${i}]`), `is an IPv4-mapped IPv6 prefix, which Kubernetes refuses in NetworkPolicies: write the IPv4 CIDR`);
        } else {
            clusterCidrs.push(formatCidr(parsed));
        }
    });
    const istiodNamespace = args.istiodNamespace ?? "istio-system";
    c.dnsLabel(at("istiodNamespace"), istiodNamespace, "a namespace name (DNS-1123 label)");
    const istiodLabels = args.istiodLabels ?? { app: "istiod" };
    c.labels(at("istiodLabels"), istiodLabels);
    const dnsNamespace = args.dnsNamespace ?? "kube-system";
    c.dnsLabel(at("dnsNamespace"), dnsNamespace, "a namespace name (DNS-1123 label)");
    const dnsLabels = args.dnsLabels ?? { "k8s-app": "kube-dns" };
    c.labels(at("dnsLabels"), dnsLabels);
    // The gateway's namespace is default-deny for every pod in it: istiod or the cluster DNS there would be cut off.
    if (gatewayNamespace !== undefined && istiodNamespace === gatewayNamespace) {
        c.fail(
            "gateway.namespace",
            `must not be istiod's namespace (${istiodNamespace}): the gateway's namespace is default-deny for every pod in it, which would cut istiod off`,
        );
    }
    if (gatewayNamespace !== undefined && dnsNamespace === gatewayNamespace) {
        c.fail(
            "gateway.namespace",
            `must not be the cluster DNS's namespace (${dnsNamespace}): the gateway's namespace is default-deny for every pod in it, which would cut DNS off`,
        );
    }
    const trustDomain = args.trustDomain ?? CLUSTER_DOMAIN;
    if (!DNS_SUBDOMAIN.test(trustDomain) || trustDomain.length > 253) {
        c.fail(at("trustDomain"), `must be the mesh trust domain, a DNS-like name; got ${JSON.stringify(trustDomain)}`);
    }
    return {
        namespaces: namespaces.map(({ name, registryOnlySidecar }) => ({ name, registryOnlySidecar })).sort((a, b) => byText(a.name, b.name)),
        allowInCluster: args.allowInCluster ?? true,
        extraEgressCidrs: extraEgressCidrs.map(({ name, cidr, ports }) => ({ name, cidr, ports })).sort((a, b) => byText(a.name, b.name)),
        clusterCidrs: sortedUnique(clusterCidrs),
        istiod: { namespace: istiodNamespace, labels: { ...istiodLabels } },
        dns: { namespace: dnsNamespace, labels: { ...dnsLabels } },
        accessLogs: args.accessLogs ?? true,
        accessLogProvider: planAccessLogProvider(c, args, at),
        clusterServices: planClusterServices(c, args, gatewayNamespace, sortedUnique(clusterCidrs), at),
        trustDomain,
        externalPorts: [...new Set([...hosts.map((h) => h.targetPort), ...(args.externalPorts ?? [])])].sort((a, b) => a - b),
    };
}

/** Plans the hosts: per host, then the cross-host rules (duplicates, a wildcard's upstream, one protocol per port). */
function planHosts(c: Checker, hostArgs: ExternalHostArgs[], ctx: HostContext): HostPlan[] {
    const hosts: HostPlan[] = [];
    const byHost = new Map<string, number>();
    hostArgs.forEach((h, i) => {
        const plan = planHost(c, i, h, ctx);
        if (!plan) return;
        const prev = byHost.get(plan.host);
        if (prev !== undefined) {
            c.fail(`hosts[${i}].host`, `duplicates hosts[${prev}] (${plan.host}); list each host once with all its rules`);
            return;
        }
        byHost.set(plan.host, i);
        hosts.push(plan);
    });
    for (const h of hosts) {
        if (h.upstreamHost && byHost.has(h.upstreamHost)) {
            c.fail(
                `hosts[${byHost.get(h.host)}].upstreamHost`,
                `${h.upstreamHost} is also listed as a host; route it once (drop the wildcard's upstream or the host)`,
            );
        }
    }
    overlapProblems(c, hosts, byHost);
    // Sidecars build one outbound listener per port: HTTP and TLS on the same port conflict.
    const portClass = new Map<number, { cls: "http" | "tls"; index: number; host: string }>();
    for (const h of [...hosts].sort((a, b) => byHost.get(a.host)! - byHost.get(b.host)!)) {
        const index = byHost.get(h.host)!;
        for (const p of serviceEntryPorts(h)) {
            const cls = p.protocol === "HTTP" ? "http" : "tls";
            const prev = portClass.get(p.number);
            if (prev && prev.cls !== cls) {
                c.fail(
                    `hosts[${index}].port`,
                    `port ${p.number} is ${cls === "http" ? "plain HTTP" : "TLS"} for ${h.host} but ${prev.cls === "http" ? "plain HTTP" : "TLS"} for ${prev.host} (hosts[${prev.index}]); one port carries one protocol in the mesh`,
                );
            } else if (!prev) {
                portClass.set(p.number, { cls, index, host: h.host });
            }
        }
    }
    return hosts.sort((a, b) => byText(a.host, b.host));
}

/**
 * TLS-mode hosts that overlap at the gateway are refused.
 *
 * Every TLS-mode host is one `TLS`/`ISTIO_MUTUAL` server on the gateway's TLS port. Envoy picks the server's
 * filter chain by the outer SNI, but istiod gives each such server the network filters of the FIRST
 * VirtualService bound to the Gateway whose hosts overlap the server's hosts (host.Name.Matches, so a wildcard
 * overlaps every name under it), in config order: creation time, then name (pilot/pkg/networking/core/gateway.go
 * `buildGatewayNetworkFiltersFromTCPRoutes` and `pickMatchingGatewayHosts`; pilot/pkg/model/push_context.go
 * `VirtualServicesForGateway`; pilot/pkg/model/config.go `configCompareByCreationTime`). With `*.example.com` and
 * `api.example.com`, either server can get the other's route: the wildcard's traffic goes to `api.example.com`,
 * or `api.example.com`'s to the wildcard's upstream, depending on which object is older. No setting of ours can
 * make that choice unambiguous (a TCP route cannot match on SNI at a terminating server), so the plan refuses
 * it rather than guess.
 *
 * The outer SNI (what `connection.sni` authorizes, and the subset a host's mesh leg uses) must also be unique per
 * host: two wildcards sharing an upstream would share it, and one's ALLOW rule would open the other.
 *
 * HTTP-speaking hosts are exact names (wildcards need mode TLS) on their own server and port: they never overlap
 * a TLS host at the gateway.
 */
function overlapProblems(c: Checker, hosts: HostPlan[], byHost: Map<string, number>): void {
    const tls = hosts.filter((h) => !h.http).sort((a, b) => byHost.get(a.host)! - byHost.get(b.host)!);
    const reported = new Set<string>();
    const bySni = new Map<string, HostPlan>();
    for (const h of tls) {
        const prev = bySni.get(h.sni);
        if (prev) {
            c.fail(
                `hosts[${byHost.get(h.host)}].upstreamHost`,
                `${h.sni} is also the upstream of hosts[${byHost.get(prev.host)}] (${prev.host}): the two would share one outer SNI, so an ALLOW rule of one (connection.sni) would open the other; give each wildcard its own upstream`,
            );
            reported.add(`${prev.host} ${h.host}`);
        } else {
            bySni.set(h.sni, h);
        }
    }
    for (let i = 0; i < tls.length; i++) {
        for (let j = i + 1; j < tls.length; j++) {
            const [a, b] = [tls[i], tls[j]];
            if (!(a.wildcard || b.wildcard) || !hostsOverlap(a.host, b.host) || reported.has(`${a.host} ${b.host}`)) continue;
            const [wide, narrow] = hostCovers(a.host, b.host) ? [a, b] : [b, a];
            c.fail(
                `hosts[${byHost.get(b.host)}].host`,
                `${narrow.host} overlaps ${wide.host} (hosts[${byHost.get(wide.host)}]), and both are TLS hosts on the gateway's TLS port: Istio forwards each such server by the first VirtualService whose hosts overlap it (by creation time, then name), so one host's connections could go to the other's destination. List TLS hosts that no wildcard covers (a wildcard's upstreamHost already serves every name under it), or route ${narrow.host} in an origination mode (TLS_ORIGINATION, on its own HTTP server)`,
            );
        }
    }
}

function checkComponentName(c: Checker, name: unknown, field = "name"): name is string {
    if (typeof name !== "string" || name.length > 30 || !DNS_LABEL.test(name)) {
        const what = field === "name" ? "the component's name" : field;
        c.fail(field, `${what} starts its children's Kubernetes names, so it must be a DNS-1123 label of at most 30 characters; got ${JSON.stringify(name)}`);
        return false;
    }
    return true;
}

/**
 * What the children's names start with: `namePrefix` when the args give one (a renamed component keeps its old
 * names, so nothing is replaced: docs/upgrading.md), else the component's name. A `namePrefix` of the wrong type
 * is the shape check's to report; the component's name stands in for it meanwhile.
 */
function namingBase(name: string, rawArgs: unknown): { base: string; field: string } {
    const prefix = rawArgs !== null && typeof rawArgs === "object" ? (rawArgs as { namePrefix?: unknown }).namePrefix : undefined;
    return typeof prefix === "string" ? { base: prefix, field: "namePrefix" } : { base: name, field: "name" };
}

/**
 * Validates the args and computes the plan. Throws `ArgsError` listing every problem (field + rule).
 * `name` is the component's name.
 */
export function buildPlan(name: string, rawArgs: EgressGatewayArgs = {}): EgressPlan {
    const checked = checkArgsShape<EgressGatewayArgs>("EgressGatewayArgs", rawArgs);
    const { base, field } = namingBase(name, rawArgs);
    return withShapeProblems(base, checked, () => planPlatform(base, checked.plain, checked.deferred), field);
}

/**
 * Runs the semantic checks even when the shape check failed (on the args without the values that broke it), so
 * that one error lists every problem; semantic problems on a field the shape check already named are dropped.
 */
function withShapeProblems<T>(name: string, shape: { problems: ArgsProblem[] }, plan: () => T, nameField = "name"): T {
    const pre = new Checker();
    checkComponentName(pre, name, nameField);
    const before = [...pre.problems, ...shape.problems];
    if (before.length === 0) return plan();
    let semantic: ArgsProblem[] = [];
    try {
        plan();
    } catch (err) {
        if (err instanceof ArgsError) semantic = err.problems;
        // Anything else: the rest of the args was too broken to check further; the shape problems say why.
    }
    const named = before.map((p) => p.field);
    const related = (f: string) =>
        named.some((n) => f === n || f.startsWith(`${n}.`) || f.startsWith(`${n}[`) || n.startsWith(`${f}.`) || n.startsWith(`${f}[`));
    throw new ArgsError([...before, ...semantic.filter((p) => !related(p.field))]);
}

function planPlatform(name: string, args: EgressGatewayArgs, deferred: DeferredInput[]): EgressPlan {
    const checked = { deferred };
    const c = new Checker();
    const warnings: string[] = [];
    const { gateway, release } = planGateway(c, name, args.gateway ?? {}, checked.deferred, warnings);
    const lockdownArgs: LockdownArgs = args.lockdown ?? {};
    const trustDomain = lockdownArgs.trustDomain ?? CLUSTER_DOMAIN;
    const knownNamespaces = [
        gateway.namespace,
        ...(lockdownArgs.namespaces ?? []).map((n) => n.name),
        lockdownArgs.istiodNamespace ?? "istio-system",
        lockdownArgs.dnsNamespace ?? "kube-system",
        ...SYSTEM_NAMESPACES,
    ];
    const hosts = planHosts(c, args.hosts ?? [], {
        component: name,
        domain: "platform",
        gw: gateway,
        trustDomain,
        internalSuffixes: sortedUnique([CLUSTER_DOMAIN, trustDomain]),
        namespaces: knownNamespaces,
    });
    const lockdown = planLockdown(c, lockdownArgs, gateway.namespace, hosts, (f) => `lockdown.${f}`);
    const traffic = planTraffic(c, args.gateway?.traffic);
    if (c.problems.length > 0) {
        throw new ArgsError(c.problems);
    }
    return {
        name,
        domain: "platform",
        gateway,
        release,
        hosts,
        lockdown,
        traffic,
        names: gatewayObjectNames(name, "platform"),
        deferred: checked.deferred,
        warnings,
    };
}

/** The platform gateway a team attaches to, once its reference has resolved. */
export interface GatewayReference {
    namespace: string;
    serviceName: string;
    labels: Record<string, string>;
    containerPorts: { http: number; tls: number };
}

/**
 * Stands in for the gateway reference while it is not known: it fixes the set of team objects and their names,
 * which never depend on the reference (sdk/plan/names.ts); the objects' contents come from the real one.
 */
export const UNRESOLVED_GATEWAY: GatewayReference = Object.freeze({
    namespace: "unresolved-gateway-namespace",
    serviceName: "unresolved-gateway",
    labels: Object.freeze({ "istio-egress.io/unresolved": "true" }),
    containerPorts: Object.freeze({ http: 80, tls: 443 }),
});

/**
 * Validates a team component's args (`EgressRoutes`) and computes its plan against a gateway reference.
 * Call it with `UNRESOLVED_GATEWAY` to validate and fix the children before the reference resolves, and again
 * with the resolved reference (`checkGatewayReference` first).
 */
export function buildTeamPlan(name: string, rawArgs: EgressRoutesArgs, gatewayRef: GatewayReference = UNRESOLVED_GATEWAY): EgressPlan {
    const checked = checkArgsShape<EgressRoutesArgs>("EgressRoutesArgs", rawArgs);
    const { base, field } = namingBase(name, rawArgs);
    return withShapeProblems(base, checked, () => planTeam(base, checked.plain, checked.deferred, gatewayRef), field);
}

function planTeam(name: string, args: EgressRoutesArgs, deferred: DeferredInput[], gatewayRef: GatewayReference): EgressPlan {
    const checked = { deferred };
    const c = new Checker();
    const resolved = gatewayRef !== UNRESOLVED_GATEWAY;
    const gatewayName = objectName(name, "team", "gateway");
    const httpPort = { name: "http2", port: GATEWAY_HTTP_PORT, targetPort: gatewayRef.containerPorts.http, protocol: "TCP" };
    const tlsPort = { name: "https", port: GATEWAY_TLS_PORT, targetPort: gatewayRef.containerPorts.tls, protocol: "TCP" };
    const gateway: GatewayPlan = {
        namespace: gatewayRef.namespace,
        createNamespace: false,
        releaseName: gatewayRef.serviceName,
        serviceName: gatewayRef.serviceName,
        serviceHost: serviceFqdn(gatewayRef.serviceName, gatewayRef.namespace),
        labels: { ...gatewayRef.labels },
        podLabels: { ...gatewayRef.labels },
        gatewayName,
        gatewayRef: `${gatewayRef.namespace}/${gatewayName}`,
        httpPort,
        tlsPort,
        servicePorts: [httpPort, tlsPort],
    };
    const trustDomain = args.trustDomain ?? CLUSTER_DOMAIN;
    const knownNamespaces = [
        ...(resolved ? [gatewayRef.namespace] : []),
        ...(args.namespaces ?? []).map((n) => n.name),
        args.istiodNamespace ?? "istio-system",
        args.dnsNamespace ?? "kube-system",
        ...SYSTEM_NAMESPACES,
    ];
    const hosts = planHosts(c, args.hosts ?? [], {
        component: name,
        domain: "team",
        gw: gateway,
        trustDomain,
        internalSuffixes: sortedUnique([CLUSTER_DOMAIN, trustDomain]),
        namespaces: knownNamespaces,
    });
    const lockdown = planLockdown(
        c,
        {
            namespaces: args.namespaces,
            allowInCluster: args.allowInCluster,
            extraEgressCidrs: args.extraEgressCidrs,
            istiodNamespace: args.istiodNamespace,
            istiodLabels: args.istiodLabels,
            dnsNamespace: args.dnsNamespace,
            dnsLabels: args.dnsLabels,
            trustDomain: args.trustDomain,
            accessLogs: false,
            dnsPorts: args.dnsPorts,
            nodeLocalDns: args.nodeLocalDns,
            meshCa: args.meshCa,
            telemetryCollectors: args.telemetryCollectors,
        },
        resolved ? gatewayRef.namespace : undefined,
        hosts,
        (f) => f,
    );
    if (c.problems.length > 0) {
        throw new ArgsError(c.problems);
    }
    // A team takes no traffic args: its subsets and origination DestinationRules get the defaults.
    return {
        name,
        domain: "team",
        gateway,
        hosts,
        lockdown,
        traffic: planTraffic(c, undefined),
        names: gatewayObjectNames(name, "team"),
        deferred: checked.deferred,
        warnings: [],
    };
}

/** Checks a resolved gateway reference (from another stack's outputs): the problems, field-named. */
export function checkGatewayReference(ref: unknown): ArgsProblem[] {
    const c = new Checker();
    const r = ref as GatewayReference;
    if (!r || typeof r !== "object") return [{ field: "gateway", rule: "must be the platform EgressGateway's outputs" }];
    if (typeof r.namespace === "string") c.dnsLabel("gateway.namespace", r.namespace, "a namespace name (DNS-1123 label)");
    if (typeof r.serviceName === "string") c.dnsLabel("gateway.serviceName", r.serviceName, "a Service name (DNS-1123 label)");
    if (r.labels && typeof r.labels === "object" && Object.values(r.labels).every((v) => typeof v === "string")) {
        if (c.labels("gateway.labels", r.labels) && typeof r.namespace === "string" && typeof r.serviceName === "string") {
            // The team's Gateway, AuthorizationPolicies and NetworkPolicies select the gateway pods by these labels;
            // Istio applies a Gateway's selector in every namespace (pilot/pkg/model/push_context.go mergeGateways),
            // so labels other gateways also carry (the chart's app/istio) would hand the team's routes to them.
            const expected = gatewaySelector(r.namespace, r.serviceName);
            if (r.labels[GATEWAY_SELECTOR_LABEL] !== expected[GATEWAY_SELECTOR_LABEL]) {
                c.fail(
                    `gateway.labels["${GATEWAY_SELECTOR_LABEL}"]`,
                    `must be ${JSON.stringify(expected[GATEWAY_SELECTOR_LABEL])}, the label the platform EgressGateway puts on its pods (its \`labels\` output); got ${JSON.stringify(r.labels[GATEWAY_SELECTOR_LABEL] ?? null)}. A platform stack on istio-egress 0.1 selected its pods by the chart's shared labels: upgrade it first (docs/lockdown.md, "Migration")`,
                );
            }
        }
    }
    return c.problems;
}

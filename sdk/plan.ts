/**
 * args → validated plan. Pure: no Pulumi, no I/O.
 *
 * Every rule the component enforces on its input lives here, so that bad input is rejected — with the field and
 * the rule named — before a single resource is registered. The plan carries everything the manifest builders
 * need, already defaulted, so that they never look at the raw args.
 */
import { createHash } from "crypto";
import {
    AccessRuleArgs,
    EgressGatewayArgs,
    EgressMode,
    ExternalHostArgs,
    ExtraEgressCidrArgs,
    GatewayArgs,
    LockdownArgs,
} from "./args";
import { isCidr, isIPv4Cidr, cidrPrefixLength } from "./model";

export const COMPONENT_TYPE = "istio-egress:index:EgressGateway";
/** The istio/gateway chart version (= Istio version) installed unless `gateway.chartVersion` says otherwise. */
export const DEFAULT_CHART_VERSION = "1.29.2";
export const ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";
export const DEFAULT_GATEWAY_NAMESPACE = "istio-egress";
export const DEFAULT_RELEASE_NAME = "istio-egressgateway";
export const DEFAULT_GATEWAY_LABELS: Readonly<Record<string, string>> = { istio: "egressgateway" };
/** The chart's default Service ports (values.yaml of istio/gateway); used when `values.service.ports` is not set. */
export const CHART_DEFAULT_SERVICE_PORTS: ReadonlyArray<ServicePortPlan> = [
    { name: "status-port", port: 15021, targetPort: 15021, protocol: "TCP" },
    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
];
/** Service ports of the gateway that the routing uses: HTTP-speaking hosts on 80, TLS-wrapped hosts on 443. */
export const GATEWAY_HTTP_PORT = 80;
export const GATEWAY_TLS_PORT = 443;

export interface ServicePortPlan {
    name: string;
    port: number;
    targetPort: number;
    protocol: string;
}

export interface GatewayPlan {
    namespace: string;
    createNamespace: boolean;
    releaseName: string;
    /** The gateway's Service (the chart names it after the release). */
    serviceName: string;
    /** `<svc>.<ns>.svc.cluster.local` */
    serviceHost: string;
    /** Pod labels that select the gateway pods. */
    labels: Record<string, string>;
    /** Name of the Istio `Gateway` object. */
    gatewayName: string;
    /** `namespace/name` of the Istio Gateway, as VirtualServices reference it. */
    gatewayRef: string;
    /** Service port used by HTTP-speaking hosts (sidecar → gateway). */
    httpPort: ServicePortPlan;
    /** Service port used by TLS-wrapped hosts. */
    tlsPort: ServicePortPlan;
    /** All Service ports (from the values), with the container ports they target. */
    servicePorts: ServicePortPlan[];
    /** Helm values, fully merged (except `resources`, which may be an output and is merged by the component). */
    helmValues: Record<string, any>;
    chart: { name: "gateway"; defaultVersion: string; defaultRepository: string };
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
    /** Stable key derived from the host only (never from its position in the list). */
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
    cidr: string;
    ports: number[];
}

export interface LockdownPlan {
    namespaces: ProtectedNamespacePlan[];
    allowInCluster: boolean;
    extraEgressCidrs: ExtraEgressCidrPlan[];
    clusterCidrs: string[];
    istiod: { namespace: string; labels: Record<string, string> };
    dns: { namespace: string; labels: Record<string, string> };
    accessLogs: boolean;
    trustDomain: string;
    /** Distinct external ports (TCP) the gateway must reach on the internet: the hosts' target ports. */
    externalPorts: number[];
}

export interface EgressPlan {
    /** The component's name; prefixes every Pulumi child name and every Kubernetes object name. */
    name: string;
    gateway: GatewayPlan;
    hosts: HostPlan[];
    lockdown: LockdownPlan;
}

/** One problem with the args: the field (a path such as `hosts[2].port`) and the rule it breaks. */
export interface ArgsProblem {
    field: string;
    rule: string;
}

/** Thrown by `buildPlan` with every problem found; the component turns it into a `pulumi.ResourceError`. */
export class ArgsError extends Error {
    constructor(readonly problems: ArgsProblem[]) {
        super(problems.map((p) => `${p.field}: ${p.rule}`).join("; "));
        this.name = "ArgsError";
    }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const HTTP_METHOD = /^[A-Z]+$/;

/** Collects problems while walking the args. */
class Checker {
    readonly problems: ArgsProblem[] = [];
    fail(field: string, rule: string): void {
        this.problems.push({ field, rule });
    }
    dnsLabel(field: string, value: unknown, what = "a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)"): value is string {
        if (typeof value !== "string" || value.length > 63 || !DNS_LABEL.test(value)) {
            this.fail(field, `must be ${what}; got ${JSON.stringify(value)}`);
            return false;
        }
        return true;
    }
    port(field: string, value: unknown): value is number {
        if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
            this.fail(field, `must be an integer port from 1 to 65535; got ${JSON.stringify(value)}`);
            return false;
        }
        return true;
    }
    labels(field: string, value: unknown): value is Record<string, string> {
        if (!value || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length === 0) {
            this.fail(field, "must be a non-empty map of label keys to values");
            return false;
        }
        let ok = true;
        for (const [k, v] of Object.entries(value)) {
            if (!LABEL_KEY.test(k) || typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
                this.fail(`${field}.${k}`, `must be a valid Kubernetes label (key and value); got ${JSON.stringify(v)}`);
                ok = false;
            }
        }
        return ok;
    }
    stringList(field: string, value: unknown): value is string[] {
        if (value === undefined) {
            return true;
        }
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) {
            this.fail(field, "must be a list of non-empty strings");
            return false;
        }
        return true;
    }
}

/**
 * Validates an external host name. RFC 1123 labels, at least two of them, lowercase; a wildcard is `*.` followed
 * by a domain of at least two labels (`*.example.com`). Returns the rule broken, or undefined.
 */
export function hostNameProblem(host: unknown): string | undefined {
    if (typeof host !== "string" || host.length === 0) {
        return "must be a non-empty DNS name";
    }
    if (host === "*") {
        return "a bare `*` would let every destination through the gateway; name the hosts (or `*.domain`)";
    }
    if (host !== host.toLowerCase()) {
        return "must be lowercase (DNS names are case-insensitive; Istio matches them lowercase)";
    }
    const wildcard = host.startsWith("*.");
    const name = wildcard ? host.slice(2) : host;
    if (name.includes("*")) {
        return "a wildcard is only allowed as the whole leftmost label (`*.example.com`)";
    }
    if (host.length > 253) {
        return "must be at most 253 characters (RFC 1123)";
    }
    const labels = name.split(".");
    if (labels.some((l) => l.length === 0 || l.length > 63 || !DNS_LABEL.test(l))) {
        return "each label must be 1-63 lowercase letters, digits or '-', not starting or ending with '-' (RFC 1123)";
    }
    if (/^[0-9.]+$/.test(name) || name.includes(":")) {
        return "must be a DNS name, not an IP address (route IPs with NetworkPolicy, not through the egress gateway)";
    }
    if (labels.length < 2) {
        return wildcard
            ? "a wildcard must cover a registrable domain (`*.example.com`), not a whole top-level domain"
            : "must be a fully qualified name with at least one dot";
    }
    return undefined;
}

/**
 * A stable, DNS-label-safe key for a host: `api.example.com` → `api-example-com`, `*.example.com` →
 * `wildcard-example-com`. `-` is doubled first so that the mapping stays one-to-one (`a-b.com` ≠ `a.b-com`).
 * Long names are cut and suffixed with a hash of the full host. Depends on the host alone.
 */
export function hostKey(host: string): string {
    const base = host.replace(/-/g, "--").replace(/^\*\./, "wildcard.").replace(/\./g, "-");
    if (base.length <= 40) {
        return base;
    }
    const hash = createHash("sha256").update(host).digest("hex").slice(0, 8);
    return `${base.slice(0, 31).replace(/-+$/, "")}-${hash}`;
}

function isPlainObject(v: unknown): v is Record<string, any> {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Deep merge for Helm values: objects merge key by key, everything else (arrays included) is replaced. */
export function mergeValues(base: Record<string, any>, override: Record<string, any>): Record<string, any> {
    const out: Record<string, any> = { ...base };
    for (const [k, v] of Object.entries(override)) {
        out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k], v) : v;
    }
    return out;
}

const modeDefaults: Record<EgressMode, { appPort: number; targetPort: number; http: boolean }> = {
    [EgressMode.Http]: { appPort: 80, targetPort: 80, http: true },
    [EgressMode.TlsOrigination]: { appPort: 80, targetPort: 443, http: true },
    [EgressMode.Tls]: { appPort: 443, targetPort: 443, http: false },
    [EgressMode.MutualTlsOrigination]: { appPort: 80, targetPort: 443, http: true },
};

function planGateway(c: Checker, name: string, args: GatewayArgs): GatewayPlan {
    const namespace = args.namespace ?? DEFAULT_GATEWAY_NAMESPACE;
    c.dnsLabel("gateway.namespace", namespace);
    const releaseName = args.releaseName ?? DEFAULT_RELEASE_NAME;
    c.dnsLabel("gateway.releaseName", releaseName, "a DNS-1123 label (it names the gateway's Service)");
    const labels = args.labels ?? { ...DEFAULT_GATEWAY_LABELS };
    c.labels("gateway.labels", labels);

    const autoscaling = args.autoscaling;
    const replicas = args.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
        c.fail("gateway.replicas", `must be an integer of at least 1; got ${JSON.stringify(replicas)}`);
    }
    const minReplicas = autoscaling?.enabled ? (autoscaling.minReplicas ?? 2) : replicas;
    if (autoscaling?.enabled) {
        const max = autoscaling.maxReplicas ?? 5;
        if (!Number.isInteger(minReplicas) || minReplicas < 1) {
            c.fail("gateway.autoscaling.minReplicas", "must be an integer of at least 1");
        }
        if (!Number.isInteger(max) || max < minReplicas) {
            c.fail("gateway.autoscaling.maxReplicas", `must be an integer of at least minReplicas (${minReplicas})`);
        }
        const cpu = autoscaling.targetCPUUtilizationPercentage;
        if (cpu !== undefined && (!Number.isInteger(cpu) || cpu < 1 || cpu > 100)) {
            c.fail("gateway.autoscaling.targetCPUUtilizationPercentage", "must be an integer from 1 to 100");
        }
    }
    const pdb = args.podDisruptionBudgetMinAvailable ?? (minReplicas >= 2 ? 1 : undefined);
    if (pdb !== undefined && (!Number.isInteger(pdb) || pdb < 0 || pdb >= minReplicas)) {
        c.fail(
            "gateway.podDisruptionBudgetMinAvailable",
            `must be an integer from 0 to replicas-1 (${minReplicas - 1}); otherwise no gateway pod could ever be evicted`,
        );
    }

    const base: Record<string, any> = {
        service: { type: "ClusterIP", ports: CHART_DEFAULT_SERVICE_PORTS.map((p) => ({ ...p })) },
        labels: { ...labels },
        autoscaling: autoscaling?.enabled
            ? {
                  enabled: true,
                  minReplicas,
                  maxReplicas: autoscaling.maxReplicas ?? 5,
                  ...(autoscaling.targetCPUUtilizationPercentage !== undefined
                      ? { targetCPUUtilizationPercentage: autoscaling.targetCPUUtilizationPercentage }
                      : {}),
              }
            : { enabled: false },
        ...(autoscaling?.enabled ? {} : { replicaCount: replicas }),
        ...(pdb !== undefined ? { podDisruptionBudget: { minAvailable: pdb } } : {}),
    };
    let helmValues = base;
    if (args.values !== undefined) {
        if (!isPlainObject(args.values)) {
            c.fail("gateway.values", "must be a map of Helm values");
        } else {
            helmValues = mergeValues(base, args.values);
        }
    }
    if (helmValues.service?.type !== "ClusterIP") {
        c.fail(
            "gateway.values.service.type",
            `must stay ClusterIP: an egress gateway must not be reachable from outside the cluster; got ${JSON.stringify(helmValues.service?.type)}`,
        );
    }
    for (const [k, v] of Object.entries(labels)) {
        if (helmValues.labels?.[k] !== v) {
            c.fail(`gateway.values.labels.${k}`, "must not change the gateway's selector labels; set gateway.labels instead");
        }
    }

    const servicePorts: ServicePortPlan[] = [];
    const rawPorts = helmValues.service?.ports;
    if (!Array.isArray(rawPorts)) {
        c.fail("gateway.values.service.ports", "must be a list of Service ports");
    } else {
        rawPorts.forEach((p: any, i: number) => {
            const field = `gateway.values.service.ports[${i}]`;
            if (!isPlainObject(p) || !c.port(`${field}.port`, p.port)) {
                return;
            }
            const targetPort = p.targetPort ?? p.port;
            if (c.port(`${field}.targetPort`, targetPort)) {
                servicePorts.push({ name: String(p.name ?? `port-${p.port}`), port: p.port, targetPort, protocol: p.protocol ?? "TCP" });
            }
        });
    }
    const find = (port: number, role: string): ServicePortPlan => {
        const found = servicePorts.find((p) => p.port === port);
        if (!found && Array.isArray(rawPorts)) {
            c.fail("gateway.values.service.ports", `must expose port ${port} (the gateway's ${role} listener)`);
        }
        return found ?? { name: `port-${port}`, port, targetPort: port, protocol: "TCP" };
    };
    const gatewayName = `${name}-gateway`;
    return {
        namespace,
        createNamespace: args.createNamespace ?? true,
        releaseName,
        serviceName: releaseName,
        serviceHost: `${releaseName}.${namespace}.svc.cluster.local`,
        labels: { ...labels },
        gatewayName,
        gatewayRef: `${namespace}/${gatewayName}`,
        httpPort: find(GATEWAY_HTTP_PORT, "HTTP (Istio mTLS)"),
        tlsPort: find(GATEWAY_TLS_PORT, "TLS (Istio mTLS)"),
        servicePorts,
        helmValues,
        chart: { name: "gateway", defaultVersion: DEFAULT_CHART_VERSION, defaultRepository: ISTIO_CHART_REPOSITORY },
    };
}

function planRule(c: Checker, field: string, rule: AccessRuleArgs, http: boolean, trustDomain: string): AccessRulePlan {
    if (!isPlainObject(rule)) {
        c.fail(field, "must be an access rule object");
        return { namespaces: [], principals: [], anyAuthenticated: false, paths: [], methods: [] };
    }
    const namespaces = rule.namespaces ?? [];
    const serviceAccounts = rule.serviceAccounts ?? [];
    const paths = rule.paths ?? [];
    const methods = rule.methods ?? [];
    c.stringList(`${field}.namespaces`, rule.namespaces);
    c.stringList(`${field}.serviceAccounts`, rule.serviceAccounts);
    c.stringList(`${field}.paths`, rule.paths);
    c.stringList(`${field}.methods`, rule.methods);
    namespaces.forEach((ns, i) => c.dnsLabel(`${field}.namespaces[${i}]`, ns, "a namespace name (DNS-1123 label)"));
    const principals: string[] = [];
    serviceAccounts.forEach((sa, i) => {
        const parts = typeof sa === "string" ? sa.split("/") : [];
        if (parts.length !== 2 || !DNS_LABEL.test(parts[0]) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(parts[1])) {
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
    paths.forEach((p, i) => {
        if (typeof p === "string" && !p.startsWith("/") && !p.startsWith("*")) {
            c.fail(`${field}.paths[${i}]`, `must start with "/" (or be a "*suffix" match); got ${JSON.stringify(p)}`);
        }
    });
    methods.forEach((m, i) => {
        if (typeof m === "string" && !HTTP_METHOD.test(m)) {
            c.fail(`${field}.methods[${i}]`, `must be an uppercase HTTP method such as GET; got ${JSON.stringify(m)}`);
        }
    });
    return {
        namespaces: [...namespaces],
        principals,
        anyAuthenticated: namespaces.length === 0 && serviceAccounts.length === 0,
        paths: [...paths],
        methods: [...methods],
    };
}

function planHost(c: Checker, prefix: string, i: number, h: ExternalHostArgs, gw: GatewayPlan, trustDomain: string): HostPlan | undefined {
    const field = `hosts[${i}]`;
    if (!isPlainObject(h)) {
        c.fail(field, "must be an external host object");
        return undefined;
    }
    const hostProblem = hostNameProblem(h.host);
    if (hostProblem) {
        c.fail(`${field}.host`, `${hostProblem}; got ${JSON.stringify(h.host)}`);
        return undefined;
    }
    const host = h.host;
    const wildcard = host.startsWith("*.");
    if (!Object.values(EgressMode).includes(h.mode)) {
        c.fail(`${field}.mode`, `must be one of ${Object.values(EgressMode).join(", ")}; got ${JSON.stringify(h.mode)}`);
        return undefined;
    }
    const mode = h.mode;
    const defaults = modeDefaults[mode];
    const appPort = h.port ?? defaults.appPort;
    const targetPort = h.targetPort ?? defaults.targetPort;
    c.port(`${field}.port`, appPort);
    c.port(`${field}.targetPort`, targetPort);
    const origination = mode === EgressMode.TlsOrigination || mode === EgressMode.MutualTlsOrigination;
    if (origination && appPort === targetPort) {
        c.fail(`${field}.targetPort`, `must differ from port (${appPort}) in ${mode}: the application speaks HTTP on one, the gateway TLS on the other`);
    }

    if (wildcard) {
        if (mode !== EgressMode.Tls) {
            c.fail(`${field}.mode`, `a wildcard host (${host}) needs mode TLS: the gateway routes wildcards by SNI only`);
        }
        const upProblem = h.upstreamHost === undefined ? "is required for a wildcard host: Istio cannot DNS-resolve a wildcard, so the gateway forwards to one concrete host" : hostNameProblem(h.upstreamHost);
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
        c.stringList(`${field}.subjectAltNames`, h.subjectAltNames);
        if (h.subjectAltNames !== undefined && h.subjectAltNames.length === 0) {
            c.fail(`${field}.subjectAltNames`, "must not be empty: the gateway must verify the host's identity");
        }
        if (h.caCertificates !== undefined && (typeof h.caCertificates !== "string" || h.caCertificates.length === 0)) {
            c.fail(`${field}.caCertificates`, "must be a file path in the gateway pod");
        }
        if (mode === EgressMode.MutualTlsOrigination) {
            if (h.credentialName === undefined) {
                c.fail(`${field}.credentialName`, `is required for ${mode}: the client certificate Secret (in namespace ${gw.namespace})`);
            } else if (typeof h.credentialName !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(h.credentialName) || h.credentialName.length > 253) {
                c.fail(`${field}.credentialName`, "must be a Secret name (DNS-1123 subdomain) in the gateway's namespace; a namespace/name reference is not supported");
            }
        } else if (h.credentialName !== undefined) {
            c.fail(`${field}.credentialName`, `is only for ${EgressMode.MutualTlsOrigination}`);
        }
        originationPlan = {
            mode: mode === EgressMode.MutualTlsOrigination ? "MUTUAL" : "SIMPLE",
            sni: host,
            subjectAltNames: [...sans],
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

    const allowArgs = h.allow ?? [];
    const denyArgs = h.deny ?? [];
    if (!Array.isArray(allowArgs)) c.fail(`${field}.allow`, "must be a list of access rules");
    if (!Array.isArray(denyArgs)) c.fail(`${field}.deny`, "must be a list of access rules");
    const allow = Array.isArray(allowArgs) ? allowArgs.map((r, j) => planRule(c, `${field}.allow[${j}]`, r, defaults.http, trustDomain)) : [];
    const deny = Array.isArray(denyArgs) ? denyArgs.map((r, j) => planRule(c, `${field}.deny[${j}]`, r, defaults.http, trustDomain)) : [];

    const key = hostKey(host);
    const upstreamHost = wildcard ? h.upstreamHost : undefined;
    return {
        key,
        host,
        wildcard,
        mode,
        http: defaults.http,
        appPort,
        targetPort,
        destinationHost: upstreamHost ?? host,
        ...(upstreamHost ? { upstreamHost } : {}),
        gatewayPort: defaults.http ? gw.httpPort : gw.tlsPort,
        sni: upstreamHost ?? host,
        subsetName: key,
        ...(originationPlan ? { origination: originationPlan } : {}),
        allow,
        deny,
        names: {
            serviceEntry: `${prefix}-${key}`,
            ...(upstreamHost ? { upstreamServiceEntry: `${prefix}-${key}-upstream` } : {}),
            virtualService: `${prefix}-${key}`,
            ...(originationPlan ? { destinationRule: `${prefix}-${key}-tls` } : {}),
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
            return h.appPort === h.targetPort
                ? [{ number: h.appPort, protocol: "HTTP" }]
                : [{ number: h.appPort, protocol: "HTTP", targetPort: h.targetPort }];
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

function planLockdown(c: Checker, args: LockdownArgs, gw: GatewayPlan, hosts: HostPlan[]): LockdownPlan {
    const namespaces = (args.namespaces ?? []).map((n, i) => {
        const field = `lockdown.namespaces[${i}]`;
        if (!isPlainObject(n)) {
            c.fail(field, "must be a protected namespace object ({ name })");
            return { name: "", registryOnlySidecar: true };
        }
        if (c.dnsLabel(`${field}.name`, n.name, "a namespace name (DNS-1123 label)") && n.name === gw.namespace) {
            c.fail(`${field}.name`, `must not be the gateway's own namespace (${gw.namespace}), which has its own lock-down`);
        }
        if (["kube-system", "kube-public", "kube-node-lease"].includes(n.name)) {
            c.fail(`${field}.name`, `must be an application namespace; ${n.name} hosts cluster components whose egress this component does not know`);
        }
        return { name: n.name, registryOnlySidecar: n.registryOnlySidecar ?? true };
    });
    const seen = new Set<string>();
    namespaces.forEach((n, i) => {
        if (seen.has(n.name)) c.fail(`lockdown.namespaces[${i}].name`, `duplicates namespace ${n.name}`);
        seen.add(n.name);
    });

    const extraEgressCidrs = (args.extraEgressCidrs ?? []).map((e: ExtraEgressCidrArgs, i) => {
        const field = `lockdown.extraEgressCidrs[${i}]`;
        c.dnsLabel(`${field}.name`, e?.name, "a short DNS-1123 label saying what the destination is (e.g. kube-apiserver)");
        if (!isCidr(e?.cidr)) {
            c.fail(`${field}.cidr`, `must be an IPv4 or IPv6 CIDR such as 10.0.0.1/32; got ${JSON.stringify(e?.cidr)}`);
        } else if (cidrPrefixLength(e.cidr) < (isIPv4Cidr(e.cidr) ? 8 : 16)) {
            c.fail(`${field}.cidr`, "is too wide: an extra CIDR this large would let pods skip the egress gateway (at most /8 for IPv4, /16 for IPv6)");
        }
        if (!Array.isArray(e?.ports) || e.ports.length === 0) {
            c.fail(`${field}.ports`, "must list at least one TCP port: an extra CIDR never opens every port");
        } else {
            e.ports.forEach((p, j) => c.port(`${field}.ports[${j}]`, p));
        }
        return { name: e?.name, cidr: e?.cidr, ports: Array.isArray(e?.ports) ? [...e.ports] : [] };
    });
    const extraNames = new Set<string>();
    extraEgressCidrs.forEach((e, i) => {
        if (extraNames.has(e.name)) c.fail(`lockdown.extraEgressCidrs[${i}].name`, `duplicates name ${e.name}`);
        extraNames.add(e.name);
    });

    const clusterCidrs = args.clusterCidrs ?? [];
    clusterCidrs.forEach((cidr, i) => {
        if (!isCidr(cidr)) c.fail(`lockdown.clusterCidrs[${i}]`, `must be a CIDR; got ${JSON.stringify(cidr)}`);
    });
    const istiodNamespace = args.istiodNamespace ?? "istio-system";
    c.dnsLabel("lockdown.istiodNamespace", istiodNamespace, "a namespace name (DNS-1123 label)");
    const istiodLabels = args.istiodLabels ?? { app: "istiod" };
    c.labels("lockdown.istiodLabels", istiodLabels);
    const dnsNamespace = args.dnsNamespace ?? "kube-system";
    c.dnsLabel("lockdown.dnsNamespace", dnsNamespace, "a namespace name (DNS-1123 label)");
    const dnsLabels = args.dnsLabels ?? { "k8s-app": "kube-dns" };
    c.labels("lockdown.dnsLabels", dnsLabels);
    // The gateway's namespace is default-deny for every pod in it: istiod or the cluster DNS there would be cut off.
    if (istiodNamespace === gw.namespace) {
        c.fail("gateway.namespace", `must not be istiod's namespace (${istiodNamespace}): the gateway's namespace is default-deny for every pod in it, which would cut istiod off`);
    }
    if (dnsNamespace === gw.namespace) {
        c.fail("gateway.namespace", `must not be the cluster DNS's namespace (${dnsNamespace}): the gateway's namespace is default-deny for every pod in it, which would cut DNS off`);
    }
    const extraPorts = args.externalPorts ?? [];
    if (!Array.isArray(extraPorts)) {
        c.fail("lockdown.externalPorts", "must be a list of ports");
    } else {
        extraPorts.forEach((p, i) => c.port(`lockdown.externalPorts[${i}]`, p));
    }
    const trustDomain = args.trustDomain ?? "cluster.local";
    if (typeof trustDomain !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(trustDomain)) {
        c.fail("lockdown.trustDomain", `must be the mesh trust domain, a DNS-like name; got ${JSON.stringify(trustDomain)}`);
    }
    return {
        namespaces,
        allowInCluster: args.allowInCluster ?? true,
        extraEgressCidrs,
        clusterCidrs: [...clusterCidrs],
        istiod: { namespace: istiodNamespace, labels: { ...istiodLabels } },
        dns: { namespace: dnsNamespace, labels: { ...dnsLabels } },
        accessLogs: args.accessLogs ?? true,
        trustDomain,
        externalPorts: [...new Set([...hosts.map((h) => h.targetPort), ...extraPorts])].sort((a, b) => a - b),
    };
}

/**
 * Validates the args and computes the plan. Throws `ArgsError` listing every problem (field + rule).
 * `name` is the component's name.
 */
export function buildPlan(name: string, args: EgressGatewayArgs = {}): EgressPlan {
    const c = new Checker();
    if (typeof name !== "string" || name.length > 30 || !DNS_LABEL.test(name)) {
        c.fail("name", `the component's name prefixes Kubernetes object names, so it must be a DNS-1123 label of at most 30 characters; got ${JSON.stringify(name)}`);
    }
    if (!isPlainObject(args)) {
        throw new ArgsError([{ field: "args", rule: "must be an object" }]);
    }
    const gateway = planGateway(c, name, args.gateway ?? {});
    const trustDomain = args.lockdown?.trustDomain ?? "cluster.local";
    const hostArgs = args.hosts ?? [];
    if (!Array.isArray(hostArgs)) {
        c.fail("hosts", "must be a list of external hosts");
    }
    const hosts: HostPlan[] = [];
    const byHost = new Map<string, number>();
    (Array.isArray(hostArgs) ? hostArgs : []).forEach((h, i) => {
        const plan = planHost(c, name, i, h, gateway, trustDomain);
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
            c.fail(`hosts[${byHost.get(h.host)}].upstreamHost`, `${h.upstreamHost} is also listed as a host; route it once (drop the wildcard's upstream or the host)`);
        }
    }
    // Sidecars build one outbound listener per port: HTTP and TLS on the same port conflict.
    const portClass = new Map<number, { cls: "http" | "tls"; index: number; host: string }>();
    for (const h of hosts) {
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
    const lockdown = planLockdown(c, args.lockdown ?? {}, gateway, hosts);
    if (c.problems.length > 0) {
        throw new ArgsError(c.problems);
    }
    return { name, gateway, hosts, lockdown };
}

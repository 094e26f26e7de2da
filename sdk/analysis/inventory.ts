/**
 * Step 1 of the access report — collect: from plain objects (and Helm release values), the configuration istiod
 * would act on, in the order it acts on it, plus who may send traffic (sources), which external hosts exist,
 * and which pods run an Istio gateway proxy. Nothing here decides a path; `path.ts` does.
 */
import {
    DEFAULT_IN_CLUSTER_CIDRS,
    gatewayReleaseLabels,
    gatewayReleaseName,
    isRecord,
    isWorkloadKind,
    listAt,
    podTemplatesOf,
    recordAt,
    shown,
    stringAt,
    stringRecord,
    valueAt,
    type K8sObject,
} from "../model/index.js";
import {
    exportText,
    id,
    isAuthorizationPolicy,
    isDestinationRule,
    isGateway,
    isNetworkPolicy,
    isService,
    isServiceEntry,
    isSidecar,
    isTelemetry,
    isVirtualService,
    ns,
    resolveShortname,
    sortByCreation,
    vsGateways,
    type ExportDefaults,
} from "./config.js";
import type { AccessSource, ExternalHost, HelmReleaseInfo, ReportOptions } from "./types.js";
import { SAMPLE_PUBLIC_IP } from "./types.js";

/** Options with defaults applied (and istiod's settings read from its Helm release). */
export interface ResolvedOptions {
    root: string;
    trustDomain: string;
    publicIp: string;
    /** Whether the caller chose `samplePublicIp` (then direct reach is checked against it, not symbolically). */
    publicIpExplicit: boolean;
    scopeGatewayToNamespace: boolean;
    outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
    exportDefaults: ExportDefaults;
    otherNamespace: boolean;
    clusterCidrs: string[];
    /** Where an address may lead without leaving the cluster (`ReportOptions.inClusterCidrs`). */
    inClusterCidrs: string[];
    apiServer: string[];
    /** Where each setting came from, for notes. */
    settingsFrom: string[];
}

/** A Service port as the gateway pods' ServiceTargets carry it (`pilot/pkg/model/service.go` ServiceTarget). */
export interface ServicePortRef {
    service: string;
    port: number;
    targetPort: number | string;
    name?: string;
}

/** A set of pods running an Istio gateway proxy (internal form; `GatewayWorkload` is what the report shows). */
export interface GatewayPods {
    id: string;
    namespace: string;
    labels: Record<string, string>;
    origin: "workload" | "helm-release" | "inferred";
    namedPorts: Record<string, number>;
    /** Services selecting the pods (Service objects, or the gateway chart's own Service). */
    servicePorts: ServicePortRef[];
    services: string[];
    notes: string[];
}

export interface Inventory {
    objects: K8sObject[];
    options: ResolvedOptions;
    helm: HelmReleaseInfo[];
    namespaces: Map<string, K8sObject>;
    /** In Istio's order: creation time, then name, then namespace. */
    virtualServices: K8sObject[];
    gateways: K8sObject[];
    destinationRules: K8sObject[];
    serviceEntries: K8sObject[];
    sidecars: K8sObject[];
    services: K8sObject[];
    netpols: K8sObject[];
    authz: K8sObject[];
    telemetries: K8sObject[];
    gatewayPods: GatewayPods[];
    sources: AccessSource[];
    hosts: ExternalHost[];
    warnings: string[];
    /** Memoised results of the later steps (keyed by step and arguments); see `memo`. */
    cache: Map<string, unknown>;
}

/** The value for `key`, computed once per inventory (the objects never change during one report). */
export function memo<T>(inv: Inventory, key: string, compute: () => T): T {
    if (inv.cache.has(key)) {
        return inv.cache.get(key) as T;
    }
    const v = compute();
    inv.cache.set(key, v);
    return v;
}

const ISTIOD_CHART = /(^|\/)istiod$/;
const GATEWAY_CHART = /(^|\/)gateway$/;

function envTrue(v: unknown): boolean {
    return v === true || String(v).toLowerCase() === "true" || v === "1";
}

/** Defaults, then an istiod Helm release's values, then the caller's options. */
export function resolveOptions(options: ReportOptions): ResolvedOptions {
    const settingsFrom: string[] = [];
    let scope = false;
    let mode: "ALLOW_ANY" | "REGISTRY_ONLY" = "ALLOW_ANY";
    let root = "istio-system";
    let trustDomain = "cluster.local";
    const exportDefaults: ExportDefaults = {};
    for (const h of options.helmReleases ?? []) {
        if (!ISTIOD_CHART.test(h.chart)) {
            continue;
        }
        const env = recordAt(h.values, "pilot", "env");
        if (env.PILOT_SCOPE_GATEWAY_TO_NAMESPACE !== undefined) {
            scope = envTrue(env.PILOT_SCOPE_GATEWAY_TO_NAMESPACE);
            settingsFrom.push(`PILOT_SCOPE_GATEWAY_TO_NAMESPACE=${scope} from Helm release ${h.namespace}/${h.name}`);
        }
        const mc = recordAt(h.values, "meshConfig");
        const mcMode = valueAt(mc, "outboundTrafficPolicy", "mode");
        if (mcMode === "REGISTRY_ONLY" || mcMode === "ALLOW_ANY") {
            mode = mcMode;
            settingsFrom.push(`outboundTrafficPolicy ${mode} from Helm release ${h.namespace}/${h.name}`);
        }
        if (typeof mc.rootNamespace === "string") {
            root = mc.rootNamespace;
        }
        if (typeof mc.trustDomain === "string") {
            trustDomain = mc.trustDomain;
        }
        for (const [k, field] of [
            ["defaultServiceExportTo", "service"],
            ["defaultVirtualServiceExportTo", "virtualService"],
            ["defaultDestinationRuleExportTo", "destinationRule"],
        ] as const) {
            if (Array.isArray(mc[k])) {
                exportDefaults[field] = listAt(mc, k).map(String);
            }
        }
    }
    if (options.scopeGatewayToNamespace !== undefined) {
        scope = options.scopeGatewayToNamespace;
    }
    if (options.mesh?.outboundTrafficPolicy) {
        mode = options.mesh.outboundTrafficPolicy;
    }
    if (options.mesh?.defaultServiceExportTo) exportDefaults.service = options.mesh.defaultServiceExportTo;
    if (options.mesh?.defaultVirtualServiceExportTo) exportDefaults.virtualService = options.mesh.defaultVirtualServiceExportTo;
    if (options.mesh?.defaultDestinationRuleExportTo) exportDefaults.destinationRule = options.mesh.defaultDestinationRuleExportTo;
    return {
        root: options.rootNamespace ?? root,
        trustDomain: options.trustDomain ?? trustDomain,
        publicIp: options.samplePublicIp ?? SAMPLE_PUBLIC_IP,
        publicIpExplicit: options.samplePublicIp !== undefined,
        scopeGatewayToNamespace: scope,
        outboundTrafficPolicy: mode,
        exportDefaults,
        otherNamespace: options.otherNamespace === true,
        clusterCidrs: options.clusterCidrs ?? [],
        inClusterCidrs: options.inClusterCidrs ?? DEFAULT_IN_CLUSTER_CIDRS,
        apiServer: options.apiServer ?? [],
        settingsFrom,
    };
}

/** The (first) pod template of a workload object. */
export function podTemplate(o: K8sObject): { metadata?: unknown; spec?: unknown } | undefined {
    return podTemplatesOf(o.kind, o)[0];
}

export function namedPortsOf(spec: unknown): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of listAt(spec, "containers")) {
        for (const p of listAt(c, "ports")) {
            const name = stringAt(p, "name");
            const containerPort = valueAt(p, "containerPort");
            if (name && typeof containerPort === "number") {
                out[name] = containerPort;
            }
        }
    }
    return out;
}

function namespaceObject(objects: K8sObject[], name: string): K8sObject | undefined {
    return objects.find((o) => o.kind === "Namespace" && o.apiVersion === "v1" && o.metadata?.name === name);
}

export function namespaceLabels(objects: K8sObject[], name: string): Record<string, string> {
    return { ...stringRecord(namespaceObject(objects, name)?.metadata?.labels), "kubernetes.io/metadata.name": name };
}

/**
 * Whether a pod template runs an Istio gateway proxy rather than an application with a sidecar: injected with
 * the `gateway` template (`inject.istio.io/templates: gateway`, what the istio/gateway chart sets), or a
 * `proxyv2` container started as `router` (istioctl's and the operator's gateways). Labels alone never make a
 * pod a gateway: any workload author can copy `istio: egressgateway`, and a sidecar proxy never builds gateway
 * listeners (`pilot/pkg/networking/core/listener.go` builds gateway listeners for `model.Router` proxies only).
 */
export function isGatewayProxyTemplate(t: { metadata?: unknown; spec?: unknown } | undefined): boolean {
    const templates = shown(valueAt(t?.metadata, "annotations", "inject.istio.io/templates") ?? "")
        .split(",")
        .map((s) => s.trim());
    if (templates.includes("gateway")) {
        return true;
    }
    for (const c of [...listAt(t?.spec, "containers"), ...listAt(t?.spec, "initContainers")]) {
        const args: string[] = listAt(c, "args").map(String);
        if (/proxyv2/.test(shown(valueAt(c, "image") ?? "")) && args.includes("router")) {
            return true;
        }
    }
    return false;
}

/** Whether a pod with these labels/annotations in this namespace gets a sidecar, and why not. */
export function sidecarOf(
    objects: K8sObject[],
    namespace: string,
    labels: Record<string, string>,
    annotations: Record<string, string>,
    hostNetwork: boolean,
): { sidecar: boolean; why?: string } {
    if (hostNetwork) {
        return { sidecar: false, why: "hostNetwork: true (injection skips the pod)" };
    }
    const podInject = labels["sidecar.istio.io/inject"] ?? annotations["sidecar.istio.io/inject"];
    if (podInject === "false") {
        return { sidecar: false, why: 'sidecar.istio.io/inject: "false"' };
    }
    const nsObj = namespaceObject(objects, namespace);
    if (nsObj) {
        const l = stringRecord(nsObj.metadata?.labels);
        if (l["istio-injection"] === "disabled") {
            return { sidecar: false, why: `namespace ${namespace} has istio-injection=disabled` };
        }
        if (l["istio.io/dataplane-mode"] === "none") {
            return { sidecar: false, why: `namespace ${namespace} has istio.io/dataplane-mode=none` };
        }
        if (l["istio.io/dataplane-mode"] === "ambient" && l["istio-injection"] !== "enabled") {
            return { sidecar: false, why: `namespace ${namespace} is in ambient mode, whose waypoint routing this report does not model` };
        }
        if (podInject !== "true" && l["istio-injection"] !== "enabled" && !l["istio.io/rev"]) {
            return { sidecar: false, why: `namespace ${namespace} has no istio-injection=enabled or istio.io/rev label` };
        }
    }
    return { sidecar: true };
}

/**
 * The sources the report evaluates: workloads, namespaces with policies, AuthorizationPolicy sources, extras.
 * Workloads matching one of `gatewaySelectors`, or for which `isGatewayPod` says so, are gateways, not sources.
 */
export function collectSources(
    objects: K8sObject[],
    gatewaySelectors: Record<string, string>[],
    extra: AccessSource[] = [],
    isGatewayPod: (o: K8sObject) => boolean = () => false,
): AccessSource[] {
    const out: AccessSource[] = [];
    const seen = new Set<string>();
    const add = (s: AccessSource) => {
        const key = `${s.namespace}|${s.serviceAccount}|${JSON.stringify(Object.entries(s.labels).sort())}|${s.workload ?? ""}`;
        if (!seen.has(key)) {
            seen.add(key);
            out.push(s);
        }
    };
    for (const o of objects) {
        if (!isWorkloadKind(o.kind)) {
            continue;
        }
        const t = podTemplate(o);
        const labels: Record<string, string> = stringRecord(valueAt(t?.metadata, "labels"));
        if (isGatewayPod(o) || gatewaySelectors.some((s) => Object.keys(s).length > 0 && Object.entries(s).every(([k, v]) => labels[k] === v))) {
            continue;
        }
        const spec = recordAt(t?.spec);
        const sc = sidecarOf(objects, ns(o), labels, stringRecord(valueAt(t?.metadata, "annotations")), spec.hostNetwork === true);
        add({
            namespace: ns(o),
            serviceAccount: stringAt(spec, "serviceAccountName") ?? stringAt(spec, "serviceAccount") ?? "default",
            labels,
            origin: "workload",
            workload: `${o.kind}/${o.metadata?.name}`,
            sidecar: sc.sidecar,
            sidecarNote: sc.why,
            namedPorts: namedPortsOf(spec),
        });
    }
    const nsSource = (namespace: string, sa = "default") => {
        const sc = sidecarOf(objects, namespace, {}, {}, false);
        add({ namespace, serviceAccount: sa, labels: {}, origin: "namespace", sidecar: sc.sidecar, sidecarNote: sc.why });
    };
    for (const o of objects) {
        if (o.kind === "NetworkPolicy") {
            nsSource(ns(o));
        }
        if (isAuthorizationPolicy(o)) {
            for (const rule of listAt(o.spec, "rules")) {
                for (const f of listAt(rule, "from")) {
                    for (const n of listAt(f, "source", "namespaces")) {
                        if (!String(n).includes("*")) {
                            nsSource(String(n));
                        }
                    }
                    for (const p of listAt(f, "source", "principals")) {
                        const m = /(?:^|\/)ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(String(p));
                        if (m) {
                            nsSource(m[1], m[2]);
                        }
                    }
                }
                for (const c of listAt(rule, "when")) {
                    if (valueAt(c, "key") === "source.namespace") {
                        for (const n of listAt(c, "values")) {
                            if (!String(n).includes("*")) {
                                nsSource(String(n));
                            }
                        }
                    }
                }
            }
        }
    }
    for (const s of extra) {
        add({ ...s, origin: s.origin ?? "extra" });
    }
    return out;
}

/** The addresses a ServiceEntry pins: `addresses` and STATIC endpoints. */
function entryAddresses(se: K8sObject): string[] {
    const out = listAt(se.spec, "addresses").map(String);
    if (valueAt(se.spec, "resolution") === "STATIC") {
        for (const e of listAt(se.spec, "endpoints")) {
            const address = valueAt(e, "address");
            if (typeof address === "string" && !address.startsWith("unix://")) {
                out.push(address);
            }
        }
    }
    return out;
}

/** External hosts: every host × port of ServiceEntries with location MESH_EXTERNAL (or unset). */
export function collectExternalHosts(objects: K8sObject[], exportDefaults: ExportDefaults = {}): ExternalHost[] {
    const out: ExternalHost[] = [];
    for (const o of objects) {
        if (!isServiceEntry(o)) {
            continue;
        }
        if ((valueAt(o.spec, "location") ?? "MESH_EXTERNAL") !== "MESH_EXTERNAL") {
            continue;
        }
        const declaredPorts = listAt(o.spec, "ports");
        const ports: unknown[] = declaredPorts.length ? declaredPorts : [{ number: 443, protocol: "TLS" }];
        for (const h of listAt(o.spec, "hosts")) {
            for (const p of ports) {
                const number = Number(valueAt(p, "number"));
                const targetPort = valueAt(p, "targetPort");
                const existing = out.find((e) => e.host === String(h) && e.port === number);
                const exp = exportText(o, exportDefaults.service);
                if (existing) {
                    existing.serviceEntries = [...(existing.serviceEntries ?? [existing.serviceEntry]), id(o)];
                    existing.exportTo =
                        existing.exportTo === "*" || exp === "*" ? "*" : [...new Set([...(existing.exportTo ?? "").split(","), ...exp.split(",")])].join(",");
                    continue;
                }
                const addresses = entryAddresses(o);
                out.push({
                    host: String(h),
                    port: number,
                    protocol: shown(valueAt(p, "protocol") ?? "TCP").toUpperCase(),
                    ...(typeof targetPort === "number" && targetPort !== number ? { targetPort } : {}),
                    serviceEntry: id(o),
                    serviceEntries: [id(o)],
                    exportTo: exp,
                    ...(addresses.length > 0 ? { addresses } : {}),
                });
            }
        }
    }
    // A wildcard's upstream: a host a gateway-bound route of a wildcard VirtualService forwards to.
    for (const vs of objects.filter(isVirtualService)) {
        const wild = listAt(vs.spec, "hosts")
            .map(String)
            .filter((h) => h.startsWith("*"));
        if (wild.length === 0 || !vsGateways(vs).some((g) => g !== "mesh")) {
            continue;
        }
        for (const section of ["http", "tls", "tcp"]) {
            for (const entry of listAt(vs.spec, section)) {
                const onGateway = listAt(entry, "match").some((m) => listAt(m, "gateways").some((g) => g !== "mesh"));
                if (!onGateway) {
                    continue;
                }
                for (const r of listAt(entry, "route")) {
                    const destHost = valueAt(r, "destination", "host");
                    const dest = destHost ? resolveShortname(shown(destHost), ns(vs)) : undefined;
                    for (const eh of out.filter((e) => e.host === dest)) {
                        eh.upstreamOf = [...new Set([...(eh.upstreamOf ?? []), ...wild])];
                    }
                }
            }
        }
    }
    return out;
}

/** Service objects in `namespace` whose selector picks pods with `labels` (`pilot/pkg/serviceregistry/kube` endpoints). */
export function servicesSelecting(services: K8sObject[], namespace: string, labels: Record<string, string>): K8sObject[] {
    return services.filter((s) => {
        const sel = valueAt(s.spec, "selector");
        return ns(s) === namespace && isRecord(sel) && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
    });
}

function servicePortsOf(svc: K8sObject): ServicePortRef[] {
    return listAt(svc.spec, "ports").map((p) => portRef(id(svc), p));
}

/** A Service port as read: `targetPort` defaults to `port`. */
export function portRef(service: string, p: unknown): ServicePortRef {
    const port = valueAt(p, "port");
    const targetPort = valueAt(p, "targetPort") ?? port;
    const name = valueAt(p, "name");
    return { service, port: Number(port), targetPort: targetPort as number | string, name: name as string | undefined };
}

/** The istio/gateway chart's default Service ports (`manifests/charts/gateway/values.yaml` service.ports). */
const CHART_DEFAULT_PORTS = [
    { name: "status-port", port: 15021, targetPort: 15021 },
    { name: "http2", port: 80, targetPort: 80 },
    { name: "https", port: 443, targetPort: 443 },
];

/** Pods running an Istio gateway proxy: workload objects, and the gateway chart's Helm releases. */
export function collectGatewayPods(objects: K8sObject[], services: K8sObject[], helm: HelmReleaseInfo[]): GatewayPods[] {
    const out: GatewayPods[] = [];
    for (const o of objects) {
        if (!isWorkloadKind(o.kind)) {
            continue;
        }
        const t = podTemplate(o);
        if (!isGatewayProxyTemplate(t)) {
            continue;
        }
        const labels: Record<string, string> = stringRecord(valueAt(t?.metadata, "labels"));
        const svcs = servicesSelecting(services, ns(o), labels);
        out.push({
            id: `${ns(o)}/${o.kind}/${o.metadata?.name}`,
            namespace: ns(o),
            labels,
            origin: "workload",
            namedPorts: namedPortsOf(t?.spec),
            servicePorts: svcs.flatMap(servicePortsOf),
            services: svcs.map(id),
            notes: [],
        });
    }
    for (const h of helm) {
        if (!GATEWAY_CHART.test(h.chart)) {
            continue;
        }
        const props = { name: h.name, values: h.values ?? {} };
        const labels = gatewayReleaseLabels(props, h.name);
        const name = gatewayReleaseName(props, h.name);
        const svcType = valueAt(h.values, "service", "type");
        const declared = valueAt(h.values, "service", "ports");
        const own: ServicePortRef[] =
            svcType === "None" ? [] : ((declared ?? CHART_DEFAULT_PORTS) as unknown[]).map((p) => portRef(`${h.namespace}/${name}`, p));
        const svcs = servicesSelecting(services, h.namespace, labels);
        out.push({
            id: `${h.namespace}/HelmRelease/${h.name}`,
            namespace: h.namespace,
            labels,
            origin: "helm-release",
            namedPorts: {},
            servicePorts: [...own, ...svcs.flatMap(servicePortsOf)],
            services: [...(svcType === "None" ? [] : [`${h.namespace}/${name}`]), ...svcs.map(id)],
            notes: [`pods of the istio/gateway chart release ${h.namespace}/${h.name} (the chart is not rendered: labels and ports from its values)`],
        });
    }
    return out;
}

/** Collects everything the later steps read. */
export function collectInventory(objects: K8sObject[], options: ReportOptions = {}): Inventory {
    const resolved = resolveOptions(options);
    const helm = options.helmReleases ?? [];
    const services = objects.filter(isService);
    const gatewayPods = collectGatewayPods(objects, services, helm);
    const warnings: string[] = [];
    const namespaces = new Map<string, K8sObject>();
    for (const o of objects) {
        if (o.kind === "Namespace" && o.apiVersion === "v1" && o.metadata?.name) {
            namespaces.set(o.metadata.name, o);
        }
    }
    const virtualServices = sortByCreation(objects.filter(isVirtualService));
    // Namespaces hosting gateway pods (a mesh route points at a Service there, or a gateway chart is installed
    // there) are not namespace-level sources: the pods there are the gateway.
    const gatewayNamespaces = new Set<string>(gatewayPods.map((g) => g.namespace));
    for (const vs of virtualServices) {
        const gws = vsGateways(vs);
        if (!gws.includes("mesh") || gws.length < 2) {
            continue;
        }
        for (const section of ["http", "tls", "tcp"]) {
            for (const entry of listAt(vs.spec, section)) {
                for (const r of listAt(entry, "route")) {
                    const destHost = valueAt(r, "destination", "host");
                    const host = destHost ? resolveShortname(shown(destHost), ns(vs)) : "";
                    const m = /^[^.]+\.([^.]+)\.svc\./.exec(host);
                    if (m) {
                        gatewayNamespaces.add(m[1]);
                    }
                }
            }
        }
    }
    const gatewayWorkloadObjects = new Set(objects.filter((o) => isWorkloadKind(o.kind) && isGatewayProxyTemplate(podTemplate(o))));
    const extra = [...(options.extraSources ?? [])];
    if (resolved.otherNamespace) {
        extra.push({
            namespace: "other-namespace",
            serviceAccount: "default",
            labels: {},
            origin: "other",
            sidecar: true,
            namespaceLabels: { "kubernetes.io/metadata.name": "other-namespace" },
        });
    }
    const sources = collectSources(objects, [], extra, (o) => gatewayWorkloadObjects.has(o)).filter(
        (s) => !(s.origin === "namespace" && gatewayNamespaces.has(s.namespace)),
    );
    for (const s of sources) {
        if (s.origin !== "workload" || s.labels === undefined) {
            continue;
        }
        const matching = objects.filter(isGateway).filter((g) => {
            const sel = recordAt(g.spec, "selector");
            return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => s.labels[k] === v);
        });
        if (matching.length > 0) {
            warnings.push(
                `${s.namespace}/${s.workload} carries the labels of Gateway ${matching.map(id).join(", ")}'s selector but runs no gateway proxy: it is reported as a source, not as a gateway`,
            );
        }
    }
    return {
        objects,
        options: resolved,
        helm,
        namespaces,
        virtualServices,
        gateways: sortByCreation(objects.filter(isGateway)),
        destinationRules: sortByCreation(objects.filter(isDestinationRule)),
        serviceEntries: sortByCreation(objects.filter(isServiceEntry)),
        sidecars: sortByCreation(objects.filter(isSidecar)),
        services,
        netpols: objects.filter(isNetworkPolicy),
        authz: objects.filter(isAuthorizationPolicy),
        telemetries: objects.filter(isTelemetry),
        gatewayPods,
        sources,
        hosts: collectExternalHosts(objects, resolved.exportDefaults),
        warnings,
        cache: new Map(),
    };
}

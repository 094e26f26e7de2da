/**
 * The rules of the `istio-egress-guard` policy pack, as pure functions over Kubernetes objects.
 *
 * A per-object rule takes the object's kind, the object (`{metadata, spec, ...}`; for a Helm Release the Release's
 * props) and the policy configuration, and returns one message per problem found — each saying what to change.
 * Stack rules take every object of the stack. The Pulumi policies in `policies.ts` only wrap these.
 */
import { parse as parseYaml } from "yaml";
import { GuardConfig } from "./config";
import {
    asArray,
    asObject,
    chartName,
    containerRefs,
    containerWhere,
    fqdn,
    gatewayReleaseLabels,
    gatewayReleaseServiceHost,
    hostCovers,
    isWorkloadKind,
    labelsMatch,
    podTemplatesOf,
    str,
    formatRange,
    outsideRanges,
} from "../../sdk/model";
import { isIstioContainer } from "./istio";

/** What a stack rule sees of each object. */
export interface StackObject {
    /** Pulumi type token. */
    type: string;
    /** Kind (from the type token; `...Patch` types are judged as their kind but flagged here). */
    kind: string;
    group: string;
    patch: boolean;
    namespace: string | undefined;
    name: string;
    urn: string;
    props: any;
}

export interface StackFinding {
    urn: string;
    message: string;
}

const ISTIO_NET = "networking.istio.io";
const TRUE_VALUES = new Set(["y", "yes", "true", "on"]);
const PROXY_UID = 1337;

function isTrue(v: unknown): boolean {
    return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

/** Where a pod template's metadata sits, for messages: `metadata`, `spec.template.metadata`, `items[0].metadata`. */
function templateMeta(path: string): string {
    const where = path.replace(/\.spec$/, "").replace(/^spec$/, "");
    return where ? `${where}.metadata` : "metadata";
}

/** Is a pod (template) one of the egress gateway's own pods: gateway labels and only Istio's proxy containers? */
export function isGatewayPod(metadata: any, spec: any, gatewayLabels: Record<string, string>): boolean {
    if (!labelsMatch(gatewayLabels, metadata?.labels)) return false;
    const containers = asArray(spec?.containers);
    return containers.length > 0 && containers.every((c) => c?.name === "istio-proxy" && isIstioContainer(c));
}

// ------------------------------------------------------------------------------------------------------------
// sidecar-injection-required
// ------------------------------------------------------------------------------------------------------------

/** Pods and pod templates that opt out of the mesh; Namespace objects that switch injection off. */
export function sidecarInjectionProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (kind === "Namespace") {
        const labels = asObject(obj?.metadata?.labels);
        const ambient = labels["istio.io/dataplane-mode"] === "ambient";
        const inj = labels["istio-injection"];
        if (inj !== undefined && inj !== "enabled" && !ambient) {
            out.push(`label istio-injection: "${inj}" turns sidecar injection off for the whole namespace: set it to "enabled" (or use istio.io/rev).`);
        }
        for (const where of ["labels", "annotations"] as const) {
            const v = asObject(obj?.metadata?.[where])["sidecar.istio.io/inject"];
            if (v !== undefined && !TRUE_VALUES.has(String(v).toLowerCase()) && !ambient) {
                out.push(`${where.slice(0, -1)} sidecar.istio.io/inject: "${v}" on the namespace: remove it and label the namespace istio-injection: enabled.`);
            }
        }
        if (labels["istio.io/dataplane-mode"] === "none") {
            out.push(`label istio.io/dataplane-mode: none takes the namespace out of the mesh: remove it.`);
        }
        return out;
    }
    for (const t of podTemplatesOf(kind, obj)) {
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const labels = asObject(t.metadata?.labels);
        const annotations = asObject(t.metadata?.annotations);
        // Istio prefers the label over the annotation; any value but y/yes/true/on (or empty) means "do not inject".
        const fromLabel = labels["sidecar.istio.io/inject"];
        const inject = fromLabel !== undefined ? fromLabel : annotations["sidecar.istio.io/inject"];
        const ambientPod = labels["istio.io/dataplane-mode"] === "ambient";
        if (inject !== undefined && String(inject) !== "" && !TRUE_VALUES.has(String(inject).toLowerCase()) && !ambientPod) {
            const field = fromLabel !== undefined ? "labels" : "annotations";
            out.push(`${templateMeta(t.path)}.${field} sidecar.istio.io/inject: "${inject}" skips the sidecar, so this pod's egress bypasses the egress gateway: remove it.`);
        }
        if (labels["istio.io/dataplane-mode"] === "none") {
            out.push(`${templateMeta(t.path)}.labels istio.io/dataplane-mode: none takes the pod out of the ambient mesh: remove it.`);
        }
        const mode = annotations["sidecar.istio.io/interceptionMode"];
        if (mode !== undefined && mode !== "REDIRECT") {
            out.push(`${templateMeta(t.path)}.annotations sidecar.istio.io/interceptionMode: "${mode}" departs from the mesh default (REDIRECT): remove it.`);
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// no-gateway-impersonation
// ------------------------------------------------------------------------------------------------------------

/**
 * Pods that carry the egress gateway's labels without being the gateway (only Istio's proxy container). The
 * gateway's NetworkPolicy, AuthorizationPolicies and Service select pods by those labels, so an impostor would get
 * the gateway's internet access and receive the mesh's egress traffic.
 */
export function impersonationProblems(kind: string, obj: any, cfg: GatewayLabelsConfig): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        if (!labelsMatch(cfg.gatewayLabels, t.metadata?.labels)) continue;
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const where = t.path.replace(/\.spec$/, "").replace(/^spec$/, "");
        const labels = Object.entries(cfg.gatewayLabels).map(([k, v]) => `${k}: ${v}`).join(", ");
        out.push(`${where ? `${where}.` : ""}metadata.labels carry the egress gateway's labels (${labels}) but the pod runs other containers than Istio's proxy: the gateway's NetworkPolicy, Service and AuthorizationPolicies would apply to it; remove those labels.`);
    }
    return out;
}

type GatewayLabelsConfig = Pick<GuardConfig, "gatewayLabels">;

// ------------------------------------------------------------------------------------------------------------
// no-traffic-capture-exclusions
// ------------------------------------------------------------------------------------------------------------

const EXCLUSION_ANNOTATIONS: Record<string, string> = {
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": "sends traffic to these ranges around the sidecar",
    "traffic.sidecar.istio.io/excludeOutboundPorts": "sends traffic on these ports around the sidecar",
    "traffic.sidecar.istio.io/includeOutboundPorts": "selects outbound ports for capture instead of capturing every port",
    "traffic.sidecar.istio.io/excludeInterfaces": "sends traffic on these interfaces around the sidecar",
    "traffic.sidecar.istio.io/kubevirtInterfaces": "sends traffic from these interfaces around the sidecar",
};

const EXCLUSION_ENTRIES = Object.entries(EXCLUSION_ANNOTATIONS);

/** Pod annotations, and istiod Helm values, that exclude outbound traffic from the sidecar's capture. */
export function captureExclusionProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (kind === "Release") {
        if (chartName(obj?.chart) !== "istiod") return out;
        const proxy = asObject(asObject(asObject(obj?.values).global).proxy);
        if (proxy.includeIPRanges !== undefined && String(proxy.includeIPRanges).trim() !== "*") {
            out.push(`values.global.proxy.includeIPRanges: "${proxy.includeIPRanges}" leaves outbound traffic to other addresses uncaptured mesh-wide: set it to "*" (or remove it).`);
        }
        for (const k of ["excludeIPRanges", "excludeOutboundPorts"]) {
            if (proxy[k] !== undefined && String(proxy[k]).trim() !== "") {
                out.push(`values.global.proxy.${k}: "${proxy[k]}" exempts outbound traffic from capture mesh-wide: remove it.`);
            }
        }
        return out;
    }
    for (const t of podTemplatesOf(kind, obj)) {
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const annotations = asObject(t.metadata?.annotations);
        const include = annotations["traffic.sidecar.istio.io/includeOutboundIPRanges"];
        if (include !== undefined && String(include).trim() !== "*") {
            out.push(
                String(include).trim() === ""
                    ? `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges is empty, so no outbound traffic is redirected to the sidecar: remove it.`
                    : `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges: "${include}" leaves traffic to every other address uncaptured: remove it (the default "*" captures all).`,
            );
        }
        for (const [key, what] of EXCLUSION_ENTRIES) {
            const v = annotations[key];
            if (v !== undefined && String(v).trim() !== "") {
                out.push(`${templateMeta(t.path)}.annotations ${key}: "${v}" ${what}, bypassing the egress gateway: remove it.`);
            }
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// no-proxy-escape-privileges
// ------------------------------------------------------------------------------------------------------------

const ESCAPE_CAPS = new Set(["NET_ADMIN", "NET_RAW", "ALL"]);

/** Host networking, the proxy's UID/GID 1337, and capabilities that rewrite or sidestep the pod's iptables. */
export function escapePrivilegeProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const spec = t.spec;
        if (isTrue(spec?.hostNetwork)) {
            out.push(`${t.path}.hostNetwork: true runs the pod in the node's network namespace, where no sidecar captures its traffic: remove it.`);
        }
        const podSc = asObject(spec?.securityContext);
        for (const ref of containerRefs(spec)) {
            const c = ref.c;
            if (isIstioContainer(c)) continue;
            const sc = asObject(c?.securityContext);
            for (const field of ["runAsUser", "runAsGroup"]) {
                const own = sc[field];
                const effective = own !== undefined && own !== null ? own : podSc[field];
                if (effective !== undefined && Number(effective) === PROXY_UID) {
                    const inherited = own === undefined || own === null ? ` (inherited from ${t.path}.securityContext)` : "";
                    out.push(`${t.path}.${containerWhere(ref)} runs with ${field} 1337${inherited}, the sidecar's own identity, whose traffic is never redirected: use another ${field === "runAsUser" ? "UID" : "GID"}.`);
                }
            }
            for (const x of asArray(asObject(sc.capabilities).add)) {
                const cap = String(x).toUpperCase().replace(/^CAP_/, "");
                if (!ESCAPE_CAPS.has(cap)) continue;
                out.push(`${t.path}.${containerWhere(ref)} adds capability ${cap}, which lets it rewrite the pod's iptables or use raw sockets around the sidecar: drop it.`);
            }
            if (isTrue(sc.privileged)) {
                out.push(`${t.path}.${containerWhere(ref)} is privileged and can rewrite the pod's iptables around the sidecar: set securityContext.privileged to false.`);
            }
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// no-external-egress-networkpolicy
// ------------------------------------------------------------------------------------------------------------

function hasEgressType(spec: any): boolean {
    const types = spec?.policyTypes;
    if (Array.isArray(types)) return types.includes("Egress");
    return Array.isArray(spec?.egress) && spec.egress.length > 0;
}

/** Does a NetworkPolicy's podSelector pick only the egress gateway's pods? */
export function selectsOnlyGateway(spec: any, gatewayLabels: Record<string, string>): boolean {
    return labelsMatch(gatewayLabels, spec?.podSelector?.matchLabels);
}

/** Egress rules of a NetworkPolicy that open destinations outside the cluster. */
export function networkPolicyHoles(spec: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (!hasEgressType(spec)) return out;
    let inside: string[] | undefined;
    asArray(spec?.egress).forEach((rule, i) => {
        const to = rule?.to;
        if (!Array.isArray(to) || to.length === 0) {
            const ports = asArray(rule?.ports).length > 0 ? " on its ports" : "";
            out.push(`spec.egress[${i}] has no "to", so it allows every destination${ports}, including the internet: list in-cluster peers (podSelector/namespaceSelector) instead.`);
            return;
        }
        to.forEach((peer: any, j: number) => {
            const ipBlock = peer?.ipBlock;
            if (ipBlock) {
                const cidr = ipBlock.cidr;
                const except = asArray(ipBlock.except).map(String);
                let outside;
                try {
                    inside ??= [...cfg.inClusterCidrs, ...cfg.allowedEgressCidrs];
                    outside = outsideRanges(String(cidr), except, inside);
                } catch (err: any) {
                    out.push(`spec.egress[${i}].to[${j}].ipBlock: ${err.message}: fix the CIDR.`);
                    return;
                }
                if (outside.length > 0) {
                    const shown = outside.slice(0, 3).map(formatRange).join(", ") + (outside.length > 3 ? ", ..." : "");
                    out.push(`spec.egress[${i}].to[${j}].ipBlock ${cidr}${except.length ? ` (except ${except.join(", ")})` : ""} opens addresses outside the cluster (${shown}) directly, around the egress gateway: restrict it to in-cluster ranges, or list the CIDR in allowedEgressCidrs if it must be reached directly.`);
                }
            } else if (!peer?.podSelector && !peer?.namespaceSelector) {
                out.push(`spec.egress[${i}].to[${j}] is an empty peer, which allows every destination: give it a podSelector or namespaceSelector.`);
            }
        });
    });
    return out;
}

export function networkPolicyProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    if (kind !== "NetworkPolicy") return [];
    if (selectsOnlyGateway(obj?.spec, cfg.gatewayLabels)) return [];
    return networkPolicyHoles(obj?.spec, cfg);
}

// ------------------------------------------------------------------------------------------------------------
// registry-only-outbound
// ------------------------------------------------------------------------------------------------------------

/** `ALLOW_ANY` in a Sidecar, the istiod chart's meshConfig, an IstioOperator, or the mesh ConfigMap. */
export function allowAnyProblems(kind: string, group: string, obj: any): string[] {
    const msg = (where: string) =>
        `${where} is ALLOW_ANY, so sidecars pass traffic for unknown hosts straight out: set it to REGISTRY_ONLY.`;
    if (kind === "Sidecar" && group === "networking.istio.io") {
        return obj?.spec?.outboundTrafficPolicy?.mode === "ALLOW_ANY" ? [msg("spec.outboundTrafficPolicy.mode")] : [];
    }
    if (kind === "Release" && chartName(obj?.chart) === "istiod") {
        return obj?.values?.meshConfig?.outboundTrafficPolicy?.mode === "ALLOW_ANY" ? [msg("values.meshConfig.outboundTrafficPolicy.mode")] : [];
    }
    if (kind === "IstioOperator") {
        return obj?.spec?.meshConfig?.outboundTrafficPolicy?.mode === "ALLOW_ANY" ? [msg("spec.meshConfig.outboundTrafficPolicy.mode")] : [];
    }
    if (kind === "ConfigMap" && /^istio(-.+)?$/.test(String(obj?.metadata?.name ?? "")) && typeof obj?.data?.mesh === "string") {
        let mesh: any;
        try {
            mesh = parseYaml(obj.data.mesh);
        } catch {
            return [];
        }
        return mesh?.outboundTrafficPolicy?.mode === "ALLOW_ANY" ? [msg("data.mesh outboundTrafficPolicy.mode")] : [];
    }
    return [];
}

// ------------------------------------------------------------------------------------------------------------
// no-open-service-entry
// ------------------------------------------------------------------------------------------------------------

/** A `*` host, or a TCP port with passthrough resolution and no addresses (matches every destination on the port). */
export function openServiceEntryProblems(kind: string, group: string, obj: any): string[] {
    if (kind !== "ServiceEntry" || group !== "networking.istio.io") return [];
    const out: string[] = [];
    const spec = obj?.spec;
    if (asArray(spec?.hosts).includes("*")) {
        out.push(`spec.hosts contains "*", which makes every host reachable: list the external hosts by name.`);
    }
    const resolution = spec?.resolution ?? "NONE";
    if (resolution === "NONE" && asArray(spec?.addresses).length === 0) {
        asArray(spec?.ports).forEach((p, i) => {
            const proto = String(p?.protocol ?? "").toUpperCase();
            if (proto === "" || proto === "TCP") {
                out.push(`spec.ports[${i}] (${p?.number}) is TCP with resolution NONE and no addresses, so it matches every destination on port ${p?.number}: set addresses, use resolution DNS, or use a TLS/HTTP protocol.`);
            }
        });
    }
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// egress-gateway-istio-mutual
// ------------------------------------------------------------------------------------------------------------

/** Does an Istio Gateway's selector pick the egress gateway's pods (given known gateway label sets)? */
export function selectsEgressGateway(selector: any, gatewayLabels: Record<string, string>, knownLabelSets: Record<string, string>[] = []): boolean {
    const sel = asObject(selector);
    if (Object.keys(sel).length === 0) return false;
    if (labelsMatch(gatewayLabels, sel)) return true;
    return [gatewayLabels, ...knownLabelSets].some((set) => labelsMatch(sel, set));
}

/** Servers of an egress Gateway that do not require Istio mTLS. */
export function gatewayTlsProblems(kind: string, group: string, obj: any, cfg: GuardConfig): string[] {
    if (kind !== "Gateway" || group !== "networking.istio.io") return [];
    if (!selectsEgressGateway(obj?.spec?.selector, cfg.gatewayLabels)) return [];
    const out: string[] = [];
    asArray(obj?.spec?.servers).forEach((s, i) => {
        const mode = s?.tls?.mode;
        if (mode !== "ISTIO_MUTUAL") {
            out.push(`spec.servers[${i}] (port ${s?.port?.number}) has tls.mode ${mode ?? "unset"}: without ISTIO_MUTUAL the egress gateway accepts connections from any client and cannot check its identity: set tls.mode: ISTIO_MUTUAL.`);
        }
    });
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// egress-gateway-cluster-ip
// ------------------------------------------------------------------------------------------------------------

/** Is this Helm Release the egress gateway (chart `gateway` with the gateway labels, or in a gateway namespace)? */
export function isGatewayRelease(obj: any, resourceName: string, namespace: string, cfg: GuardConfig): boolean {
    if (chartName(obj?.chart) !== "gateway") return false;
    return labelsMatch(cfg.gatewayLabels, gatewayReleaseLabels(obj, resourceName)) || cfg.gatewayNamespaces.includes(namespace);
}

export function gatewayServiceProblems(kind: string, obj: any, resourceName: string, namespace: string, cfg: GuardConfig): string[] {
    if (kind === "Release") {
        if (!isGatewayRelease(obj, resourceName, namespace, cfg)) return [];
        const type = obj?.values?.service?.type;
        if (type === "ClusterIP" || type === "None") return [];
        return [
            type === undefined
                ? `values.service.type is not set and the istio/gateway chart defaults it to LoadBalancer, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`
                : `values.service.type is ${type}, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`,
        ];
    }
    if (kind === "Service") {
        if (!labelsMatch(cfg.gatewayLabels, obj?.spec?.selector)) return [];
        const type = obj?.spec?.type ?? "ClusterIP";
        if (type === "LoadBalancer" || type === "NodePort") {
            return [`spec.type is ${type}, exposing the egress gateway outside the cluster: set spec.type: ClusterIP.`];
        }
        if (asArray(obj?.spec?.externalIPs).length > 0) {
            return [`spec.externalIPs exposes the egress gateway outside the cluster: remove them.`];
        }
    }
    return [];
}

// ------------------------------------------------------------------------------------------------------------
// Stack: what the stack says about the egress gateway
// ------------------------------------------------------------------------------------------------------------

export interface GatewayFacts {
    /** Configured plus (optionally) discovered gateway namespaces. */
    namespaces: Set<string>;
    /** FQDNs of the gateway Service(s). */
    serviceHosts: Set<string>;
    /** Full pod label sets of discovered gateway releases. */
    labelSets: Record<string, string>[];
}

export function gatewayFacts(objects: StackObject[], cfg: GuardConfig): GatewayFacts {
    const namespaces = new Set(cfg.gatewayNamespaces);
    const serviceHosts = new Set(cfg.gatewayServiceHosts);
    const labelSets: Record<string, string>[] = [];
    for (const o of objects) {
        if (o.patch || o.namespace === undefined) continue;
        if (o.kind === "Release" && isGatewayRelease(o.props, o.name, o.namespace, cfg)) {
            if (cfg.discoverGatewayNamespaces) namespaces.add(o.namespace);
            serviceHosts.add(gatewayReleaseServiceHost(o.props, o.name, o.namespace));
            labelSets.push(gatewayReleaseLabels(o.props, o.name));
        } else if (o.kind === "Service" && labelsMatch(cfg.gatewayLabels, o.props?.spec?.selector)) {
            serviceHosts.add(`${o.name}.${o.namespace}.svc.cluster.local`);
        } else if (cfg.discoverGatewayNamespaces && isWorkloadKind(o.kind)) {
            if (podTemplatesOf(o.kind, o.props).some((t) => isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels))) {
                namespaces.add(o.namespace);
            }
        }
    }
    return { namespaces, serviceHosts, labelSets };
}

// ------------------------------------------------------------------------------------------------------------
// Stack: namespace-default-deny-egress
// ------------------------------------------------------------------------------------------------------------

/** Is this NetworkPolicy a default-deny for egress: every pod, Egress type, and no rule opening the outside? */
export function isDefaultDenyEgress(spec: any, cfg: GuardConfig): boolean {
    const sel = spec?.podSelector;
    const empty = sel === undefined || sel === null || (Object.keys(asObject(sel.matchLabels)).length === 0 && asArray(sel.matchExpressions).length === 0);
    if (!empty) return false;
    if (!asArray(spec?.policyTypes).includes("Egress")) return false;
    return networkPolicyHoles(spec, cfg).length === 0;
}

/**
 * Every application namespace where the stack runs workloads (or installs a Helm release) needs a default-deny
 * egress NetworkPolicy in the same stack.
 */
export function defaultDenyFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): StackFinding[] {
    const exempt = new Set([...cfg.exemptNamespaces, ...facts.namespaces]);
    const workloads = new Map<string, StackObject[]>();
    const denied = new Set<string>();
    for (const o of objects) {
        if (o.patch || o.namespace === undefined || exempt.has(o.namespace)) continue;
        if (o.kind === "NetworkPolicy" && o.group === "networking.k8s.io") {
            if (isDefaultDenyEgress(o.props?.spec, cfg)) denied.add(o.namespace);
            continue;
        }
        const isWorkload =
            (isWorkloadKind(o.kind) && !podTemplatesOf(o.kind, o.props).every((t) => isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels))) ||
            o.kind === "Release";
        if (isWorkload) {
            const list = workloads.get(o.namespace) ?? [];
            list.push(o);
            workloads.set(o.namespace, list);
        }
    }
    const out: StackFinding[] = [];
    for (const [ns, list] of workloads) {
        if (denied.has(ns)) continue;
        const names = list.slice(0, 3).map((o) => `${o.kind}/${o.name}`).join(", ") + (list.length > 3 ? `, and ${list.length - 3} more` : "");
        for (const o of list) {
            out.push({
                urn: o.urn,
                message: `namespace "${ns}" runs workloads (${names}) but the stack has no default-deny egress NetworkPolicy there: add a NetworkPolicy in "${ns}" with podSelector: {}, policyTypes: [Egress] and egress rules that allow only in-cluster peers (DNS, istiod, the egress gateway).`,
            });
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------------------------
// Stack: service-entry-via-egress-gateway
// ------------------------------------------------------------------------------------------------------------

interface RouteBlock {
    gateways: string[];
    destinations: string[];
    vsNamespace: string;
}

function routeBlocks(vs: StackObject): { hosts: string[]; blocks: RouteBlock[]; exportTo: string[] | undefined } {
    const spec = vs.props?.spec;
    const ns = vs.namespace ?? "default";
    const vsGateways = asArray(spec?.gateways).map(String);
    const defaultGateways = vsGateways.length > 0 ? vsGateways : ["mesh"];
    const blocks: RouteBlock[] = [];
    for (const field of ["http", "tls", "tcp"]) {
        for (const r of asArray(spec?.[field])) {
            const matches = asArray(r?.match);
            const gateways = new Set<string>();
            if (matches.length === 0) defaultGateways.forEach((g) => gateways.add(g));
            for (const m of matches) {
                const mg = asArray(m?.gateways).map(String);
                (mg.length > 0 ? mg : defaultGateways).forEach((g) => gateways.add(g));
            }
            const destinations = asArray(r?.route).map((d) => str(d?.destination?.host)).filter((h): h is string => !!h);
            blocks.push({ gateways: [...gateways], destinations, vsNamespace: ns });
        }
    }
    // exportTo: where sidecars see this VirtualService ("." is its own namespace; empty or "*" is everywhere).
    const exportTo = asArray(spec?.exportTo).map((e) => (String(e) === "." ? ns : String(e)));
    return { hosts: asArray(spec?.hosts).map(String), blocks, exportTo: exportTo.length === 0 || exportTo.includes("*") ? undefined : exportTo };
}

/** Is a VirtualService exported to at least every namespace the ServiceEntry is exported to? */
function seenWherever(vsExportTo: string[] | undefined, seExportTo: string[] | undefined): boolean {
    if (vsExportTo === undefined) return true;
    if (seExportTo === undefined) return false;
    return seExportTo.every((n) => vsExportTo.includes(n));
}

function waypointLabel(labels: any): boolean {
    const v = str(asObject(labels)["istio.io/use-waypoint"]);
    return v !== undefined && v !== "none";
}

const GATEWAY_API = "gateway.networking.k8s.io";
const GATEWAY_API_ROUTES = new Set(["HTTPRoute", "TLSRoute", "TCPRoute", "GRPCRoute"]);

interface GatewayApiRoute {
    namespace: string;
    parents: { group: string; kind: string; namespace: string; name: string }[];
    backends: { group: string; kind: string; namespace: string; name: string }[];
}

/** Gateway API routes (Istio's GAMMA egress pattern): parents and backends with defaults filled in. */
function gatewayApiRoutes(objects: StackObject[]): GatewayApiRoute[] {
    return objects
        .filter((o) => o.group === GATEWAY_API && GATEWAY_API_ROUTES.has(o.kind) && !o.patch)
        .map((o) => {
            const ns = o.namespace ?? "default";
            const ref = (r: any, defKind: string, defGroup: string) => ({
                group: str(r?.group) ?? defGroup,
                kind: str(r?.kind) ?? defKind,
                namespace: str(r?.namespace) ?? ns,
                name: String(r?.name ?? ""),
            });
            return {
                namespace: ns,
                parents: asArray(o.props?.spec?.parentRefs).map((r) => ref(r, "Gateway", GATEWAY_API)),
                backends: asArray(o.props?.spec?.rules).flatMap((rule) => asArray(rule?.backendRefs).map((r) => ref(r, "Service", ""))),
            };
        });
}

function gatewayRef(ref: string, vsNamespace: string): { namespace: string; name: string } {
    const i = ref.indexOf("/");
    return i >= 0 ? { namespace: ref.slice(0, i), name: ref.slice(i + 1) } : { namespace: vsNamespace, name: ref };
}

/**
 * Every MESH_EXTERNAL ServiceEntry host visible outside the gateway's namespaces must be routed through the egress
 * gateway: a mesh leg (a route block bound to `mesh` whose destination is the gateway's Service) and a gateway leg
 * (a block bound to an egress Gateway whose destination is the host itself, or for a wildcard a concrete host).
 */
export function serviceEntryRoutingFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): StackFinding[] {
    const egressGateways = new Set<string>();
    const otherGateways = new Set<string>();
    for (const o of objects) {
        if (o.kind === "Gateway" && o.group === "networking.istio.io" && !o.patch) {
            const key = `${o.namespace}/${o.name}`;
            if (selectsEgressGateway(o.props?.spec?.selector, cfg.gatewayLabels, facts.labelSets)) egressGateways.add(key);
            else otherGateways.add(key);
        }
    }
    const isEgressGatewayRef = (ref: string, vsNs: string): boolean => {
        if (ref === "mesh") return false;
        const { namespace, name } = gatewayRef(ref, vsNs);
        const key = `${namespace}/${name}`;
        if (egressGateways.has(key)) return true;
        // A Gateway defined outside this stack: trust it when it lives in a gateway namespace.
        return !otherGateways.has(key) && facts.namespaces.has(namespace);
    };

    const routes = objects.filter((o) => o.kind === "VirtualService" && o.group === "networking.istio.io" && !o.patch).map(routeBlocks);
    // Ambient: a namespace labelled istio.io/use-waypoint sends its ServiceEntries' traffic through that waypoint.
    const waypointNamespaces = new Set(
        objects.filter((o) => o.kind === "Namespace" && !o.patch && waypointLabel(o.props?.metadata?.labels)).map((o) => o.name),
    );
    // VirtualServices by exact host; wildcard (or `*`) hosts are checked against every ServiceEntry host.
    const exactRoutes = new Map<string, ReturnType<typeof routeBlocks>[]>();
    const wildcardRoutes: ReturnType<typeof routeBlocks>[] = [];
    for (const r of routes) {
        if (r.hosts.some((h) => h.includes("*"))) wildcardRoutes.push(r);
        for (const h of r.hosts.filter((x) => !x.includes("*"))) {
            const list = exactRoutes.get(h) ?? [];
            list.push(r);
            exactRoutes.set(h, list);
        }
    }
    const routesFor = (host: string) => {
        const found = new Set(exactRoutes.get(host) ?? []);
        for (const r of wildcardRoutes) if (r.hosts.some((h) => hostCovers(h, host))) found.add(r);
        return found;
    };
    const gaRoutes = gatewayApiRoutes(objects);
    const gatewayApiGateways = objects
        .filter((o) => o.group === GATEWAY_API && o.kind === "Gateway" && !o.patch)
        .map((o) => ({ namespace: o.namespace ?? "default", name: o.name }));
    const exempt = new Set(cfg.exemptNamespaces);
    const out: StackFinding[] = [];
    for (const se of objects) {
        if (se.kind !== "ServiceEntry" || se.group !== "networking.istio.io" || se.patch) continue;
        const ns = se.namespace ?? "default";
        if (exempt.has(ns)) continue;
        const spec = se.props?.spec;
        const location = spec?.location ?? "MESH_EXTERNAL";
        if (location !== "MESH_EXTERNAL") continue;
        if (waypointLabel(se.props?.metadata?.labels) || waypointNamespaces.has(ns)) continue;
        const exportTo = asArray(spec?.exportTo).map(String);
        if (exportTo.length > 0 && exportTo.every((e) => facts.namespaces.has(e === "." ? ns : e))) continue;
        const seExport = exportTo.length === 0 || exportTo.includes("*") ? undefined : exportTo.map((e) => (e === "." ? ns : e));
        for (const host of asArray(spec?.hosts).map(String)) {
            const wildcard = host.includes("*");
            let meshLeg = false;
            let gatewayLeg = false;
            for (const r of routesFor(host)) {
                for (const b of r.blocks) {
                    if (b.gateways.includes("mesh") && seenWherever(r.exportTo, seExport) && b.destinations.some((d) => facts.serviceHosts.has(fqdn(d, b.vsNamespace)))) {
                        meshLeg = true;
                    }
                    if (b.gateways.some((g) => isEgressGatewayRef(g, b.vsNamespace))) {
                        const ok = b.destinations.some((d) =>
                            wildcard ? !d.includes("*") && !facts.serviceHosts.has(fqdn(d, b.vsNamespace)) : d === host,
                        );
                        if (ok) gatewayLeg = true;
                    }
                }
            }
            // Gateway API: a route attached to the ServiceEntry sending it to a Gateway's Service, and a route on that
            // Gateway forwarding to the host (a Hostname or the ServiceEntry).
            for (const gw of gatewayApiGateways) {
                const toGateway = gaRoutes.some(
                    (r) =>
                        r.parents.some((p) => p.group === ISTIO_NET && p.kind === "ServiceEntry" && p.namespace === ns && p.name === se.name) &&
                        r.backends.some((b) => b.group === "" && b.kind === "Service" && b.namespace === gw.namespace && b.name === `${gw.name}-istio`),
                );
                const onGateway = gaRoutes.some(
                    (r) =>
                        r.parents.some((p) => p.group === GATEWAY_API && p.kind === "Gateway" && p.namespace === gw.namespace && p.name === gw.name) &&
                        r.backends.some(
                            (b) =>
                                b.group === ISTIO_NET &&
                                ((b.kind === "Hostname" && (wildcard ? !b.name.includes("*") : b.name === host)) ||
                                    (b.kind === "ServiceEntry" && b.namespace === ns && b.name === se.name && !wildcard)),
                        ),
                );
                if (toGateway) meshLeg = true;
                if (toGateway && onGateway) gatewayLeg = true;
            }
            if (meshLeg && gatewayLeg) continue;
            const missing = !meshLeg && !gatewayLeg ? "no VirtualService routes it" : !meshLeg ? "no VirtualService sends it from the mesh to the egress gateway's Service" : "no VirtualService bound to the egress Gateway forwards it to the host";
            out.push({
                urn: se.urn,
                message: `ServiceEntry host "${host}" is MESH_EXTERNAL and exported beyond the gateway's namespace, but ${missing}, so sidecars reach it directly: add a VirtualService for "${host}" with a mesh leg to ${[...facts.serviceHosts][0] ?? "the egress gateway's Service"} and a leg on the egress Gateway to ${wildcard ? "a concrete upstream host" : `"${host}"`} (or set exportTo to the gateway's namespace).`,
            });
        }
    }
    return out;
}

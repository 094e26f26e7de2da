/**
 * The facts the policies share, in one place: what a stack rule sees of each object, what the egress gateway is
 * (its pods, its release, the Gateways that select it, the namespaces it lives in), and what a NetworkPolicy opens
 * (CIDR semantics: what lies outside the in-cluster ranges).
 */
import { GuardConfig } from "./config";
import { isIstioContainer } from "./istio";
import {
    chartName,
    containerRefs,
    DNS_PORT,
    formatRange,
    GATEWAY_SELECTOR_LABEL,
    gatewayReleaseLabels,
    gatewayReleaseName,
    gatewaySelectorValue,
    gatewayReleaseServiceHost,
    errorMessage,
    isRecord,
    labelsMatch,
    listAt,
    nodeLocalDnsAddressProblem,
    cidrRange,
    IpRange,
    outsideRanges,
    parseCidr,
    rangesIntersect,
    rangesMinus,
    rangesUnion,
    recordAt,
    shown,
    SPECIAL_PURPOSE_RANGES,
    yaml11Bool,
    valueAt,
} from "../../sdk/model";

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
    /** The resource's inputs as the engine hands them over: read them defensively (sdk/model/read.ts). */
    props: unknown;
}

export interface StackFinding {
    urn: string;
    message: string;
}

export const ISTIO_NET = "networking.istio.io";
export const TRUE_VALUES = new Set(["y", "yes", "true", "on"]);
export const PROXY_UID = 1337;

/**
 * A boolean field as the API server would take it, failing closed: `true`, or a string that YAML 1.1 reads as true
 * (`"yes"`, `"on"`), or any other non-boolean value (the API server rejects it; the pack does not guess it false).
 */
export function isTrue(v: unknown): boolean {
    const b = yaml11Bool(v);
    return b === true || b === "invalid";
}

/** Where a pod template's metadata sits, for messages: `metadata`, `spec.template.metadata`, `items[0].metadata`. */
export function templateMeta(path: string): string {
    const where = path.replace(/\.spec$/, "").replace(/^spec$/, "");
    return where ? `${where}.metadata` : "metadata";
}

// The "leads outside the cluster" judgement (isClusterLocalHost, leadsOutsideCluster) lives in sdk/model/outside.ts,
// shared with the access report; the policies import it from here.
export { isClusterLocalHost, leadsOutsideCluster } from "../../sdk/model";

// ------------------------------------------------------------------------------------------------------------
// The egress gateway
// ------------------------------------------------------------------------------------------------------------

/**
 * Does a pod (template) have the egress gateway's shape: at least one container, and every container (init and
 * ephemeral included) Istio's `istio-proxy` in Istio's shape (see istio.ts)? The istio/gateway chart's pod has only
 * that container, with `image: auto` (`templates/deployment.yaml`).
 */
export function hasGatewayShape(spec: unknown, trusted: readonly string[]): boolean {
    if (listAt(spec, "containers").length === 0) return false;
    return containerRefs(spec).every((r) => valueAt(r.c, "name") === "istio-proxy" && isIstioContainer(r, trusted));
}

/**
 * Is `value` an `istio-egress.io/gateway` value the component writes for a gateway in `namespace`:
 * `<namespace>.<release>`, or its cut form `<prefix>_<10 hex>` whose prefix agrees with `<namespace>.`
 * (sdk/model/gateway-identity.ts)? A value naming another namespace is not this namespace's gateway.
 */
export function isComponentSelectorValue(value: unknown, namespace: string | undefined): boolean {
    if (typeof value !== "string" || namespace === undefined) return false;
    const cut = /^(.*)_[0-9a-f]{10}$/.exec(value);
    if (cut) {
        const prefix = cut[1];
        return prefix.length > 0 && (prefix.startsWith(`${namespace}.`) || `${namespace}.`.startsWith(prefix));
    }
    if (!value.startsWith(`${namespace}.`)) return false;
    const release = value.slice(namespace.length + 1);
    return release.length > 0 && gatewaySelectorValue(namespace, release) === value;
}

/**
 * Does a pod carry the egress gateway's identity labels in `namespace`: the configured `gatewayLabels`, or the
 * component's own selector label with a value for this namespace? (Whether the pod *is* the gateway also needs the
 * namespace to be a gateway namespace and the pod to have the gateway's shape: see `isGatewayPod`.)
 */
export function carriesGatewayIdentity(labels: unknown, namespace: string | undefined, cfg: Pick<GuardConfig, "gatewayLabels">): boolean {
    return labelsMatch(cfg.gatewayLabels, labels) || isComponentSelectorValue(recordAt(labels)[GATEWAY_SELECTOR_LABEL], namespace);
}

/** Does a pod pose as a gateway: the configured gateway labels, or the component's selector label with any value? */
export function claimsGatewayIdentity(labels: unknown, cfg: Pick<GuardConfig, "gatewayLabels">): boolean {
    return labelsMatch(cfg.gatewayLabels, labels) || recordAt(labels)[GATEWAY_SELECTOR_LABEL] !== undefined;
}

/**
 * Is a pod (template) one of the egress gateway's own pods? Only inside a gateway namespace (configured, or
 * discovered from a gateway Release by the stack rules), with the gateway's labels and the gateway's shape. Labels
 * and shape alone are written by the manifest's author; where the pod runs is decided by who may deploy there.
 */
export function isGatewayPod(
    namespace: string | undefined,
    metadata: unknown,
    spec: unknown,
    cfg: Pick<GuardConfig, "gatewayLabels" | "trustedProxyImages">,
    gatewayNamespaces: ReadonlySet<string> | readonly string[],
): boolean {
    if (namespace === undefined) return false;
    const inNs = Array.isArray(gatewayNamespaces) ? gatewayNamespaces.includes(namespace) : (gatewayNamespaces as ReadonlySet<string>).has(namespace);
    return inNs && carriesGatewayIdentity(valueAt(metadata, "labels"), namespace, cfg) && hasGatewayShape(spec, cfg.trustedProxyImages);
}

/** Does a label selector require `key` to be exactly `value` (in `matchLabels`, or `key In [value]`)? */
function requires(sel: unknown, key: string, test: (v: unknown) => boolean): boolean {
    if (test(recordAt(sel, "matchLabels")[key])) return true;
    return listAt(sel, "matchExpressions").some((e) => {
        const values = valueAt(e, "values");
        return valueAt(e, "key") === key && valueAt(e, "operator") === "In" && Array.isArray(values) && values.length === 1 && test(valueAt(values, 0));
    });
}

/**
 * Can a NetworkPolicy's podSelector select nothing but the egress gateway's pods? Every gateway label must be
 * required with its value: in `matchLabels`, or as `key In [value]` with that single value — or, in `namespace`,
 * the component's selector label with this namespace's value. Further requirements only narrow the selection. An
 * empty selector, or one that leaves a gateway label open (`In [a, b]`, `Exists`, `NotIn`), selects other pods too.
 */
export function selectsOnlyGateway(spec: unknown, gatewayLabels: Record<string, string>, namespace?: string): boolean {
    const sel = valueAt(spec, "podSelector");
    if (!isRecord(sel)) return false;
    if (namespace !== undefined && requires(sel, GATEWAY_SELECTOR_LABEL, (v) => isComponentSelectorValue(v, namespace))) return true;
    const keys = Object.keys(gatewayLabels);
    if (keys.length === 0) return false;
    return keys.every((k) => requires(sel, k, (v) => v === gatewayLabels[k]));
}

/** Does an Istio Gateway's selector pick the egress gateway's pods (given known gateway label sets)? */
export function selectsEgressGateway(selector: unknown, gatewayLabels: Record<string, string>, knownLabelSets: Record<string, string>[] = []): boolean {
    const sel = recordAt(selector);
    if (Object.keys(sel).length === 0) return false;
    // The component's selector label, whatever its value: a Gateway selecting on it is written for an egress gateway.
    if (sel[GATEWAY_SELECTOR_LABEL] !== undefined) return true;
    if (labelsMatch(gatewayLabels, sel)) return true;
    // labelsMatch compares each value by identity: a selector value of another type than string matches no label set.
    return [gatewayLabels, ...knownLabelSets].some((set) => labelsMatch(sel as Record<string, string>, set));
}

/** Is this Helm Release the egress gateway (chart `gateway` with the gateway labels, or in a gateway namespace)? */
export function isGatewayRelease(obj: unknown, resourceName: string, namespace: string, cfg: GuardConfig): boolean {
    if (chartName(valueAt(obj, "chart")) !== "gateway") return false;
    const labels = gatewayReleaseLabels(obj, resourceName);
    // The component's release: its values give the pods `istio-egress.io/gateway: <namespace>.<release>`.
    const own =
        labels[GATEWAY_SELECTOR_LABEL] !== undefined &&
        labels[GATEWAY_SELECTOR_LABEL] === gatewaySelectorValue(namespace, gatewayReleaseName(obj, resourceName));
    return own || labelsMatch(cfg.gatewayLabels, labels) || cfg.gatewayNamespaces.includes(namespace);
}

export interface GatewayFacts {
    /** Configured plus (optionally) discovered gateway namespaces. */
    namespaces: Set<string>;
    /** FQDNs of the gateway Service(s). */
    serviceHosts: Set<string>;
    /** Full pod label sets of discovered gateway releases. */
    labelSets: Record<string, string>[];
}

/**
 * What the stack says about the egress gateway: the configured gateway namespaces plus (with
 * `discoverGatewayNamespaces`) the namespaces of gateway Releases; the gateway Service hosts. Pods never make a
 * namespace a gateway namespace: a pod's labels and containers are its author's to write.
 */
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
        }
    }
    for (const o of objects) {
        if (o.patch || o.namespace === undefined) continue;
        const sel = o.kind === "Service" && o.group === "" ? valueAt(o.props, "spec", "selector") : undefined;
        // A Service in a gateway namespace selecting the gateway's pods: by the configured labels, or (the chart's
        // Service selects on its own app/istio labels) a subset of a discovered gateway release's pod labels.
        // (labelsMatch compares by identity: a selector value of another type than string matches no label set.)
        const selectsGateway = (s: unknown) =>
            labelsMatch(cfg.gatewayLabels, s) ||
            (Object.keys(recordAt(s)).length > 0 && labelSets.some((set) => labelsMatch(recordAt(s) as Record<string, string>, set)));
        if (sel !== undefined && namespaces.has(o.namespace) && selectsGateway(sel)) {
            serviceHosts.add(`${o.name}.${o.namespace}.svc.cluster.local`);
        }
    }
    return { namespaces, serviceHosts, labelSets };
}

// ------------------------------------------------------------------------------------------------------------
// NetworkPolicy semantics
// ------------------------------------------------------------------------------------------------------------

/** The cloud metadata and link-local ranges (special-ranges.ts, use `metadata`): credentials live there. */
const METADATA_RANGES: IpRange[] = SPECIAL_PURPOSE_RANGES.filter((r) => r.use === "metadata").map((r) => cidrRange(parseCidr(r.cidr)));

/**
 * The addresses of `cidr` minus `except` that lie outside the cluster: outside `inClusterCidrs` and
 * `allowedEgressCidrs`, plus every cloud metadata address even where the in-cluster ranges cover it (the defaults'
 * 100.64.0.0/10 holds Alibaba Cloud's 100.100.100.200, fc00::/7 holds AWS's fd00:ec2::254): only an explicit
 * `allowedEgressCidrs` entry opens a metadata address. Throws on a malformed CIDR.
 */
export function outsideCluster(cidr: string, except: string[], cfg: Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs">): IpRange[] {
    const rest = outsideRanges(cidr, except, [...cfg.inClusterCidrs, ...cfg.allowedEgressCidrs]);
    const block = outsideRanges(cidr, except, []);
    const allowed = cfg.allowedEgressCidrs.map((a) => cidrRange(parseCidr(a, "allowedEgressCidrs")));
    const metadata = rangesMinus(rangesIntersect(block, METADATA_RANGES), allowed);
    return metadata.length === 0 ? rest : rangesUnion([...rest, ...metadata]);
}

export function hasEgressType(spec: unknown): boolean {
    const types = valueAt(spec, "policyTypes");
    if (Array.isArray(types)) return listAt(types).includes("Egress");
    return listAt(spec, "egress").length > 0;
}

/**
 * Does an egress rule's `ports` open DNS and nothing else: at least one entry, each port 53 (a number: a named port
 * cannot resolve on an address outside the cluster) over UDP or TCP (absent = TCP), no `endPort` range beyond it?
 */
export function dnsOnlyPorts(ports: unknown): boolean {
    const list = listAt(ports);
    if (!Array.isArray(ports) || list.length === 0) return false;
    return list.every((p) => {
        const o = recordAt(p);
        const protocol = o.protocol ?? "TCP";
        return o.port === DNS_PORT && (protocol === "UDP" || protocol === "TCP") && (o.endPort === undefined || o.endPort === DNS_PORT);
    });
}

/**
 * An ipBlock a node-local DNS cache may be: one address (no `except`) that `nodeLocalDnsAddressProblem` accepts —
 * link-local or private, never a cloud metadata address nor the clouds' link-local service blocks (the component's
 * `lockdown.nodeLocalDns` rule, sdk/model/node-local-dns.ts). Only with `dnsOnlyPorts`: such a rule lets a pod ask
 * the node's cache, whose answers then go through the mesh like any other name; it opens no path of its own.
 */
export function isDnsCacheIpBlock(ipBlock: unknown): boolean {
    const cidr = valueAt(ipBlock, "cidr");
    if (typeof cidr !== "string" || listAt(ipBlock, "except").length > 0) return false;
    return nodeLocalDnsAddressProblem(cidr).problem === undefined;
}

/** Egress rules of a NetworkPolicy that open destinations outside the cluster. */
export function networkPolicyHoles(spec: unknown, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (!hasEgressType(spec)) return out;
    listAt(spec, "egress").forEach((rule, i) => {
        const to = valueAt(rule, "to");
        if (!Array.isArray(to) || to.length === 0) {
            const ports = listAt(rule, "ports").length > 0 ? " on its ports" : "";
            out.push(
                `spec.egress[${i}] has no "to", so it allows every destination${ports}, including the internet: list in-cluster peers (podSelector/namespaceSelector) instead.`,
            );
            return;
        }
        const dnsOnly = dnsOnlyPorts(valueAt(rule, "ports"));
        listAt(to).forEach((peer, j) => {
            const ipBlock = valueAt(peer, "ipBlock");
            if (ipBlock) {
                // NodeLocal DNSCache: DNS only, to one address a node-local cache may have (not the metadata service).
                if (dnsOnly && isDnsCacheIpBlock(ipBlock)) return;
                const cidr = valueAt(ipBlock, "cidr");
                const except = listAt(ipBlock, "except").map(String);
                let outside;
                try {
                    outside = outsideCluster(String(cidr), except, cfg);
                } catch (err) {
                    out.push(`spec.egress[${i}].to[${j}].ipBlock: ${errorMessage(err)}: fix the CIDR.`);
                    return;
                }
                if (outside.length > 0) {
                    const ranges = outside.slice(0, 3).map(formatRange).join(", ") + (outside.length > 3 ? ", ..." : "");
                    out.push(
                        `spec.egress[${i}].to[${j}].ipBlock ${shown(cidr)}${except.length ? ` (except ${except.join(", ")})` : ""} opens addresses outside the cluster (${ranges}) directly, around the egress gateway: restrict it to in-cluster ranges, or list the CIDR in allowedEgressCidrs if it must be reached directly.`,
                    );
                }
            } else if (!valueAt(peer, "podSelector") && !valueAt(peer, "namespaceSelector")) {
                out.push(`spec.egress[${i}].to[${j}] is an empty peer, which allows every destination: give it a podSelector or namespaceSelector.`);
            }
        });
    });
    return out;
}

/** Is this NetworkPolicy a default-deny for egress: every pod, Egress type, and no rule opening the outside? */
export function isDefaultDenyEgress(spec: unknown, cfg: GuardConfig): boolean {
    const sel = valueAt(spec, "podSelector");
    const empty = sel === undefined || sel === null || (Object.keys(recordAt(sel, "matchLabels")).length === 0 && listAt(sel, "matchExpressions").length === 0);
    if (!empty) return false;
    if (!listAt(spec, "policyTypes").includes("Egress")) return false;
    return networkPolicyHoles(spec, cfg).length === 0;
}

/**
 * The facts the policies share, in one place: what a stack rule sees of each object, what the egress gateway is
 * (its pods, its release, the Gateways that select it, the namespaces it lives in), and what a NetworkPolicy opens
 * (CIDR semantics: what lies outside the in-cluster ranges).
 */
import { GuardConfig } from "./config";
import { isIstioContainer } from "./istio";
import {
    asArray,
    asObject,
    chartName,
    formatRange,
    gatewayReleaseLabels,
    gatewayReleaseServiceHost,
    isWorkloadKind,
    labelsMatch,
    outsideRanges,
    podTemplatesOf,
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
    props: any;
}

export interface StackFinding {
    urn: string;
    message: string;
}

export const ISTIO_NET = "networking.istio.io";
export const TRUE_VALUES = new Set(["y", "yes", "true", "on"]);
export const PROXY_UID = 1337;

export function isTrue(v: unknown): boolean {
    return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

/** Where a pod template's metadata sits, for messages: `metadata`, `spec.template.metadata`, `items[0].metadata`. */
export function templateMeta(path: string): string {
    const where = path.replace(/\.spec$/, "").replace(/^spec$/, "");
    return where ? `${where}.metadata` : "metadata";
}

// ------------------------------------------------------------------------------------------------------------
// The egress gateway
// ------------------------------------------------------------------------------------------------------------

/** Is a pod (template) one of the egress gateway's own pods: gateway labels and only Istio's proxy containers? */
export function isGatewayPod(metadata: any, spec: any, gatewayLabels: Record<string, string>): boolean {
    if (!labelsMatch(gatewayLabels, metadata?.labels)) return false;
    const containers = asArray(spec?.containers);
    return containers.length > 0 && containers.every((c) => c?.name === "istio-proxy" && isIstioContainer(c));
}

/** Does a NetworkPolicy's podSelector pick only the egress gateway's pods? */
export function selectsOnlyGateway(spec: any, gatewayLabels: Record<string, string>): boolean {
    return labelsMatch(gatewayLabels, spec?.podSelector?.matchLabels);
}

/** Does an Istio Gateway's selector pick the egress gateway's pods (given known gateway label sets)? */
export function selectsEgressGateway(selector: any, gatewayLabels: Record<string, string>, knownLabelSets: Record<string, string>[] = []): boolean {
    const sel = asObject(selector);
    if (Object.keys(sel).length === 0) return false;
    if (labelsMatch(gatewayLabels, sel)) return true;
    return [gatewayLabels, ...knownLabelSets].some((set) => labelsMatch(sel, set));
}

/** Is this Helm Release the egress gateway (chart `gateway` with the gateway labels, or in a gateway namespace)? */
export function isGatewayRelease(obj: any, resourceName: string, namespace: string, cfg: GuardConfig): boolean {
    if (chartName(obj?.chart) !== "gateway") return false;
    return labelsMatch(cfg.gatewayLabels, gatewayReleaseLabels(obj, resourceName)) || cfg.gatewayNamespaces.includes(namespace);
}

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
// NetworkPolicy semantics
// ------------------------------------------------------------------------------------------------------------

export function hasEgressType(spec: any): boolean {
    const types = spec?.policyTypes;
    if (Array.isArray(types)) return types.includes("Egress");
    return Array.isArray(spec?.egress) && spec.egress.length > 0;
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

/** Is this NetworkPolicy a default-deny for egress: every pod, Egress type, and no rule opening the outside? */
export function isDefaultDenyEgress(spec: any, cfg: GuardConfig): boolean {
    const sel = spec?.podSelector;
    const empty = sel === undefined || sel === null || (Object.keys(asObject(sel.matchLabels)).length === 0 && asArray(sel.matchExpressions).length === 0);
    if (!empty) return false;
    if (!asArray(spec?.policyTypes).includes("Egress")) return false;
    return networkPolicyHoles(spec, cfg).length === 0;
}


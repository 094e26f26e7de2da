/**
 * Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), evaluated over plain objects.
 *
 * - A policy selects pods with `spec.podSelector` in its own namespace (`{}` = every pod there).
 * - `spec.policyTypes` defaults to `["Ingress"]`, plus `"Egress"` when `spec.egress` is present.
 * - A pod selected by at least one policy of a type is isolated for that direction and allowed only what the
 *   union of those policies' rules allows; a pod no policy selects is not isolated (everything allowed).
 * - A rule with no `to`/`from` matches every peer; a rule with no `ports` matches every port; so `{}` allows all.
 * - Peers: `podSelector` alone = pods in the policy's namespace; `namespaceSelector` (+ optional `podSelector`) =
 *   pods in the selected namespaces; `ipBlock` = addresses inside `cidr` and outside every `except` (an IPv4-mapped
 *   IPv6 peer address is judged as the IPv4 address it is sent to).
 *   Pod peers are matched by ipBlock only when the pod's IP is given (whether an ipBlock applies to pod IPs is
 *   left to the network plugin by the Kubernetes API; with an IP given we take the common, stricter-to-reason-
 *   about reading that it does). External IP peers are matched only by ipBlocks (or rules without `to`/`from`).
 * - Ports: `protocol` defaults to TCP; `port` absent = all ports of that protocol; a numeric port with `endPort`
 *   is an inclusive range; a named port matches only when the destination pod's container port names are known
 *   (`PodRef.namedPorts`) and the name resolves to the port — an external IP has no named ports.
 *
 * A connection needs egress allowed at the source AND, for pod destinations, ingress allowed at the destination.
 */
import type { K8sObject } from "../model/index.js";
import { cidrContains, listField, parseCidr, parseIp, shown, valueAt, wireAddress } from "../model/index.js";
import { LabelSelector, selectorMatches } from "../model/index.js";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface PodRef {
    namespace: string;
    labels: Record<string, string>;
    /** Labels of the pod's namespace; default `{"kubernetes.io/metadata.name": namespace}`. */
    namespaceLabels?: Record<string, string>;
    ip?: string;
    /** Container port names of this pod → port numbers (for policies that use named ports). */
    namedPorts?: Record<string, number>;
}

export type Peer = { pod: PodRef } | { ip: string };

export interface NetpolDecision {
    allowed: boolean;
    reason: string;
    /** `ns/name` of the policies that decided (the ones whose rule allowed, or the isolating ones on a deny). */
    policies: string[];
}

type Direction = "Egress" | "Ingress";

function policyId(p: K8sObject): string {
    return `${p.metadata?.namespace ?? "default"}/${p.metadata?.name}`;
}

function namespaceLabelsOf(pod: PodRef): Record<string, string> {
    return pod.namespaceLabels ?? { "kubernetes.io/metadata.name": pod.namespace };
}

function isNetworkPolicy(o: K8sObject): boolean {
    return o?.kind === "NetworkPolicy" && String(o.apiVersion ?? "").startsWith("networking.k8s.io/");
}

/** The effective policyTypes of a NetworkPolicy, with the API's defaulting. */
export function policyTypesOf(p: K8sObject): Direction[] {
    const declared = valueAt(p.spec, "policyTypes");
    if (Array.isArray(declared) && declared.length > 0) {
        for (const t of declared) {
            if (t !== "Ingress" && t !== "Egress") {
                throw new Error(`NetworkPolicy ${policyId(p)}: spec.policyTypes contains "${t}" (allowed: Ingress, Egress)`);
            }
        }
        return declared as Direction[];
    }
    return valueAt(p.spec, "egress") !== undefined ? ["Ingress", "Egress"] : ["Ingress"];
}

/** The NetworkPolicies that select `pod` for `direction` (i.e. isolate it in that direction). */
export function isolatingPolicies(policies: K8sObject[], pod: PodRef, direction: Direction): K8sObject[] {
    return policies.filter(
        (p) =>
            isNetworkPolicy(p) &&
            (p.metadata?.namespace ?? "default") === pod.namespace &&
            policyTypesOf(p).includes(direction) &&
            selectorMatches((valueAt(p.spec, "podSelector") ?? {}) as LabelSelector, pod.labels, `NetworkPolicy ${policyId(p)} spec.podSelector`),
    );
}

function peerMatches(policy: K8sObject, peerSpec: unknown, peer: Peer, where: string): boolean {
    const podSelector = valueAt(peerSpec, "podSelector");
    const namespaceSelector = valueAt(peerSpec, "namespaceSelector");
    const hasPod = podSelector !== undefined && podSelector !== null;
    const hasNs = namespaceSelector !== undefined && namespaceSelector !== null;
    const ipBlock = valueAt(peerSpec, "ipBlock");
    if (ipBlock) {
        if (hasPod || hasNs) {
            throw new Error(`${where}: ipBlock cannot be combined with podSelector or namespaceSelector`);
        }
        const cidrText = valueAt(ipBlock, "cidr");
        if (typeof cidrText !== "string") {
            throw new Error(`${where}.ipBlock.cidr: required`);
        }
        const cidr = parseCidr(cidrText, `${where}.ipBlock.cidr`);
        const excepts = listField(valueAt(ipBlock, "except"), `${where}.ipBlock.except`).map((e, i) => parseCidr(shown(e), `${where}.ipBlock.except[${i}]`));
        const ipText = "ip" in peer ? peer.ip : peer.pod.ip;
        if (ipText === undefined) {
            return false;
        }
        const parsed = parseIp(ipText);
        if (!parsed) {
            throw new Error(`peer IP "${ipText}" is not an IPv4 or IPv6 address`);
        }
        // ::ffff:a.b.c.d is sent as IPv4 a.b.c.d, and judged as such (sdk/model/k8s-cidr.ts wireAddress).
        const ip = wireAddress(parsed);
        return cidrContains(cidr, ip) && !excepts.some((e) => cidrContains(e, ip));
    }
    if (!hasPod && !hasNs) {
        throw new Error(`${where}: a peer needs podSelector, namespaceSelector or ipBlock`);
    }
    if (!("pod" in peer)) {
        return false; // selectors only ever select pods
    }
    const pod = peer.pod;
    if (hasNs) {
        if (!selectorMatches(namespaceSelector, namespaceLabelsOf(pod), `${where}.namespaceSelector`)) {
            return false;
        }
    } else if (pod.namespace !== (policy.metadata?.namespace ?? "default")) {
        return false; // podSelector alone: the policy's own namespace
    }
    return hasPod ? selectorMatches(podSelector, pod.labels, `${where}.podSelector`) : true;
}

function portMatches(portSpec: unknown, port: number, protocol: Protocol, destination: Peer, where: string): boolean {
    const proto = valueAt(portSpec, "protocol") ?? "TCP";
    if (typeof proto !== "string" || !["TCP", "UDP", "SCTP"].includes(proto)) {
        throw new Error(`${where}.protocol: "${shown(proto)}" is not TCP, UDP or SCTP`);
    }
    if (proto !== protocol) {
        return false;
    }
    const p = valueAt(portSpec, "port");
    const endPort = valueAt(portSpec, "endPort");
    if (p === undefined || p === null) {
        if (endPort !== undefined) {
            throw new Error(`${where}.endPort: requires a numeric port`);
        }
        return true;
    }
    if (typeof p === "number" || /^\d+$/.test(shown(p))) {
        const start = Number(p);
        if (endPort !== undefined) {
            const end = Number(endPort);
            if (!Number.isInteger(end) || end < start) {
                throw new Error(`${where}.endPort: ${shown(endPort)} must be a port number >= port ${start}`);
            }
            return port >= start && port <= end;
        }
        return port === start;
    }
    // Named port: resolved against the destination pod's container ports.
    if (endPort !== undefined) {
        throw new Error(`${where}.endPort: cannot be used with the named port "${shown(p)}"`);
    }
    if (typeof p === "string" && "pod" in destination && destination.pod.namedPorts && p in destination.pod.namedPorts) {
        return destination.pod.namedPorts[p] === port;
    }
    return false;
}

function ruleAllows(
    policy: K8sObject,
    rule: unknown,
    direction: Direction,
    peer: Peer,
    destination: Peer,
    port: number,
    protocol: Protocol,
    where: string,
): boolean {
    const peerKey = direction === "Egress" ? "to" : "from";
    // A list field of another type is refused (fail closed), naming the field.
    const peers = listField(valueAt(rule, peerKey), `${where}.${peerKey}`);
    const ports = listField(valueAt(rule, "ports"), `${where}.ports`);
    const peerOk = peers.length === 0 || peers.some((ps, i) => peerMatches(policy, ps ?? {}, peer, `${where}.${peerKey}[${i}]`));
    if (!peerOk) {
        return false;
    }
    return ports.length === 0 || ports.some((ps, i) => portMatches(ps ?? {}, port, protocol, destination, `${where}.ports[${i}]`));
}

function decide(policies: K8sObject[], pod: PodRef, direction: Direction, peer: Peer, destination: Peer, port: number, protocol: Protocol): NetpolDecision {
    const isolating = isolatingPolicies(policies, pod, direction);
    const what = direction === "Egress" ? "egress" : "ingress";
    if (isolating.length === 0) {
        return { allowed: true, reason: `no NetworkPolicy isolates the pod for ${what}`, policies: [] };
    }
    const allowing: string[] = [];
    for (const p of isolating) {
        const field = direction === "Egress" ? "egress" : "ingress";
        const rules = listField(valueAt(p.spec, field), `NetworkPolicy ${policyId(p)} spec.${field}`);
        if (rules.some((r, i) => ruleAllows(p, r ?? {}, direction, peer, destination, port, protocol, `NetworkPolicy ${policyId(p)} spec.${field}[${i}]`))) {
            allowing.push(policyId(p));
        }
    }
    if (allowing.length > 0) {
        return { allowed: true, reason: `${what} allowed by ${allowing.join(", ")}`, policies: allowing };
    }
    const ids = isolating.map(policyId);
    return { allowed: false, reason: `${what} isolated by ${ids.join(", ")} and no rule allows ${protocol}/${port}`, policies: ids };
}

/** Whether `from` may send to `to` on `port`, as far as the NetworkPolicies on the source pod say. */
export function egressAllowed(policies: K8sObject[], from: PodRef, to: Peer, port: number, protocol: Protocol = "TCP"): NetpolDecision {
    return decide(policies, from, "Egress", to, to, port, protocol);
}

/** Whether `to` may receive from `from` on `port`, as far as the NetworkPolicies on the destination pod say. */
export function ingressAllowed(policies: K8sObject[], to: PodRef, from: Peer, port: number, protocol: Protocol = "TCP"): NetpolDecision {
    return decide(policies, to, "Ingress", from, { pod: to }, port, protocol);
}

/** Egress at the source AND (for pod destinations) ingress at the destination. */
export function connectionAllowed(policies: K8sObject[], from: PodRef, to: Peer, port: number, protocol: Protocol = "TCP"): NetpolDecision {
    const egress = egressAllowed(policies, from, to, port, protocol);
    if (!egress.allowed || !("pod" in to)) {
        return egress;
    }
    const ingress = ingressAllowed(policies, to.pod, { pod: from }, port, protocol);
    if (!ingress.allowed) {
        return ingress;
    }
    return {
        allowed: true,
        reason: `${egress.reason}; ${ingress.reason}`,
        policies: [...egress.policies, ...ingress.policies],
    };
}

/**
 * What a pod can reach on its own — NetworkPolicy only, no Istio routing: the attacker's first try, since any
 * pod author can skip the sidecar (`traffic.sidecar.istio.io/excludeOutboundPorts` / `…IPRanges` annotations,
 * running as UID 1337, `sidecar.istio.io/inject: "false"`), and UDP other than DNS is never captured by the
 * sidecar at all (`tools/istio-iptables/pkg/capture/run.go` redirects TCP, and UDP only for port 53), so HTTP/3
 * (QUIC, UDP) leaves the pod without Istio whatever the mesh says.
 *
 * Computed symbolically over the egress rules (every address and port a rule admits), not by sampling one
 * address, then asked about the destinations an attacker would try: any public address on any port, the cloud
 * metadata service, NodeLocal DNSCache, the API server, public DNS resolvers.
 */
import {
    cidrRange,
    formatRange,
    type IpRange,
    parseCidr,
    parseIp,
    rangesContain,
    rangesIntersect,
    rangesMinus,
    rangesUnion,
    rangeStart,
    SPECIAL_PURPOSE_RANGES,
    specialPurposeCidrs,
    type K8sObject,
    listField,
    shown,
    valueAt,
} from "../model/index.js";
import { isolatingPolicies, type NetpolDecision, type PodRef, type Protocol } from "./netpol.js";
import type { AccessSource, DirectProbe } from "./types.js";

interface PortRange {
    protocol: Protocol;
    start: number;
    end: number;
}

/** One egress rule's contribution to IP destinations: the addresses and the ports it opens. */
export interface ReachEntry {
    ranges: IpRange[];
    /** `undefined`: every port of every protocol. */
    ports?: PortRange[];
    policy: string;
}

const ALL: IpRange[] = [cidrRange(parseCidr("0.0.0.0/0")), cidrRange(parseCidr("::/0"))];

function policyId(p: K8sObject): string {
    return `${p.metadata?.namespace ?? "default"}/${p.metadata?.name}`;
}

/**
 * The IP destinations a pod's egress rules admit (selector peers only ever match pods, never external
 * addresses: `networking.k8s.io/v1` NetworkPolicyPeer). A pod no policy isolates for egress reaches everything.
 */
export function egressReach(netpols: K8sObject[], pod: PodRef): { isolated: boolean; entries: ReachEntry[] } {
    const isolating = isolatingPolicies(netpols, pod, "Egress");
    if (isolating.length === 0) {
        return { isolated: false, entries: [{ ranges: ALL, policy: "" }] };
    }
    const entries: ReachEntry[] = [];
    for (const p of isolating) {
        // A list field of another type is refused (fail closed), naming the field.
        for (const [i, rule] of listField(valueAt(p.spec, "egress"), `NetworkPolicy ${policyId(p)} spec.egress`).entries()) {
            const where = `NetworkPolicy ${policyId(p)} spec.egress[${i}]`;
            const peers = listField(valueAt(rule, "to"), `${where}.to`);
            let ranges: IpRange[] = [];
            if (peers.length === 0) {
                ranges = ALL;
            } else {
                for (const peer of peers) {
                    const cidr = valueAt(peer, "ipBlock", "cidr");
                    if (cidr) {
                        const base = [cidrRange(parseCidr(shown(cidr), `${where}.ipBlock.cidr`))];
                        const except = listField(valueAt(peer, "ipBlock", "except"), `${where}.ipBlock.except`).map((e) =>
                            cidrRange(parseCidr(shown(e), `${where}.ipBlock.except`)),
                        );
                        ranges.push(...rangesMinus(base, except));
                    }
                }
            }
            if (ranges.length === 0) {
                continue;
            }
            const ports = listField(valueAt(rule, "ports"), `${where}.ports`);
            let portList: PortRange[] | undefined;
            if (ports.length > 0) {
                portList = [];
                for (const ps of ports) {
                    const protocol = (valueAt(ps, "protocol") ?? "TCP") as Protocol;
                    const port = valueAt(ps, "port");
                    const endPort = valueAt(ps, "endPort");
                    if (port === undefined || port === null) {
                        portList.push({ protocol, start: 1, end: 65535 });
                    } else if (typeof port === "number" || /^\d+$/.test(shown(port))) {
                        const start = Number(port);
                        portList.push({ protocol, start, end: endPort !== undefined ? Number(endPort) : start });
                    }
                    // A named port never matches an external address.
                }
                if (portList.length === 0) {
                    continue;
                }
            }
            entries.push({ ranges, ports: portList, policy: policyId(p) });
        }
    }
    return { isolated: true, entries };
}

function portOpen(e: ReachEntry, protocol: Protocol, port: number | undefined): boolean {
    if (!e.ports) {
        return true;
    }
    return e.ports.some((p) => p.protocol === protocol && (port === undefined || (p.start <= port && port <= p.end)));
}

/** The addresses within `target` reachable on `protocol`/`port` (`undefined` port: any), with the policies. */
export function reachableIn(reach: { entries: ReachEntry[] }, target: IpRange[], protocol: Protocol, port?: number): { ranges: IpRange[]; policies: string[] } {
    const ranges: IpRange[] = [];
    const policies = new Set<string>();
    for (const e of reach.entries) {
        if (!portOpen(e, protocol, port)) continue;
        const hit = rangesIntersect(e.ranges, target);
        if (hit.length > 0) {
            ranges.push(...hit);
            if (e.policy) policies.add(e.policy);
        }
    }
    return { ranges, policies: [...policies] };
}

/** The ports open to any address of `target` on `protocol`, as text (`any`, `443`, `80, 8000-8080`). */
export function openPorts(reach: { entries: ReachEntry[] }, target: IpRange[], protocol: Protocol): string | undefined {
    const out: PortRange[] = [];
    for (const e of reach.entries) {
        if (rangesIntersect(e.ranges, target).length === 0) continue;
        if (!e.ports) return "any";
        for (const p of e.ports) {
            if (p.protocol === protocol) out.push(p);
        }
    }
    if (out.length === 0) return undefined;
    if (out.some((p) => p.start <= 1 && p.end >= 65535)) return "any";
    const uniq = [...new Set(out.map((p) => (p.start === p.end ? `${p.start}` : `${p.start}-${p.end}`)))];
    return uniq.sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).join(", ");
}

/**
 * The public internet: every address minus the special-purpose ranges (private, CGNAT, link-local and metadata,
 * loopback, documentation, multicast, translation prefixes: `sdk/model/special-ranges.ts`, the table the
 * lock-down's internet rule excludes too) and the cluster's own ranges.
 */
export function publicRanges(clusterCidrs: string[] = []): IpRange[] {
    const remove = [...specialPurposeCidrs(4), ...specialPurposeCidrs(6), ...clusterCidrs].map((c) => cidrRange(parseCidr(c, "cluster CIDR")));
    return rangesMinus(ALL, remove);
}

/**
 * Whether a pod's egress NetworkPolicies let it reach the internet at large on `protocol`/`port`: the reachable
 * public addresses cover at least half of the public IPv4 (or IPv6) space — a rule opening `0.0.0.0/0` (minus
 * exceptions) does, one opening a few provider ranges does not (those show in the probes and in a row's notes).
 * Symbolic, so no sample address can fall into an `except` by accident.
 */
export function internetReach(
    netpols: K8sObject[],
    pod: PodRef,
    port: number,
    protocol: Protocol,
    clusterCidrs: string[] = [],
): NetpolDecision & { partial?: string } {
    const reach = egressReach(netpols, pod);
    const pub = publicRanges(clusterCidrs);
    const hit = reachableIn(reach, pub, protocol, port);
    const what = `${protocol}/${port} to the internet`;
    if (!reach.isolated) {
        return { allowed: true, reason: "no NetworkPolicy isolates the pod for egress", policies: [] };
    }
    const wide = ([4, 6] as const).some((f) => {
        const total = size(pub.filter((r) => r.family === f));
        return total > 0n && size(hit.ranges.filter((r) => r.family === f)) * 2n >= total;
    });
    if (wide) {
        return { allowed: true, reason: `egress allowed by ${hit.policies.join(", ")}`, policies: hit.policies };
    }
    const isolating = isolatingPolicies(netpols, pod, "Egress").map(policyId);
    return {
        allowed: false,
        reason: `egress isolated by ${isolating.join(", ")} and no rule allows ${what}`,
        policies: isolating,
        ...(hit.ranges.length > 0 ? { partial: `${describe(hit.ranges).text} (${hit.policies.join(", ")})` } : {}),
    };
}

function size(ranges: IpRange[]): bigint {
    return rangesUnion(ranges).reduce((acc, r) => acc + (r.end - r.start + 1n), 0n);
}

/** A short text for reachable ranges, and one address in them (the preferred one when it is inside). */
function describe(ranges: IpRange[], witnessPreferred?: string, whole?: { ranges: IpRange[]; name: string }): { text: string; witness: string } {
    const u = rangesUnion(ranges);
    const preferred = witnessPreferred ? parseIp(witnessPreferred) : undefined;
    const first = u[0];
    const witness =
        preferred && rangesContain(u, preferred)
            ? witnessPreferred!
            : first.end - first.start > 2n
              ? rangeStart({ ...first, start: first.start + 1n })
              : rangeStart(first);
    if (whole && size(u) === size(whole.ranges)) {
        return { text: whole.name, witness };
    }
    const parts = u.slice(0, 3).map(formatRange);
    return { text: parts.join(", ") + (u.length > 3 ? ` (+${u.length - 3} more ranges)` : ""), witness };
}

function ruleText(policies: string[], isolated: boolean): string {
    if (!isolated) return "no NetworkPolicy isolates the pod for egress";
    return policies.length > 0 ? `NetworkPolicy ${policies.join(", ")}` : "egress isolated, no rule opens it";
}

function hostRange(ip: string): IpRange[] {
    return [cidrRange(parseCidr(ip))];
}

/** The probes for one source. */
export function probeSource(
    netpols: K8sObject[],
    source: AccessSource,
    pod: PodRef,
    options: { publicIp: string; clusterCidrs: string[]; apiServer: string[] },
): DirectProbe[] {
    const reach = egressReach(netpols, pod);
    const label = `${source.namespace}/${source.serviceAccount}${source.workload ? ` (${source.workload})` : ""}`;
    const out: DirectProbe[] = [];
    const pub = publicRanges(options.clusterCidrs);
    const add = (
        target: string,
        address: string,
        protocol: Protocol,
        portsAsked: string,
        r: { ranges: IpRange[]; policies: string[] },
        extra: { reachable?: string; note?: string } = {},
    ) => {
        const allowed = r.ranges.length > 0;
        out.push({
            source: label,
            namespace: source.namespace,
            target,
            address: allowed ? `${address} (e.g. ${describe(r.ranges, options.publicIp).witness})` : address,
            protocol: protocol as "TCP" | "UDP",
            ports: portsAsked,
            allowed,
            ...(allowed && extra.reachable ? { reachable: extra.reachable } : {}),
            rule: ruleText(r.policies, reach.isolated),
            ...(extra.note ? { note: extra.note } : {}),
        });
    };
    for (const protocol of ["TCP", "UDP"] as Protocol[]) {
        const r = reachableIn(reach, pub, protocol);
        const ports = openPorts({ entries: reach.entries.filter((e) => rangesIntersect(e.ranges, pub).length > 0) }, pub, protocol);
        add("public internet", "any public address", protocol, "any", r, {
            reachable:
                r.ranges.length > 0
                    ? `${describe(r.ranges, undefined, { ranges: pub, name: "every public address" }).text} on ${protocol} ${ports ?? "?"}`
                    : undefined,
            note:
                protocol === "UDP"
                    ? "UDP is never captured by the sidecar (only DNS on 53 is): QUIC/HTTP3 and DNS tunnels leave the pod directly"
                    : "reachable by any pod that skips its sidecar",
        });
    }
    add("public DNS resolvers", "8.8.8.8, 1.1.1.1", "UDP", "53", reachableIn(reach, [...hostRange("8.8.8.8"), ...hostRange("1.1.1.1")], "UDP", 53), {
        note: "DNS to an outside resolver can carry data out (tunnelling)",
    });
    // The clouds' metadata addresses from the special-purpose table (use "metadata", single hosts), plus the
    // well-known 169.254.169.254 inside link-local.
    const metadata = [
        "169.254.169.254",
        ...SPECIAL_PURPOSE_RANGES.filter((r) => r.use === "metadata" && /\/(32|128)$/.test(r.cidr)).map((r) => r.cidr.replace(/\/(32|128)$/, "")),
    ];
    add("cloud metadata", metadata.join(", "), "TCP", "80", reachableIn(reach, metadata.flatMap(hostRange), "TCP", 80), {
        note: "node credentials and instance identity (sdk/model/special-ranges.ts)",
    });
    for (const protocol of ["UDP", "TCP"] as Protocol[]) {
        add("NodeLocal DNSCache", "169.254.20.10", protocol, "53", reachableIn(reach, hostRange("169.254.20.10"), protocol, 53), {
            note: "the node-local DNS cache (DNS lookups only; not an egress path by itself)",
        });
    }
    if (options.apiServer.length > 0) {
        for (const a of options.apiServer) {
            const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(a);
            if (!m || !parseIp(m[1])) continue;
            add("Kubernetes API server", m[1], "TCP", m[2], reachableIn(reach, hostRange(m[1]), "TCP", Number(m[2])));
        }
    } else {
        const priv = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => cidrRange(parseCidr(c)));
        for (const port of [443, 6443]) {
            add(
                "Kubernetes API server",
                "a private address (pass apiServer for the real endpoints)",
                "TCP",
                String(port),
                reachableIn(reach, priv, "TCP", port),
                {
                    note: "NetworkPolicy sees the API server's endpoint addresses (after the Service's DNAT), usually private ones",
                },
            );
        }
    }
    return out;
}

/**
 * Which addresses can be a node-local DNS cache (NodeLocal DNSCache), the one definition shared by the plan (which
 * refuses a `lockdown.nodeLocalDns` address that cannot be one) and the policy pack (which accepts a NetworkPolicy
 * opening DNS, and only DNS, to such an address). Pure.
 *
 * A cache listens on the node (kubernetes.io docs, "Using NodeLocal DNSCache in Kubernetes Clusters": a link-local
 * address, 169.254.20.10 by default, or the kube-dns ClusterIP in iptables mode): a single link-local or private
 * address, never a cloud metadata address (special-ranges.ts, use `metadata`) nor one of the link-local blocks where
 * the clouds serve metadata, credentials and their resolver.
 */
import { Cidr, cidrCovers, formatCidr, parseCidr, tryParseCidr } from "./net";
import { isPrivateCidr, specialRangesOverlapping } from "./special-ranges";

/** The DNS port (UDP and TCP). */
export const DNS_PORT = 53;

/** NodeLocal DNSCache's usual link-local address (kubernetes.io docs, "Using NodeLocal DNSCache"). */
export const NODE_LOCAL_DNS_DEFAULT = "169.254.20.10";

/**
 * Link-local blocks where the clouds put host services (never a DNS cache): 169.254.169.0/24 (instance metadata
 * .254, the AWS VPC resolver .253, NTP .123, GCP's metadata), 169.254.170.0/24 (ECS task metadata 169.254.170.2,
 * EKS Pod Identity 169.254.170.23: credentials), fd00:ec2::/32 (AWS IMDS and resolver over IPv6).
 */
export const CLOUD_LINK_LOCAL_SERVICES = ["169.254.169.0/24", "169.254.170.0/24", "fd00:ec2::/32"] as const;

const overlaps = (a: Cidr, b: Cidr) => cidrCovers(a, b) || cidrCovers(b, a);

/** Why an address cannot be a NodeLocal DNSCache address, or undefined (then `canonical` is its /32 or /128). */
export function nodeLocalDnsAddressProblem(address: string): { problem?: string; canonical?: string } {
    const text = address.includes("/") ? address : `${address}/${address.includes(":") ? 128 : 32}`;
    const c = tryParseCidr(text);
    if (!c) return { problem: `must be an IP address such as ${NODE_LOCAL_DNS_DEFAULT}; got ${JSON.stringify(address)}` };
    if (c.prefix !== (c.family === 4 ? 32 : 128))
        return { problem: `must be one address (the cache's listen address), not a range; got ${JSON.stringify(address)}` };
    const canonical = formatCidr(c);
    const cloud = CLOUD_LINK_LOCAL_SERVICES.find((r) => overlaps(parseCidr(r), c));
    if (cloud)
        return { problem: `is inside ${cloud}, where the clouds serve instance metadata, credentials and their resolver — never a node-local DNS cache` };
    const hits = specialRangesOverlapping(c);
    const linkLocal = hits.some((r) => r.use === "metadata" && (r.cidr === "169.254.0.0/16" || r.cidr === "fe80::/10"));
    const metadata = hits.filter((r) => r.use === "metadata" && r.cidr !== "169.254.0.0/16" && r.cidr !== "fe80::/10");
    if (metadata.length > 0) return { problem: `is ${metadata.map((r) => `${r.cidr} (${r.name})`).join(", ")}: metadata addresses are never opened` };
    if (!linkLocal && !isPrivateCidr(c)) {
        return {
            problem: `must be a link-local (169.254.0.0/16, fe80::/10) or private address: a node-local cache listens on the node; got ${JSON.stringify(address)}`,
        };
    }
    return { canonical };
}

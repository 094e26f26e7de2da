/**
 * Address ranges that are never "the internet", with where each comes from — the one table that the plan (which
 * CIDRs an extra egress rule may open) and the lock-down (what the gateway's internet rule excludes) share.
 *
 * Sources:
 * - IANA IPv4 Special-Purpose Address Registry (RFC 6890 and the RFCs listed per entry), and the IPv4 address
 *   space registry for multicast (224.0.0.0/4, RFC 5771) and the reserved 240.0.0.0/4 (RFC 1112 §4, incl.
 *   255.255.255.255 limited broadcast, RFC 919);
 * - IANA IPv6 Special-Purpose Address Registry (RFC 6890 and the RFCs listed per entry), multicast ff00::/8
 *   (RFC 4291 §2.7) and the deprecated site-local fec0::/10 (RFC 3879);
 * - the clouds' instance metadata and host services: 169.254.169.254 (AWS, GCP, Azure, OpenStack, Oracle,
 *   DigitalOcean: inside link-local 169.254.0.0/16), fd00:ec2::254 (AWS IMDS over IPv6, "Configure the instance
 *   metadata options", AWS EC2 user guide), 168.63.129.16 (Azure WireServer / platform DNS, "What is IP address
 *   168.63.129.16?", Azure docs), 100.100.100.200 (Alibaba Cloud ECS metadata, "Instance metadata", Alibaba
 *   Cloud docs).
 *
 * `use` says what an extra egress CIDR (`lockdown.extraEgressCidrs`) may do with the range:
 * - `private`: a range an extra CIDR may name (the API server, a database in the VPC), at most /8 or /16 wide;
 * - `metadata`: cloud metadata and link-local — never opened, whatever the width (credentials live there);
 * - `refused`: ranges no pod has a reason to reach directly (loopback, multicast, documentation, benchmarking)
 *   and the translation prefixes (NAT64, 6to4, Teredo, IPv4-mapped), which reach IPv4 space — private space
 *   included — from IPv6 and so would bypass every IPv4 rule.
 * The gateway's internet rule excludes every entry.
 */
import { Cidr, cidrCovers, parseCidr } from "./net";

export type SpecialRangeUse = "private" | "metadata" | "refused";

export interface SpecialRange {
    cidr: string;
    name: string;
    /** Where the range is defined. */
    source: string;
    use: SpecialRangeUse;
}

export const SPECIAL_PURPOSE_IPV4: readonly SpecialRange[] = [
    { cidr: "0.0.0.0/8", name: "this network", source: "RFC 791, RFC 6890", use: "refused" },
    { cidr: "10.0.0.0/8", name: "private-use", source: "RFC 1918", use: "private" },
    { cidr: "100.64.0.0/10", name: "shared address space (carrier-grade NAT)", source: "RFC 6598", use: "private" },
    { cidr: "100.100.100.200/32", name: "Alibaba Cloud ECS metadata", source: "Alibaba Cloud ECS docs", use: "metadata" },
    { cidr: "127.0.0.0/8", name: "loopback", source: "RFC 1122", use: "refused" },
    { cidr: "168.63.129.16/32", name: "Azure WireServer / platform DNS", source: "Azure docs (168.63.129.16)", use: "metadata" },
    { cidr: "169.254.0.0/16", name: "link-local (cloud metadata 169.254.169.254)", source: "RFC 3927", use: "metadata" },
    { cidr: "172.16.0.0/12", name: "private-use", source: "RFC 1918", use: "private" },
    { cidr: "192.0.0.0/24", name: "IETF protocol assignments (incl. DS-Lite, NAT64 discovery)", source: "RFC 6890", use: "refused" },
    { cidr: "192.0.2.0/24", name: "documentation (TEST-NET-1)", source: "RFC 5737", use: "refused" },
    { cidr: "192.31.196.0/24", name: "AS112-v4", source: "RFC 7535", use: "refused" },
    { cidr: "192.52.193.0/24", name: "AMT", source: "RFC 7450", use: "refused" },
    { cidr: "192.88.99.0/24", name: "deprecated 6to4 relay anycast", source: "RFC 7526", use: "refused" },
    { cidr: "192.168.0.0/16", name: "private-use", source: "RFC 1918", use: "private" },
    { cidr: "192.175.48.0/24", name: "direct delegation AS112 service", source: "RFC 7534", use: "refused" },
    { cidr: "198.18.0.0/15", name: "benchmarking", source: "RFC 2544", use: "refused" },
    { cidr: "198.51.100.0/24", name: "documentation (TEST-NET-2)", source: "RFC 5737", use: "refused" },
    { cidr: "203.0.113.0/24", name: "documentation (TEST-NET-3)", source: "RFC 5737", use: "refused" },
    { cidr: "224.0.0.0/4", name: "multicast", source: "RFC 5771", use: "refused" },
    { cidr: "240.0.0.0/4", name: "reserved (incl. limited broadcast)", source: "RFC 1112, RFC 919", use: "refused" },
];

export const SPECIAL_PURPOSE_IPV6: readonly SpecialRange[] = [
    { cidr: "::/128", name: "unspecified", source: "RFC 4291", use: "refused" },
    { cidr: "::1/128", name: "loopback", source: "RFC 4291", use: "refused" },
    { cidr: "::/96", name: "deprecated IPv4-compatible", source: "RFC 4291 §2.5.5.1", use: "refused" },
    { cidr: "::ffff:0:0/96", name: "IPv4-mapped", source: "RFC 4291", use: "refused" },
    { cidr: "64:ff9b::/96", name: "IPv4-IPv6 translation (NAT64)", source: "RFC 6052", use: "refused" },
    { cidr: "64:ff9b:1::/48", name: "local-use IPv4-IPv6 translation", source: "RFC 8215", use: "refused" },
    { cidr: "100::/64", name: "discard-only", source: "RFC 6666", use: "refused" },
    { cidr: "100:0:0:1::/64", name: "dummy IPv6 prefix", source: "RFC 9780", use: "refused" },
    { cidr: "2001::/23", name: "IETF protocol assignments (incl. Teredo 2001::/32)", source: "RFC 2928, RFC 4380", use: "refused" },
    { cidr: "2001:db8::/32", name: "documentation", source: "RFC 3849", use: "refused" },
    { cidr: "2002::/16", name: "6to4 (maps all of IPv4, private space included)", source: "RFC 3056", use: "refused" },
    { cidr: "2620:4f:8000::/48", name: "direct delegation AS112 service", source: "RFC 7534", use: "refused" },
    { cidr: "3fff::/20", name: "documentation", source: "RFC 9637", use: "refused" },
    { cidr: "5f00::/16", name: "segment routing (SRv6) SIDs", source: "RFC 9602", use: "refused" },
    { cidr: "fc00::/7", name: "unique-local", source: "RFC 4193", use: "private" },
    { cidr: "fd00:ec2::254/128", name: "AWS instance metadata (IPv6)", source: "AWS EC2 user guide (IMDS)", use: "metadata" },
    { cidr: "fe80::/10", name: "link-local", source: "RFC 4291", use: "metadata" },
    { cidr: "fec0::/10", name: "deprecated site-local", source: "RFC 3879", use: "refused" },
    { cidr: "ff00::/8", name: "multicast", source: "RFC 4291", use: "refused" },
];

export const SPECIAL_PURPOSE_RANGES: readonly SpecialRange[] = [...SPECIAL_PURPOSE_IPV4, ...SPECIAL_PURPOSE_IPV6];

const PARSED: readonly { range: SpecialRange; cidr: Cidr }[] = SPECIAL_PURPOSE_RANGES.map((range) => ({ range, cidr: parseCidr(range.cidr) }));

/** The special-purpose ranges that share at least one address with `cidr` (either covers the other). */
export function specialRangesOverlapping(cidr: Cidr | string): SpecialRange[] {
    const c = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    return PARSED.filter((p) => cidrCovers(p.cidr, c) || cidrCovers(c, p.cidr)).map((p) => p.range);
}

/** Whether every address of `cidr` lies in one `private` range (and it touches no metadata or refused range). */
export function isPrivateCidr(cidr: Cidr | string): boolean {
    const c = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    const hits = specialRangesOverlapping(c);
    return hits.length > 0 && hits.every((r) => r.use === "private") && PARSED.some((p) => p.range.use === "private" && cidrCovers(p.cidr, c));
}

/** Every special-purpose range of one family, as CIDR text (what the gateway's internet rule excludes). */
export function specialPurposeCidrs(family: 4 | 6): string[] {
    return (family === 4 ? SPECIAL_PURPOSE_IPV4 : SPECIAL_PURPOSE_IPV6).map((r) => r.cidr);
}

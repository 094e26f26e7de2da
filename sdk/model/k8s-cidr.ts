/**
 * What the Kubernetes API server accepts as a NetworkPolicy CIDR, beyond being a CIDR.
 *
 * IPv4-mapped IPv6 prefixes (inside `::ffff:0:0/96`, RFC 4291 §2.5.5.2) are refused, in `ipBlock.cidr` and in
 * `ipBlock.except`, on every Kubernetes version:
 * - `k8s.io/kubernetes` pkg/apis/networking/validation/validation.go `ValidateIPBlock` parses both with
 *   `netutils.ParseCIDRSloppy` (Go's `net.ParseCIDR`), which turns `::ffff:0:0/96` into a 4-byte IPv4 network,
 *   and `net.IPNet.Contains` never matches a 4-byte address against a 16-byte network: "must be a strict subset
 *   of `cidr`" under `::/0`;
 * - with strict IP validation (Kubernetes 1.33+, `k8s.io/apimachinery` pkg/util/validation/ip.go `parseCIDR`):
 *   "must not have an IPv4-mapped IPv6 address".
 * Found by the e2e suite: `pulumi up` against kube-apiserver 1.36 refused the gateway's internet NetworkPolicy,
 * whose `::/0` block excepted `::ffff:0:0/96`. Our own CIDR arithmetic (`net.ts`) keeps families apart by the
 * text's family, so it called the prefix a strict subset of `::/0`.
 */
import { Cidr, cidrCovers, parseCidr, ParsedIp } from "./net";

/** The IPv4-mapped IPv6 prefix (RFC 4291 §2.5.5.2). */
export const IPV4_MAPPED_PREFIX = "::ffff:0:0/96";

const MAPPED = parseCidr(IPV4_MAPPED_PREFIX);

/** Whether `cidr` is an IPv4-mapped IPv6 prefix (inside `::ffff:0:0/96`), which NetworkPolicy ipBlocks refuse. */
export function isIPv4MappedCidr(cidr: Cidr | string): boolean {
    const c = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    return cidrCovers(MAPPED, c);
}

const MAPPED_NETWORK = MAPPED.network;

/**
 * The address a packet to `ip` is really sent to: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4
 * address `a.b.c.d`. The kernel sends IPv4 for it (Linux net/ipv6/tcp_ipv6.c `tcp_v6_connect`, net/ipv6/udp.c
 * `udpv6_sendmsg` hand mapped destinations to the IPv4 stack), and Go's `net.IPNet.Contains`, which the network
 * plugins that enforce NetworkPolicy use, matches it as IPv4 (`0.0.0.0/0` contains it, `::/0` does not). Every other
 * address is returned as it is.
 */
export function wireAddress(ip: ParsedIp): ParsedIp {
    if (ip.family === 6 && ip.value >> 32n === MAPPED_NETWORK >> 32n) {
        return { family: 4, value: ip.value & 0xffffffffn };
    }
    return ip;
}

/** CIDR helpers on top of Node's `net` module. */
import { isIP } from "net";

/** `10.0.0.0/8` or `fd00::/8`: an address and a prefix length within the family's range. */
export function isCidr(value: unknown): value is string {
    if (typeof value !== "string") return false;
    const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!m) return false;
    const family = isIP(m[1]);
    const len = Number(m[2]);
    return (family === 4 && len <= 32) || (family === 6 && len <= 128);
}

export function isIPv4Cidr(cidr: string): boolean {
    return isIP(cidr.split("/")[0]) === 4;
}

export function cidrPrefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

/** Ranges that are never "the internet": private (RFC 1918), carrier-grade NAT, link-local (cloud metadata), loopback. */
export const NON_INTERNET_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];
/** IPv6 equivalents: unique-local, link-local, loopback. */
export const NON_INTERNET_IPV6 = ["fc00::/7", "fe80::/10", "::1/128"];

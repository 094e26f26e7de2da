/**
 * IP and CIDR arithmetic, exact (BigInt), IPv4 and IPv6 — the one implementation the plan, the lock-down
 * manifests, the evaluators and the policy rules share.
 *
 * Families are kept apart as Kubernetes does: an IPv6 ipBlock never matches an IPv4 address and vice versa
 * (Node's `net.BlockList` was not used for that reason: a `::/0` subnet there also matches IPv4 addresses).
 */
import { isIP } from "net";

export type IpFamily = 4 | 6;

export interface ParsedIp {
    family: IpFamily;
    value: bigint;
}

export interface Cidr {
    family: IpFamily;
    /** The network address (host bits cleared). */
    network: bigint;
    prefix: number;
    /** The text it was parsed from. */
    text: string;
}

/** An inclusive interval of addresses of one family. */
export interface IpRange {
    family: IpFamily;
    start: bigint;
    end: bigint;
}

/** Ranges that are never "the internet": private (RFC 1918), carrier-grade NAT, link-local (cloud metadata), loopback. */
export const NON_INTERNET_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];
/** IPv6 equivalents: unique-local, link-local, loopback. */
export const NON_INTERNET_IPV6 = ["fc00::/7", "fe80::/10", "::1/128"];

const bitsOf = (family: IpFamily) => (family === 4 ? 32 : 128);

function parseIpv4(text: string): bigint {
    return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseIpv6(text: string): bigint {
    let head = text;
    let v4Tail: bigint | undefined;
    // An embedded IPv4 tail (::ffff:10.0.0.1) takes the last two groups.
    const lastColon = head.lastIndexOf(":");
    if (head.slice(lastColon + 1).includes(".")) {
        v4Tail = parseIpv4(head.slice(lastColon + 1));
        head = `${head.slice(0, lastColon + 1)}0:0`;
    }
    const [left, right] = head.includes("::") ? head.split("::") : [head, undefined];
    const leftGroups = left === "" ? [] : left.split(":");
    const rightGroups = right === undefined || right === "" ? [] : right.split(":");
    const groups = right === undefined ? leftGroups : [...leftGroups, ...Array<string>(8 - leftGroups.length - rightGroups.length).fill("0"), ...rightGroups];
    let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
    if (v4Tail !== undefined) {
        value = (value & ~0xffffffffn) | v4Tail;
    }
    return value;
}

/** Parses an IPv4 or IPv6 address (validated by Node's `net.isIP`); undefined when `text` is not one. */
export function parseIp(text: string): ParsedIp | undefined {
    const family = isIP(text);
    if (family === 4) {
        return { family: 4, value: parseIpv4(text) };
    }
    if (family === 6 && !text.includes("%")) {
        return { family: 6, value: parseIpv6(text) };
    }
    return undefined;
}

/**
 * Parses `a.b.c.d/n` or `x::y/n`; a bare address is a host route (/32 or /128).
 * Throws, naming `where`, when the text is not a CIDR.
 */
export function parseCidr(text: string, where = "CIDR"): Cidr {
    const cidr = tryParseCidr(text);
    if (!cidr) {
        const ip = parseIp(String(text).trim().split("/")[0]);
        throw new Error(
            ip
                ? `${where}: "${text}" has an invalid prefix length (0-${bitsOf(ip.family)} for IPv${ip.family})`
                : `${where}: "${text}" is not an IPv4 or IPv6 CIDR`,
        );
    }
    return cidr;
}

/** Like `parseCidr`, but undefined instead of an error. */
export function tryParseCidr(text: unknown): Cidr | undefined {
    if (typeof text !== "string") return undefined;
    const trimmed = text.trim();
    const slash = trimmed.indexOf("/");
    const ip = parseIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
    if (!ip) return undefined;
    const bits = bitsOf(ip.family);
    let prefix = bits;
    if (slash >= 0) {
        const p = trimmed.slice(slash + 1);
        if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
        prefix = Number(p);
    }
    const hostBits = BigInt(bits - prefix);
    return { family: ip.family, network: (ip.value >> hostBits) << hostBits, prefix, text: trimmed };
}

/** `10.0.0.0/8` or `fd00::/8`: an address and an explicit prefix length within the family's range. */
export function isCidr(value: unknown): value is string {
    return typeof value === "string" && value.includes("/") && tryParseCidr(value) !== undefined;
}

export function isIPv4Cidr(cidr: string): boolean {
    return isIP(cidr.split("/")[0]) === 4;
}

export function cidrPrefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

/** Whether `ip` lies inside `cidr`. Addresses of the other family never match. */
export function cidrContains(cidr: Cidr | string, ip: ParsedIp | string): boolean {
    const c = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    const a = typeof ip === "string" ? parseIp(ip) : ip;
    if (!a || a.family !== c.family) {
        return false;
    }
    const hostBits = BigInt(bitsOf(c.family) - c.prefix);
    return (a.value >> hostBits) << hostBits === c.network;
}

/** Whether `outer` covers all of `inner` (same family, shorter or equal prefix). */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
    if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
    const hostBits = BigInt(bitsOf(outer.family) - outer.prefix);
    return inner.network >> hostBits === outer.network >> hostBits;
}

function formatAddress(family: IpFamily, value: bigint): string {
    if (family === 4) {
        return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
    }
    // RFC 5952: lowercase, no leading zeros, the longest run (first on a tie) of two or more zero groups as "::".
    const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen) {
            best = i;
            bestLen = j - i;
        }
        i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    return best < 0 ? hex.join(":") : `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

export function formatCidr(c: Cidr): string {
    return `${formatAddress(c.family, c.network)}/${c.prefix}`;
}

/** A CIDR in canonical form (network address, host bits cleared; compressed IPv6). */
export function canonicalCidr(text: string): string {
    return formatCidr(parseCidr(text));
}

export function cidrRange(c: Cidr): IpRange {
    const hostBits = BigInt(bitsOf(c.family) - c.prefix);
    return { family: c.family, start: c.network, end: c.network + (1n << hostBits) - 1n };
}

/** `ranges` minus `remove`, as disjoint intervals. */
function subtract(ranges: IpRange[], remove: IpRange): IpRange[] {
    const out: IpRange[] = [];
    for (const r of ranges) {
        if (r.family !== remove.family || remove.end < r.start || remove.start > r.end) {
            out.push(r);
            continue;
        }
        if (remove.start > r.start) out.push({ family: r.family, start: r.start, end: remove.start - 1n });
        if (remove.end < r.end) out.push({ family: r.family, start: remove.end + 1n, end: r.end });
    }
    return out;
}

/**
 * The parts of `cidr` minus `except` that fall outside every range of `inside`; empty when the block lies
 * entirely inside. Throws on a malformed CIDR, saying which list it came from.
 */
export function outsideRanges(cidr: string, except: string[], inside: string[]): IpRange[] {
    let rest = [cidrRange(parseCidr(cidr, "ipBlock.cidr"))];
    for (const e of except) rest = subtract(rest, cidrRange(parseCidr(e, "ipBlock.except")));
    for (const i of inside) rest = subtract(rest, cidrRange(parseCidr(i, "configured in-cluster CIDR")));
    return rest;
}

/** True when `cidr` minus `except` lies entirely within the union of `inside`. */
export function isInside(cidr: string, except: string[], inside: string[]): boolean {
    return outsideRanges(cidr, except, inside).length === 0;
}

/** A short human form of an interval: `a.b.c.d/n` when it is one CIDR, else `start-end`. */
export function formatRange(r: IpRange): string {
    const size = r.end - r.start + 1n;
    if ((size & (size - 1n)) === 0n && r.start % size === 0n) {
        return formatCidr({ family: r.family, network: r.start, prefix: bitsOf(r.family) - (size.toString(2).length - 1), text: "" });
    }
    return `${formatAddress(r.family, r.start)}-${formatAddress(r.family, r.end)}`;
}

/** `ranges` minus every range of `remove`, as disjoint intervals (families never mix). */
export function rangesMinus(ranges: IpRange[], remove: IpRange[]): IpRange[] {
    let rest = ranges;
    for (const r of remove) rest = subtract(rest, r);
    return rest;
}

/** The addresses in both `a` and `b` (same family only), as intervals. */
export function rangesIntersect(a: IpRange[], b: IpRange[]): IpRange[] {
    const out: IpRange[] = [];
    for (const x of a) {
        for (const y of b) {
            if (x.family !== y.family) continue;
            const start = x.start > y.start ? x.start : y.start;
            const end = x.end < y.end ? x.end : y.end;
            if (start <= end) out.push({ family: x.family, start, end });
        }
    }
    return out;
}

/** Whether an address lies in one of the ranges. */
export function rangesContain(ranges: IpRange[], ip: ParsedIp): boolean {
    return ranges.some((r) => r.family === ip.family && r.start <= ip.value && ip.value <= r.end);
}

/** The first address of a range, as text. */
export function rangeStart(r: IpRange): string {
    return formatAddress(r.family, r.start);
}

/** The union of ranges as sorted, disjoint, non-adjacent intervals (per family). */
export function rangesUnion(ranges: IpRange[]): IpRange[] {
    const out: IpRange[] = [];
    for (const family of [4, 6] as const) {
        const sorted = ranges.filter((r) => r.family === family).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
        for (const r of sorted) {
            const last = out.length > 0 && out[out.length - 1].family === family ? out[out.length - 1] : undefined;
            if (last && r.start <= last.end + 1n) {
                if (r.end > last.end) last.end = r.end;
            } else {
                out.push({ ...r });
            }
        }
    }
    return out;
}

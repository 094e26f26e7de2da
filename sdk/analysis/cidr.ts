/**
 * Small, exact CIDR arithmetic for IPv4 and IPv6 (BigInt based).
 *
 * Node's `net.BlockList` was considered and rejected: a `::/0` subnet also matches IPv4 addresses there, while
 * Kubernetes treats the two families separately (an IPv6 ipBlock never matches an IPv4 address and vice versa).
 */
import * as net from "net";

export interface ParsedIp {
    family: 4 | 6;
    value: bigint;
}

export interface Cidr {
    family: 4 | 6;
    /** The network address (host bits cleared). */
    network: bigint;
    prefix: number;
    /** The text it was parsed from. */
    text: string;
}

function parseIpv4(text: string): bigint {
    const parts = text.split(".");
    let value = 0n;
    for (const part of parts) {
        value = (value << 8n) | BigInt(Number(part));
    }
    return value;
}

function parseIpv6(text: string): bigint {
    let head = text;
    let v4Tail: bigint | undefined;
    // An embedded IPv4 tail (::ffff:10.0.0.1) takes the last two groups.
    const lastColon = head.lastIndexOf(":");
    if (head.slice(lastColon + 1).includes(".")) {
        v4Tail = parseIpv4(head.slice(lastColon + 1));
        head = head.slice(0, lastColon + 1) + "0:0";
    }
    const [left, right] = head.includes("::") ? head.split("::") : [head, undefined];
    const leftGroups = left === "" ? [] : left.split(":");
    const rightGroups = right === undefined || right === "" ? [] : right.split(":");
    const missing = 8 - leftGroups.length - rightGroups.length;
    const groups = right === undefined ? leftGroups : [...leftGroups, ...Array(missing).fill("0"), ...rightGroups];
    let value = 0n;
    for (const g of groups) {
        value = (value << 16n) | BigInt(parseInt(g, 16));
    }
    if (v4Tail !== undefined) {
        value = (value & ~0xffffffffn) | v4Tail;
    }
    return value;
}

/** Parses an IPv4 or IPv6 address; returns undefined when `text` is not one. */
export function parseIp(text: string): ParsedIp | undefined {
    const family = net.isIP(text);
    if (family === 4) {
        return { family: 4, value: parseIpv4(text) };
    }
    if (family === 6 && !text.includes("%")) {
        return { family: 6, value: parseIpv6(text) };
    }
    return undefined;
}

/**
 * Parses `a.b.c.d/n` or `x::y/n`. A bare address is a host route (/32 or /128).
 * Throws with `where` in the message when the text is not a CIDR.
 */
export function parseCidr(text: string, where = "CIDR"): Cidr {
    const trimmed = String(text).trim();
    const slash = trimmed.indexOf("/");
    const addrText = slash < 0 ? trimmed : trimmed.slice(0, slash);
    const ip = parseIp(addrText);
    if (!ip) {
        throw new Error(`${where}: "${text}" is not an IPv4 or IPv6 CIDR`);
    }
    const bits = ip.family === 4 ? 32 : 128;
    let prefix = bits;
    if (slash >= 0) {
        const p = trimmed.slice(slash + 1);
        if (!/^\d{1,3}$/.test(p) || Number(p) > bits) {
            throw new Error(`${where}: "${text}" has an invalid prefix length (0-${bits} for IPv${ip.family})`);
        }
        prefix = Number(p);
    }
    const hostBits = BigInt(bits - prefix);
    const network = (ip.value >> hostBits) << hostBits;
    return { family: ip.family, network, prefix, text: trimmed };
}

/** Whether `ip` (text or parsed) lies inside `cidr`. Addresses of the other family never match. */
export function cidrContains(cidr: Cidr | string, ip: ParsedIp | string): boolean {
    const c = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    const a = typeof ip === "string" ? parseIp(ip) : ip;
    if (!a || a.family !== c.family) {
        return false;
    }
    const bits = c.family === 4 ? 32 : 128;
    const hostBits = BigInt(bits - c.prefix);
    return (a.value >> hostBits) << hostBits === c.network;
}

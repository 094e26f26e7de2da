/**
 * CIDR arithmetic for the NetworkPolicy rules: is an `ipBlock` (a CIDR minus its `except` list) entirely inside
 * the cluster's own address ranges? IPv4 and IPv6, as inclusive integer intervals.
 */

export interface Range {
    v6: boolean;
    start: bigint;
    end: bigint;
}

function parseV4(ip: string): bigint | undefined {
    const parts = ip.split(".");
    if (parts.length !== 4) return undefined;
    let n = 0n;
    for (const p of parts) {
        if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
        n = (n << 8n) + BigInt(Number(p));
    }
    return n;
}

function parseV6(ip: string): bigint | undefined {
    let text = ip;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4tail) {
        const v4 = parseV4(v4tail[2]);
        if (v4 === undefined) return undefined;
        text = `${v4tail[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const head = halves[0] === "" ? [] : halves[0].split(":");
    const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1].split(":")) : [];
    const missing = 8 - head.length - tail.length;
    if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
    const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
    let n = 0n;
    for (const g of groups) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        n = (n << 16n) + BigInt(parseInt(g, 16));
    }
    return n;
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR (a bare address is a /32 or /128). Returns undefined when malformed. */
export function parseCidr(cidr: string): Range | undefined {
    if (typeof cidr !== "string") return undefined;
    const [ip, bitsText, ...rest] = cidr.trim().split("/");
    if (rest.length > 0) return undefined;
    const v6 = ip.includes(":");
    const width = v6 ? 128n : 32n;
    const addr = v6 ? parseV6(ip) : parseV4(ip);
    if (addr === undefined) return undefined;
    const bits = bitsText === undefined ? width : /^\d{1,3}$/.test(bitsText) ? BigInt(Number(bitsText)) : -1n;
    if (bits < 0n || bits > width) return undefined;
    const hostBits = width - bits;
    const start = (addr >> hostBits) << hostBits;
    const end = start + (1n << hostBits) - 1n;
    return { v6, start, end };
}

/** `ranges` minus `remove`, as disjoint intervals. */
function subtract(ranges: Range[], remove: Range): Range[] {
    const out: Range[] = [];
    for (const r of ranges) {
        if (r.v6 !== remove.v6 || remove.end < r.start || remove.start > r.end) {
            out.push(r);
            continue;
        }
        if (remove.start > r.start) out.push({ v6: r.v6, start: r.start, end: remove.start - 1n });
        if (remove.end < r.end) out.push({ v6: r.v6, start: remove.end + 1n, end: r.end });
    }
    return out;
}

/**
 * The parts of `cidr` (minus `except`) that fall outside every range of `inside`, as CIDR-ish text
 * (`start-end` intervals); empty when the block is entirely inside. Throws on a malformed CIDR.
 */
export function outsideRanges(cidr: string, except: string[], inside: string[]): Range[] {
    const block = parseCidr(cidr);
    if (!block) throw new Error(`"${cidr}" is not a valid CIDR`);
    let rest: Range[] = [block];
    for (const e of except) {
        const r = parseCidr(e);
        if (!r) throw new Error(`"${e}" (in ipBlock.except) is not a valid CIDR`);
        rest = subtract(rest, r);
    }
    for (const i of inside) {
        const r = parseCidr(i);
        if (!r) throw new Error(`"${i}" (configured in-cluster CIDR) is not a valid CIDR`);
        rest = subtract(rest, r);
    }
    return rest;
}

/** True when `cidr` minus `except` lies entirely within the union of `inside`. */
export function isInside(cidr: string, except: string[], inside: string[]): boolean {
    return outsideRanges(cidr, except, inside).length === 0;
}

function formatAddr(v6: boolean, n: bigint): string {
    if (!v6) return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join(".");
    const groups: string[] = [];
    for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16));
    return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** A short human form of an interval: `a.b.c.d/n` when it is one CIDR, else `start-end`. */
export function formatRange(r: Range): string {
    const size = r.end - r.start + 1n;
    const isPow2 = (size & (size - 1n)) === 0n;
    if (isPow2 && r.start % size === 0n) {
        const width = r.v6 ? 128 : 32;
        const bits = width - (size.toString(2).length - 1);
        return `${formatAddr(r.v6, r.start)}/${bits}`;
    }
    return `${formatAddr(r.v6, r.start)}-${formatAddr(r.v6, r.end)}`;
}

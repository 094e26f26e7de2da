/**
 * Typed readers for values istio-egress did not build (a program's inputs, props the engine hands the policy pack,
 * parsed files, thrown errors): what they read comes back `unknown`-typed or as the one type asked for, so the
 * compiler makes the caller check the rest, and a value of the wrong type reads as absent — never a crash.
 * The `unknown`-typed counterparts of object.ts's `asObject` / `asArray` (which return `any`, for their callers).
 *
 * A path step reads a field of a plain (non-array) object, or an index of an array; through anything else
 * (a primitive, null, a function) it reads undefined. Fields are read as `?.` reads them (inherited ones
 * included), so a reader replaces an optional chain without changing what it sees.
 */

/** A plain (non-array) object, its fields typed `unknown`. */
export function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The value at `keys` below `v` (`valueAt(o, "spec", "ports", 0, "number")`), else undefined. */
export function valueAt(v: unknown, ...keys: (string | number)[]): unknown {
    let cur = v;
    for (const k of keys) {
        if (typeof k === "number") {
            cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
        } else {
            cur = isRecord(cur) ? cur[k] : undefined;
        }
        if (cur === undefined) return undefined;
    }
    return cur;
}

/** The plain object at `keys` below `v` (`v` itself without keys), else `{}`. */
export function recordAt(v: unknown, ...keys: (string | number)[]): Record<string, unknown> {
    const x = valueAt(v, ...keys);
    return isRecord(x) ? x : {};
}

/** The array at `keys` below `v` (`v` itself without keys), else `[]`. */
export function listAt(v: unknown, ...keys: (string | number)[]): unknown[] {
    const x = valueAt(v, ...keys);
    return Array.isArray(x) ? (x as unknown[]) : [];
}

/** The string at `keys` below `v` (the empty string included), else undefined. See also object.ts `str` (non-empty). */
export function stringAt(v: unknown, ...keys: (string | number)[]): string | undefined {
    const x = valueAt(v, ...keys);
    return typeof x === "string" ? x : undefined;
}

/** What a thrown value says: its `message` when it has one, else the value itself, as a string. */
export function errorMessage(err: unknown): string {
    const message = (err !== null && typeof err === "object") || typeof err === "function" ? (err as { message?: unknown }).message : undefined;
    return String(message ?? err);
}

/** A thrown value's `code` (Node's `ENOENT`, `MODULE_NOT_FOUND`, ...) when it is a string, else undefined. */
export function errorCode(err: unknown): string | undefined {
    const code = (err !== null && typeof err === "object") || typeof err === "function" ? (err as { code?: unknown }).code : undefined;
    return typeof code === "string" ? code : undefined;
}

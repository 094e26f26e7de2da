/**
 * The one set of readers for values istio-egress did not build (manifests, a program's inputs, props the engine
 * hands the policy pack, Helm values, parsed files, thrown errors). What they read comes back `unknown`-typed or as
 * the one type asked for, so the compiler makes the caller check the rest, and a value of the wrong type reads as
 * absent — never a crash, never coerced into something that looks valid.
 *
 * A path step reads an own field of a plain (non-array) object (a string key), or an index of an array (a number
 * key); through anything else (a primitive, null, a function, an array stepped by a string) it reads undefined.
 * Own fields only: `constructor`, `toString` and the rest of Object.prototype are no manifest field, so a selector or
 * label lookup by a name the manifest's author chose can never read a function out of the prototype.
 *
 * `asObject` / `asArray` read one value with a default (`{}` / `[]`); `recordAt` / `listAt` do the same at the end of
 * a path.
 */

/** A non-empty string, else undefined. See also `stringAt` (the empty string included). */
export function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The value when it is an array, else `[]`. */
export function asArray(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** The value when it is a plain (non-array) object, else `{}`. */
export function asObject(v: unknown): Record<string, unknown> {
    return isRecord(v) ? v : {};
}

/** A plain (non-array, non-null) object, its fields typed `unknown`. */
export function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The walk behind the path readers: through plain objects by own field (never the prototype: `constructor` is no
 * field), through arrays by index; undefined where a step is absent or of another type. It takes the keys as one
 * array, so the readers below pass their rest parameter on without copying it (the pack calls them per field of
 * every resource).
 */
function walk(v: unknown, keys: readonly (string | number)[]): unknown {
    let cur = v;
    for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (typeof k === "number") {
            cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
        } else {
            cur = isRecord(cur) && Object.prototype.hasOwnProperty.call(cur, k) ? cur[k] : undefined;
        }
        if (cur === undefined) return undefined;
    }
    return cur;
}

/** The value at `keys` below `v` (`valueAt(o, "spec", "ports", 0, "number")`; `v` itself without keys), else undefined. */
export function valueAt(v: unknown, ...keys: (string | number)[]): unknown {
    return walk(v, keys);
}

/** The plain object at `keys` below `v` (`v` itself without keys), else `{}`; its fields typed `unknown`. */
export function recordAt(v: unknown, ...keys: (string | number)[]): Record<string, unknown> {
    const x = walk(v, keys);
    return isRecord(x) ? x : {};
}

/** The array at `keys` below `v` (`v` itself without keys), else `[]`; its items typed `unknown`. */
export function listAt(v: unknown, ...keys: (string | number)[]): unknown[] {
    const x = walk(v, keys);
    return Array.isArray(x) ? (x as unknown[]) : [];
}

/** The string at `keys` below `v` (the empty string included), else undefined. See also `str` (non-empty). */
export function stringAt(v: unknown, ...keys: (string | number)[]): string | undefined {
    const x = walk(v, keys);
    return typeof x === "string" ? x : undefined;
}

/**
 * A value read from input, for a message: a primitive as `String` shows it (identical to `String(v)`), anything else
 * (an object, a list) as JSON, so a wrong type shows what it is rather than "[object Object]".
 */
export function shown(v: unknown): string {
    if (v === null || typeof v !== "object") return String(v);
    try {
        return JSON.stringify(v);
    } catch {
        return "(unprintable)";
    }
}

/** A finite number, else undefined (no coercion: `"80"` is not a number). */
export function num(v: unknown): number | undefined {
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A boolean, else undefined (no coercion: `"true"` is not a boolean). */
export function bool(v: unknown): boolean | undefined {
    return typeof v === "boolean" ? v : undefined;
}

/** The string-valued own entries of a plain object (labels, annotations, env), else `{}`: other entries are left out. */
export function stringRecord(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(recordAt(v))) {
        if (typeof x === "string") {
            out[k] = x;
        }
    }
    return out;
}

/**
 * A field that must be an object when set: absent (undefined, null) reads as `{}`; any other type is refused with an
 * Error naming `where`. For fields a decision rests on, where reading a wrong type as absent would decide for an
 * object the cluster refuses (an AuthorizationPolicy `from: {}` read as "no from" allows every caller): fail closed.
 */
export function objectField(v: unknown, where: string): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) throw new Error(`${where}: must be an object`);
    return v;
}

/** A field that must be a list when set: absent (undefined, null) reads as `[]`; any other type is refused, naming `where`. */
export function listField(v: unknown, where: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`${where}: must be a list`);
    return v as unknown[];
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

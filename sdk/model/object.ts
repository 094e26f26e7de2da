/**
 * A Kubernetes object as plain data, and the defensive readers every consumer uses on objects it did not build
 * (policy rules, the access report, render): a field of the wrong type reads as absent, never as a crash.
 */

/** A Kubernetes object as plain data. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: any };
    [k: string]: any;
}

/** A non-empty string, else undefined. */
export function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** The value when it is an array, else `[]`. */
export function asArray(v: unknown): any[] {
    return Array.isArray(v) ? v : [];
}

/** The value when it is a plain (non-array) object, else `{}`. */
export function asObject(v: unknown): Record<string, any> {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {};
}

export function isPlainObject(v: unknown): v is Record<string, any> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The label the API server sets on every namespace (Kubernetes 1.22+), used in namespaceSelectors. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The label every object istio-egress creates carries. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "istio-egress";

// Typed readers for data read as untrusted (manifests, Helm values): every value comes out `unknown`-typed or as
// the one type asked for, so a field of the wrong type reads as absent and the compiler makes the caller check the
// rest. `asRecord`/`asList` are the `unknown`-typed twins of `asObject`/`asArray`.

/** The value when it is a plain (non-array) object, else `{}`; its fields typed `unknown`. */
export function asRecord(v: unknown): Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The value when it is an array, else `[]`; its items typed `unknown`. */
export function asList(v: unknown): unknown[] {
    return Array.isArray(v) ? (v as unknown[]) : [];
}

/**
 * The value at `keys` below `v`, stepping through plain objects only (own properties: `constructor` is no field):
 * undefined where a step is absent, an array, or not an object.
 */
export function dig(v: unknown, ...keys: string[]): unknown {
    let cur = v;
    for (const k of keys) {
        if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) {
            return undefined;
        }
        cur = (cur as Record<string, unknown>)[k];
    }
    return cur;
}

/** A finite number, else undefined (no coercion: `"80"` is not a number). */
export function num(v: unknown): number | undefined {
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** A boolean, else undefined (no coercion: `"true"` is not a boolean). */
export function bool(v: unknown): boolean | undefined {
    return typeof v === "boolean" ? v : undefined;
}

/** The string-valued entries of a plain object (labels, annotations, env), else `{}`: other entries are left out. */
export function stringRecord(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(asRecord(v))) {
        if (typeof x === "string") {
            out[k] = x;
        }
    }
    return out;
}

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

/**
 * A Kubernetes object as plain data, and the labels istio-egress reads and sets. The defensive readers every
 * consumer uses on objects it did not build (policy rules, the access report, render) are in read.ts.
 */

/** A Kubernetes object as plain data. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
    [k: string]: unknown;
}

/** The label the API server sets on every namespace (Kubernetes 1.22+), used in namespaceSelectors. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** The label every object istio-egress creates carries. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "istio-egress";

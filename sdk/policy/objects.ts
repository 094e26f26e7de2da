/**
 * Kubernetes objects as the policies see them.
 *
 * In a Pulumi stack a Kubernetes object is a resource whose type token names its group/version/kind
 * (`kubernetes:apps/v1:Deployment`, `kubernetes:networking.istio.io/v1:ServiceEntry`) and whose props are the
 * object itself (`metadata`, `spec`, ...). Typed resources may omit `apiVersion`/`kind` from the props, so the kind
 * is always taken from the token. A Helm `Release` (`kubernetes:helm.sh/v3:Release`) is one resource whose props
 * carry `chart`, `namespace`, `values`: its chart is not rendered, so only the values can be judged.
 *
 * Every accessor reads only the fields it needs: in `pulumi preview` the props are wrapped in the analyzer's
 * unknown-checking proxy and reading an unknown value throws (the analyzer turns that into an advisory).
 */

/** Group/version/kind of a Pulumi Kubernetes type token, or undefined when the token is not a Kubernetes object. */
export function gvkOfType(type: string): { apiVersion: string; group: string; version: string; kind: string } | undefined {
    const m = /^kubernetes:(.+)\/([^/:]+):([^:]+)$/.exec(type);
    if (!m) return undefined;
    const group = m[1] === "core" ? "" : m[1];
    return { apiVersion: group === "" ? m[2] : `${group}/${m[2]}`, group, version: m[2], kind: m[3] };
}

/** The Pulumi type token for a manifest's apiVersion/kind (the inverse of `gvkOfType`). */
export function typeOfManifest(apiVersion: string, kind: string): string {
    const module = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return `kubernetes:${module}:${kind}`;
}

export const ISTIO_NETWORKING = "networking.istio.io";

/** Kinds that are not namespaced (everything else without `metadata.namespace` lands in `default`). */
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "IngressClass",
    "RuntimeClass",
    "APIService",
]);

/** The kind a resource of this type stands for (`DeploymentPatch` judged as a `Deployment`). */
export function kindOf(type: string): string | undefined {
    const gvk = gvkOfType(type);
    if (!gvk) return undefined;
    return gvk.kind.endsWith("Patch") ? gvk.kind.slice(0, -"Patch".length) : gvk.kind;
}

export function groupOf(type: string): string | undefined {
    return gvkOfType(type)?.group;
}

export function isHelmRelease(type: string): boolean {
    return /^kubernetes:helm\.sh\/v\d+:Release$/.test(type);
}

/** The namespace of an object: `metadata.namespace`, else `default` for namespaced kinds. */
export function namespaceOf(type: string, props: any): string | undefined {
    if (isHelmRelease(type)) return str(props?.namespace) ?? "default";
    const kind = kindOf(type);
    if (!kind) return undefined;
    if (CLUSTER_SCOPED.has(kind)) return undefined;
    return str(props?.metadata?.namespace) ?? "default";
}

/** The object's name: `metadata.name` (a Release's `name`), else the Pulumi resource name. */
export function nameOf(type: string, props: any, resourceName: string): string {
    if (isHelmRelease(type)) return str(props?.name) ?? resourceName;
    return str(props?.metadata?.name) ?? resourceName;
}

export function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}

export function asArray(v: unknown): any[] {
    return Array.isArray(v) ? v : [];
}

export function asObject(v: unknown): Record<string, any> {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, any>) : {};
}

/** Kinds whose objects are (or carry) pod templates. */
export const WORKLOAD_KINDS = new Set([
    "Pod",
    "PodTemplate",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Rollout",
]);

/** A pod (template): its metadata and spec. */
export interface PodTemplate {
    metadata: any;
    spec: any;
    /** Where it sits in the object, for messages (`spec.template`). */
    path: string;
}

/**
 * The pod templates a workload object carries: the pod itself, `spec.template`, `spec.jobTemplate.spec.template`
 * (CronJob), `template` (PodTemplate); for a `...List` resource, those of each item.
 */
export function podTemplatesOf(kind: string, obj: any): PodTemplate[] {
    if (kind.endsWith("List") && kind !== "List") {
        const itemKind = kind.slice(0, -"List".length);
        return asArray(obj?.items).flatMap((item, i) =>
            podTemplatesOf(itemKind, item).map((t) => ({ ...t, path: `items[${i}].${t.path}` })),
        );
    }
    switch (kind) {
        case "Pod":
            return [{ metadata: obj?.metadata, spec: obj?.spec, path: "spec" }];
        case "PodTemplate":
            return obj?.template ? [{ metadata: obj.template.metadata, spec: obj.template.spec, path: "template.spec" }] : [];
        case "CronJob": {
            const t = obj?.spec?.jobTemplate?.spec?.template;
            return t ? [{ metadata: t.metadata, spec: t.spec, path: "spec.jobTemplate.spec.template.spec" }] : [];
        }
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "ReplicationController":
        case "Job":
        case "Rollout": {
            const t = obj?.spec?.template;
            return t ? [{ metadata: t.metadata, spec: t.spec, path: "spec.template.spec" }] : [];
        }
        default:
            return [];
    }
}

export function isWorkloadKind(kind: string | undefined): boolean {
    if (!kind) return false;
    return WORKLOAD_KINDS.has(kind) || (kind.endsWith("List") && WORKLOAD_KINDS.has(kind.slice(0, -"List".length)));
}

/** True when every `selector` label is present with the same value in `labels` (an empty selector matches nothing here). */
export function labelsMatch(selector: Record<string, string>, labels: any): boolean {
    const keys = Object.keys(selector);
    if (keys.length === 0) return false;
    const l = asObject(labels);
    return keys.every((k) => l[k] === selector[k]);
}

/** A chart reference's base name: `oci://r/istio/gateway` → `gateway`, `istio/istiod` → `istiod`. */
export function chartName(chart: unknown): string | undefined {
    const c = str(chart);
    if (!c) return undefined;
    const base = c.replace(/\/+$/, "").split("/").pop()!;
    return base.replace(/-\d+\.\d+\.\d+.*\.tgz$/, "").replace(/\.tgz$/, "");
}

/**
 * The pod labels the istio/gateway chart gives a release: `app: <name>`, `istio: <name without "istio-">`,
 * plus `values.labels`. `<name>` is `values.name`, else the release name.
 */
export function gatewayReleaseLabels(props: any, resourceName: string): Record<string, string> {
    const values = asObject(props?.values);
    const name = str(values.name) ?? str(props?.name) ?? resourceName;
    const out: Record<string, string> = { app: name, istio: name.replace(/^istio-/, "") };
    const extra = asObject(values.labels);
    for (const k of Object.keys(extra)) {
        if (typeof extra[k] === "string") out[k] = extra[k];
    }
    return out;
}

/** The gateway Service host of an istio/gateway release: `<name>.<namespace>.svc.cluster.local`. */
export function gatewayReleaseServiceHost(props: any, resourceName: string, namespace: string): string {
    const values = asObject(props?.values);
    const name = str(values.name) ?? str(props?.name) ?? resourceName;
    return `${name}.${namespace}.svc.cluster.local`;
}

/** Istio's own containers: `istio-init`/`istio-proxy`/`istio-validation` with a proxyv2 image (or `auto`, filled by injection). */
export function isIstioContainer(c: any): boolean {
    const name = c?.name;
    if (name !== "istio-init" && name !== "istio-proxy" && name !== "istio-validation") return false;
    const image = c?.image;
    if (typeof image !== "string") return false;
    return image === "auto" || /(^|\/)proxyv2([:@]|$)/.test(image);
}

/** All containers of a pod spec with where they are (`containers[0]`). */
export function containersOf(spec: any): { c: any; where: string }[] {
    const out: { c: any; where: string }[] = [];
    for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
        asArray(spec?.[field]).forEach((c, i) => out.push({ c, where: `${field}[${i}] "${c?.name ?? "?"}"` }));
    }
    return out;
}

/**
 * A Kubernetes Service host written in a VirtualService, normalised to its FQDN when it is a cluster-local name:
 * `svc` (in `ns`), `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`.
 */
export function fqdn(host: string, ns: string): string {
    if (host.endsWith(".svc.cluster.local")) return host;
    const parts = host.split(".");
    if (parts.length === 1) return `${host}.${ns}.svc.cluster.local`;
    if (parts.length === 2) return `${host}.svc.cluster.local`;
    if (parts.length === 3 && parts[2] === "svc") return `${host}.cluster.local`;
    return host;
}

/** Does the Istio host pattern `pattern` (`*.example.com`, `*`, or exact) cover `host`? */
export function hostCovers(pattern: string, host: string): boolean {
    if (pattern === host || pattern === "*") return true;
    if (pattern.startsWith("*.")) {
        const suffix = pattern.slice(1);
        if (host.startsWith("*.")) return host.slice(1).endsWith(suffix);
        return host.endsWith(suffix) && host.length > suffix.length;
    }
    return false;
}

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

export interface Gvk {
    apiVersion: string;
    group: string;
    version: string;
    kind: string;
}

function parseGvk(type: string): Gvk | undefined {
    const m = /^kubernetes:(.+)\/([^/:]+):([^:]+)$/.exec(type);
    if (!m) return undefined;
    const group = m[1] === "core" ? "" : m[1];
    return { apiVersion: group === "" ? m[2] : `${group}/${m[2]}`, group, version: m[2], kind: m[3] };
}

/** What a type token says about a resource, parsed once per distinct token (see `typeInfo`). */
export interface TypeInfo {
    /** Group/version/kind of the token; undefined when the token is not a Kubernetes object. */
    readonly gvk: Readonly<Gvk> | undefined;
    /** A Helm release (`kubernetes:helm.sh/vN:Release`): its props are the release's, not an object's. */
    readonly helm: boolean;
    /** The kind judged: `Release` for a Helm release, a `...Patch` type's kind without `Patch`. */
    readonly kind: string | undefined;
    /** The API group (`""` for core, and for tokens that are not Kubernetes objects). */
    readonly group: string;
    /** A `...Patch` type (server-side apply patch of an object the stack does not own). */
    readonly patch: boolean;
    /** Cluster-scoped kind: no namespace. */
    readonly clusterScoped: boolean;
}

const HELM_RELEASE = /^kubernetes:helm\.sh\/v\d+:Release$/;
const TYPE_INFO = new Map<string, TypeInfo>();
/** A stack has a few dozen distinct tokens; the bound only keeps a long-lived analyzer fed odd tokens from growing. */
const TYPE_INFO_LIMIT = 4096;

/**
 * The parsed type token, cached: a policy run asks about the same few tokens for every resource and every policy,
 * and parsing them with a RegExp each time was a measurable share of the pack's cost (docs/performance.md).
 */
export function typeInfo(type: string): TypeInfo {
    let info = TYPE_INFO.get(type);
    if (info === undefined) {
        const gvk = parseGvk(type);
        const helm = HELM_RELEASE.test(type);
        const kind = gvk ? (gvk.kind.endsWith("Patch") ? gvk.kind.slice(0, -"Patch".length) : gvk.kind) : undefined;
        info = Object.freeze({
            gvk: gvk ? Object.freeze(gvk) : undefined,
            helm,
            kind: helm ? "Release" : kind,
            group: helm ? "helm.sh" : (gvk?.group ?? ""),
            patch: gvk ? gvk.kind.endsWith("Patch") : false,
            clusterScoped: kind !== undefined && !helm && CLUSTER_SCOPED.has(kind),
        });
        if (TYPE_INFO.size >= TYPE_INFO_LIMIT) TYPE_INFO.clear();
        TYPE_INFO.set(type, info);
    }
    return info;
}

/** Group/version/kind of a Pulumi Kubernetes type token, or undefined when the token is not a Kubernetes object. */
export function gvkOfType(type: string): Gvk | undefined {
    const gvk = typeInfo(type).gvk;
    return gvk ? { ...gvk } : undefined;
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
    return typeInfo(type).gvk ? typeInfo(type).kind : undefined;
}

export function groupOf(type: string): string | undefined {
    return typeInfo(type).gvk?.group;
}

export function isHelmRelease(type: string): boolean {
    return typeInfo(type).helm;
}

/** The namespace of an object: `metadata.namespace`, else `default` for namespaced kinds. */
export function namespaceOf(type: string, props: any): string | undefined {
    const info = typeInfo(type);
    if (info.helm) return str(props?.namespace) ?? "default";
    if (info.kind === undefined || info.clusterScoped) return undefined;
    return str(props?.metadata?.namespace) ?? "default";
}

/** The object's name: `metadata.name` (a Release's `name`), else the Pulumi resource name. */
export function nameOf(type: string, props: any, resourceName: string): string {
    const info = typeInfo(type);
    if (info.helm) return str(props?.name) ?? resourceName;
    return str(props?.metadata?.name) ?? resourceName;
}

/**
 * `namespaceOf` and `nameOf` together, reading `metadata` once (each read through the analyzer's unknown-checking
 * proxy allocates). Reads in the same order as the two calls: the namespace first.
 */
export function namespaceAndName(type: string, props: any, resourceName: string): { namespace: string | undefined; name: string } {
    const info = typeInfo(type);
    if (info.helm) {
        const namespace = str(props?.namespace) ?? "default";
        return { namespace, name: str(props?.name) ?? resourceName };
    }
    if (info.kind === undefined) return { namespace: undefined, name: str(props?.metadata?.name) ?? resourceName };
    const meta = props?.metadata;
    const namespace = info.clusterScoped ? undefined : (str(meta?.namespace) ?? "default");
    return { namespace, name: str(meta?.name) ?? resourceName };
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
    // A loop rather than Object.keys(...).every(...): this runs for every pod template under several policies.
    let l: Record<string, any> | undefined;
    for (const k of Object.keys(selector)) {
        l ??= asObject(labels);
        if (l[k] !== selector[k]) return false;
    }
    return l !== undefined;
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

const CONTAINER_FIELDS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** A container of a pod spec: the field it is listed in, its index and its name as read. */
export interface ContainerRef {
    c: any;
    field: (typeof CONTAINER_FIELDS)[number];
    index: number;
    name: unknown;
}

/** All containers of a pod spec (reads each container's name, as `containersOf` does, but formats nothing). */
export function containerRefs(spec: any): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const field of CONTAINER_FIELDS) {
        const list = asArray(spec?.[field]);
        for (let i = 0; i < list.length; i++) {
            if (!(i in list)) continue; // a hole, which forEach skipped
            const c = list[i];
            out.push({ c, field, index: i, name: c?.name });
        }
    }
    return out;
}

/** Where a container is, for messages: `containers[0] "app"`. */
export function containerWhere(ref: ContainerRef): string {
    return `${ref.field}[${ref.index}] "${ref.name ?? "?"}"`;
}

/** All containers of a pod spec with where they are (`containers[0] "app"`). */
export function containersOf(spec: any): { c: any; where: string }[] {
    return containerRefs(spec).map((ref) => ({ c: ref.c, where: containerWhere(ref) }));
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

/**
 * Kinds and Pulumi type tokens: the one place that knows how a Kubernetes object is typed in a Pulumi stack,
 * which kinds are cluster-scoped, and which API groups are Istio's.
 *
 * In a Pulumi stack a Kubernetes object is a resource whose type token names its group/version/kind
 * (`kubernetes:apps/v1:Deployment`, `kubernetes:networking.istio.io/v1:ServiceEntry`) and whose props are the
 * object itself (`metadata`, `spec`, ...). Typed resources may omit `apiVersion`/`kind` from the props, so the kind
 * is always taken from the token. A Helm `Release` (`kubernetes:helm.sh/v3:Release`) is one resource whose props
 * carry `chart`, `namespace`, `values`: its chart is not rendered, so only the values can be judged.
 */
import { str, valueAt } from "./read";

export const ISTIO_NETWORKING = "networking.istio.io";
export const ISTIO_SECURITY = "security.istio.io";
export const ISTIO_TELEMETRY = "telemetry.istio.io";
export const ISTIO_EXTENSIONS = "extensions.istio.io";
export const ISTIO_INSTALL = "install.istio.io";
export const ISTIO_GROUPS: ReadonlySet<string> = new Set([ISTIO_NETWORKING, ISTIO_SECURITY, ISTIO_TELEMETRY, ISTIO_EXTENSIONS, ISTIO_INSTALL]);
export const GATEWAY_API = "gateway.networking.k8s.io";
export const NETWORKING_K8S = "networking.k8s.io";
export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

export interface Gvk {
    apiVersion: string;
    group: string;
    version: string;
    kind: string;
}

/** `group/version` → group (`""` for the core group). */
export function groupOfApiVersion(apiVersion: string): string {
    const i = apiVersion.indexOf("/");
    return i < 0 ? "" : apiVersion.slice(0, i);
}

/** Calico's cluster-scoped kinds: the same under its API server's group and under its CRDs' group. */
const CALICO_CLUSTER_SCOPED = [
    "GlobalNetworkPolicy",
    "GlobalNetworkSet",
    "HostEndpoint",
    "IPPool",
    "FelixConfiguration",
    "BGPConfiguration",
    "BGPPeer",
    "ClusterInformation",
    "Tier",
    "StagedGlobalNetworkPolicy",
];

/**
 * Cluster-scoped kinds, by API group. Everything else is namespaced (and lands in `default` without
 * `metadata.namespace`, as `kubectl apply` puts it). Sources: `kubectl api-resources --namespaced=false` of
 * Kubernetes 1.34, and the CRDs of Istio, Gateway API, Cilium, Calico and cert-manager.
 */
const CLUSTER_SCOPED: ReadonlyMap<string, ReadonlySet<string>> = new Map(
    Object.entries({
        "": ["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
        "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding"],
        "apiextensions.k8s.io": ["CustomResourceDefinition"],
        "apiregistration.k8s.io": ["APIService"],
        "storage.k8s.io": ["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"],
        "scheduling.k8s.io": ["PriorityClass"],
        "node.k8s.io": ["RuntimeClass"],
        "admissionregistration.k8s.io": [
            "ValidatingWebhookConfiguration",
            "MutatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
        ],
        "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR"],
        "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
        "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
        "resource.k8s.io": ["DeviceClass", "ResourceSlice"],
        "policy.networking.k8s.io": ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"],
        [GATEWAY_API]: ["GatewayClass"],
        "cilium.io": [
            "CiliumClusterwideNetworkPolicy",
            "CiliumNode",
            "CiliumIdentity",
            "CiliumExternalWorkload",
            "CiliumCIDRGroup",
            "CiliumLoadBalancerIPPool",
            "CiliumClusterwideEnvoyConfig",
        ],
        "projectcalico.org": CALICO_CLUSTER_SCOPED,
        "crd.projectcalico.org": CALICO_CLUSTER_SCOPED,
        "cert-manager.io": ["ClusterIssuer"],
    }).map(([g, kinds]) => [g, new Set(kinds)]),
);

/** Whether objects of this group/kind have no namespace. */
export function isClusterScoped(group: string, kind: string): boolean {
    return CLUSTER_SCOPED.get(group)?.has(kind) ?? false;
}

/** `isClusterScoped` for a manifest's `apiVersion`. */
export function isClusterScopedObject(apiVersion: string, kind: string): boolean {
    return isClusterScoped(groupOfApiVersion(apiVersion), kind);
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
            clusterScoped: kind !== undefined && !helm && isClusterScoped(gvk!.group, kind),
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
export function namespaceOf(type: string, props: unknown): string | undefined {
    return namespaceAndName(type, props, "").namespace;
}

/** The object's name: `metadata.name` (a Release's `name`), else the Pulumi resource name. */
export function nameOf(type: string, props: unknown, resourceName: string): string {
    return namespaceAndName(type, props, resourceName).name;
}

/**
 * The namespace and name of a resource, reading `metadata` once (each read through the analyzer's
 * unknown-checking proxy allocates). Reads the namespace first.
 */
export function namespaceAndName(type: string, props: unknown, resourceName: string): { namespace: string | undefined; name: string } {
    const info = typeInfo(type);
    if (info.helm) {
        const namespace = str(valueAt(props, "namespace")) ?? "default";
        return { namespace, name: str(valueAt(props, "name")) ?? resourceName };
    }
    if (info.kind === undefined) return { namespace: undefined, name: str(valueAt(props, "metadata", "name")) ?? resourceName };
    const meta = valueAt(props, "metadata");
    const namespace = info.clusterScoped ? undefined : (str(valueAt(meta, "namespace")) ?? "default");
    return { namespace, name: str(valueAt(meta, "name")) ?? resourceName };
}

/** A chart reference's base name: `oci://r/istio/gateway` → `gateway`, `istio/istiod` → `istiod`, a path's last part. */
export function chartName(chart: unknown): string | undefined {
    const c = str(chart);
    if (!c) return undefined;
    const base = c.replace(/\/+$/, "").split("/").pop()!;
    return base.replace(/-\d+\.\d+\.\d+.*\.tgz$/, "").replace(/\.tgz$/, "");
}

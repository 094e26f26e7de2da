/**
 * manifests → Pulumi resources (thin). One function decides which @pulumi/kubernetes class registers an object,
 * and how a child's logical name is derived from the component's name.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { K8sObject } from "./model";

const KIND_SHORT: Record<string, string> = {
    Namespace: "ns",
    ConfigMap: "cm",
    NetworkPolicy: "netpol",
    Gateway: "gw",
    DestinationRule: "dr",
    ServiceEntry: "se",
    VirtualService: "vs",
    Sidecar: "sidecar",
    AuthorizationPolicy: "authz",
    PeerAuthentication: "peerauth",
    Telemetry: "telemetry",
};

/**
 * The Pulumi name of the child that manages `obj`: its Kubernetes name (which starts with the component's name),
 * its namespace where that is not the component's home namespace, and a short kind suffix — so names depend on
 * what the object is, never on a list position.
 */
export function childName(componentName: string, homeNamespace: string, obj: K8sObject): string {
    const name = obj.metadata.name.startsWith(`${componentName}-`) ? obj.metadata.name : `${componentName}-${obj.metadata.name}`;
    const ns = obj.metadata.namespace && obj.metadata.namespace !== homeNamespace ? `-${obj.metadata.namespace}` : "";
    const kind = KIND_SHORT[obj.kind] ?? obj.kind.toLowerCase();
    return `${name}${ns}-${kind}`;
}

/**
 * Registers one object with the @pulumi/kubernetes class that owns its kind (Istio kinds as CustomResources).
 * Plain data goes in as it is: wrapping it in outputs would only add work for the engine.
 */
export function registerObject(name: string, obj: K8sObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
    const { apiVersion, kind, ...rest } = obj;
    switch (`${apiVersion}/${kind}`) {
        case "v1/Namespace":
            return new k8s.core.v1.Namespace(name, rest, opts);
        case "v1/ConfigMap":
            return new k8s.core.v1.ConfigMap(name, rest, opts);
        case "networking.k8s.io/v1/NetworkPolicy":
            return new k8s.networking.v1.NetworkPolicy(name, rest as k8s.networking.v1.NetworkPolicyArgs, opts);
        default:
            return new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, opts);
    }
}

/**
 * Registers an object whose content is only known later (e.g. it names a namespace another stack owns).
 * `shape` fixes the kind; `value` gives the content, whose kind must stay the same.
 */
export function registerObjectOutput(name: string, shape: K8sObject, value: pulumi.Output<K8sObject>, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
    const checked = value.apply((o) => {
        if (o.apiVersion !== shape.apiVersion || o.kind !== shape.kind) {
            throw new Error(`internal: ${name} changed kind from ${shape.apiVersion}/${shape.kind} to ${o.apiVersion}/${o.kind}`);
        }
        return o;
    });
    const metadata = checked.apply((o) => o.metadata);
    const spec = checked.apply((o) => o.spec);
    switch (`${shape.apiVersion}/${shape.kind}`) {
        case "v1/Namespace":
            return new k8s.core.v1.Namespace(name, { metadata }, opts);
        case "v1/ConfigMap":
            return new k8s.core.v1.ConfigMap(name, { metadata, data: checked.apply((o) => o.data) }, opts);
        case "networking.k8s.io/v1/NetworkPolicy":
            return new k8s.networking.v1.NetworkPolicy(name, { metadata, spec }, opts);
        default:
            return new k8s.apiextensions.CustomResource(name, { apiVersion: shape.apiVersion, kind: shape.kind, metadata, spec }, opts);
    }
}

/** Registers many objects, failing loudly if two would get the same Pulumi name. */
export function registerObjects(
    componentName: string,
    homeNamespace: string,
    objects: K8sObject[],
    opts: pulumi.CustomResourceOptions,
    taken: Set<string>,
): pulumi.CustomResource[] {
    return objects.map((obj) => {
        const name = childName(componentName, homeNamespace, obj);
        if (taken.has(name)) {
            throw new Error(`internal: two children of ${componentName} would both be named ${name}`);
        }
        taken.add(name);
        return registerObject(name, obj, opts);
    });
}

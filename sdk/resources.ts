/**
 * manifests → Pulumi resources (thin). One function decides which @pulumi/kubernetes class registers an object,
 * and one how a child's Pulumi name follows from the object (sdk/plan/names.ts `pulumiName`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isClusterScopedObject, type K8sObject } from "./model";
import type { EgressPlan } from "./plan";
import { objectName, pulumiName } from "./plan/names";

/**
 * The Pulumi name of the child that manages `obj`: its Kubernetes name (which starts with the component's
 * name), its kind and, outside the gateway's namespace, its namespace. Injective because the Kubernetes names
 * are (per kind and namespace). The gateway's namespace is not written, so a team component's names do not wait
 * for the platform's outputs.
 */
export function childName(plan: EgressPlan, obj: K8sObject): string {
    if (obj.kind === "Namespace" && obj.metadata.name === plan.gateway.namespace) {
        return pulumiName(plan.name, plan.domain, objectName(plan.name, plan.domain, "namespace"), "Namespace");
    }
    const ns = obj.metadata.namespace;
    const elsewhere = ns !== undefined && ns !== plan.gateway.namespace && !isClusterScopedObject(obj.apiVersion, obj.kind);
    return pulumiName(plan.name, plan.domain, obj.metadata.name, obj.kind, elsewhere ? ns : undefined);
}

/** The Pulumi name of the gateway's Helm release. */
export function releaseChildName(plan: EgressPlan): string {
    return pulumiName(plan.name, plan.domain, objectName(plan.name, plan.domain, "release"), "Release");
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
            return new k8s.networking.v1.NetworkPolicy(name, rest, opts);
        default:
            return new k8s.apiextensions.CustomResource(name, obj, opts);
    }
}

/**
 * Registers an object whose content is only known later (e.g. it names a namespace another stack owns).
 * `shape` fixes the kind; `value` gives the content, whose kind must stay the same.
 */
export function registerObjectOutput(
    name: string,
    shape: K8sObject,
    value: pulumi.Output<K8sObject>,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const checked = value.apply((o) => {
        if (o.apiVersion !== shape.apiVersion || o.kind !== shape.kind) {
            throw new Error(`internal: ${name} changed kind from ${shape.apiVersion}/${shape.kind} to ${o.apiVersion}/${o.kind}`);
        }
        return o;
    });
    const metadata = checked.apply((o) => o.metadata);
    const spec = checked.apply((o) => o.spec as k8s.types.input.networking.v1.NetworkPolicySpec);
    switch (`${shape.apiVersion}/${shape.kind}`) {
        case "v1/Namespace":
            return new k8s.core.v1.Namespace(name, { metadata }, opts);
        case "v1/ConfigMap":
            return new k8s.core.v1.ConfigMap(name, { metadata, data: checked.apply((o) => o.data as Record<string, string>) }, opts);
        case "networking.k8s.io/v1/NetworkPolicy":
            return new k8s.networking.v1.NetworkPolicy(name, { metadata, spec }, opts);
        default:
            return new k8s.apiextensions.CustomResource(name, { apiVersion: shape.apiVersion, kind: shape.kind, metadata, spec }, opts);
    }
}

/** Registers many objects of one plan. */
export function registerObjects(plan: EgressPlan, objects: K8sObject[], opts: pulumi.CustomResourceOptions): pulumi.CustomResource[] {
    return objects.map((obj) => registerObject(childName(plan, obj), obj, opts));
}

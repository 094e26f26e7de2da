/**
 * plan → the gateway's namespace and Helm release (pure, but for the optional outputs that flow into the
 * release's inputs: chart version, repository and container resources).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { K8sObject } from "../schema/validate";
import { EgressPlan, mergeValues } from "../plan";

/** The gateway's namespace, labelled for sidecar injection (the gateway chart relies on the injector). */
export function namespaceObject(plan: EgressPlan): K8sObject {
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: plan.gateway.namespace,
            labels: { "istio-injection": "enabled", "app.kubernetes.io/managed-by": "istio-egress" },
        },
    };
}

/** The Helm values the release installs, `resources` included when they are known. */
export function helmValues(plan: EgressPlan, resources?: Record<string, any>): Record<string, any> {
    return resources === undefined ? plan.gateway.helmValues : mergeValues(plan.gateway.helmValues, { resources });
}

/** Arguments of the `helm.v3.Release` of the istio/gateway chart. */
export function releaseArgs(
    plan: EgressPlan,
    chartVersion?: pulumi.Input<string>,
    chartRepository?: pulumi.Input<string>,
    resources?: pulumi.Input<Record<string, any>>,
): k8s.helm.v3.ReleaseArgs {
    const gw = plan.gateway;
    return {
        name: gw.releaseName,
        chart: gw.chart.name,
        version: chartVersion ?? gw.chart.defaultVersion,
        repositoryOpts: { repo: chartRepository ?? gw.chart.defaultRepository },
        namespace: gw.namespace,
        createNamespace: false,
        values: resources === undefined ? helmValues(plan) : pulumi.output(resources).apply((r) => helmValues(plan, r)),
    };
}

/**
 * plan → the gateway's namespace and Helm release (pure, but for the optional outputs that flow into the
 * release's inputs: chart version, repository and container resources).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { K8sObject } from "../model";
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

/**
 * The routes catalog: a ConfigMap in the gateway's namespace listing every external host this component routes,
 * with its mode, ports and Istio objects — for operators (`kubectl get configmap <name>-routes -o yaml`) and
 * tools. It is created once every route exists, so it also serves as the rollout barrier the protected
 * namespaces' deny-by-default policies wait for: one dependency each instead of one per route.
 */
export function routesCatalog(plan: EgressPlan, namespace = plan.gateway.namespace): K8sObject {
    const hosts = plan.hosts.map((h) => ({
        host: h.host,
        mode: h.mode,
        port: h.appPort,
        targetPort: h.targetPort,
        ...(h.upstreamHost ? { upstreamHost: h.upstreamHost } : {}),
        sni: h.sni,
        objects: Object.values(h.names).filter((n): n is string => typeof n === "string"),
    }));
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${plan.name}-routes`, namespace, labels: { "app.kubernetes.io/managed-by": "istio-egress" } },
        data: {
            "hosts.json": JSON.stringify(hosts, null, 2),
            gateway: `${plan.gateway.serviceHost} (${plan.gateway.gatewayRef})`,
        },
    };
}

/**
 * plan → the gateway's namespace, its Helm release and the routes catalog (pure, but for the release's inputs
 * that may be Outputs: chart, version, repository, resources and Outputs inside `gateway.values`, which are
 * checked again once they resolve).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { K8sObject } from "../model";
import { ArgsError, EgressPlan, mergeValues, ReleasePlan } from "../plan";
import { helmValuesProblems } from "../plan/values";
import { checkResolved } from "../schema/args";

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
    const values = plan.release!.values;
    return resources === undefined ? values : mergeValues(values, { resources });
}

/**
 * The problems of resolved Helm values (the user's values merged with the component's, `resources` included):
 * the same checks as the plan's, and the chart's identity (ClusterIP, the configured labels) intact.
 */
export function resolvedValuesProblems(release: ReleasePlan, resolved: Record<string, any>, resolvedResources?: unknown): { field: string; rule: string }[] {
    // `env` is the component's own (gateway.drain): the user's `values.env` is refused at plan time, where it is
    // always visible (a top-level key of a plain map), so the resolved one is the plan's.
    const { labels: _labels, autoscaling: _a, replicaCount: _r, podDisruptionBudget: _p, resources: _res, env: _env, ...userPart } = resolved;
    const problems = [...helmValuesProblems(userPart).problems];
    if (resolved.service?.type !== "ClusterIP") problems.push({ field: "gateway.values.service.type", rule: "must stay ClusterIP" });
    for (const [k, v] of Object.entries(release.labels)) {
        if (resolved.labels?.[k] !== v) problems.push({ field: `gateway.labels["${k}"]`, rule: "must reach the chart unchanged" });
    }
    if (resolvedResources !== undefined) {
        problems.push(...checkResolved({ field: "gateway.resources", schema: { type: "object" }, value: undefined }, resolvedResources));
    }
    return problems;
}

/**
 * The values as the release's input. Plain values go in as they are. Values with Outputs (or Output resources)
 * resolve first and are checked again; a problem fails the deployment, naming the field. In a preview, values
 * that are not known yet fail closed: the preview refuses them rather than showing a release whose values were
 * never checked (docs/lockdown.md, "Helm values").
 */
export function releaseValues(plan: EgressPlan, componentName: string): pulumi.Input<Record<string, any>> {
    const release = plan.release!;
    if (!release.valuesPending) return helmValues(plan, release.resources as Record<string, any> | undefined);
    const raw = pulumi.output({ values: release.values, resources: release.resources });
    const fail = (message: string) => new pulumi.ResourceError(`istio-egress:index:EgressGateway "${componentName}": ${message}`, undefined);
    const checked = new Promise<void>((resolve, reject) => {
        (raw as any).isKnown.then(async (known: boolean) => {
            if (!known) {
                if (pulumi.runtime.isDryRun()) {
                    reject(fail("gateway.values: holds an Output that is not known during preview; the component checks Helm values before the release is created, so it refuses values it cannot see (fail closed). Use a value known at preview time (config, a StackReference output) or set it after the first deployment."));
                } else {
                    reject(fail("gateway.values: holds an Output with no value; refusing to install a release whose values were not checked"));
                }
                return;
            }
            const v = await (raw as any).promise();
            const merged = v.resources === undefined ? v.values : mergeValues(v.values, { resources: v.resources });
            const problems = resolvedValuesProblems(release, merged, v.resources);
            if (problems.length > 0) {
                reject(fail(`invalid arguments (once resolved):\n${new ArgsError(problems).problems.map((p) => `  - ${p.field}: ${p.rule}`).join("\n")}`));
            } else {
                resolve();
            }
        }, reject);
    });
    // `all` keeps the values' secrecy and dependencies; the check's rejection fails the release's registration.
    return pulumi.all([raw, pulumi.output(checked)]).apply(([v]) => (v.resources === undefined ? v.values : mergeValues(v.values, { resources: v.resources })));
}

/** Arguments of the `helm.v3.Release` of the istio/gateway chart. */
export function releaseArgs(plan: EgressPlan, componentName = plan.name): k8s.helm.v3.ReleaseArgs {
    const r = plan.release!;
    return {
        name: r.name,
        chart: r.chart,
        version: r.version,
        ...(r.repository !== undefined ? { repositoryOpts: { repo: r.repository } } : {}),
        namespace: r.namespace,
        createNamespace: false,
        ...(r.skipAwait ? { skipAwait: true } : {}),
        values: releaseValues(plan, componentName),
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
        objects: [...new Set(Object.values(h.names).filter((n): n is string => typeof n === "string"))],
    }));
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: plan.names.routesCatalog, namespace, labels: { "app.kubernetes.io/managed-by": "istio-egress" } },
        data: {
            "hosts.json": JSON.stringify(hosts, null, 2),
            gateway: `${plan.gateway.serviceHost} (${plan.gateway.gatewayRef})`,
        },
    };
}

/**
 * plan → the gateway's namespace, its Helm release and the routes catalog (pure, but for the release's inputs
 * that may be Outputs: chart, version, repository, resources and Outputs inside `gateway.values`, which are
 * checked again once they resolve).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { recordAt, type K8sObject } from "../model";
import { ArgsError, chartNameProblem, chartNeedsRepository, EgressPlan, mergeValues, ReleasePlan } from "../plan";
import { helmValuesProblems } from "../plan/values";
import { checkResolved } from "../schema/args";

/**
 * The gateway's namespace, labelled for sidecar injection (the gateway chart's pods are `image: auto` and rely on
 * the injector). Istio's injector webhooks select namespaces by `istio-injection: enabled` only for the default
 * revision; a revision's (or revision tag's) webhooks select `istio.io/rev: <revision>` and require
 * `istio-injection` to be absent (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml:
 * the `rev.namespace.` webhook vs the default revision's `namespace.` webhook). So with `gateway.revision` the
 * namespace carries only `istio.io/rev`.
 */
export function namespaceObject(plan: EgressPlan): K8sObject {
    const injection: Record<string, string> =
        plan.gateway.revision !== undefined ? { "istio.io/rev": plan.gateway.revision } : { "istio-injection": "enabled" };
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: plan.gateway.namespace,
            labels: { ...injection, "app.kubernetes.io/managed-by": "istio-egress" },
        },
    };
}

/** The Helm values the release installs, `resources` included when they are known. */
export function helmValues(plan: EgressPlan, resources?: Record<string, unknown>): Record<string, unknown> {
    const values = plan.release!.values;
    return resources === undefined ? values : mergeValues(values, { resources });
}

/**
 * The problems of resolved Helm values (the user's values merged with the component's, `resources` included):
 * the same checks as the plan's, and the chart's identity (ClusterIP, the configured labels) intact.
 */
export function resolvedValuesProblems(
    release: ReleasePlan,
    resolved: Record<string, unknown>,
    resolvedResources?: unknown,
): { field: string; rule: string }[] {
    // `env` is the component's own (gateway.drain): the user's `values.env` is refused at plan time, where it is
    // always visible (a top-level key of a plain map), so the resolved one is the plan's.
    const { labels: _labels, autoscaling: _a, replicaCount: _r, podDisruptionBudget: _p, resources: _res, env: _env, revision: _rev, ...userPart } = resolved;
    const problems = [...helmValuesProblems(userPart).problems];
    if (resolved.revision !== release.revision) {
        problems.push({
            field: "gateway.values.revision",
            rule: `must not be set (set gateway.revision); the chart would get ${JSON.stringify(resolved.revision)}`,
        });
    }
    if (recordAt(resolved.service).type !== "ClusterIP") problems.push({ field: "gateway.values.service.type", rule: "must stay ClusterIP" });
    for (const [k, v] of Object.entries(release.labels)) {
        if (recordAt(resolved.labels)[k] !== v) problems.push({ field: `gateway.labels["${k}"]`, rule: "must reach the chart unchanged" });
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
export function releaseValues(plan: EgressPlan, componentName: string): pulumi.Input<Record<string, unknown>> {
    const release = plan.release!;
    if (!release.valuesPending) return helmValues(plan, release.resources as Record<string, unknown> | undefined);
    const raw = pulumi.output({ values: release.values, resources: release.resources });
    const fail = (message: string) => new pulumi.ResourceError(`istio-egress:index:EgressGateway "${componentName}": ${message}`, undefined);
    // An Output's `isKnown` / `promise()` are @internal in @pulumi/pulumi (output.ts): typed here as they are there.
    const rawInternal = raw as unknown as {
        isKnown: Promise<boolean>;
        promise(): Promise<{ values: Record<string, unknown>; resources?: Record<string, unknown> }>;
    };
    const checked = new Promise<void>((resolve, reject) => {
        rawInternal.isKnown.then(async (known: boolean) => {
            if (!known) {
                if (pulumi.runtime.isDryRun()) {
                    reject(
                        fail(
                            "gateway.values: holds an Output that is not known during preview; the component checks Helm values before the release is created, so it refuses values it cannot see (fail closed). Use a value known at preview time (config, a StackReference output) or set it after the first deployment.",
                        ),
                    );
                } else {
                    reject(fail("gateway.values: holds an Output with no value; refusing to install a release whose values were not checked"));
                }
                return;
            }
            const v = await rawInternal.promise();
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

/**
 * A release field given as an Output (`gateway.chart`, `chartVersion`, `chartRepository`): checked against its
 * schema once it resolves; a problem fails the release's registration, naming the field. Plain values are
 * returned as they are (the plan checked them).
 */
function checkedInput(plan: EgressPlan, componentName: string, field: string, value: pulumi.Input<string>): pulumi.Input<string> {
    const deferred = plan.deferred.find((d) => d.field === field);
    if (deferred === undefined) return value;
    return pulumi.output(value).apply((resolved) => {
        const problems = checkResolved(deferred, resolved);
        const nameProblem = field === "gateway.chart" && typeof resolved === "string" ? chartNameProblem(resolved) : undefined;
        if (nameProblem !== undefined) problems.push({ field, rule: nameProblem });
        if (problems.length > 0) {
            throw new pulumi.ResourceError(
                `istio-egress:index:EgressGateway "${componentName}": invalid arguments (once resolved):\n${problems.map((p) => `  - ${p.field}: ${p.rule}`).join("\n")}`,
                undefined,
            );
        }
        return resolved;
    });
}

/** Arguments of the `helm.v3.Release` of the istio/gateway chart. */
export function releaseArgs(plan: EgressPlan, componentName = plan.name): k8s.helm.v3.ReleaseArgs {
    const r = plan.release!;
    const chart = checkedInput(plan, componentName, "gateway.chart", r.chart);
    const repository = r.repository === undefined ? undefined : checkedInput(plan, componentName, "gateway.chartRepository", r.repository);
    // A chart known only once it resolves needs the repository only if it resolves to a repository chart's name.
    const repositoryOpts: pulumi.Input<k8s.types.input.helm.v3.RepositoryOpts> | undefined =
        repository === undefined
            ? undefined
            : typeof chart === "string"
              ? { repo: repository }
              : pulumi.all([chart, repository]).apply(([c, repo]) => (chartNeedsRepository(c) ? { repo } : {}));
    return {
        name: r.name,
        chart,
        version: checkedInput(plan, componentName, "gateway.chartVersion", r.version),
        ...(repositoryOpts !== undefined ? { repositoryOpts } : {}),
        namespace: r.namespace,
        createNamespace: false,
        ...(r.skipAwait ? { skipAwait: true } : {}),
        values: releaseValues(plan, componentName),
    };
}

/**
 * What the client-certificate Secret of a MUTUAL origination must hold, for operators: the component cannot read
 * the Secret (it would put key material in the stack's state), so it says what Istio will look for.
 *
 * With `credentialName` set, the gateway's Envoy gets its client certificate over SDS from the Secret, and the CA
 * that verifies the host from the SDS resource `<credentialName>-cacert` — never from `caCertificates`, which
 * Istio's validation refuses alongside it (pilot/pkg/security/model/authentication.go
 * `ApplyCustomSDSToClientCommonTLSContext`; pkg/config/validation/agent/validation.go `ValidateTLS`). istiod
 * serves `<name>-cacert` from a Secret of that name if it exists, else from the Secret `<name>` itself, taking
 * the key `cacert`, else `ca.crt`; the certificate is `cert`/`key`, else `tls.crt`/`tls.key`
 * (pilot/pkg/credentials/kube/secrets.go `GetCaCert`, `ExtractRoot`, `ExtractCertInfo`). A plain
 * `kubernetes.io/tls` Secret without `ca.crt` gives no CA: every handshake to the host fails.
 */
export function credentialRequirements(namespace: string, credentialName: string) {
    return {
        secret: `${namespace}/${credentialName}`,
        clientCertificateKeys: [
            ["cert", "key"],
            ["tls.crt", "tls.key"],
        ],
        caSecrets: [`${namespace}/${credentialName}-cacert`, `${namespace}/${credentialName}`],
        caKeys: ["cacert", "ca.crt"],
        note: `the CA that verifies the host must be in ${credentialName}-cacert or in ${credentialName} itself (key cacert or ca.crt); without it every handshake fails`,
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
        ...(h.origination?.credentialName ? { credential: credentialRequirements(plan.gateway.namespace, h.origination.credentialName) } : {}),
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

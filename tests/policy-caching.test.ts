/**
 * What the pack computes once instead of per resource (docs/performance.md, "What the figures mean"), and the
 * guarantees that make it safe: the configuration is read once per policy per configuration and cannot be changed
 * by a rule, parsed type tokens are shared, and props are read without the analyzer's proxy only when nothing in
 * them is unknown.
 */
import * as assert from "assert";
import { ResourceValidationPolicy, UnknownValueError, unknownCheckingProxy } from "@pulumi/policy";
import { canUnwrapProxy, configReader, configSchema, fromManifests, knownProps, readConfig, runPolicies, SYSTEM_NAMESPACES } from "istio-egress-guard/lib";
import { gvkOfType, typeInfo } from "../sdk/model";
import { defaultDeny, workload } from "./fixtures/policy/workloads";
import { isRecord, valueAt } from "../sdk/model/read";

/**
 * @pulumi/policy's own proxy: the package exports it, but its declaration is stripped from the package's types
 * (`@internal`), so it is typed here.
 */
const checkUnknowns = unknownCheckingProxy as <T extends object>(props: T) => T;

/** Sets the field `path` ends with, in the object the rest of `path` leads to (which must be there). */
function setAt(v: unknown, path: string[], value: unknown): void {
    const parent = valueAt(v, ...path.slice(0, -1));
    assert.ok(isRecord(parent), `no object at ${path.slice(0, -1).join(".")}`);
    parent[path[path.length - 1]] = value;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("policy pack: work done once, safely", function () {
    this.timeout(60000);

    describe("configuration", function () {
        const schema = configSchema(["exemptNamespaces", "gatewayLabels"]);

        it("readConfig returns a deep-frozen copy: a rule cannot change it, nor the defaults, nor what getConfig returned", function () {
            const given = { exemptNamespaces: ["a"], gatewayLabels: { istio: "eg" } };
            const cfg = readConfig("p", schema, given);
            assert.deepStrictEqual(cfg.exemptNamespaces, ["a"]);
            assert.notStrictEqual(cfg.exemptNamespaces, given.exemptNamespaces);
            assert.throws(() => cfg.exemptNamespaces.push("b"), TypeError);
            assert.throws(() => {
                cfg.gatewayLabels.istio = "x";
            }, TypeError);
            assert.throws(() => cfg.gatewayNamespaces.push("b"), TypeError); // a default, not in the schema
            assert.deepStrictEqual(given, { exemptNamespaces: ["a"], gatewayLabels: { istio: "eg" } });
            assert.deepStrictEqual(SYSTEM_NAMESPACES, ["kube-system", "kube-public", "kube-node-lease", "istio-system"]);
        });

        it("configReader reads once per configuration: same values give the same object, new values a new one", function () {
            const read = configReader("p", schema);
            const ns = ["a"];
            const labels = { istio: "eg" };
            // The analyzer's getConfig() is a new shallow object on every call, over the same values.
            const first = read({ exemptNamespaces: ns, gatewayLabels: labels });
            assert.strictEqual(read({ exemptNamespaces: ns, gatewayLabels: labels }), first);
            const changed = read({ exemptNamespaces: ["b"], gatewayLabels: labels });
            assert.notStrictEqual(changed, first);
            assert.deepStrictEqual(changed.exemptNamespaces, ["b"]);
            assert.deepStrictEqual(read({ gatewayLabels: labels }).exemptNamespaces, SYSTEM_NAMESPACES); // the schema default
            assert.throws(() => read({ exemptNamespaces: "a" }), /config property "exemptNamespaces" must be a list of strings/);
            assert.throws(() => read({ exemptNamespaces: "a" }), /must be a list of strings/, "an invalid value is not remembered");
        });

        it("the harness gives each policy its own copy of its config for the run; a policy mutating it does not reach another", async function () {
            const seen: Record<string, string[][]> = { mutator: [], reader: [] };
            const policy = (name: string, mutate: boolean): ResourceValidationPolicy => ({
                name,
                description: `${name} test policy.`,
                enforcementLevel: "advisory",
                configSchema: schema,
                validateResource: (args) => {
                    const c = args.getConfig<{ exemptNamespaces: string[] }>();
                    seen[name].push([...c.exemptNamespaces]);
                    if (mutate) {
                        c.exemptNamespaces.push("added");
                        c.exemptNamespaces = ["replaced"]; // the top level is a fresh copy per call
                    }
                },
            });
            const config = { mutator: { exemptNamespaces: ["x"] }, reader: { exemptNamespaces: ["x"] } };
            const objs = fromManifests([workload("Pod", "a", "apps"), workload("Pod", "b", "apps")]);
            const policies = [policy("mutator", true), policy("reader", false)];
            await runPolicies(objs, { policies, config });
            // As in the analyzer, nested values persist between one policy's calls within a run...
            assert.deepStrictEqual(seen.mutator, [["x"], ["x", "added"]]);
            // ...but never reach another policy, the caller's config, or the next run.
            assert.deepStrictEqual(seen.reader, [["x"], ["x"]]);
            assert.deepStrictEqual(config, { mutator: { exemptNamespaces: ["x"] }, reader: { exemptNamespaces: ["x"] } });
            seen.mutator = [];
            await runPolicies(objs, { policies, config });
            assert.deepStrictEqual(seen.mutator[0], ["x"]);
        });

        it("a new configuration between runs takes effect (the pack does not keep the previous run's config)", async function () {
            const objs = fromManifests([workload("Pod", "p", "apps", { spec: { hostNetwork: true } }), defaultDeny("apps")]);
            const escape = (vs: { policy: string }[]) => vs.filter((v) => v.policy === "no-proxy-escape-privileges").length;
            assert.strictEqual(escape(await runPolicies(objs)), 1);
            assert.strictEqual(escape(await runPolicies(objs, { config: { "no-proxy-escape-privileges": { exemptNamespaces: ["apps"] } } })), 0);
            assert.strictEqual(escape(await runPolicies(objs)), 1);
        });
    });

    describe("type tokens", function () {
        it("are parsed once and shared, frozen; gvkOfType still hands out its own copy", function () {
            const t = "kubernetes:apps/v1:DeploymentPatch";
            assert.strictEqual(typeInfo(t), typeInfo(t));
            assert.ok(Object.isFrozen(typeInfo(t)));
            assert.deepStrictEqual(
                { ...typeInfo(t) },
                {
                    gvk: { apiVersion: "apps/v1", group: "apps", version: "v1", kind: "DeploymentPatch" },
                    helm: false,
                    kind: "Deployment",
                    group: "apps",
                    patch: true,
                    clusterScoped: false,
                },
            );
            const g = gvkOfType(t)!;
            g.kind = "changed";
            assert.strictEqual(gvkOfType(t)!.kind, "DeploymentPatch");
            assert.deepStrictEqual([typeInfo("kubernetes:helm.sh/v3:Release").kind, typeInfo("kubernetes:helm.sh/v3:Release").group], ["Release", "helm.sh"]);
            assert.strictEqual(typeInfo("kubernetes:core/v1:Namespace").clusterScoped, true);
            assert.strictEqual(typeInfo("kubernetes:core/v1:Namespace").group, "");
            assert.deepStrictEqual([typeInfo("aws:s3/bucket:Bucket").gvk, typeInfo("aws:s3/bucket:Bucket").kind], [undefined, undefined]);
        });
    });

    describe("props without the analyzer's proxy", function () {
        it("sees through @pulumi/policy's proxy when nothing is unknown, and keeps it otherwise", function () {
            assert.ok(canUnwrapProxy, "this @pulumi/policy's proxy internals were not found");
            const known = { metadata: { name: "a" }, spec: { containers: [{ name: "c", ports: [1, 2] }] } };
            const proxied = checkUnknowns(known);
            assert.strictEqual(knownProps(proxied), known);
            assert.strictEqual(knownProps(known), known, "a plain object is used as it is");

            const deep = { spec: { template: { spec: { containers: [{ name: "c", env: [{ value: UNKNOWN }] }] } } } };
            const deepProxy = checkUnknowns(deep);
            assert.strictEqual(knownProps(deepProxy), deepProxy);
            assert.throws(
                () => knownProps(deepProxy).spec.template.spec.containers[0].env[0].value,
                (e: unknown) => e instanceof UnknownValueError,
            );

            class Opaque {
                constructor(public hidden: string) {}
            }
            const opaque = checkUnknowns({ a: new Opaque("x") });
            assert.strictEqual(knownProps(opaque), opaque, "anything but plain objects and arrays keeps the proxy");
        });

        it("an unknown value the rules never read still lets them judge the rest (as through the proxy)", async function () {
            const objs = fromManifests([workload("Deployment", "web", "apps", { spec: { hostNetwork: true } }), defaultDeny("apps")]);
            const dep = objs[0];
            setAt(dep.props, ["spec", "replicas"], UNKNOWN); // no rule reads replicas
            const vs = await runPolicies(objs);
            assert.deepStrictEqual(
                vs.map((v) => [v.policy, v.enforcementLevel]),
                [["no-proxy-escape-privileges", "mandatory"]],
            );
            setAt(dep.props, ["spec", "template", "spec", "hostNetwork"], UNKNOWN); // read by the rule: the analyzer's advisory
            const late = await runPolicies(objs);
            assert.deepStrictEqual(
                late.map((v) => [v.policy, v.enforcementLevel]),
                [["no-proxy-escape-privileges", "advisory"]],
            );
            assert.match(late[0].message, /can't run policy 'no-proxy-escape-privileges'.*\.spec\.template\.spec\.hostNetwork/);
        });

        it("a stack policy judges every resource when an unknown value sits where no rule reads", async function () {
            const objs = fromManifests([workload("Deployment", "web", "shop"), workload("Deployment", "api", "apps"), defaultDeny("apps")]);
            setAt(objs[1].props, ["metadata", "labels"], { team: UNKNOWN });
            const vs = (await runPolicies(objs)).filter((v) => v.policy === "namespace-default-deny-egress");
            assert.deepStrictEqual(
                vs.map((v) => [v.enforcementLevel, v.resource.name]),
                [["mandatory", "web"]],
            );
            setAt(objs[1].props, ["metadata", "namespace"], UNKNOWN); // read by every stack policy
            const late = (await runPolicies(objs)).filter((v) => v.policy === "namespace-default-deny-egress");
            assert.deepStrictEqual(late.map((v) => v.enforcementLevel).sort(), ["advisory", "mandatory"]);
        });
    });
});

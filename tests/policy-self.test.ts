/**
 * The pack against the component's own output (issue 11, pack side): the full output with every option on — every
 * host mode, every lock-down option, the production settings, an EgressRoutes team and istiod with the audit
 * provider — rendered through the mock engine, yields no violation; and every object the component emits is judged
 * by each rule that applies to its kind: the rule reads the object beyond its name (no rule silently skips the
 * component's objects, e.g. by a namespace exemption, a type token it does not match, or labels it does not know).
 *
 * The pack is configured with the gateway the plan describes (its namespace, labels, Service host), so these tests
 * follow the component's defaults when they change.
 */
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { runProgram } from "../sdk/engine/mock-engine";
import { fromCaptured } from "../sdk/render/objects";
import { buildPlan } from "../sdk/plan";
import { egressAuditLogProvider, typeInfo } from "../sdk/model";
import type { PolicyResourceOptions } from "@pulumi/policy";
import { PolicyResource, policies, policyAppliesTo, reconcileConfig, runPolicies } from "istio-egress-guard/lib";
import { asObject, isRecord, recordAt, shown, stringAt, valueAt } from "../sdk/model/read";
import { FULL_ARGS, packConfigFor, teamArgs } from "./fixtures/policy/component";

const plan = buildPlan("egress", FULL_ARGS);
const config = packConfigFor(plan);

/** The full program: the platform gateway, a team attached to its outputs, istiod with the audit provider. */
async function render(preview: boolean): Promise<PolicyResource[]> {
    const { EgressGateway } = await import("../sdk/component.js");
    const { EgressRoutes } = await import("../sdk/routes.js");
    const r = await runProgram(
        () => {
            const gw = new EgressGateway("egress", FULL_ARGS);
            const t = teamArgs(plan);
            new EgressRoutes("team", {
                ...t,
                gateway: { namespace: gw.namespace, serviceName: gw.serviceName, labels: gw.labels, containerPorts: gw.containerPorts },
            });
            new k8s.helm.v3.Release("istiod", {
                name: "istiod",
                chart: "istiod",
                namespace: "istio-system",
                repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
                values: { meshConfig: { extensionProviders: [egressAuditLogProvider()] } },
            });
        },
        { preview },
    );
    return fromCaptured(r.resources);
}

/** A proxy recording every property path read below `path` (`spec`, `spec.servers`, ...). */
function recording<T extends object>(value: T, path: string, reads: Set<string>): T {
    return new Proxy(value, {
        get(target, key, receiver) {
            const v: unknown = Reflect.get(target, key, receiver);
            if (typeof key !== "string") return v;
            const p = path ? `${path}.${key}` : key;
            reads.add(p);
            return v !== null && typeof v === "object" ? recording(v, p, reads) : v;
        },
        ownKeys(target) {
            reads.add(path ? `${path}.*` : "*");
            return Reflect.ownKeys(target);
        },
    });
}

/** Reads that say nothing about the object: its identity, and the pack's probe for @pulumi/policy's proxy. */
const IDENTITY = /^(apiVersion|kind|metadata|metadata\.name|metadata\.namespace|name|namespace|__.*|[a-z]*Proxy.*)$/;

/** The paths `policy` reads of `target` when it runs over `resources` (the analyzer's config for it). */
async function readsOf(
    policy: (typeof policies)[number],
    target: PolicyResource,
    resources: PolicyResource[],
    cfg: ReturnType<typeof reconcileConfig>,
): Promise<string[]> {
    const { enforcementLevel: _l, ...properties } = cfg[policy.name] ?? {};
    const reads = new Set<string>();
    const copy = (r: PolicyResource) => asObject(JSON.parse(JSON.stringify(r.props)));
    const wrap = (r: PolicyResource) => (r === target ? recording(copy(r), "", reads) : copy(r));
    // getConfig<T>() is typed by its caller (the pack's policies ask for Record<string, unknown>), as in the harness.
    const base = {
        getConfig: <T extends object>() => ({ ...properties }) as T,
        stackTags: new Map<string, string>(),
        notApplicable: () => {
            throw new Error("notApplicable");
        },
    };
    const opts: PolicyResourceOptions = {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
    };
    if ("validateResource" in policy && typeof policy.validateResource === "function") {
        const props = wrap(target);
        await policy.validateResource(
            { ...base, type: target.type, props, urn: target.urn, name: target.name, opts, isType: () => false, asType: () => undefined },
            () => undefined,
        );
    } else {
        assert.ok("validateStack" in policy, `${policy.name} is a resource policy with one validate function, or a stack policy`);
        const rs = resources.map((r) => ({
            type: r.type,
            props: wrap(r),
            urn: r.urn,
            name: r.name,
            opts,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        }));
        await policy.validateStack({ ...base, resources: rs }, () => undefined);
    }
    return [...reads].filter((p) => !IDENTITY.test(p));
}

describe("policy pack: the component's own output, every option on", function () {
    this.timeout(120000);
    let up: PolicyResource[];
    before(async function () {
        up = await render(false);
    });

    it("renders every host mode, lock-down option, production setting and a team", function () {
        const kinds = new Set(up.map((r) => typeInfo(r.type).kind));
        for (const k of [
            "Gateway",
            "VirtualService",
            "ServiceEntry",
            "DestinationRule",
            "AuthorizationPolicy",
            "PeerAuthentication",
            "Telemetry",
            "Sidecar",
            "NetworkPolicy",
            "Release",
            "Namespace",
        ]) {
            assert.ok(kinds.has(k), `no ${k} rendered`);
        }
        const gw = up.find((r) => r.props.chart === "gateway");
        const values = recordAt(gw?.props, "values");
        assert.ok(values.env && values.tolerations && values.topologySpreadConstraints && values.affinity && values.nodeSelector, "production values");
        const text = JSON.stringify(up.map((r) => r.props));
        for (const needle of [
            "169.254.20.10",
            "cert-manager-istio-csr",
            "otel-collector",
            "172.31.5.0/28",
            "istio-egress-audit",
            "api.stripe.com",
            "MUTUAL",
            "outlierDetection",
        ]) {
            assert.ok(text.includes(needle), needle);
        }
    });

    it("passes with zero violations (pulumi up)", async function () {
        const vs = await runPolicies(up, { config });
        assert.deepStrictEqual(
            vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.kind} ${v.resource.namespace}/${v.resource.name}: ${v.message}`),
            [],
        );
    });

    it("passes with zero violations in preview too (the component's values are known at preview time)", async function () {
        const vs = await runPolicies(await render(true), { config });
        assert.deepStrictEqual(
            vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.kind}/${v.resource.name}: ${v.message}`),
            [],
        );
    });

    it("every object the component emits is judged by each rule that applies to its kind", async function () {
        const cfg = reconcileConfig(policies, config);
        const kindsWithoutRule: string[] = [];
        const skipped: string[] = [];
        // One representative object per (kind, namespace, purpose) would do; every object is cheap enough.
        for (const r of up) {
            const kind = typeInfo(r.type).kind!;
            const applicable = policies.filter((p) => policyAppliesTo(p, kind));
            if (applicable.length === 0) {
                kindsWithoutRule.push(kind);
                continue;
            }
            for (const p of applicable) {
                const reads = await readsOf(p, r, up, cfg);
                const meta = recordAt(r.props, "metadata");
                const id =
                    r.props.chart !== undefined ? `${shown(r.props.namespace)}/${shown(r.props.name)}` : `${shown(meta.namespace ?? "-")}/${shown(meta.name)}`;
                if (reads.length === 0) skipped.push(`${p.name} never reads ${kind} ${id}`);
            }
        }
        // Kinds no rule looks at: the routes catalog ConfigMap is read (by name) by registry-only-outbound only.
        assert.deepStrictEqual([...new Set(kindsWithoutRule)], []);
        assert.deepStrictEqual(
            skipped.filter((s) => !EXPECTED_UNREAD.some((re) => re.test(s))),
            [],
        );
    });

    it("and the rules judge them: the component's objects with one trick each are reported", async function () {
        const tricks: [string, (r: PolicyResource) => boolean, (props: Record<string, unknown>) => void, string][] = [
            ["Gateway", (r) => r.props.kind === "Gateway", (p) => setAt(p, ["spec", "servers", 0, "tls", "mode"], "SIMPLE"), "egress-gateway-istio-mutual"],
            ["ServiceEntry", (r) => r.props.kind === "ServiceEntry", (p) => setAt(p, ["spec", "hosts"], ["*"]), "no-open-service-entry"],
            [
                "VirtualService",
                (r) => r.props.kind === "VirtualService" && !!valueAt(r.props, "spec", "tls"),
                (p) => setAt(p, ["spec", "tls", 0, "route", 0, "destination", "host"], valueAt(p, "spec", "hosts", 0)),
                "service-entry-via-egress-gateway",
            ],
            [
                "DestinationRule",
                (r) => r.props.kind === "DestinationRule" && valueAt(r.props, "spec", "exportTo", 0) === ".",
                (p) => setAt(p, ["spec", "trafficPolicy", "portLevelSettings", 0, "tls", "insecureSkipVerify"], true),
                "egress-tls-origination-verified",
            ],
            [
                "AuthorizationPolicy",
                (r) => r.props.kind === "AuthorizationPolicy" && valueAt(r.props, "spec", "action") === "ALLOW",
                (p) => pushAt(p, ["spec", "rules"], { to: [{ operation: { ports: ["443"] } }] }),
                "egress-gateway-control",
            ],
            [
                "PeerAuthentication",
                (r) => r.props.kind === "PeerAuthentication",
                (p) => setAt(p, ["spec", "mtls", "mode"], "PERMISSIVE"),
                "egress-gateway-control",
            ],
            [
                "Telemetry",
                (r) => r.props.kind === "Telemetry",
                (p) => setAt(p, ["spec", "accessLogging", 0, "providers", 0, "name"], "envoy"),
                "egress-gateway-access-log",
            ],
            ["Sidecar", (r) => r.props.kind === "Sidecar", (p) => setAt(p, ["spec", "outboundTrafficPolicy", "mode"], "ALLOW_ANY"), "registry-only-outbound"],
            [
                "NetworkPolicy",
                (r) =>
                    r.props.kind === "NetworkPolicy" &&
                    /egress-node-dns/.test(stringAt(r.props, "metadata", "name") ?? "") &&
                    valueAt(r.props, "metadata", "namespace") !== plan.gateway.namespace,
                (p) => pushAt(p, ["spec", "egress", 0, "ports"], { protocol: "TCP", port: 443 }),
                "no-external-egress-networkpolicy",
            ],
            ["Release", (r) => r.props.chart === "gateway", (p) => setAt(p, ["values", "env", "CA_ADDR"], "evil:15012"), "egress-gateway-cluster-ip"],
            [
                "Gateway selecting other pods (routing)",
                (r) => r.props.kind === "Gateway" && valueAt(r.props, "metadata", "name") === plan.gateway.gatewayName,
                (p) => setAt(p, ["spec", "selector"], { app: "not-the-gateway" }),
                "service-entry-via-egress-gateway",
            ],
            [
                "VirtualService moved out of the gateway namespace",
                (r) => r.props.kind === "VirtualService",
                (p) => setAt(p, ["metadata", "namespace"], "app-a"),
                "egress-gateway-control",
            ],
            [
                "istiod Release without the audit provider",
                (r) => r.props.chart === "istiod",
                (p) => setAt(p, ["values", "meshConfig"], {}),
                "egress-gateway-access-log",
            ],
            [
                "Release with a key-less toleration",
                (r) => r.props.chart === "gateway",
                (p) => pushAt(p, ["values", "tolerations"], { operator: "Exists" }),
                "egress-gateway-cluster-ip",
            ],
            ["Namespace", (r) => r.props.kind === "Namespace", (p) => setAt(p, ["metadata", "labels", "istio-injection"], "disabled"), ""],
        ];
        for (const [kind, pick, edit, policy] of tricks) {
            const i = up.findIndex(pick);
            assert.ok(i >= 0, `no ${kind} to trick`);
            const props = asObject(JSON.parse(JSON.stringify(up[i].props)));
            edit(props);
            const vs = await runPolicies(
                up.map((r, j) => (j === i ? { ...r, props } : r)),
                { config },
            );
            if (policy === "") {
                // The gateway's own Namespace is trusted (gateway namespaces are exempt from the workload rules):
                // without injection the chart's `image: auto` pods never start, which fails closed.
                assert.deepStrictEqual(vs, [], kind);
                continue;
            }
            assert.ok(
                vs.some((v) => v.policy === policy && v.enforcementLevel === "mandatory"),
                `${kind}: ${policy} did not report the trick; got ${JSON.stringify(vs.map((v) => v.policy))}`,
            );
        }
    });
});

/** Sets the field `path` ends with, in the object the rest of `path` leads to (which must be there). */
function setAt(v: unknown, path: (string | number)[], value: unknown): void {
    const parent = valueAt(v, ...path.slice(0, -1));
    const last = path[path.length - 1];
    assert.ok(isRecord(parent) && typeof last === "string", `no object at ${path.slice(0, -1).join(".")}`);
    parent[last] = value;
}

/** Appends to the list at `path` (which must be there). */
function pushAt(v: unknown, path: (string | number)[], item: unknown): void {
    const list = valueAt(v, ...path);
    assert.ok(Array.isArray(list), `no list at ${path.join(".")}`);
    list.push(item);
}

/**
 * Rules that apply to a kind but need not read every object of it, each with why it is right. Anything else a rule
 * skips fails the test above.
 */
const EXPECTED_UNREAD: RegExp[] = [
    // The gateway's own Namespace: the workload rules trust the gateway namespaces (docs/policy-pack.md, "Scope");
    // were injection off there, the chart's `image: auto` pods could not start (fails closed, not open).
    new RegExp(`^sidecar-injection-required never reads Namespace -/${plan.gateway.namespace}$`),
    // Namespace objects only name the object a namespace's finding is reported on (default-deny), or say that the
    // stack holds a gateway namespace (gateway-cluster-rbac): their name is what these rules use.
    new RegExp(`^(namespace-default-deny-egress|gateway-cluster-rbac) never reads Namespace -/${plan.gateway.namespace}$`),
    // The routes catalogs: registry-only-outbound reads ConfigMaps named istio / istio-<rev> (the mesh config) only.
    /^registry-only-outbound never reads ConfigMap [^/]+\/[a-z0-9-]*routes[a-z0-9-]*$/,
];

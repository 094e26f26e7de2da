/**
 * Issue 10 items 5 and 6, under the mock engine:
 *  - order independence: the same set of hosts, namespaces, rules and CIDRs in any order gives byte-identical
 *    resources (no spurious updates);
 *  - aliases: renaming a component with `aliases: [{ name: old }]` keeps every child — each child is registered
 *    with an alias resolving to its old URN, shortened (hashed) names included;
 *  - the one-program rollout order: an `EgressRoutes` given an `EgressGateway` of the same program depends on the
 *    gateway's Helm release and routes catalog;
 *  - an Output in `gateway.values` that is unknown in preview is refused, naming the field, and no release is
 *    registered.
 */
import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CapturedResource, runProgram } from "../sdk/engine/mock-engine";
import { AccessRuleArgs, EgressGatewayArgs, EgressMode, EgressRoutesArgs, ExternalHostArgs } from "../sdk/args";
import { EgressGateway } from "../sdk/component";
import { EgressRoutes } from "../sdk/routes";
import { ArgsError, buildPlan, buildTeamPlan, GatewayReference } from "../sdk/plan";
import { routingManifests } from "../sdk/manifests/routing";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import { namespaceObject, releaseArgs, routesCatalog } from "../sdk/manifests/gateway";
import { teamManifests } from "../sdk/manifests/team";
import { NAME_LIMIT } from "../sdk/plan/names";
import { errorMessage, stringAt, valueAt } from "../sdk/model/read";
import { capturedResourcesOf } from "./helpers/captured";

/** A host name long enough that its objects' Kubernetes names are shortened with a hash. */
/** The platform gateway as a team references it (EgressGateway's outputs under the defaults, from the plan). */
const PLATFORM_REF: GatewayReference = (() => {
    const gw = buildPlan("platform", {}).gateway;
    return { namespace: gw.namespace, serviceName: gw.serviceName, labels: gw.labels, containerPorts: { http: 80, tls: 443 } };
})();

const LONG = "a-very-long-subdomain-name-for-testing.service.example-company.com";

const HOSTS: ExternalHostArgs[] = [
    {
        host: "httpbin.org",
        mode: EgressMode.Http,
        allow: [{ namespaces: ["app-b", "app-a"] }, { serviceAccounts: ["app-c/reporting", "app-a/web"] }],
        deny: [{ namespaces: ["app-c"], methods: ["POST", "DELETE"], paths: ["/admin*", "/delete"] }],
    },
    { host: "api.example.com", mode: EgressMode.TlsOrigination, subjectAltNames: ["api.example.com", "alt.example.com"], allow: [{ namespaces: ["app-b"] }] },
    { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "www.wikipedia.org", allow: [{ namespaces: ["app-a"] }] },
    { host: "partner.example.net", mode: EgressMode.MutualTlsOrigination, credentialName: "partner-client" },
    { host: "edition.cnn.com", mode: EgressMode.Tls, port: 8443, targetPort: 443 },
    { host: LONG, mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["app-a"] }] },
];

const NAMESPACES = [{ name: "app-a" }, { name: "app-b" }, { name: "app-c", registryOnlySidecar: false }];
const EXTRA = [
    { name: "postgres", cidr: "10.20.0.0/16", ports: [5433, 5432] },
    { name: "kube-apiserver", cidr: "34.1.2.3/32", ports: [443] },
];

/** Every list of the args in an order fast-check chooses (the same sets). */
function permutedArgs(): fc.Arbitrary<EgressGatewayArgs> {
    const perm = <T>(xs: readonly T[]) => fc.shuffledSubarray([...xs], { minLength: xs.length, maxLength: xs.length });
    /** A rule with its own lists permuted. */
    const rule = (r: AccessRuleArgs) =>
        fc
            .record({
                namespaces: r.namespaces ? perm(r.namespaces) : fc.constant(undefined),
                serviceAccounts: r.serviceAccounts ? perm(r.serviceAccounts) : fc.constant(undefined),
                methods: r.methods ? perm(r.methods) : fc.constant(undefined),
                paths: r.paths ? perm(r.paths) : fc.constant(undefined),
            })
            .map((lists) => Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined)) as AccessRuleArgs);
    const rules = (rs: AccessRuleArgs[] | undefined) => (rs ? fc.tuple(...rs.map(rule)).chain((xs) => perm(xs)) : fc.constant(undefined));
    /** A host with its rules (and each rule's lists) and subject alt names permuted. */
    const host = (h: ExternalHostArgs) =>
        fc
            .record({ allow: rules(h.allow), deny: rules(h.deny), subjectAltNames: h.subjectAltNames ? perm(h.subjectAltNames) : fc.constant(undefined) })
            .map((lists) => ({ ...h, ...Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined)) }));
    return fc
        .record({
            hosts: fc.tuple(...HOSTS.map(host)).chain((hs) => perm(hs)),
            namespaces: perm(NAMESPACES),
            extra: fc.tuple(perm(EXTRA), perm(EXTRA[0].ports)),
            clusterCidrs: perm(["10.0.0.0/14", "172.16.0.0/12", "fd00:10::/56"]),
            externalPorts: perm([8443, 443, 9443]),
        })
        .map(({ hosts, namespaces, extra: [extras, pgPorts], clusterCidrs, externalPorts }) => ({
            hosts,
            lockdown: {
                namespaces,
                extraEgressCidrs: extras.map((e) => (e.name === "postgres" ? { ...e, ports: pgPorts } : e)),
                clusterCidrs,
                externalPorts,
            },
        }));
}

const CANONICAL: EgressGatewayArgs = {
    hosts: HOSTS,
    lockdown: {
        namespaces: NAMESPACES,
        extraEgressCidrs: EXTRA,
        clusterCidrs: ["10.0.0.0/14", "172.16.0.0/12", "fd00:10::/56"],
        externalPorts: [8443, 443, 9443],
    },
};

/** Everything the engine is told, per resource, as text: type, name, URN, parent, inputs, dependencies. */
function registrations(resources: CapturedResource[]): string[] {
    return resources.map((r) =>
        JSON.stringify({ urn: r.urn, parent: r.parent, inputs: r.inputs, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies }),
    );
}

function platformObjects(args: EgressGatewayArgs): string {
    const plan = buildPlan("egress", args);
    const routing = routingManifests(plan);
    const lockdown = lockdownManifests(plan);
    const release = releaseArgs(plan);
    return JSON.stringify({
        namespace: namespaceObject(plan),
        shared: routing.shared,
        perHost: [...routing.perHost.entries()],
        lockdown,
        catalog: routesCatalog(plan),
        release: { ...release, values: release.values },
    });
}

describe("order independence: the same sets in any order give identical objects", function () {
    this.timeout(120000);

    it("plan and manifests (pure): 200 permutations of hosts, namespaces, rules, CIDRs and ports", () => {
        const expected = platformObjects(CANONICAL);
        fc.assert(
            fc.property(permutedArgs(), (args) => {
                assert.strictEqual(platformObjects(args), expected);
            }),
            { numRuns: 200, seed: 10 },
        );
    });

    it("the test can fail: a different set (one namespace fewer) gives different objects", () => {
        assert.notStrictEqual(
            platformObjects({ ...CANONICAL, lockdown: { ...CANONICAL.lockdown, namespaces: NAMESPACES.slice(1) } }),
            platformObjects(CANONICAL),
        );
    });

    it("under the mock engine: every registration (inputs, parents, dependencies) byte-identical, for 4 permutations", async () => {
        const run = async (args: EgressGatewayArgs) =>
            registrations(
                (
                    await runProgram(() => {
                        new EgressGateway("egress", args);
                    })
                ).resources,
            );
        const expected = await run(CANONICAL);
        const samples = fc.sample(permutedArgs(), { numRuns: 4, seed: 7 });
        // Reversing everything is one of the orders checked.
        samples.push({
            hosts: [...HOSTS].reverse(),
            lockdown: {
                ...CANONICAL.lockdown,
                namespaces: [...NAMESPACES].reverse(),
                extraEgressCidrs: [...EXTRA].reverse(),
                clusterCidrs: [...CANONICAL.lockdown!.clusterCidrs!].reverse(),
            },
        });
        for (const args of samples) {
            const got = await run(args);
            // Same registrations in the same order: nothing Pulumi would show as a change.
            assert.deepStrictEqual(got, expected);
        }
    });

    it("a team component too (EgressRoutes): hosts and namespaces in any order, pure and under the engine", async () => {
        const ref: GatewayReference = PLATFORM_REF;
        const team = (hosts: ExternalHostArgs[], namespaces: typeof NAMESPACES): EgressRoutesArgs => ({
            gateway: ref,
            hosts,
            namespaces,
            extraEgressCidrs: EXTRA,
        });
        const pure = (args: EgressRoutesArgs) => JSON.stringify(teamManifests(buildTeamPlan("payments", args, ref)));
        const expected = pure(team(HOSTS, NAMESPACES));
        fc.assert(
            fc.property(
                fc.shuffledSubarray(HOSTS, { minLength: HOSTS.length }),
                fc.shuffledSubarray(NAMESPACES, { minLength: NAMESPACES.length }),
                (hosts, namespaces) => {
                    assert.strictEqual(pure(team(hosts, namespaces)), expected);
                },
            ),
            { numRuns: 100, seed: 3 },
        );
        const engine = async (args: EgressRoutesArgs) =>
            registrations(
                (
                    await runProgram(() => {
                        new EgressRoutes("payments", args);
                    })
                ).resources,
            );
        assert.deepStrictEqual(await engine(team([...HOSTS].reverse(), [...NAMESPACES].reverse())), await engine(team(HOSTS, NAMESPACES)));
    });
});

/** The URNs of a run's resources, and each resource's alias URNs (resolved by the mock engine as the engine would). */
function aliasCheck(before: CapturedResource[], after: CapturedResource[]): { adopted: Map<string, string>; orphans: string[] } {
    const oldUrns = new Set(before.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn));
    const adopted = new Map<string, string>();
    const orphans: string[] = [];
    for (const r of after) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const hits = r.aliases.filter((u) => oldUrns.has(u));
        if (hits.length !== 1) orphans.push(`${r.name}: aliases ${JSON.stringify(r.aliases)}`);
        else adopted.set(hits[0], r.urn);
    }
    return { adopted, orphans };
}

describe("renaming with aliases keeps every child", function () {
    this.timeout(120000);

    const args: EgressGatewayArgs = {
        ...CANONICAL,
        hosts: [...HOSTS, { host: `*.${LONG}`, mode: EgressMode.Tls, upstreamHost: `edge.${LONG}` }],
        lockdown: {
            ...CANONICAL.lockdown,
            extraEgressCidrs: [...EXTRA, { name: "a-database-with-a-rather-long-and-descriptive-name-here", cidr: "10.30.0.0/16", ports: [3306] }],
        },
    };

    it("EgressGateway: each child (shortened names included) is registered with an alias resolving to its old URN", async () => {
        const before = (
            await runProgram(() => {
                new EgressGateway("egress", args);
            })
        ).resources;
        const after = (
            await runProgram(() => {
                new EgressGateway("platform-egress", args, { aliases: [{ name: "egress" }] });
            })
        ).resources;
        const shortened = before.filter((r) => (stringAt(r.inputs, "metadata", "name") ?? "").includes("---"));
        assert.ok(shortened.length >= 8, `the case includes names shortened with a hash (${shortened.length})`);
        assert.ok(shortened.every((r) => (stringAt(r.inputs, "metadata", "name") ?? "").length <= NAME_LIMIT));
        const { adopted, orphans } = aliasCheck(before, after);
        assert.deepStrictEqual(orphans, [], "every new resource adopts exactly one old one");
        const oldUrns = before.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn);
        assert.deepStrictEqual([...adopted.keys()].sort(), [...oldUrns].sort(), "and every old resource is adopted: nothing is deleted");
        // The Helm release and the gateway's namespace keep their Kubernetes names: they are updated in place.
        const release = after.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
        assert.strictEqual(release.inputs.name, before.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!.inputs.name);
        assert.ok(after.some((r) => r.type === "kubernetes:core/v1:Namespace" && valueAt(r.inputs, "metadata", "name") === "istio-egress"));
    });

    it("EgressGateway with namePrefix set to the old name: every child is the same resource (URN, Kubernetes name, inputs): nothing is replaced", async () => {
        const children = (rs: CapturedResource[]) =>
            rs
                .filter((r) => r.type !== "pulumi:pulumi:Stack" && r.type !== "istio-egress:index:EgressGateway")
                .map((r) => ({ urn: r.urn, inputs: JSON.stringify(r.inputs) }))
                .sort((a, b) => a.urn.localeCompare(b.urn));
        const before = (await runProgram(() => void new EgressGateway("egress", args))).resources;
        const renamed = (
            await runProgram(() => void new EgressGateway("platform-egress", { ...args, namePrefix: "egress" }, { aliases: [{ name: "egress" }] }))
        ).resources;
        assert.deepStrictEqual(children(renamed), children(before));
        // The component itself is adopted through its alias.
        const { orphans } = aliasCheck(
            before,
            renamed.filter((r) => r.type === "istio-egress:index:EgressGateway"),
        );
        assert.deepStrictEqual(orphans, []);
        // The check can fail: the rename without namePrefix changes the Kubernetes names.
        const plain = (await runProgram(() => void new EgressGateway("platform-egress", args, { aliases: [{ name: "egress" }] }))).resources;
        assert.notDeepStrictEqual(
            children(plain).map((c) => c.inputs),
            children(before).map((c) => c.inputs),
        );
    });

    it("namePrefix is checked like a component name, naming the field", () => {
        assert.throws(
            () => buildPlan("egress", { ...args, namePrefix: "Not_A_Label" }),
            (e: unknown) => e instanceof ArgsError && e.problems.some((p) => p.field === "namePrefix" && /DNS-1123 label/.test(p.rule)),
        );
        assert.throws(
            () => buildPlan("egress", { ...args, namePrefix: 7 as unknown as string }),
            (e: unknown) => e instanceof ArgsError && e.problems.some((p) => p.field === "namePrefix"),
        );
        assert.strictEqual(buildPlan("Any Name At All", { ...args, namePrefix: "egress" }).name, "egress");
    });

    it("the check can fail: without aliases no child adopts an old one", async () => {
        const before = (await runProgram(() => void new EgressGateway("egress", args))).resources;
        const after = (await runProgram(() => void new EgressGateway("platform-egress", args))).resources;
        const { adopted } = aliasCheck(before, after);
        assert.strictEqual(adopted.size, 0);
    });

    it("EgressRoutes: the same, for a team component renamed with aliases", async () => {
        const team = (name: string, opts: pulumi.ComponentResourceOptions = {}) =>
            runProgram(() => {
                new EgressRoutes(
                    name,
                    {
                        gateway: PLATFORM_REF,
                        hosts: [
                            { host: "api.stripe.com", mode: EgressMode.Tls, allow: [{ namespaces: ["payments"] }] },
                            { host: LONG, mode: EgressMode.TlsOrigination },
                        ],
                        namespaces: [{ name: "payments" }],
                    },
                    opts,
                );
            });
        const before = (await team("payments")).resources;
        const after = (await team("payments-team", { aliases: [{ name: "payments" }] })).resources;
        assert.ok(
            before.some((r) => (stringAt(r.inputs, "metadata", "name") ?? "").includes("---")),
            "shortened names among them",
        );
        const { adopted, orphans } = aliasCheck(before, after);
        assert.deepStrictEqual(orphans, []);
        assert.strictEqual(adopted.size, before.length - 1);
    });
});

describe("one program: EgressRoutes given an EgressGateway waits for its release and routes catalog", function () {
    this.timeout(120000);

    async function program(fromGateway: boolean) {
        const { resources } = await runProgram(() => {
            const platform = new EgressGateway("platform", { hosts: [{ host: "api.github.com", mode: EgressMode.Tls }] });
            new EgressRoutes("payments", {
                gateway: fromGateway
                    ? platform
                    : // The same values, typed in: nothing ties the team to the platform's resources.
                      PLATFORM_REF,
                hosts: [{ host: "api.stripe.com", mode: EgressMode.Tls, allow: [{ serviceAccounts: ["payments/checkout"] }] }],
                namespaces: [{ name: "payments" }],
            });
        });
        const platformUrn = resources.find((r) => r.type === "istio-egress:index:EgressGateway")!.urn;
        const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
        const catalog = resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.parent === platformUrn)!;
        const teamUrn = resources.find((r) => r.type === "istio-egress:index:EgressRoutes")!.urn;
        const teamChildren = resources.filter((r) => r.parent === teamUrn);
        const lockdown = teamChildren.filter((r) => valueAt(r.inputs, "metadata", "namespace") === "payments");
        return { release, catalog, teamChildren, lockdown };
    }

    it("every team object — its lock-down above all — depends on the gateway's release and routes catalog", async () => {
        const { release, catalog, teamChildren, lockdown } = await program(true);
        assert.ok(lockdown.length >= 3, `the team's lock-down objects: ${lockdown.map((r) => r.name).join(", ")}`);
        assert.ok(
            lockdown.some((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && !valueAt(r.inputs, "spec", "egress")),
            "deny-by-default among them",
        );
        for (const r of teamChildren) {
            assert.ok(r.dependencies.includes(release.urn), `${r.name} depends on the gateway's release`);
            assert.ok(r.dependencies.includes(catalog.urn), `${r.name} depends on the gateway's routes catalog`);
        }
    });

    it("the same objects typed in without the gateway's outputs carry no such dependency (the check can fail)", async () => {
        const { release, catalog, lockdown } = await program(false);
        for (const r of lockdown) {
            assert.ok(!r.dependencies.includes(release.urn) && !r.dependencies.includes(catalog.urn), r.name);
        }
    });
});

describe("gateway.values: an Output unknown in preview fails closed", function () {
    this.timeout(120000);

    /** An Output the mock engine never knows in preview: an output property the (simulated) provider does not report. */
    const unknownInPreview = () =>
        new k8s.core.v1.ConfigMap("source", { metadata: { name: "source" }, data: { a: "b" } }).binaryData.apply(() => ({ team: "payments" }));

    it("in preview: refused with the field named, and no Helm release registered", async () => {
        await assert.rejects(
            runProgram(() => void new EgressGateway("egress", { gateway: { values: { podAnnotations: unknownInPreview() } } }), {
                preview: true,
                timeoutMs: 30000,
            }),
            (err: unknown) => {
                assert.match(errorMessage(err), /EgressGateway "egress": gateway\.values: holds an Output that is not known during preview/);
                assert.ok(!capturedResourcesOf(err).some((r) => r.type === "kubernetes:helm.sh/v3:Release"), "no release registered");
                return true;
            },
        );
    });

    it("the same Output once known (pulumi up) is checked and installed", async () => {
        const { resources } = await runProgram(() => void new EgressGateway("egress", { gateway: { values: { podAnnotations: unknownInPreview() } } }));
        const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
        assert.deepStrictEqual(valueAt(release.inputs, "values", "podAnnotations"), { team: "payments" });
        assert.strictEqual(valueAt(release.inputs, "values", "service", "type"), "ClusterIP");
    });

    it("an Output that resolves to a forbidden value fails the deployment naming the field, and registers no release", async () => {
        const resolved = pulumi.output({ annotations: { "sidecar.istio.io/inject": "false" } });
        await assert.rejects(
            runProgram(() => void new EgressGateway("egress", { gateway: { values: { podAnnotations: resolved.apply((r) => r.annotations) } } }), {
                timeoutMs: 30000,
            }),
            (err: unknown) => {
                assert.match(errorMessage(err), /once resolved/);
                assert.match(errorMessage(err), /gateway\.values\.podAnnotations/);
                assert.ok(!capturedResourcesOf(err).some((r) => r.type === "kubernetes:helm.sh/v3:Release"), "no release registered");
                return true;
            },
        );
    });
});

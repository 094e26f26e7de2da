/**
 * Smoke test of the benchmark harness (bench/): every section runs at tiny sizes, in child processes as
 * `npm run bench` runs them, so the harness cannot rot. Structure only — rows, counts, finite ratios — never
 * timings (machines are noisy).
 */
import * as assert from "assert";
import { BenchConfig, BenchReport, TARGETS, diagnose, formatDiagnosis, formatReport, median, runBench } from "../bench/harness";
import { HOST_SHAPES, TEAM_SIZE, componentArgs, floorPlan, syntheticObjects, syntheticStack, syntheticYaml } from "../bench/workloads";
import { noopPolicies } from "../bench/cases";
import { fromManifests, policies, runPolicies } from "istio-egress-guard/lib";
import { parseAllDocuments } from "yaml";

const SMOKE: BenchConfig = {
    component: { hosts: [2, 5], namespaces: [2] },
    pack: { sizes: [50, 100] },
    check: { documents: 20 },
    budgetSec: { component: 1, pack: 1, check: 1, coldStart: 1 },
    reps: { min: 1, max: 1 },
};

/** Objects per host, by shape, as the component's design says (sdk/manifests/routing.ts). */
const EXPECTED_PER_HOST = { HTTP: 2, TLS_ORIGINATION: 3, TLS: 2, MUTUAL_TLS_ORIGINATION: 3, TLS_WILDCARD: 3 };
/** Per protected namespace (both have the REGISTRY_ONLY Sidecar): 5 NetworkPolicies, the extra-CIDR one, the Sidecar. */
const PER_NAMESPACE = 7;

function finitePositive(x: number, what: string): void {
    assert.ok(Number.isFinite(x) && x > 0, `${what} must be finite and > 0; got ${x}`);
}

describe("benchmark harness (bench/)", function () {
    this.timeout(300000);

    describe("workloads", () => {
        it("synthetic stacks have exactly the requested size and mix workloads, NetworkPolicies and Istio objects", () => {
            for (const n of [2, 5, TEAM_SIZE + 4, 1000]) {
                assert.strictEqual(syntheticObjects(n - 1).length, n - 1);
                const stack = syntheticStack(n, fromManifests);
                assert.strictEqual(stack.length, n);
                assert.strictEqual(stack.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").length, 1);
                assert.strictEqual(new Set(stack.map((r) => r.urn)).size, n, "URNs are unique");
            }
            const kinds = new Set(syntheticStack(1000, fromManifests).map((r) => r.type.split(":").pop()));
            for (const k of ["Deployment", "Pod", "CronJob", "NetworkPolicy", "ServiceEntry", "VirtualService", "Gateway", "Release"]) {
                assert.ok(kinds.has(k), `the stack has ${k}s`);
            }
            assert.throws(() => syntheticStack(1, fromManifests), /at least 2/);
        });

        it("the YAML for check holds the requested number of documents", () => {
            const docs = parseAllDocuments(syntheticYaml(37));
            assert.ok(Array.isArray(docs));
            assert.strictEqual(docs.length, 37);
            assert.deepStrictEqual(docs[5].toJS(), syntheticObjects(37)[5]);
        });

        it("the floor registers what the component would: same objects, per host by shape", () => {
            const plan = floorPlan(componentArgs(10, 4));
            const perHost = 2 * Object.values(EXPECTED_PER_HOST).reduce((a, b) => a + b, 0);
            assert.strictEqual(plan.routes.length, perHost + 2, "per-host objects plus the shared Gateway and DestinationRule");
            assert.strictEqual(plan.catalog.object.kind, "ConfigMap");
            // Namespace 3 (i % 4 === 3) keeps its own Sidecar.
            assert.strictEqual(plan.protectedNamespaces.length, 4 * PER_NAMESPACE - 1);
            const all = [plan.namespace, plan.catalog, ...plan.routes, ...plan.protectedNamespaces, ...plan.gatewayNamespace];
            assert.strictEqual(new Set(all.map((o) => o.name)).size, all.length, "floor names are unique");
        });

        it("the no-op pack mirrors the pack's policies and reports nothing; the real pack finds the planted violations", async () => {
            const noop = noopPolicies(policies);
            assert.deepStrictEqual(
                noop.map((p) => p.name),
                policies.map((p) => p.name),
            );
            assert.deepStrictEqual(
                noop.map((p) => "validateStack" in p),
                policies.map((p) => "validateStack" in p),
            );
            // Team 9 breaks the rules (no default-deny, internet egress, hostNetwork, capture exclusion, unrouted ServiceEntry).
            const stack = syntheticStack(5 + 10 * TEAM_SIZE, fromManifests);
            assert.deepStrictEqual(await runPolicies(stack, { policies: noop }), []);
            const found = await runPolicies(stack, {});
            const byPolicy = new Set(found.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy));
            for (const p of [
                "namespace-default-deny-egress",
                "no-external-egress-networkpolicy",
                "no-proxy-escape-privileges",
                "no-traffic-capture-exclusions",
                "service-entry-via-egress-gateway",
            ]) {
                assert.ok(byPolicy.has(p), `${p} reports team 9 (found: ${[...byPolicy].join(", ")})`);
            }
            assert.ok(
                found.every((v) => v.resource.namespace === "team-9"),
                "only team 9 breaks a rule",
            );
        });

        it("median", () => {
            assert.strictEqual(median([3, 1, 2]), 2);
            assert.strictEqual(median([4, 1, 3, 2]), 2.5);
            assert.throws(() => median([]));
        });
    });

    describe("runBench at tiny sizes (child processes)", () => {
        let report: BenchReport;
        before(async function () {
            report = await runBench(SMOKE);
        });

        it("measures the component and its floor, with correct resource counts", () => {
            assert.deepStrictEqual(
                report.component.map((r) => [r.hosts, r.namespaces]),
                [
                    [2, 2],
                    [5, 2],
                ],
            );
            for (const r of report.component) {
                finitePositive(r.ratio, `component ratio ${r.hosts}x${r.namespaces}`);
                finitePositive(r.component.ms, "component time");
                finitePositive(r.floor.ms, "floor time");
                finitePositive(r.component.rssMiB, "component RSS");
                assert.strictEqual(r.reps, 1);
                assert.strictEqual(r.component.samples.length, r.reps);
                assert.strictEqual(r.perNamespace, 2 * PER_NAMESPACE);
                assert.strictEqual(r.children, r.perNamespace + r.perHostObjects + r.shared);
                assert.strictEqual(r.perHost, r.perHostObjects / r.hosts);
                assert.strictEqual(r.childrenExcludingNamespacesPerHost, (r.children - r.perNamespace) / r.hosts);
                assert.strictEqual(r.ratioVerdict, r.ratio <= TARGETS.componentToFloor ? "PASS" : "MISS");
                assert.ok(r.dependencyEdges.component > 0 && r.dependencyEdges.floor > 0);
            }
            const [two, five] = report.component;
            assert.strictEqual(two.perHostObjects, EXPECTED_PER_HOST.HTTP + EXPECTED_PER_HOST.TLS_ORIGINATION);
            assert.deepStrictEqual(five.perHostByShape, EXPECTED_PER_HOST);
            assert.strictEqual(
                five.perHostObjects,
                HOST_SHAPES.reduce((n, s) => n + EXPECTED_PER_HOST[s], 0),
            );
            assert.strictEqual(two.shared, five.shared, "the shared objects do not grow with the hosts");
        });

        it("measures the pack against the no-op pack", () => {
            assert.ok(report.pack.available, "the pack section ran");
            if (!report.pack.available) return;
            assert.deepStrictEqual(
                report.pack.rows.map((r) => r.size),
                [50, 100],
            );
            for (const r of report.pack.rows) {
                finitePositive(r.ratio, `pack ratio ${r.size}`);
                finitePositive(r.noop.rssMiB, "no-op RSS");
                assert.strictEqual(
                    Object.values(r.kinds).reduce((a, b) => a + b, 0),
                    r.size,
                );
                assert.ok(r.mandatory <= r.violations);
                assert.strictEqual(r.policies, policies.length);
            }
            // The 50-resource stack cuts team 2 short: a Deployment without its namespace's default-deny.
            assert.ok(report.pack.rows[0].mandatory > 0, "the pack judged the stack");
        });

        it("reports linearity for the component and the pack, with targets scaled to the step", () => {
            const comp = report.linearity.find((l) => l.section === "component");
            const pack = report.linearity.find((l) => l.section === "pack");
            assert.ok(comp && pack);
            assert.deepStrictEqual([comp.from, comp.to, comp.fixed], [2, 5, "namespaces=2"]);
            assert.strictEqual(comp.target, 1.2 * 2.5);
            assert.deepStrictEqual([pack.from, pack.to], [50, 100]);
            for (const l of report.linearity) {
                finitePositive(l.subject, `${l.section} linearity`);
                finitePositive(l.floor, `${l.section} floor linearity`);
                assert.strictEqual(l.verdict, l.subject <= l.target ? "PASS" : "MISS");
            }
        });

        it("runs check on the generated YAML and the cold start, in fresh processes", () => {
            assert.strictEqual(report.check.documents, 20);
            assert.strictEqual(report.check.objectsChecked, 20, "the CLI read every document");
            assert.ok([0, 1].includes(report.check.exitCode));
            finitePositive(report.check.ratio, "check ratio");
            finitePositive(report.check.check.rssMiB, "check RSS");
            finitePositive(report.coldStart.ratio, "cold start ratio");
            finitePositive(report.coldStart.raw.rssMiB, "cold start RSS");
        });

        it("reports CPU and wall-clock time for every measurement", () => {
            const timings = [
                ...report.component.flatMap((r) => [r.component, r.floor]),
                ...(report.pack.available ? report.pack.rows.flatMap((r) => [r.pack, r.noop]) : []),
                report.check.check,
                report.check.parse,
                report.coldStart.package,
                report.coldStart.raw,
            ];
            for (const t of timings) {
                finitePositive(t.ms, "CPU time");
                finitePositive(t.wallMs, "wall time");
                assert.ok(
                    Math.abs(median(t.samples) - t.ms) <= 0.05 + 1e-9,
                    "ms is the median of the (rounded to 0.1 ms) samples: each is off by at most 0.05, so is their median (plus float error)",
                );
            }
        });

        it("prints every section with its verdicts, and the report survives JSON", () => {
            const text = formatReport(report);
            for (const s of ["Component construction", "Resources per host by shape", "a no-op pack", "Linearity", "istio-egress check on 20", "Cold start"]) {
                assert.ok(text.includes(s), `the table has "${s}"`);
            }
            assert.ok(/\b(PASS|MISS)\b/.test(text));
            assert.ok(!/NaN|Infinity|undefined/.test(text), "no NaN, Infinity or undefined in the table");
            assert.deepStrictEqual(JSON.parse(JSON.stringify(report)), report);
        });
    });

    it("diagnose: floor+deps reproduces the component's dependency edges; the former fan-in has hosts x namespaces more", () => {
        const hosts = 5;
        const rows = diagnose([{ hosts, namespaces: 2 }], 1);
        const by = new Map(rows.map((r) => [r.variant, r]));
        assert.deepStrictEqual([...by.keys()].sort(), ["component", "floor", "floor+deps", "floor+fan-in", "floor+outputs"]);
        assert.strictEqual(by.get("floor")!.ratio, 1);
        assert.strictEqual(by.get("floor+deps")!.dependencyEdges, by.get("component")!.dependencyEdges);
        assert.strictEqual(by.get("floor+outputs")!.dependencyEdges, by.get("floor")!.dependencyEdges);
        // The fan-in: each of the 14 app lock-down objects depends on every route (13 per-host + 2 shared objects).
        const routes = Object.values(EXPECTED_PER_HOST).reduce((a, b) => a + b, 0) + 2;
        assert.ok(by.get("floor+fan-in")!.dependencyEdges - by.get("floor")!.dependencyEdges >= 2 * PER_NAMESPACE * (routes - 1));
        for (const r of rows) finitePositive(r.ratio, `${r.variant} ratio`);
        assert.ok(formatDiagnosis(rows).includes("floor+fan-in"));
    });
});

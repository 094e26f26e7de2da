/**
 * Every example, rendered offline with `istio-egress render`'s engine, and the access report's verdicts for the
 * scenarios they stand for — computed from the generated NetworkPolicies, routes and AuthorizationPolicies.
 */
import * as assert from "assert";
import * as path from "path";
import { renderProgram, reportFor, RenderResult } from "../sdk/render/render";
import { AccessReport, AccessRow, buildAccessReport } from "../sdk/analysis/report";
import { validateAll } from "../sdk/schema/validate";
import { policies, runPolicies } from "istio-egress-guard/lib";
import { fromCaptured } from "../sdk/render/objects";
import { stringAt, stringRecord } from "../sdk/model/read";

const repo = path.resolve(__dirname, "..", "..");
const example = (name: string) => path.join(repo, "examples", name);

function row(report: AccessReport, namespace: string, host: string, port?: number): AccessRow {
    const rows = report.rows.filter((r) => r.namespace === namespace && r.host === host && (port === undefined || r.port === port));
    assert.ok(
        rows.length > 0,
        `no report row for ${namespace} → ${host}${port ? `:${port}` : ""}; rows: ${report.rows.map((r) => `${r.source}→${r.host}:${r.port}`).join(", ")}`,
    );
    return rows[0];
}

/** The pack's configuration for a stack that attaches to a gateway of another stack (its labels and Service). */
function gatewayConfig(gateway: { labels: Record<string, string>; serviceHost: string }): Record<string, Record<string, unknown>> {
    const known: Record<string, unknown> = { gatewayLabels: gateway.labels, gatewayServiceHosts: [gateway.serviceHost] };
    return Object.fromEntries(
        policies
            .map((p): [string, Record<string, unknown>] => [p.name, Object.fromEntries(Object.entries(known).filter(([k]) => p.configSchema?.properties?.[k]))])
            .filter(([, c]) => Object.keys(c).length > 0),
    );
}

async function checkCommon(result: RenderResult, config?: Record<string, Record<string, unknown>>): Promise<void> {
    assert.deepStrictEqual(await validateAll(result.objects), [], "every rendered object validates against its schema");
    const violations = await runPolicies(fromCaptured(result.resources), config ? { config } : {});
    assert.deepStrictEqual(
        violations.map((v) => `${v.policy}: ${v.message}`),
        [],
        "the policy pack finds nothing",
    );
}

describe("examples, rendered offline", function () {
    this.timeout(180000);

    describe("blog scenario (the reference stack)", () => {
        let result: RenderResult;
        let report: AccessReport;
        before(async () => {
            result = await renderProgram(example("blog-scenario"));
            report = reportFor(result);
        });

        it("the root Pulumi.yaml runs the same program", async () => {
            const root = await renderProgram(repo);
            assert.strictEqual(root.project.name, "istio-egress");
            assert.deepStrictEqual(
                root.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort(),
                result.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort(),
            );
        });

        it("validates and passes the policy pack", async () => {
            await checkCommon(result);
        });

        it("A reaches *.wikipedia.org through the gateway, allowed by identity and logged", () => {
            const r = row(report, "app-a", "*.wikipedia.org", 443);
            assert.strictEqual(r.verdict, "allowed", r.rule);
            assert.strictEqual(r.path, "gateway");
            assert.strictEqual(r.ruleRef.kind, "AuthorizationPolicy");
            assert.strictEqual(r.logged, true);
        });

        it("B reaches its API through the gateway (TLS originated there); A cannot", () => {
            const b = row(report, "app-b", "edition.cnn.com", 80);
            assert.strictEqual(b.verdict, "allowed", b.rule);
            assert.strictEqual(b.path, "gateway");
            const a = row(report, "app-a", "edition.cnn.com", 80);
            assert.strictEqual(a.verdict, "denied");
            assert.strictEqual(a.path, "gateway", "A's request reaches the gateway, which refuses it");
            assert.strictEqual(row(report, "app-b", "*.wikipedia.org", 443).verdict, "denied");
        });

        it("attack: a pod that skips its sidecar is blocked by NetworkPolicy", () => {
            const withRogue = buildAccessReport(result.objects, {
                helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
                extraSources: [{ namespace: "app-a", serviceAccount: "rogue", labels: { app: "rogue" }, origin: "extra", sidecar: false }],
            });
            const rogue = withRogue.rows.filter((r) => r.serviceAccount === "rogue");
            assert.ok(rogue.length > 0);
            for (const r of rogue) {
                assert.strictEqual(r.verdict, "denied", `${r.host}:${r.port}: ${r.rule}`);
                assert.strictEqual(r.path, "blocked-by-networkpolicy", `${r.host}:${r.port}`);
                assert.strictEqual(r.bypass, false);
            }
        });

        it("attack: no unmonitored path exists (every allowed row is logged, none bypasses the gateway)", () => {
            const allowed = report.rows.filter((r) => r.verdict === "allowed");
            assert.ok(allowed.length >= 2);
            for (const r of allowed) {
                assert.strictEqual(r.logged, true, `${r.source} → ${r.host}`);
                assert.strictEqual(r.path, "gateway", `${r.source} → ${r.host}`);
            }
            assert.ok(
                report.rows.every((r) => !r.bypass),
                "no direct path to the internet from a protected namespace",
            );
        });

        it("config changes the scenario (another namespace for A)", async () => {
            const other = await renderProgram(example("blog-scenario"), { config: { appANamespace: "wiki-reader" } });
            const r = row(reportFor(other), "wiki-reader", "*.wikipedia.org", 443);
            assert.strictEqual(r.verdict, "allowed");
        });
    });

    describe("ASM tutorial", () => {
        let result: RenderResult;
        let report: AccessReport;
        before(async () => {
            result = await renderProgram(example("asm-tutorial"));
            report = reportFor(result);
        });

        it("validates and passes the policy pack", async () => {
            await checkCommon(result);
        });

        it("demo-frontend is denied www.aliyun.com at the gateway by the DENY policy (envoy answers 403)", () => {
            const r = row(report, "demo-frontend", "www.aliyun.com", 80);
            assert.strictEqual(r.verdict, "denied");
            assert.strictEqual(r.path, "gateway");
            assert.strictEqual(r.ruleRef.kind, "AuthorizationPolicy");
            assert.strictEqual(r.ruleRef.name, "istio-egress/asm-deny");
            assert.strictEqual(r.gatewayDecision?.action, "DENY");
            assert.strictEqual(r.logged, true, "denied requests are logged too");
        });

        it("other namespaces reach www.aliyun.com through the gateway; nobody directly", () => {
            const r = row(report, "demo-backend", "www.aliyun.com", 80);
            assert.strictEqual(r.verdict, "allowed", r.rule);
            assert.strictEqual(r.path, "gateway");
            // The mesh knows www.aliyun.com on port 80 only (routed to the gateway): no port is left for a direct path.
            assert.deepStrictEqual([...new Set(report.rows.filter((x) => x.host === "www.aliyun.com").map((x) => x.port))], [80]);
            assert.ok(report.rows.every((x) => !x.bypass));
            const rogue = buildAccessReport(result.objects, {
                helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
                extraSources: [{ namespace: "demo-frontend", serviceAccount: "rogue", labels: {}, origin: "extra", sidecar: false }],
            });
            for (const x of rogue.rows.filter((y) => y.serviceAccount === "rogue")) {
                assert.strictEqual(x.path, "blocked-by-networkpolicy", `${x.host}:${x.port} without a sidecar`);
            }
        });

        it("allow: [{}] means any mesh identity: a namespace the stack does not list reaches the host through the gateway", () => {
            const withOutsider = buildAccessReport(result.objects, {
                helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
                extraSources: [{ namespace: "reporting", serviceAccount: "default", labels: { app: "reports" }, origin: "extra", sidecar: true }],
            });
            const r = withOutsider.rows.find((x) => x.namespace === "reporting" && x.host === "www.aliyun.com")!;
            assert.ok(r, "a row for the unlisted namespace");
            assert.strictEqual(r.gateway, "istio-egress/asm-gateway", "its sidecar routes to the gateway, which admits it at L3");
            assert.strictEqual(r.gatewayDecision?.allowed, true, JSON.stringify(r.gatewayDecision));
            assert.strictEqual(r.bypass, true, "the namespace is not locked down, so it could also go direct: the report says so");
        });
    });

    describe("multi-team", () => {
        it("the platform and the team stacks render; the team's report lets payments reach its host", async () => {
            const platform = await renderProgram(example("multi-team/platform"));
            await checkCommon(platform);
            const team = await renderProgram(example("multi-team/team"), {
                stackReferences: { "organization/multi-team-platform/dev": platform.outputs },
            });
            // The team stack holds no gateway release the pack could discover: it is told the platform's gateway
            // (its own selector label and Service), as a team's policy-pack config would be.
            const serviceHost = stringAt(platform.outputs, "serviceHost");
            assert.ok(serviceHost, `the platform exports its gateway's Service host: ${JSON.stringify(platform.outputs)}`);
            await checkCommon(team, gatewayConfig({ labels: stringRecord(platform.outputs.labels), serviceHost }));
            const combined = buildAccessReport([...platform.objects, ...team.objects], {
                helmReleases: platform.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
                extraSources: [{ namespace: "payments", serviceAccount: "checkout", labels: { app: "checkout" }, origin: "extra" }],
            });
            const checkout = combined.rows.find((r) => r.namespace === "payments" && r.serviceAccount === "checkout" && r.host === "api.stripe.com")!;
            assert.strictEqual(checkout.verdict, "allowed", checkout.rule);
            assert.strictEqual(checkout.path, "gateway");
            const other = combined.rows.find((r) => r.namespace === "payments" && r.serviceAccount === "default" && r.host === "api.stripe.com")!;
            assert.strictEqual(other.verdict, "denied");
            const ci = combined.rows.find((r) => r.namespace === "ci" && r.host === "api.stripe.com")!;
            assert.strictEqual(ci.verdict, "denied");
        });
    });
});

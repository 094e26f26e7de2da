/**
 * The Helm release's `Input<T>` fields (gateway.chartVersion, chartRepository, chart, resources) given as Outputs
 * reach the release with their resolved values, checked once they resolve. Found by review: the plan read them
 * from the args with every Output removed, so an Output chartVersion silently installed the default version, an
 * Output chart installed Istio's repository chart instead of the local one, and Output resources were dropped.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EgressMode } from "../sdk/args";
import { buildPlan, DEFAULT_CHART_VERSION } from "../sdk/plan";
import { valueAt } from "../sdk/model/read";
import { renderComponent } from "./helpers/component";

const host = { host: "api.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["a"] }] };

describe("gateway chart inputs given as Outputs", () => {
    it("an Output chartVersion is the release's version (not the default), with no 'not set' warning", async () => {
        const r = await renderComponent({ gateway: { chartVersion: pulumi.output("1.27.1") }, hosts: [host] });
        assert.strictEqual(r.release.inputs.version, "1.27.1");
        // The same args with a plain value: same release version (the trick is only the Output).
        const plain = await renderComponent({ gateway: { chartVersion: "1.27.1" }, hosts: [host] });
        assert.strictEqual(plain.release.inputs.version, "1.27.1");
        assert.ok(
            !buildPlan("e", { gateway: { chartVersion: pulumi.output("1.27.1") }, hosts: [host] }).warnings.some((w) => /chartVersion is not set/.test(w)),
        );
        assert.ok(
            buildPlan("e", { hosts: [host] }).warnings.some((w) => /chartVersion is not set/.test(w)),
            "without it the warning stays",
        );
        assert.notStrictEqual(DEFAULT_CHART_VERSION, "1.27.1");
    });

    it("an Output local chart path is the chart, with no repository; an Output 'gateway' keeps the repository", async () => {
        const local = await renderComponent({ gateway: { chart: pulumi.output("/charts/gateway") }, hosts: [host] });
        assert.strictEqual(local.release.inputs.chart, "/charts/gateway");
        assert.strictEqual(valueAt(local.release.inputs, "repositoryOpts", "repo"), undefined, JSON.stringify(local.release.inputs.repositoryOpts));
        const repo = await renderComponent({
            gateway: { chart: pulumi.output("gateway"), chartRepository: pulumi.output("https://charts.example.com/istio") },
            hosts: [host],
        });
        assert.strictEqual(repo.release.inputs.chart, "gateway");
        assert.strictEqual(valueAt(repo.release.inputs, "repositoryOpts", "repo"), "https://charts.example.com/istio");
    });

    it("Output resources are merged into the release's values", async () => {
        const resources = { limits: { cpu: "2", memory: "1Gi" } };
        const r = await renderComponent({ gateway: { resources: pulumi.output(resources) }, hosts: [host] });
        assert.deepStrictEqual(valueAt(r.release.inputs, "values", "resources"), resources);
        const plain = await renderComponent({ gateway: { resources }, hosts: [host] });
        assert.deepStrictEqual(valueAt(plain.release.inputs, "values", "resources"), resources);
    });

    it("a resolved value of the wrong type fails the deployment, naming the field", async () => {
        await assert.rejects(renderComponent({ gateway: { chartVersion: pulumi.output(42 as unknown as string) }, hosts: [host] }), (e: unknown) =>
            /gateway\.chartVersion/.test(String(e)),
        );
        await assert.rejects(renderComponent({ gateway: { chart: pulumi.output("") }, hosts: [host] }), (e: unknown) => /gateway\.chart\b/.test(String(e)));
        // The chart-name rule holds for a resolved Output as for a plain value (the pack knows the Release by it).
        await assert.rejects(renderComponent({ gateway: { chart: pulumi.output("/charts/gateway-chart") }, hosts: [host] }), (e: unknown) =>
            /gateway\.chart: .*must be named after the istio\/gateway chart/.test(String(e)),
        );
    });
});

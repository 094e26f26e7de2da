/**
 * Issue 12 item 3, the reference stack (root Pulumi.yaml: examples/blog-scenario) on a real API server with the
 * real engine and provider: `pulumi up` installs the gateway chart (local chart, skipAwait) and every object; the
 * API server's copies equal what `istio-egress render` writes for the same program and config; a second preview
 * changes nothing; reordering hosts replaces nothing, adding a host only creates, renaming the component with
 * `aliases` keeps every resource (docs/upgrading.md); `pulumi destroy` removes everything.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { chartObjects, isKubeObject, REPO, renderExample, Rendered, run } from "../lib/tools";
import { compare, key, kubectl, liveObjects } from "./objects";
import { DESTRUCTIVE_OPS, kubeconfig, Stack, Step, summarize, Workspace } from "./stack";

/** The blog-scenario program as a test-only variant: the same component and config, hosts and name changeable. */
function variantProgram(v: { reverse?: boolean; extraHost?: boolean; rename?: boolean; keepNames?: boolean }): string {
    return `
const pulumi = require("@pulumi/pulumi");
const { EgressGateway, EgressMode } = require(${JSON.stringify(path.join(REPO, "dist", "sdk"))});
const config = new pulumi.Config();
const appA = config.get("appANamespace") ?? "app-a";
const appB = config.get("appBNamespace") ?? "app-b";
const hosts = [
    { host: config.get("wildcardHost") ?? "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: config.get("wildcardUpstream") ?? "www.wikipedia.org", allow: [{ namespaces: [appA] }] },
    { host: config.get("apiHost") ?? "edition.cnn.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: [appB] }] },
];
${v.extraHost ? `hosts.push({ host: "api.github.com", mode: EgressMode.Tls, allow: [{ namespaces: [appA] }] });` : ""}
${v.reverse ? "hosts.reverse();" : ""}
const egress = new EgressGateway(${JSON.stringify(v.rename ? "egress-renamed" : "egress")}, {
    gateway: {
        namespace: config.get("gatewayNamespace") ?? "istio-egress",
        chartVersion: config.get("chartVersion"),
        revision: config.get("revision"),
        chart: config.get("chart"),
        skipAwait: config.getBoolean("skipAwait"),
    },
    hosts,
    lockdown: { namespaces: [{ name: appA }, { name: appB }], clusterCidrs: config.getObject("clusterCidrs") ?? [] },
    ${v.keepNames ? `namePrefix: "egress",` : ""}
}${v.rename ? `, { aliases: [{ name: "egress" }] }` : ""});
exports.gatewayNamespace = egress.namespace;
exports.gatewayServiceHost = egress.serviceHost;
exports.gatewayLabels = egress.labels;
exports.gatewayContainerPorts = egress.containerPorts;
exports.gatewayServiceName = egress.serviceName;
exports.releaseStatus = egress.releaseStatus;
exports.hosts = egress.hosts;
`;
}

describe("pulumi: the reference stack on the API server (up, render equivalence, changes, destroy)", function () {
    this.timeout(40 * 60_000);
    let ws: Workspace;
    let stack: Stack;
    let rendered: Rendered;
    let chartFile: string;
    const created: string[] = [];
    const variants = (v: Parameters<typeof variantProgram>[0], label: string): Step[] => {
        const dir = path.join(ws.dir, `variant-${label}`);
        fs.mkdirSync(dir);
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: istio-egress\nruntime: nodejs\nmain: index.js\n");
        fs.writeFileSync(path.join(dir, "index.js"), variantProgram(v));
        const root = stack.programDir;
        stack.programDir = dir;
        try {
            const steps = stack.previewSteps();
            process.stdout.write(`      [pulumi] ${label}: ${JSON.stringify(summarize(steps))}\n`);
            return steps;
        } finally {
            stack.programDir = root;
        }
    };

    before(() => {
        ws = new Workspace("pulumi-reference");
        const config = { chart: ws.chart, skipAwait: "true" };
        stack = ws.stack("istio-egress", "e2e", REPO, config);
        rendered = renderExample(
            REPO,
            path.join(ws.dir, "render"),
            Object.entries(config).flatMap(([k, v]) => ["--config", `${k}=${v}`]),
        );
        assert.strictEqual(rendered.helmReleases.length, 1, "render: one Helm release");
        const rel = rendered.helmReleases[0];
        assert.strictEqual(rel.chart, ws.chart, "render: the release's chart is the config's");
        chartFile = chartObjects({ ...rel, chart: "gateway" }, ws.dir).file;
        // Namespaces the stack locks down but does not create (the applications'): made as a user's would be.
        const declared = new Set(rendered.objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
        const needed = [...new Set(rendered.objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n && !declared.has(n)))];
        for (const n of needed) {
            kubectl(["create", "namespace", n]);
            created.push(n);
        }
    });
    after(() => {
        if (stack) {
            stack.pulumi(["destroy", "--yes", "--skip-preview"]);
            stack.remove();
        }
        if (created.length)
            run("kubectl", ["--kubeconfig", kubeconfig(), "delete", "namespace", "--ignore-not-found", "--wait=true", "--timeout=120s", ...created]);
        ws?.cleanup();
    });

    it("pulumi up installs the gateway chart (local, skipAwait) and every object", () => {
        stack.pulumiOk(["up", "--yes", "--skip-preview"]);
        assert.strictEqual(stack.outputs().releaseStatus, "deployed", "the Helm release is not deployed");
        const chartLive = liveObjects([chartFile]);
        assert.ok(
            chartLive.some((o) => o.kind === "Deployment"),
            "the chart's Deployment is not on the server",
        );
        const live = liveObjects(rendered.objectFiles);
        assert.deepStrictEqual(live.map(key).sort(), rendered.objects.map(key).sort(), "the rendered objects are not all on the server");
    });

    it("the stack's Kubernetes objects are render's, and the server's copies equal render's files", () => {
        const inStack = stack
            .resources()
            .flatMap((r) => (r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && isKubeObject(r.outputs) ? [key(r.outputs)] : []));
        assert.deepStrictEqual(inStack.sort(), rendered.objects.map(key).sort(), "pulumi's Kubernetes resources and render's objects differ");
        const live = new Map(liveObjects(rendered.objectFiles).map((o) => [key(o), o]));
        const diffs = rendered.objects.flatMap((o) => compare(o, live.get(key(o))!).map((d) => `${key(o)} ${d}`));
        assert.deepStrictEqual(diffs, [], `the API server's copies differ from render's:\n${diffs.join("\n")}`);
    });

    it("a second preview changes nothing (--expect-no-changes)", () => {
        stack.pulumiOk(["preview", "--expect-no-changes"]);
    });

    it("the test's variant program with nothing changed proposes no change (the variants below are comparable)", () => {
        const steps = variants({}, "unchanged");
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "same"),
            [],
            "the unchanged variant differs from examples/blog-scenario",
        );
    });

    it("reordering the hosts replaces nothing (and changes nothing)", () => {
        const steps = variants({ reverse: true }, "hosts reversed");
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "same"),
            [],
            `reordering hosts proposes: ${JSON.stringify(summarize(steps))}`,
        );
    });

    it("adding a host creates its objects and replaces or deletes nothing but the routes catalog", () => {
        const steps = variants({ extraHost: true }, "host added");
        const creates = steps.filter((s) => s.op === "create");
        assert.ok(creates.length > 0, "adding a host creates nothing");
        assert.deepStrictEqual(
            creates.filter((s) => !/api-github-com/.test(s.urn)).map((s) => s.urn),
            [],
            "adding a host creates objects not of that host",
        );
        // Updated in place: the objects the component keeps one of for all its hosts (the ALLOW policy, the egress
        // Gateway's servers, the gateway DestinationRule's subsets). Replaced: the routes catalog ConfigMap, because
        // the Kubernetes provider replaces a ConfigMap whose data changes (pulumi-kubernetes provider/pkg/provider/
        // diff.go forceNewProperties: .data, unless the provider's enableConfigMapMutable), delete-before-replace since
        // its name stays (provider.go Diff). Nothing else may be replaced or deleted.
        const allowedUpdates = /::egress\/(allow\.authz|gateway\.gw|gateway\.dr)$/;
        const other = steps.filter(
            (s) =>
                s.op !== "same" &&
                s.op !== "create" &&
                !(s.op === "update" && allowedUpdates.test(s.urn)) &&
                !(DESTRUCTIVE_OPS.has(s.op) && /:ConfigMap::egress\/routes\.cm$/.test(s.urn)),
        );
        assert.deepStrictEqual(
            other.map((s) => `${s.op} ${s.urn}`),
            [],
            "adding a host changes other existing resources",
        );
    });

    it("renaming the component with aliases keeps every resource: no create, no delete; release and namespace in place", () => {
        const steps = variants({ rename: true }, "component renamed with aliases");
        assert.deepStrictEqual(
            steps.filter((s) => s.op === "create" || s.op === "delete").map((s) => `${s.op} ${s.urn}`),
            [],
            "a resource lost its identity",
        );
        // docs/upgrading.md: objects whose Kubernetes names start with the component's name are replaced (create before
        // delete); the Helm release and the gateway namespace, whose names do not, are not.
        const replaced = steps.filter((s) => DESTRUCTIVE_OPS.has(s.op));
        const bad = replaced.filter((s) => /::kubernetes:helm\.sh\/v3:Release::|::kubernetes:core\/v1:Namespace::/.test(s.urn));
        assert.deepStrictEqual(
            bad.map((s) => `${s.op} ${s.urn}`),
            [],
            "the Helm release or the namespace would be replaced",
        );
    });

    it("renaming the component with aliases and namePrefix (its old name) changes nothing at all", () => {
        const steps = variants({ rename: true, keepNames: true }, "component renamed with aliases and namePrefix");
        // The component itself moves to its new name through its alias (Pulumi reports it as "same"); no child changes.
        assert.deepStrictEqual(
            steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn}`),
            [],
            "a rename that keeps the names proposes changes",
        );
    });

    it("pulumi destroy removes everything (no object of the stack or of the chart is left)", () => {
        stack.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        const left = [...liveObjects(rendered.objectFiles, true), ...liveObjects([chartFile], true)];
        assert.deepStrictEqual(left.map(key), [], "objects left after destroy");
    });
});

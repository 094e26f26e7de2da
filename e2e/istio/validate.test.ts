/**
 * Istio's own validation and analysis on every example (issue 12 item 3, issue 11 "How it is checked"): the files
 * `istio-egress render` writes, together with the gateway chart's own objects (`helm template` of the local chart
 * with the release's values), through `istioctl validate` and `istioctl analyze` offline; then the same objects on
 * the API server (KUBECONFIG: the local control plane, or E2E_KUBECONFIG), through `istioctl analyze` live.
 *
 * No Error passes. A Warning or Info passes only when it is on istioctl.ts's EXPLAINED list (each explained in
 * docs/equivalence.md). What Istio said on each example is printed, so the run's log is the record.
 */
import * as assert from "assert";
import * as fs from "fs";
import { cleanup, EXAMPLES, ExampleRender, renderForIstio } from "./examples";
import { formatMessages, istioctlAnalyze, istioctlValidate, IstioMessage, judge, LOCAL_CONTROL_PLANE_SUPPRESS } from "./istioctl";
import { KubeObject, run, runOk, toolsEnv } from "../lib/tools";

function report(label: string, messages: IstioMessage[]): void {
    const { explained } = judge(messages);
    const lines = messages.length === 0 ? "  (no messages)" : formatMessages(messages).replace(/^/gm, "  ");
    process.stdout.write(`      [istio] ${label}: ${messages.length} message(s)\n${lines}\n`);
    for (const e of explained) process.stdout.write(`      [istio]   explained ${e.message.code}: ${e.why}\n`);
}

function assertJudged(label: string, messages: IstioMessage[]): void {
    report(label, messages);
    const { unexplained } = judge(messages);
    assert.deepStrictEqual(unexplained, [], `${label}: Istio reported what is neither fixed nor explained:\n${formatMessages(unexplained)}`);
}

/** The cluster to apply to: run.sh exports KUBECONFIG (its local control plane, or E2E_KUBECONFIG). */
function kubeconfig(): string {
    const k = process.env.E2E_KUBECONFIG ?? process.env.KUBECONFIG;
    if (!k) throw new Error("no cluster: KUBECONFIG is not set (run the suite with npm run test:e2e, which starts the local control plane, or set E2E_KUBECONFIG)");
    return k;
}

const kubectl = (args: string[], input?: string) => runOk("kubectl", ["--kubeconfig", kubeconfig(), ...args], { input });

/** Namespaces the objects live in (Namespace objects and metadata.namespace), sorted. */
function namespacesOf(objects: KubeObject[]): string[] {
    return [...new Set(objects.flatMap((o) => (o.kind === "Namespace" ? [o.metadata.name] : o.metadata.namespace ? [o.metadata.namespace] : [])))].sort();
}

describe("Istio's validation and analysis of every example", function () {
    this.timeout(20 * 60_000);
    before(() => {
        const env = toolsEnv();
        for (const t of ["istioctl", "helm"]) {
            assert.strictEqual(run("sh", ["-c", `command -v ${t}`], { env }).code, 0, `${t} is not on PATH (E2E_TOOLS_PATH=${env.E2E_TOOLS_PATH ?? "unset"})`);
        }
    });

    for (const name of EXAMPLES) {
        describe(name, () => {
            let r: ExampleRender;
            before(() => {
                r = renderForIstio(name);
            });
            after(() => r && cleanup(r));

            it("istioctl validate: every rendered object and every object of the chart", () => {
                const v = istioctlValidate([...r.objectFiles, ...r.charts.map((c) => c.file)]);
                assertJudged(`${name}: istioctl validate`, v.messages);
                assert.strictEqual(v.code, 0, v.output);
            });

            it("istioctl analyze (offline, all namespaces): the rendered objects with the chart's objects", () => {
                assertJudged(`${name}: istioctl analyze --use-kube=false`, istioctlAnalyze([...r.objectFiles, ...r.charts.map((c) => c.file)]));
            });

            it("istioctl analyze (live): the same objects on the API server", () => {
                const chartObjects = r.charts.flatMap((c) => c.objects);
                const all = [...r.objects, ...chartObjects];
                const declared = new Set(all.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name));
                // Namespaces the stack expects to exist (the workloads' own): created as a user's would be, with
                // injection on (the lock-down's namespaces run injected workloads).
                const created = namespacesOf(all).filter((n) => !declared.has(n));
                const existing = new Set(kubectl(["get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}"]).stdout.split(/\s+/));
                const clash = namespacesOf(all).filter((n) => existing.has(n));
                assert.deepStrictEqual(clash, [], `namespaces already on the cluster (another suite left them, or a user's): ${clash.join(", ")}`);
                try {
                    for (const n of created) {
                        kubectl(["create", "namespace", n]);
                        kubectl(["label", "namespace", n, "istio-injection=enabled"]);
                    }
                    // Server-side apply: the API server checks each object against its CRD's schema.
                    kubectl(["apply", "--server-side", "--field-manager", "istio-egress-e2e", "-f", "-"], r.objectFiles.map((f) => fs.readFileSync(f, "utf8")).join("\n---\n"));
                    for (const c of r.charts) kubectl(["apply", "--server-side", "--field-manager", "istio-egress-e2e", "-f", c.file]);
                    // With no istiod there is no injection webhook: the chart's `image: auto` pods get IST0147/IST0146
                    // from any cluster like that; on a cluster with Istio they do not appear (e2e/README.md).
                    const suppress = process.env.E2E_KUBECONFIG ? [] : LOCAL_CONTROL_PLANE_SUPPRESS;
                    const messages = istioctlAnalyze([], { live: true, suppress });
                    const ours = new Set(namespacesOf(all));
                    // Only what concerns this stack's namespaces (a user's cluster has other things).
                    const relevant = messages.filter((m) => {
                        // `Kind ns/name`, or `Kind name` for cluster-scoped kinds (kept: Namespaces, webhooks).
                        const ns = /^\S+ ([^/\s]+)\/\S+$/.exec(m.origin)?.[1];
                        return ns === undefined || ours.has(ns);
                    });
                    assertJudged(`${name}: istioctl analyze (live, suppressing ${suppress.join(", ") || "nothing"})`, relevant);
                } finally {
                    const mine = namespacesOf(all);
                    run("kubectl", ["--kubeconfig", kubeconfig(), "delete", "namespace", "--wait=true", "--timeout=120s", "--ignore-not-found", ...mine]);
                }
            });
        });
    }
});

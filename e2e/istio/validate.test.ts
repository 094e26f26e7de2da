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
import * as path from "path";
import * as YAML from "yaml";
import { cleanup, EXAMPLES, ExampleRender, renderForIstio } from "./examples";
import { formatMessages, istioctlAnalyze, istioctlValidate, IstioMessage, judge, LOCAL_CONTROL_PLANE_SUPPRESS } from "./istioctl";
import { listAt, recordAt } from "../../sdk/model/read";
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
    if (!k)
        throw new Error("no cluster: KUBECONFIG is not set (run the suite with npm run test:e2e, which starts the local control plane, or set E2E_KUBECONFIG)");
    return k;
}

const kubectl = (args: string[], input?: string) => runOk("kubectl", ["--kubeconfig", kubeconfig(), ...args], { input });

/** Namespaces the objects live in (Namespace objects and metadata.namespace), sorted. */
function namespacesOf(objects: KubeObject[]): string[] {
    return [...new Set(objects.flatMap((o) => (o.kind === "Namespace" ? [o.metadata.name] : o.metadata.namespace ? [o.metadata.namespace] : [])))].sort();
}

/**
 * Whether a live-analysis message concerns this stack: origin `Kind ns/name` in one of its namespaces, a Namespace
 * message about one of its namespaces (IST0102 on the cluster's own `default` namespace is not about the stack),
 * and any other cluster-scoped origin (`Kind name`: webhooks, ...), kept because it can affect every namespace.
 */
export function relevantToStack(m: IstioMessage, ours: Set<string>): boolean {
    const namespaced = /^\S+ ([^/\s]+)\/\S+$/.exec(m.origin);
    if (namespaced) return ours.has(namespaced[1]);
    const ns = /^Namespace (\S+)$/.exec(m.origin);
    if (ns) return ours.has(ns[1]);
    return true;
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
            const breakDir = () => fs.mkdtempSync(path.join(r.dir, "break-"));

            it("istioctl validate: every rendered object and every object of the chart", () => {
                const v = istioctlValidate([...r.objectFiles, ...r.charts.map((c) => c.file)]);
                assertJudged(`${name}: istioctl validate`, v.messages);
                assert.strictEqual(v.code, 0, v.output);
            });

            it("istioctl analyze (offline, all namespaces): the rendered objects with the chart's objects", () => {
                assertJudged(`${name}: istioctl analyze --use-kube=false`, istioctlAnalyze([...r.objectFiles, ...r.charts.map((c) => c.file)]));
            });

            if (name === "blog-scenario") {
                // The check can fail: one rendered object edited the way a hand-written override would break it,
                // in a temp dir. Istio must reject it with its own message, and accept the object unedited.
                it("a deliberate break: istioctl validate rejects a DestinationRule with credentialName and caCertificates", () => {
                    const file = r.objectFiles.find((f) => /destinationrule-istio-egress-egress-tls-edition-cnn-com\.yaml$/.test(f));
                    assert.ok(file, "blog-scenario renders the TLS-origination DestinationRule for edition.cnn.com");
                    const good = istioctlValidate([file]);
                    assert.deepStrictEqual([good.code, good.messages], [0, []], good.output);
                    const dr: unknown = YAML.parse(fs.readFileSync(file, "utf8"));
                    const tls = recordAt(dr, "spec", "trafficPolicy", "portLevelSettings", 0, "tls");
                    assert.strictEqual(tls.mode, "SIMPLE");
                    Object.assign(tls, { credentialName: "edition-cnn-com-ca", caCertificates: "/etc/ssl/certs/ca-certificates.crt" });
                    const broken = path.join(breakDir(), path.basename(file));
                    fs.writeFileSync(broken, YAML.stringify(dr));
                    const v = istioctlValidate([broken]);
                    assert.notStrictEqual(v.code, 0, v.output);
                    // pkg/config/validation/agent/validation.go ValidateTLS (SIMPLE/MUTUAL with credentialName)
                    assert.deepStrictEqual(
                        v.messages.map((m) => [m.level, m.origin, m.message]),
                        [
                            [
                                "Error",
                                "DestinationRule/istio-egress/egress-tls-edition-cnn-com",
                                "cannot specify client certificates or CA certificate or CA CRL If credentialName is set",
                            ],
                        ],
                        v.output,
                    );
                });

                it("a deliberate break: istioctl analyze rejects a VirtualService moved to another namespace with a short gateway name", () => {
                    const file = r.objectFiles.find((f) => /virtualservice-istio-egress-egress-host-edition-cnn-com\.yaml$/.test(f));
                    assert.ok(file, "blog-scenario renders the VirtualService for edition.cnn.com");
                    const others = r.objectFiles.filter((f) => f !== file);
                    const charts = r.charts.map((c) => c.file);
                    const ok = istioctlAnalyze([...others, ...charts, file]).filter((m) => m.code === "IST0101");
                    assert.deepStrictEqual(ok, []);
                    // The trick: a team copies the VirtualService into its own namespace and names the gateway as it
                    // reads in the platform's namespace. A short name resolves in the VirtualService's namespace.
                    const vs: unknown = YAML.parse(fs.readFileSync(file, "utf8"));
                    const short = (g: unknown) => (g === "mesh" || typeof g !== "string" ? g : g.split("/").pop());
                    const [metadata, spec] = [recordAt(vs, "metadata"), recordAt(vs, "spec")];
                    metadata.namespace = "app-b";
                    spec.gateways = listAt(spec, "gateways").map(short);
                    spec.http = listAt(spec, "http").map((h) => ({
                        ...recordAt(h),
                        match: listAt(h, "match").map((m) => ({ ...recordAt(m), gateways: listAt(m, "gateways").map(short) })),
                    }));
                    const broken = path.join(breakDir(), path.basename(file));
                    fs.writeFileSync(broken, YAML.stringify(vs));
                    const ms = istioctlAnalyze([...others, ...charts, broken]).filter((m) => m.level === "Error");
                    // pkg/config/analysis/analyzers/virtualservice/gateways.go, msg IST0101 "Referenced %s not found: %q"
                    assert.deepStrictEqual(
                        ms.map((m) => [m.code, m.origin, m.message]),
                        [["IST0101", "VirtualService app-b/egress-host-edition-cnn-com", 'Referenced gateway not found: "egress-gateway"']],
                        formatMessages(ms),
                    );
                });
            }

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
                    kubectl(
                        ["apply", "--server-side", "--field-manager", "istio-egress-e2e", "-f", "-"],
                        r.objectFiles.map((f) => fs.readFileSync(f, "utf8")).join("\n---\n"),
                    );
                    for (const c of r.charts) kubectl(["apply", "--server-side", "--field-manager", "istio-egress-e2e", "-f", c.file]);
                    // With no istiod there is no injection webhook: the chart's `image: auto` pods get IST0147/IST0146
                    // from any cluster like that; on a cluster with Istio they do not appear (e2e/README.md).
                    const suppress = process.env.E2E_KUBECONFIG ? [] : LOCAL_CONTROL_PLANE_SUPPRESS;
                    const messages = istioctlAnalyze([], { live: true, suppress });
                    const ours = new Set(namespacesOf(all));
                    // Only what concerns this stack's namespaces (a user's cluster has other things).
                    const relevant = messages.filter((m) => relevantToStack(m, ours));
                    assertJudged(`${name}: istioctl analyze (live, suppressing ${suppress.join(", ") || "nothing"})`, relevant);
                } finally {
                    const mine = namespacesOf(all);
                    run("kubectl", ["--kubeconfig", kubeconfig(), "delete", "namespace", "--wait=true", "--timeout=120s", "--ignore-not-found", ...mine]);
                }
            });
        });
    }
});

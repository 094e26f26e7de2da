/**
 * `istio-egress check` as a CI tool on real repositories (issue 9, item 7): non-objects skipped with a notice, typed
 * lists, standard input, symlinks, an input with no object failing closed, --namespace, file:line, SARIF, the shared
 * policy config file, and YAML read as the API server reads it. Then the published third-party sets in
 * ../shared/third-party (skipped, saying why, where that folder is absent): no exit 2, and exactly the findings
 * that are real ways around the gateway.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../sdk/cli/check";
import { captureCli } from "./helpers/cli";
import { listAt, recordAt, stringAt, valueAt } from "../sdk/model/read";

const ROOT = path.resolve(__dirname, "..", "..");
const FIX = path.join(ROOT, "tests", "fixtures", "policy", "check");
const REPO = path.join(FIX, "repo");
const BIN = path.join(ROOT, "dist", "sdk", "cli", "main.js");
const THIRD_PARTY = path.resolve(ROOT, "..", "shared", "third-party");

const run = (argv: string[]) => captureCli(main, argv);
/** The findings `check --json` printed (read with the readers). */
const findings = (out: string): unknown[] => listAt(JSON.parse(out));
const brief = (out: string) =>
    findings(out)
        .map(
            (v) =>
                `${String(valueAt(v, "policy"))} ${String(valueAt(v, "resource", "kind"))} ${stringAt(v, "resource", "namespace") ?? "-"}/${String(valueAt(v, "resource", "name"))}`,
        )
        .sort();
const ofPolicy = (out: string, policy: string) => findings(out).filter((v) => valueAt(v, "policy") === policy);

describe("istio-egress check on real repositories", function () {
    this.timeout(120000);

    it("skips Chart.yaml, values.yaml, kustomization.yaml and chart templates with a notice, and judges the rest", async function () {
        const r = await run(["--json", REPO]);
        assert.strictEqual(r.code, 1, r.err);
        assert.match(r.err, /chart\/Chart\.yaml:1: skipped document: no apiVersion\/kind/);
        assert.match(r.err, /chart\/values\.yaml:1: skipped document/);
        assert.match(r.err, /chart\/templates\/deployment\.yaml:1: skipped: a Helm chart's template/);
        assert.match(r.err, /kustomize\/kustomization\.yaml:1: skipped document: a Kustomize Kustomization/);
        assert.deepStrictEqual(brief(r.out), [
            "namespace-default-deny-egress DaemonSet shop/agent",
            "no-proxy-escape-privileges DaemonSet shop/agent",
            "no-proxy-escape-privileges Pod shop/sneaky",
            "no-proxy-escape-privileges Pod shop/sneaky",
        ]);
    });

    it("the attacker's template syntax outside a chart does not make a manifest skippable", async function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-tpl-"));
        fs.mkdirSync(path.join(tmp, "templates"));
        const pod =
            'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, annotations: {x: "{{ y }}"}}\nspec: {hostNetwork: true, containers: [{name: a, image: a}]}\n';
        fs.writeFileSync(path.join(tmp, "templates", "pod.yaml"), pod); // no Chart.yaml above it
        const r = await run(["--json", tmp]);
        assert.strictEqual(r.code, 1, r.err);
        assert.ok(brief(r.out).includes("no-proxy-escape-privileges Pod shop/p"));
        // the same file under a chart is a template, and with nothing else there, the input has no object: exit 2
        fs.writeFileSync(path.join(tmp, "Chart.yaml"), "apiVersion: v2\nname: x\nversion: 0.1.0\n");
        const t = await run([tmp]);
        assert.strictEqual(t.code, 2);
        assert.match(t.err, /no Kubernetes objects in/);
    });

    it("expands typed lists whose items carry no apiVersion/kind (kubectl get -o yaml)", async function () {
        const r = await run(["--json", path.join(REPO, "lists.yaml")]);
        assert.strictEqual(r.code, 1);
        assert.ok(brief(r.out).includes("no-proxy-escape-privileges DaemonSet shop/agent"), r.out);
        const v = ofPolicy(r.out, "no-proxy-escape-privileges")[0];
        assert.deepStrictEqual(valueAt(v, "location"), { file: path.join(REPO, "lists.yaml"), line: 8 });
        assert.match(String(valueAt(v, "message")), /hostNetwork: true/, "hostNetwork: yes is true to the API server");
    });

    it("reads YAML 1.1 as the API server does: runAsUser 02471 is 1337, privileged: on is true", async function () {
        const r = await run(["--json", path.join(REPO, "yaml11.yaml")]);
        const msgs = ofPolicy(r.out, "no-proxy-escape-privileges").map((v) => String(valueAt(v, "message")));
        assert.ok(
            msgs.some((m) => /"a" runs with runAsUser 1337/.test(m)),
            msgs.join("\n"),
        );
        assert.ok(
            msgs.some((m) => /"b" is privileged/.test(m)),
            msgs.join("\n"),
        );
        // the same spellings quoted are strings (the API server rejects them; the pack still fails closed)
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-y11-"));
        fs.writeFileSync(
            path.join(tmp, "q.yaml"),
            fs.readFileSync(path.join(REPO, "yaml11.yaml"), "utf8").replace("02471", '"02471"').replace("privileged: on", 'privileged: "on"'),
        );
        const q = await run(["--json", tmp]);
        assert.strictEqual(ofPolicy(q.out, "no-proxy-escape-privileges").length, 2);
        // and a plain value that is no YAML 1.1 number or boolean passes
        fs.writeFileSync(
            path.join(tmp, "q.yaml"),
            fs.readFileSync(path.join(REPO, "yaml11.yaml"), "utf8").replace("02471", "2471").replace("privileged: on", "privileged: off"),
        );
        const ok = await run(["--json", tmp]);
        assert.deepStrictEqual(ofPolicy(ok.out, "no-proxy-escape-privileges"), []);
    });

    it("reads - (standard input); an input with no object is an error (helm template failed)", function () {
        const pod = fs.readFileSync(path.join(REPO, "yaml11.yaml"), "utf8");
        const r = spawnSync(process.execPath, [BIN, "check", "--json", "-"], { input: pod, encoding: "utf8" });
        assert.strictEqual(r.status, 1, r.stderr);
        assert.strictEqual(valueAt(JSON.parse(r.stdout), 0, "location", "file"), "<stdin>");
        const empty = spawnSync(process.execPath, [BIN, "check", "-"], { input: "", encoding: "utf8" });
        assert.strictEqual(empty.status, 2);
        assert.match(empty.stderr, /no Kubernetes objects in <stdin>/);
        const comments = spawnSync(process.execPath, [BIN, "check", "-"], { input: "# Error: INSTALLATION FAILED\n---\n", encoding: "utf8" });
        assert.strictEqual(comments.status, 2);
    });

    it("follows symlinked files and directories (once: a loop is not followed forever)", async function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-ln-"));
        fs.symlinkSync(path.join(REPO, "yaml11.yaml"), path.join(tmp, "linked.yaml"));
        fs.symlinkSync(path.join(REPO, "kustomize"), path.join(tmp, "dir"));
        fs.symlinkSync(tmp, path.join(tmp, "loop"));
        const r = await run(["--json", tmp]);
        assert.strictEqual(r.code, 1, r.err);
        assert.ok(brief(r.out).includes("no-proxy-escape-privileges Pod shop/sneaky"));
        assert.match(r.err, /dir\/kustomization\.yaml:1: skipped document/, "the symlinked directory was read");
        // its Deployment (namespace-less: default) is judged with its own default-deny: no finding for default
        assert.ok(!brief(r.out).some((b) => b.includes("default/web")), r.out);
    });

    it("--namespace gives namespace-less objects a namespace, as kubectl -n does", async function () {
        const app = path.join(REPO, "kustomize", "app.yaml");
        assert.strictEqual((await run([app])).code, 0, "its default-deny covers it in default");
        const r = await run(["--json", "-n", "shop", app, path.join(REPO, "yaml11.yaml")]);
        // web and the default-deny move to shop, which then covers sneaky too
        assert.deepStrictEqual(
            brief(r.out).filter((b) => b.startsWith("namespace-default-deny")),
            [],
        );
        const bad = await run(["--namespace", "Not_A_Namespace", app]);
        assert.strictEqual(bad.code, 2);
    });

    it("--format sarif writes SARIF 2.1.0 with the pack's policies as rules and each finding at its file:line", async function () {
        const r = await run(["--format", "sarif", path.join(REPO, "yaml11.yaml")]);
        assert.strictEqual(r.code, 1);
        const log: unknown = JSON.parse(r.out);
        assert.strictEqual(valueAt(log, "version"), "2.1.0");
        assert.match(String(valueAt(log, "$schema")), /sarif-2\.1\.0/);
        const driver = recordAt(log, "runs", 0, "tool", "driver");
        assert.strictEqual(driver.name, "istio-egress-guard");
        assert.ok(
            listAt(driver, "rules").some(
                (x) => valueAt(x, "id") === "no-proxy-escape-privileges" && (stringAt(x, "shortDescription", "text") ?? "").length > 0,
            ),
        );
        const res = listAt(log, "runs", 0, "results");
        assert.strictEqual(res.length, 3);
        for (const x of res) {
            const ruleIndex = valueAt(x, "ruleIndex");
            assert.ok(typeof ruleIndex === "number", "each result names its rule by index");
            assert.strictEqual(valueAt(driver, "rules", ruleIndex, "id"), valueAt(x, "ruleId"));
            assert.strictEqual(valueAt(x, "level"), "error");
            assert.match(String(valueAt(x, "locations", 0, "physicalLocation", "artifactLocation", "uri")), /yaml11\.yaml$/);
            assert.strictEqual(valueAt(x, "locations", 0, "physicalLocation", "region", "startLine"), 2);
        }
        assert.strictEqual((await run(["--format", "xml", REPO])).code, 2);
    });

    it("--policy-config (YAML or JSON; --config is an alias): top-level exemptNamespaces and exemptObjects reach every policy", async function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-cfg-"));
        const yaml = path.join(tmp, "guard.yaml");
        fs.writeFileSync(yaml, "exemptObjects: [Pod/shop/sneaky]\n");
        const r = await run(["--json", "--policy-config", yaml, REPO]);
        assert.ok(!brief(r.out).some((b) => b.includes("Pod shop/sneaky")), r.out);
        assert.ok(brief(r.out).includes("no-proxy-escape-privileges DaemonSet shop/agent"));
        fs.writeFileSync(yaml, "exemptNamespaces: [shop]\nno-proxy-escape-privileges: advisory\n");
        const ns = await run(["--json", "--config", yaml, REPO]);
        assert.strictEqual(ns.code, 0, ns.out);
        assert.deepStrictEqual(brief(ns.out), []);
        const json = path.join(tmp, "guard.json");
        fs.writeFileSync(json, JSON.stringify({ exemptNamespaces: "shop" }));
        const bad = await run(["--policy-config", json, REPO]);
        assert.strictEqual(bad.code, 2);
        assert.match(bad.err, /exemptNamespaces must be a list/);
    });
});

/** What `check` finds on each published set, and why each finding is right (see docs/policy-pack.md). */
const EXPECTED: Record<string, { args: string[]; options?: string[]; findings: string[] }> = {
    istio: {
        args: ["istio"],
        findings: [
            // bookinfo, httpbin, curl, helloworld ... are namespace-less: they land in default, which has no default-deny
            "namespace-default-deny-egress Deployment default/details-v1",
            "namespace-default-deny-egress Deployment echo-grpc/echo-v1",
            "namespace-default-deny-egress Deployment spire/spire-server",
            // a custom Envoy bootstrap can add clusters that forward anywhere, as UID 1337
            "no-traffic-capture-exclusions Deployment default/helloworld-v1",
            // proxyless gRPC (grpc-agent template): no istio-init, the app connects directly
            "no-traffic-capture-exclusions Deployment echo-grpc/echo-v1",
            "no-traffic-capture-exclusions Deployment echo-grpc/echo-v2",
            // the SPIRE agent runs in the node's network namespace, its CSI driver privileged
            "no-proxy-escape-privileges DaemonSet spire/spire-agent",
            "no-proxy-escape-privileges DaemonSet spire/spire-agent",
            // unrouted external hosts: sidecars reach them directly
            "service-entry-via-egress-gateway ServiceEntry default/github-https",
            "service-entry-via-egress-gateway ServiceEntry default/github-tcp",
            "service-entry-via-egress-gateway ServiceEntry default/googleapis",
            // pods without a sidecar
            "sidecar-injection-required Deployment default/ext-authz",
            "sidecar-injection-required Deployment default/opentelemetry-collector",
            "sidecar-injection-required Deployment default/opentelemetry-collector",
        ],
    },
    "kube-prometheus": {
        args: ["kube-prometheus"],
        findings: [
            "namespace-default-deny-egress Deployment monitoring/blackbox-exporter",
            ...[
                "alertmanager-main",
                "blackbox-exporter",
                "grafana",
                "kube-state-metrics",
                "node-exporter",
                "prometheus-adapter",
                "prometheus-k8s",
                "prometheus-operator",
            ].map((n) => `no-external-egress-networkpolicy NetworkPolicy monitoring/${n}`),
            "no-proxy-escape-privileges DaemonSet monitoring/node-exporter",
        ].sort(),
    },
    argocd: { args: ["argocd"], options: ["-n", "argocd"], findings: ["namespace-default-deny-egress Deployment argocd/argocd-applicationset-controller"] },
    "ingress-nginx": { args: ["ingress-nginx"], findings: ["namespace-default-deny-egress Deployment ingress-nginx/ingress-nginx-controller"] },
};

describe("istio-egress check on ../shared/third-party (published repositories)", function () {
    this.timeout(180000);
    before(function () {
        if (!fs.existsSync(THIRD_PARTY)) {
            console.log(`      (skipped: ${THIRD_PARTY} is not present; these tests read the shared third-party manifests)`);
            this.skip();
        }
    });
    for (const [set, { args, options, findings }] of Object.entries(EXPECTED)) {
        it(`${set}: runs without exit 2, and reports exactly the real ways around the gateway`, async function () {
            // argo-cd's install.yaml is namespace-less, applied with kubectl -n argocd
            const argv = [...(options ?? []), ...args.map((a) => path.join(THIRD_PARTY, a))];
            const r = await run(["--json", ...argv]);
            assert.notStrictEqual(r.code, 2, r.err);
            assert.deepStrictEqual(brief(r.out), [...findings].sort());
            if (set === "istio") {
                // Istio's extauthz sample: ServiceEntries for 127.0.0.1 (a container in the same pod) are not external
                assert.ok(!brief(r.out).some((b) => b.includes("httpbin-ext-authz")));
                assert.match(r.err, /Chart\.yaml:1: skipped/);
            }
        });
    }
});

/**
 * `istio-egress check`: Kubernetes YAML in, the pack's verdict out — text, JSON and exit codes — in-process and as
 * the installed bin would run it.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../sdk/cli/check";
import { captureCli } from "./helpers/cli";
import { isRecord, listAt, valueAt } from "../sdk/model/read";
import { renderProgram, reportFor, writeRender } from "../sdk/render/render";

const ROOT = path.resolve(__dirname, "..", "..");
const FIX = path.join(ROOT, "tests", "fixtures", "policy", "check");
const BIN = path.join(ROOT, "dist", "sdk", "cli", "main.js");

const run = (argv: string[]) => captureCli(main, argv);

describe("istio-egress check", function () {
    this.timeout(120000);

    it("reads a directory recursively (*.yaml, *.yml), prints each violation and exits 1 on a mandatory one", async function () {
        const r = await run([path.join(FIX, "bypass")]);
        assert.strictEqual(r.code, 1, r.err);
        const lines = r.out.trim().split("\n");
        // Issue 9: each finding names its file:line; the rest of the line is as before.
        const findingLines = lines.filter((l) => /^[A-Z]+ {2}/.test(l));
        assert.ok(
            findingLines.every((l) => / {2}\(.*bypass.*\.ya?ml:\d+\)$/.test(l)),
            findingLines.join("\n"),
        );
        assert.deepStrictEqual(findingLines.map((l) => l.replace(/ {2}\([^)]*\)$/, "")).sort(), [
            "MANDATORY  no-proxy-escape-privileges  CronJob shop/export",
            "MANDATORY  no-traffic-capture-exclusions  Deployment shop/scraper",
            "MANDATORY  registry-only-outbound  Sidecar shop/default",
        ]);
        assert.match(
            r.out,
            /\n {4}spec\.template\.metadata\.annotations traffic\.sidecar\.istio\.io\/excludeOutboundIPRanges: "0\.0\.0\.0\/0" .*remove it\.\n/,
        );
        assert.match(lines[lines.length - 1], /^3 violation\(s\) \(3 mandatory, 0 advisory\) in 4 object\(s\) from 2 file\(s\)$/);
    });

    it("prints JSON with --json", async function () {
        const r = await run(["--json", path.join(FIX, "bypass", "nested", "istio.yml"), path.join(FIX, "list.yaml")]);
        assert.strictEqual(r.code, 1);
        const json = listAt(JSON.parse(r.out));
        assert.deepStrictEqual(
            // Issue 9 added each finding's location (checked below); the other fields are as before.
            json.map((f) => {
                assert.ok(isRecord(f));
                const { location: _location, ...v } = f;
                return { ...v, message: typeof v.message };
            }),
            [
                {
                    policy: "registry-only-outbound",
                    enforcementLevel: "mandatory",
                    resource: { kind: "Sidecar", namespace: "shop", name: "default" },
                    message: "string",
                },
                {
                    policy: "no-proxy-escape-privileges",
                    enforcementLevel: "mandatory",
                    resource: { kind: "Pod", namespace: "shop", name: "debug" },
                    message: "string",
                },
                {
                    policy: "namespace-default-deny-egress",
                    enforcementLevel: "mandatory",
                    resource: { kind: "Pod", namespace: "shop", name: "debug" },
                    message: "string",
                },
            ],
        );
        assert.match(String(valueAt(json, 0, "message")), /ALLOW_ANY.*REGISTRY_ONLY/);
        assert.deepStrictEqual(valueAt(json, 0, "location"), { file: path.join(FIX, "bypass", "nested", "istio.yml"), line: 1 });
        assert.strictEqual(valueAt(json, 1, "location", "file"), path.join(FIX, "list.yaml"));
    });

    it("exits 0 on a compliant namespace, and on advisory-only findings", async function () {
        const clean = await run([path.join(FIX, "clean")]);
        assert.strictEqual(clean.code, 0, clean.out);
        assert.match(clean.out, /^no violations in 3 object\(s\) from 1 file\(s\)\n$/);
        const advisory = await run(["--config", path.join(FIX, "advisory.json"), "--json", path.join(FIX, "bypass")]);
        assert.strictEqual(advisory.code, 0);
        const json = listAt(JSON.parse(advisory.out));
        assert.deepStrictEqual(json.map((v) => `${String(valueAt(v, "enforcementLevel"))} ${String(valueAt(v, "policy"))}`).sort(), [
            "advisory no-proxy-escape-privileges",
            "advisory no-traffic-capture-exclusions",
        ]);
    });

    it("exits 2 on usage errors, unreadable paths, YAML errors (file:line), bad config; skips documents without kind", async function () {
        const usage = await run([]);
        assert.strictEqual(usage.code, 2);
        assert.match(usage.err, /no FILE, DIR or - given/);
        assert.strictEqual((await run(["--frobnicate", FIX])).code, 2);
        const missing = await run([path.join(FIX, "nope.yaml")]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.err, /nope\.yaml: no such file or directory/);
        const broken = await run([path.join(FIX, "broken.yaml")]);
        assert.strictEqual(broken.code, 2);
        assert.match(broken.err, /broken\.yaml:(8|9|10): YAML error/);
        // Issue 9: a document without apiVersion/kind (the API server would reject it) is skipped with a notice, not
        // an error (it was exit 2): real repositories hold values files, Chart.yaml and the like next to manifests.
        const nokind = await run([path.join(FIX, "nokind.yaml")]);
        assert.strictEqual(nokind.code, 0, nokind.err);
        assert.match(nokind.err, /nokind\.yaml:6: skipped document: no apiVersion\/kind/);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
        const empty = await run([tmp]);
        assert.strictEqual(empty.code, 2, "a directory without YAML fails closed");
        assert.match(empty.err, /no \*\.yaml or \*\.yml files in /);
        fs.writeFileSync(path.join(tmp, "cfg.json"), JSON.stringify({ "no-proxy-escape-privileges": { exemptNamespaces: "shop" } }));
        const badCfg = await run(["--config", path.join(tmp, "cfg.json"), path.join(FIX, "clean")]);
        assert.strictEqual(badCfg.code, 2);
        assert.match(badCfg.err, /policy "no-proxy-escape-privileges": invalid config: exemptNamespaces must be array/);
        fs.writeFileSync(path.join(tmp, "cfg.json"), "{ not json");
        assert.strictEqual((await run(["--config", path.join(tmp, "cfg.json"), path.join(FIX, "clean")])).code, 2);
    });

    it("honours per-policy config from --config (exempt namespaces)", async function () {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
        fs.writeFileSync(path.join(tmp, "cfg.json"), JSON.stringify({ "no-proxy-escape-privileges": { exemptNamespaces: ["shop"] } }));
        const r = await run(["--json", "--config", path.join(tmp, "cfg.json"), path.join(FIX, "bypass", "workloads.yaml")]);
        const json = listAt(JSON.parse(r.out));
        assert.deepStrictEqual(
            json.map((v) => valueAt(v, "policy")),
            ["no-traffic-capture-exclusions"],
        );
        assert.strictEqual(r.code, 1);
    });

    it("runs as the installed bin (node dist/sdk/cli/main.js check ...)", function () {
        const bad = spawnSync(process.execPath, [BIN, "check", "--json", path.join(FIX, "bypass")], { encoding: "utf8" });
        assert.strictEqual(bad.status, 1, bad.stderr);
        assert.strictEqual(listAt(JSON.parse(bad.stdout)).length, 3);
        const good = spawnSync(process.execPath, [BIN, "check", path.join(FIX, "clean")], { encoding: "utf8" });
        assert.strictEqual(good.status, 0, good.stderr);
        const broken = spawnSync(process.execPath, [BIN, "check", path.join(FIX, "broken.yaml")], { encoding: "utf8" });
        assert.strictEqual(broken.status, 2);
        assert.match(broken.stderr, /broken\.yaml:\d+: YAML error/);
    });

    it("reads a directory written by `render`: objects and Helm releases judged, the summary skipped", async function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-egress-render-check-"));
        try {
            const result = await renderProgram(path.join(ROOT, "examples", "blog-scenario"));
            writeRender(dir, result, reportFor(result));
            const ok = await run([dir]);
            assert.strictEqual(ok.code, 0, ok.err + ok.out);
            assert.match(ok.out, new RegExp(`no violations in ${result.objects.length + 1} object\\(s\\)`), "every object plus the Helm release");
            // The Helm release file is judged as the Release the program registers: a LoadBalancer gateway is caught.
            const file = fs.readdirSync(dir).find((f) => f.startsWith("helmrelease-"))!;
            const text = fs.readFileSync(path.join(dir, file), "utf8").replace(/type: ClusterIP/, "type: LoadBalancer");
            assert.ok(text.includes("type: LoadBalancer"));
            fs.writeFileSync(path.join(dir, file), text);
            const bad = await run(["--json", dir]);
            assert.strictEqual(bad.code, 1);
            assert.deepStrictEqual(
                listAt(JSON.parse(bad.out)).map(
                    (v) =>
                        `${String(valueAt(v, "policy"))} ${String(valueAt(v, "resource", "kind"))} ${String(valueAt(v, "resource", "namespace"))}/${String(valueAt(v, "resource", "name"))}`,
                ),
                ["egress-gateway-cluster-ip Release istio-egress/egress-gateway"],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

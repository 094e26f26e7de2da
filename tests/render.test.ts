import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { main } from "../sdk/cli/render";
import { captureCli } from "./helpers/cli";
import { objectFileName, renderProgram } from "../sdk/render/render";
import { readProject, stackConfig } from "../sdk/render/loader";
import { K8sObject, validateAll } from "../sdk/schema/validate";

const FIXTURES = path.resolve(__dirname, "../../tests/fixtures/render");
const ASM = path.join(FIXTURES, "asm");
const PLAIN_JS = path.join(FIXTURES, "plain-js");

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the CLI in-process, capturing what it writes. */
async function cli(args: string[]): Promise<Run> {
    const r = await captureCli(main, args);
    return { code: r.code, stdout: r.out, stderr: r.err };
}

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "render-test-"));
}

describe("render: loading Pulumi programs", () => {
    it("reads Pulumi.yaml, project config defaults and the stack file; flags override", () => {
        const p = readProject(ASM);
        assert.strictEqual(p.name, "asm-fixture");
        assert.strictEqual(p.entry, path.join(ASM, "index.ts"));
        assert.deepStrictEqual(p.configDefaults, { "asm-fixture:frontendNamespace": "demo-frontend" });
        const cfg = stackConfig(p, "dev", { legacyNamespace: "x", "other:key": "v" });
        assert.strictEqual(cfg["asm-fixture:legacyNamespace"], "x", "flags beat the stack file");
        assert.strictEqual(cfg["asm-fixture:gatewayVersion"], "1.28.0", "bare keys in the stack file belong to the project");
        assert.strictEqual(cfg["other:key"], "v");
        assert.strictEqual(stackConfig(p, "prod")["asm-fixture:legacyNamespace"], undefined, "no Pulumi.prod.yaml");
    });

    it("finds main through a directory's package.json and accepts the runtime object form", () => {
        const p = readProject(PLAIN_JS);
        assert.strictEqual(p.entry, path.join(PLAIN_JS, "src", "program.js"));
    });

    it("rejects a missing Pulumi.yaml, another runtime, a missing main and secure config, naming the field", () => {
        const d = tmpDir();
        assert.throws(() => readProject(d), /no Pulumi\.yaml/);
        fs.writeFileSync(path.join(d, "Pulumi.yaml"), "name: x\nruntime: python\n");
        assert.throws(() => readProject(d), /runtime: "python" is not supported/);
        fs.writeFileSync(path.join(d, "Pulumi.yaml"), "runtime: nodejs\n");
        assert.throws(() => readProject(d), /name: required/);
        fs.writeFileSync(path.join(d, "Pulumi.yaml"), "name: x\nruntime: nodejs\nmain: nope.ts\n");
        assert.throws(() => readProject(d), /main: "nope\.ts" does not exist/);
        fs.writeFileSync(path.join(d, "Pulumi.yaml"), "name: x\nruntime: nodejs\n");
        fs.writeFileSync(path.join(d, "index.js"), "");
        fs.writeFileSync(path.join(d, "Pulumi.dev.yaml"), "config:\n  x:token:\n    secure: AAAA\n");
        assert.throws(() => stackConfig(readProject(d), "dev"), /config\.x:token: secure .* cannot be decrypted offline/);
    });

    it("names files <kind>-<namespace>-<name>.yaml, cluster-scoped kinds without a namespace", () => {
        assert.strictEqual(objectFileName({ apiVersion: "v1", kind: "Namespace", metadata: { name: "Demo" } }), "namespace-demo.yaml");
        assert.strictEqual(objectFileName({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "b" } }), "configmap-b-a.yaml");
        assert.strictEqual(objectFileName({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }), "configmap-default-a.yaml");
    });
});

describe("render: the asm fixture (hand-written NetworkPolicies and AuthorizationPolicies)", () => {
    let out: string;
    let run: Run;
    let json: any;

    before(async () => {
        out = tmpDir();
        run = await cli([ASM, "--out", out, "--json"]);
        json = JSON.parse(run.stdout);
    });

    it("writes one schema-valid YAML file per object, plus summary, report and diagram", async () => {
        const files = fs.readdirSync(out).sort();
        for (const f of ["summary.json", "summary.yaml", "report.txt", "report.json", "report.mmd", "helmrelease-istio-egress-istio-egressgateway.yaml"]) {
            assert.ok(files.includes(f), `${f} written`);
        }
        const objectFiles = files.filter((f) => f.endsWith(".yaml") && !f.startsWith("summary") && !f.startsWith("helmrelease-"));
        assert.strictEqual(objectFiles.length, json.objects.length);
        assert.ok(objectFiles.includes("networkpolicy-demo-frontend-default-deny-egress.yaml"));
        assert.ok(objectFiles.includes("authorizationpolicy-istio-egress-deny-frontend-aliyun.yaml"));
        assert.ok(objectFiles.includes("deployment-legacy-legacy-app.yaml"), "legacyNamespace comes from Pulumi.dev.yaml");
        const objs = objectFiles.map((f) => parseYaml(fs.readFileSync(path.join(out, f), "utf8")) as K8sObject);
        for (const [i, o] of objs.entries()) {
            assert.strictEqual(objectFileName(o), objectFiles[i], "the file name follows the object");
        }
        assert.deepStrictEqual(await validateAll(objs), []);
        const dep = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "frontend")!;
        assert.strictEqual(dep.apiVersion, "apps/v1", "typed kinds get apiVersion/kind from the type token");
        const se = objs.find((o) => o.kind === "ServiceEntry")!;
        assert.deepStrictEqual(se.spec.hosts, ["www.aliyun.com"]);
        const summary = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
        assert.strictEqual(summary.counts.NetworkPolicy, 4);
        assert.strictEqual(summary.counts.HelmRelease, 1);
        assert.strictEqual(summary.total, objectFiles.length + 1);
        assert.deepStrictEqual(summary.outputs, { gatewayService: "istio-egressgateway.istio-egress.svc.cluster.local", frontendNamespace: "demo-frontend", releaseStatus: "deployed" });
        assert.deepStrictEqual(parseYaml(fs.readFileSync(path.join(out, "summary.yaml"), "utf8")), summary);
    });

    it("writes the Helm release as chart, repository, version, namespace and values, saying the chart is not rendered", () => {
        const text = fs.readFileSync(path.join(out, "helmrelease-istio-egress-istio-egressgateway.yaml"), "utf8");
        assert.match(text.split("\n")[1], /^# .*its chart is NOT$/);
        const doc = parseYaml(text);
        assert.strictEqual(doc.chart, "gateway");
        assert.strictEqual(doc.repository, "https://istio-release.storage.googleapis.com/charts");
        assert.strictEqual(doc.version, "1.28.0", "from Pulumi.dev.yaml (the program's own default is 1.27.0)");
        assert.strictEqual(doc.namespace, "istio-egress");
        assert.strictEqual(doc.release, "istio-egressgateway");
        assert.deepStrictEqual(doc.values.service, { type: "ClusterIP", ports: [{ name: "tls", port: 443, targetPort: 8443, protocol: "TCP" }] });
    });

    it("reports demo-frontend denied www.aliyun.com by the named DENY policy, demo-backend allowed via the gateway, legacy bypassing", () => {
        const rows: any[] = json.report.rows;
        const find = (source: string) => rows.find((r) => r.source === source && r.host === "www.aliyun.com");
        const fe = find("demo-frontend/frontend (Deployment/frontend)");
        assert.strictEqual(fe.verdict, "denied");
        assert.strictEqual(fe.path, "gateway");
        assert.deepStrictEqual(fe.ruleRef, { kind: "AuthorizationPolicy", name: "istio-egress/deny-frontend-aliyun", ruleIndex: 0 });
        assert.strictEqual(fe.logged, true);
        const be = find("demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "allowed");
        assert.strictEqual(be.path, "gateway");
        assert.strictEqual(be.ruleRef.name, "istio-egress/allow-mesh-identities");
        const legacy = find("legacy/default (Deployment/legacy-app)");
        assert.strictEqual(legacy.verdict, "allowed");
        assert.strictEqual(legacy.path, "direct (bypass!)");
        assert.strictEqual(legacy.logged, false);
        assert.ok(!rows.some((r) => r.namespace === "istio-egress"), "the gateway's namespace is not a source");
        const text = fs.readFileSync(path.join(out, "report.txt"), "utf8");
        assert.match(text, /demo-frontend\/frontend \(Deployment\/frontend\)\s+www\.aliyun\.com:443\s+denied\s+gateway\s+AuthorizationPolicy istio-egress\/deny-frontend-aliyun rule 0/);
        const mmd = fs.readFileSync(path.join(out, "report.mmd"), "utf8");
        assert.match(mmd, /--x\|"denied: www\.aliyun\.com:443 \(AuthorizationPolicy istio-egress\/deny-frontend-aliyun/);
        assert.match(mmd, /-\.->\|"allowed: BYPASS, direct/);
    });

    it("--json keeps stdout pure JSON; the human report goes to stderr", () => {
        assert.doesNotThrow(() => JSON.parse(run.stdout));
        assert.match(run.stderr, /egress access report/);
        assert.ok(Array.isArray(json.violations));
        assert.deepStrictEqual(json.schemaProblems, []);
    });

    it("runs the policy pack: the legacy namespace without default-deny is a mandatory violation (exit 1)", () => {
        assert.strictEqual(run.code, 1, run.stderr);
        const v = json.violations.find((x: any) => x.resource.namespace === "legacy" && x.enforcementLevel === "mandatory");
        assert.ok(v, JSON.stringify(json.violations));
        assert.match(run.stderr, /verdict: FAIL/);
    });

    it("--config moves the legacy app under default-deny: it now goes through the gateway, and the pack passes (exit 0)", async () => {
        const r = await cli([ASM, "--out", tmpDir(), "--json", "--config", "legacyNamespace=demo-backend"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        const legacy = j.report.rows.find((x: any) => x.source === "demo-backend/default (Deployment/legacy-app)");
        assert.strictEqual(legacy.verdict, "allowed", "it now goes through the gateway, where demo-backend is allowed");
        assert.strictEqual(legacy.path, "gateway");
        assert.deepStrictEqual(j.violations.filter((x: any) => x.enforcementLevel === "mandatory"), []);
        assert.match(r.stderr, /verdict: PASS/);
    });

    it("--policy-config can lower the pack's enforcement (advisories), but never to PASS over a report row that bypasses the gateway", async () => {
        const cfgFile = path.join(tmpDir(), "policy.yaml");
        fs.writeFileSync(cfgFile, "all: advisory\n");
        const r = await cli([ASM, "--out", tmpDir(), "--policy-config", cfgFile]);
        assert.match(r.stdout, /\[advisory\] namespace-default-deny-egress/);
        // The legacy namespace still reaches the internet around the gateway (its row says `direct (bypass!)`).
        assert.strictEqual(r.code, 1, r.stderr);
        assert.doesNotMatch(r.stdout, /verdict: PASS/);
        assert.match(r.stdout, /verdict: FAIL \(access report: 1 critical finding, e\.g\. legacy\/default \(Deployment\/legacy-app\) can reach www\.aliyun\.com:443 around the gateway/);
        const moved = await cli([ASM, "--out", tmpDir(), "--policy-config", cfgFile, "--config", "legacyNamespace=demo-backend"]);
        assert.strictEqual(moved.code, 0, moved.stderr);
        assert.match(moved.stdout, /verdict: PASS/);
    });
});

describe("render: failures and repeat runs", () => {
    it("a failing program exits 2 with its error message and no stack dump", async () => {
        const r = await cli([ASM, "--out", tmpDir(), "--config", "fail=true"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /the program in .* failed: hosts\[0\]\.host: "www\.\.aliyun\.com" is not a valid DNS name/);
        assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
    });

    it("the istio-egress bin exits 2 on a failing program, without an unhandled-rejection crash", () => {
        const bin = path.resolve(__dirname, "../sdk/cli/main.js");
        const r = spawnSync(process.execPath, [bin, "render", ASM, "--out", tmpDir(), "--config", "fail=true"], { encoding: "utf8" });
        assert.strictEqual(r.status, 2, r.stderr);
        assert.strictEqual(r.stderr.trim().split("\n").length, 1, `one clean line:\n${r.stderr}`);
        assert.match(r.stderr, /failed: hosts\[0\]\.host/);
    });

    it("a schema-invalid object exits 2 and is named", async () => {
        const r = await cli([ASM, "--out", tmpDir(), "--config", "invalid=true"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /schema validation: \d+ problem\(s\)\n\s+ServiceEntry\/istio-egress\/broken: /);
    });

    it("bad usage and a missing program directory exit 2", async () => {
        assert.strictEqual((await cli([])).code, 2);
        assert.strictEqual((await cli([ASM, "--config", "novalue"])).code, 2);
        assert.strictEqual((await cli([ASM, "--bogus"])).code, 2);
        const missing = await cli([path.join(tmpDir(), "nothing-here")]);
        assert.strictEqual(missing.code, 2);
        assert.match(missing.stderr, /no Pulumi\.yaml/);
    });

    it("renders twice in one process, re-evaluating the program with the new config", async () => {
        const a = await renderProgram(ASM, { config: { frontendNamespace: "team-x" } });
        const b = await renderProgram(ASM, {});
        assert.strictEqual(a.outputs.frontendNamespace, "team-x");
        assert.strictEqual(b.outputs.frontendNamespace, "demo-frontend");
        assert.ok(a.objects.some((o) => o.kind === "Namespace" && o.metadata.name === "team-x"));
        assert.ok(!b.objects.some((o) => o.kind === "Namespace" && o.metadata.name === "team-x"));
        assert.strictEqual(a.objects.length, b.objects.length);
        assert.ok(!Object.keys(require.cache).some((k) => k.startsWith(ASM)), "the program's modules are not left in require.cache");
        assert.strictEqual((require as any).extensions[".ts"], undefined, "the TypeScript hook is removed after the run");
    });

    it("loads a TypeScript program's own modules imported as ./x.js, and concurrent renders do not interfere", async () => {
        const dir = path.join(FIXTURES, "ts-modules");
        const Module = require("module");
        const resolveBefore = Module._resolveFilename;
        const [a, b] = await Promise.all([renderProgram(dir), renderProgram(ASM)]);
        assert.deepStrictEqual(a.outputs, { namespace: "team-blue" });
        assert.strictEqual(b.outputs.frontendNamespace, "demo-frontend");
        assert.strictEqual((require as any).extensions[".ts"], undefined, "the hook is gone after both");
        assert.strictEqual(Module._resolveFilename, resolveBefore, "the .js → .ts resolution fallback is gone too");
    });

    it("runs a JavaScript program with a default-exported function, on another stack", async () => {
        const out = tmpDir();
        const r = await cli([PLAIN_JS, "--out", out, "--stack", "prod", "--config", "namespace=team-b", "--json"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        assert.strictEqual(j.stack, "prod");
        assert.deepStrictEqual(j.outputs, { namespace: "team-b", apiToken: "[secret]" });
        assert.deepStrictEqual(j.objects.map((o: any) => o.file).sort(), ["configmap-team-b-settings.yaml", "namespace-team-b.yaml", "secret-team-b-token.yaml"]);
        assert.match(j.report.warnings.join("\n"), /no ServiceEntry/);
    });

    it("redacts secret values unless --show-secrets (and the redacted Secret still validates)", async () => {
        const out = tmpDir();
        assert.strictEqual((await cli([PLAIN_JS, "--out", out])).code, 0);
        const text = fs.readFileSync(path.join(out, "secret-team-a-token.yaml"), "utf8");
        assert.ok(!text.includes("hunter2") && !text.includes("aHVudGVyMg=="), text);
        const secret = parseYaml(text);
        assert.deepStrictEqual(secret.stringData, { token: "REDACTED" });
        assert.deepStrictEqual(secret.data, { raw: "REDACTED" });
        assert.deepStrictEqual(await validateAll([secret]), []);
        const shown = tmpDir();
        assert.strictEqual((await cli([PLAIN_JS, "--out", shown, "--show-secrets"])).code, 0);
        assert.deepStrictEqual(parseYaml(fs.readFileSync(path.join(shown, "secret-team-a-token.yaml"), "utf8")).stringData, { token: "hunter2" });
        assert.ok(!fs.readFileSync(path.join(out, "summary.json"), "utf8").includes("s3cr3t-output"), "secret stack outputs are redacted");
        assert.strictEqual(JSON.parse(fs.readFileSync(path.join(shown, "summary.json"), "utf8")).outputs.apiToken, "s3cr3t-output");
    });

    it("a second render into the same directory removes the previous render's files", async () => {
        const out = tmpDir();
        fs.writeFileSync(path.join(out, "keep.md"), "not ours");
        await cli([ASM, "--out", out]);
        assert.ok(fs.existsSync(path.join(out, "deployment-legacy-legacy-app.yaml")));
        await cli([ASM, "--out", out, "--config", "legacyNamespace=old-apps"]);
        assert.ok(!fs.existsSync(path.join(out, "deployment-legacy-legacy-app.yaml")), "stale file removed");
        assert.ok(fs.existsSync(path.join(out, "deployment-old-apps-legacy-app.yaml")));
        assert.ok(fs.existsSync(path.join(out, "keep.md")), "files render did not write are kept");
    });
});

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import * as nodeModule from "module";
import { main, RenderJson } from "../sdk/cli/render";
import { captureCli } from "./helpers/cli";
import { MANIFEST_FILE, objectFileName, renderProgram } from "../sdk/render/render";
import { readProject, stackConfig } from "../sdk/render/loader";
import { K8sObject, validateAll } from "../sdk/schema/validate";
import { listAt, valueAt } from "../sdk/model/read";

/** What `--json` printed: the documented contract (the test asserts on its fields). */
function renderJson(stdout: string): RenderJson {
    return JSON.parse(stdout) as RenderJson;
}

/** A file of the output directory, parsed; its fields are read with the model's readers. */
function readJson(file: string): unknown {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

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
    let json: RenderJson;

    before(async () => {
        out = tmpDir();
        run = await cli([ASM, "--out", out, "--json"]);
        json = renderJson(run.stdout);
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
        assert.deepStrictEqual(valueAt(se, "spec", "hosts"), ["www.aliyun.com"]);
        const summary = readJson(path.join(out, "summary.json"));
        assert.strictEqual(valueAt(summary, "counts", "NetworkPolicy"), 4);
        assert.strictEqual(valueAt(summary, "counts", "HelmRelease"), 1);
        assert.strictEqual(valueAt(summary, "total"), objectFiles.length + 1);
        assert.deepStrictEqual(valueAt(summary, "outputs"), {
            gatewayService: "istio-egressgateway.istio-egress.svc.cluster.local",
            frontendNamespace: "demo-frontend",
            releaseStatus: "deployed",
        });
        assert.deepStrictEqual(parseYaml(fs.readFileSync(path.join(out, "summary.yaml"), "utf8")), summary);
    });

    it("writes the Helm release as chart, repository, version, namespace and values, saying the chart is not rendered", () => {
        const text = fs.readFileSync(path.join(out, "helmrelease-istio-egress-istio-egressgateway.yaml"), "utf8");
        assert.match(text.split("\n")[1], /^# .*its chart is NOT$/);
        const doc: unknown = parseYaml(text);
        assert.strictEqual(valueAt(doc, "chart"), "gateway");
        assert.strictEqual(valueAt(doc, "repository"), "https://istio-release.storage.googleapis.com/charts");
        assert.strictEqual(valueAt(doc, "version"), "1.28.0", "from Pulumi.dev.yaml (the program's own default is 1.27.0)");
        assert.strictEqual(valueAt(doc, "namespace"), "istio-egress");
        assert.strictEqual(valueAt(doc, "release"), "istio-egressgateway");
        assert.deepStrictEqual(valueAt(doc, "values", "service"), {
            type: "ClusterIP",
            ports: [{ name: "tls", port: 443, targetPort: 8443, protocol: "TCP" }],
        });
    });

    it("reports demo-frontend denied www.aliyun.com by the named DENY policy, demo-backend allowed via the gateway, legacy bypassing", () => {
        const rows = json.report.rows;
        const find = (source: string) => rows.find((r) => r.source === source && r.host === "www.aliyun.com");
        const fe = find("demo-frontend/frontend (Deployment/frontend)");
        assert.ok(fe, "a row for demo-frontend");
        assert.strictEqual(fe.verdict, "denied");
        assert.strictEqual(fe.path, "gateway");
        assert.deepStrictEqual(fe.ruleRef, { kind: "AuthorizationPolicy", name: "istio-egress/deny-frontend-aliyun", ruleIndex: 0 });
        assert.strictEqual(fe.logged, true);
        const be = find("demo-backend/backend (Deployment/backend)");
        assert.ok(be, "a row for demo-backend");
        assert.strictEqual(be.verdict, "allowed");
        assert.strictEqual(be.path, "gateway");
        assert.strictEqual(be.ruleRef?.name, "istio-egress/allow-mesh-identities");
        const legacy = find("legacy/default (Deployment/legacy-app)");
        assert.ok(legacy, "a row for legacy");
        assert.strictEqual(legacy.verdict, "allowed");
        assert.strictEqual(legacy.path, "direct (bypass!)");
        assert.strictEqual(legacy.logged, false);
        assert.ok(!rows.some((r) => r.namespace === "istio-egress"), "the gateway's namespace is not a source");
        const text = fs.readFileSync(path.join(out, "report.txt"), "utf8");
        assert.match(
            text,
            /demo-frontend\/frontend \(Deployment\/frontend\)\s+www\.aliyun\.com:443\s+denied\s+gateway\s+AuthorizationPolicy istio-egress\/deny-frontend-aliyun rule 0/,
        );
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
        const v = json.violations.find((x) => x.resource.namespace === "legacy" && x.enforcementLevel === "mandatory");
        assert.ok(v, JSON.stringify(json.violations));
        assert.match(run.stderr, /verdict: FAIL/);
    });

    it("--config moves the legacy app under default-deny: it now goes through the gateway, and the pack passes (exit 0)", async () => {
        const r = await cli([ASM, "--out", tmpDir(), "--json", "--config", "legacyNamespace=demo-backend"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const j = renderJson(r.stdout);
        const legacy = j.report.rows.find((x) => x.source === "demo-backend/default (Deployment/legacy-app)");
        assert.ok(legacy, "a row for the moved legacy app");
        assert.strictEqual(legacy.verdict, "allowed", "it now goes through the gateway, where demo-backend is allowed");
        assert.strictEqual(legacy.path, "gateway");
        assert.deepStrictEqual(
            j.violations.filter((x) => x.enforcementLevel === "mandatory"),
            [],
        );
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
        assert.match(
            r.stdout,
            /verdict: FAIL \(access report: 1 critical finding, e\.g\. legacy\/default \(Deployment\/legacy-app\) can reach www\.aliyun\.com:443 around the gateway/,
        );
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
        assert.strictEqual(require.extensions[".ts"], undefined, "the TypeScript hook is removed after the run");
    });

    it("loads a TypeScript program's own modules imported as ./x.js, and concurrent renders do not interfere", async () => {
        const dir = path.join(FIXTURES, "ts-modules");
        const Module = nodeModule as unknown as { _resolveFilename: unknown };
        const resolveBefore = Module._resolveFilename;
        const [a, b] = await Promise.all([renderProgram(dir), renderProgram(ASM)]);
        assert.deepStrictEqual(a.outputs, { namespace: "team-blue" });
        assert.strictEqual(b.outputs.frontendNamespace, "demo-frontend");
        assert.strictEqual(require.extensions[".ts"], undefined, "the hook is gone after both");
        assert.strictEqual(Module._resolveFilename, resolveBefore, "the .js → .ts resolution fallback is gone too");
    });

    it("runs a JavaScript program with a default-exported function, on another stack", async () => {
        const out = tmpDir();
        const r = await cli([PLAIN_JS, "--out", out, "--stack", "prod", "--config", "namespace=team-b", "--json"]);
        assert.strictEqual(r.code, 0, r.stderr);
        const j = renderJson(r.stdout);
        assert.strictEqual(j.stack, "prod");
        assert.deepStrictEqual(j.outputs, { namespace: "team-b", apiToken: "[secret]" });
        assert.deepStrictEqual(j.objects.map((o) => o.file).sort(), ["configmap-team-b-settings.yaml", "namespace-team-b.yaml", "secret-team-b-token.yaml"]);
        assert.match(j.report.warnings.join("\n"), /no ServiceEntry/);
    });

    it("redacts secret values unless --show-secrets (and the redacted Secret still validates)", async () => {
        const out = tmpDir();
        assert.strictEqual((await cli([PLAIN_JS, "--out", out])).code, 0);
        const text = fs.readFileSync(path.join(out, "secret-team-a-token.yaml"), "utf8");
        assert.ok(!text.includes("hunter2") && !text.includes("aHVudGVyMg=="), text);
        const secret = parseYaml(text) as K8sObject;
        assert.deepStrictEqual(secret.stringData, { token: "REDACTED" });
        assert.deepStrictEqual(secret.data, { raw: "REDACTED" });
        assert.deepStrictEqual(await validateAll([secret]), []);
        const shown = tmpDir();
        assert.strictEqual((await cli([PLAIN_JS, "--out", shown, "--show-secrets"])).code, 0);
        assert.deepStrictEqual(valueAt(parseYaml(fs.readFileSync(path.join(shown, "secret-team-a-token.yaml"), "utf8")), "stringData"), { token: "hunter2" });
        assert.ok(!fs.readFileSync(path.join(out, "summary.json"), "utf8").includes("s3cr3t-output"), "secret stack outputs are redacted");
        assert.strictEqual(valueAt(readJson(path.join(shown, "summary.json")), "outputs", "apiToken"), "s3cr3t-output");
    });

    it("a second render into the same directory removes the previous render's files, and lists what it wrote and removed", async () => {
        const out = path.join(tmpDir(), "out");
        const first = await cli([ASM, "--out", out, "--json"]);
        assert.ok(fs.existsSync(path.join(out, "deployment-legacy-legacy-app.yaml")));
        const manifest = readJson(path.join(out, MANIFEST_FILE));
        assert.deepStrictEqual(
            listAt(manifest, "files")
                .map((f) => valueAt(f, "file"))
                .sort(),
            fs
                .readdirSync(out)
                .filter((f) => f !== MANIFEST_FILE)
                .sort(),
            "the manifest lists every other file",
        );
        assert.deepStrictEqual([...renderJson(first.stdout).files].sort(), fs.readdirSync(out).sort(), "--json lists every file written");
        assert.deepStrictEqual(listAt(readJson(path.join(out, "summary.json")), "files").sort(), fs.readdirSync(out).sort(), "so does the summary");
        const second = await cli([ASM, "--out", out, "--json", "--config", "legacyNamespace=old-apps"]);
        assert.ok(!fs.existsSync(path.join(out, "deployment-legacy-legacy-app.yaml")), "stale file removed");
        assert.ok(fs.existsSync(path.join(out, "deployment-old-apps-legacy-app.yaml")));
        assert.deepStrictEqual(renderJson(second.stdout).removed, ["deployment-legacy-legacy-app.yaml", "namespace-legacy.yaml"]);
        assert.match(second.stderr, /removed 2 file\(s\) of the previous render: deployment-legacy-legacy-app\.yaml, namespace-legacy\.yaml/);
    });
});

/** A Pulumi project directory inside the repository (so that it resolves this package's @pulumi/pulumi). */
function projectDir(): string {
    const root = path.resolve(__dirname, "..");
    const d = fs.mkdtempSync(path.join(root, "render-project-"));
    for (const f of fs.readdirSync(path.join(PLAIN_JS, "src"))) {
        fs.mkdirSync(path.join(d, "src"), { recursive: true });
        fs.copyFileSync(path.join(PLAIN_JS, "src", f), path.join(d, "src", f));
    }
    fs.writeFileSync(path.join(d, "Pulumi.yaml"), "name: project-x\nruntime: nodejs\nmain: src/\n");
    fs.writeFileSync(path.join(d, "package.json"), JSON.stringify({ name: "project-x", main: "src/program.js" }, null, 2));
    fs.writeFileSync(path.join(d, "tsconfig.json"), "{}\n");
    return d;
}

/** Every file under `dir` (relative path → content). */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
        }
    };
    walk(dir);
    return out;
}

const BIN = path.resolve(__dirname, "../sdk/cli/main.js");

function assertOneLine(r: { stderr: string }, pattern: RegExp): void {
    const lines = r.stderr.split("\n").filter((l) => l.length > 0);
    assert.strictEqual(lines.length, 1, `one line on stderr:\n${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.ok(!/\bat .*[(:]\d+/.test(r.stderr) && !/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
}

describe("render: the output directory is render's own", function () {
    this.timeout(120000);

    it("`render . --out .` in a project, run twice: exit 2 both times, Pulumi.yaml, package.json and tsconfig.json untouched, nothing written", function () {
        const dir = projectDir();
        try {
            const before = snapshot(dir);
            for (let i = 0; i < 2; i++) {
                const r = spawnSync(process.execPath, [BIN, "render", ".", "--out", "."], { cwd: dir, encoding: "utf8" });
                assert.strictEqual(r.status, 2, r.stderr + r.stdout);
                assertOneLine(r, /holds files render did not write \(Pulumi\.yaml, package\.json, src, tsconfig\.json\)/);
                assert.deepStrictEqual(snapshot(dir), before, `run ${i + 1}: the project is exactly as it was`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the same in-process, with the program directory as --out: refused before the program runs", async () => {
        const dir = projectDir();
        try {
            const before = snapshot(dir);
            const r = await cli([dir, "--out", dir]);
            assert.strictEqual(r.code, 2);
            assertOneLine(r, /holds files render did not write/);
            assert.strictEqual(r.stdout, "", "nothing rendered");
            assert.deepStrictEqual(snapshot(dir), before);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses a render directory that also holds a foreign file, a changed file, a subdirectory or a tampered manifest — removing nothing", async () => {
        const out = path.join(tmpDir(), "out");
        assert.strictEqual((await cli([PLAIN_JS, "--out", out])).code, 0);
        const pristine = snapshot(out);
        const cases: [string, () => void, RegExp][] = [
            ["a foreign file", () => fs.writeFileSync(path.join(out, "notes.md"), "mine"), /holds files render did not write \(notes\.md\)/],
            [
                "a changed file",
                () => fs.appendFileSync(path.join(out, "namespace-team-a.yaml"), "# edited\n"),
                /has files changed since render wrote them \(namespace-team-a\.yaml\)/,
            ],
            ["a subdirectory", () => fs.mkdirSync(path.join(out, "keep")), /holds files render did not write \(keep\)/],
            [
                "a manifest that claims a foreign file",
                () => {
                    fs.writeFileSync(path.join(out, "package.json"), "{}");
                    const m = readJson(path.join(out, MANIFEST_FILE));
                    listAt(m, "files").push({ file: "package.json", sha256: "0".repeat(64) });
                    fs.writeFileSync(path.join(out, MANIFEST_FILE), JSON.stringify(m));
                },
                /has files changed since render wrote them \(package\.json\)/,
            ],
            [
                "a manifest that names a path outside the directory",
                () => {
                    const m = readJson(path.join(out, MANIFEST_FILE));
                    listAt(m, "files").push({ file: "../victim.txt", sha256: "0".repeat(64) });
                    fs.writeFileSync(path.join(out, MANIFEST_FILE), JSON.stringify(m));
                },
                /holds files render did not write/,
            ],
        ];
        for (const [what, tamper, message] of cases) {
            // Start each case from the clean render.
            fs.rmSync(out, { recursive: true, force: true });
            fs.mkdirSync(out);
            for (const [f, text] of Object.entries(pristine)) fs.writeFileSync(path.join(out, f), text);
            tamper();
            const before = snapshot(out);
            const r = await cli([PLAIN_JS, "--out", out]);
            assert.strictEqual(r.code, 2, what);
            assertOneLine(r, message);
            assert.deepStrictEqual(snapshot(out), before, `${what}: nothing removed or written`);
        }
        // The same directory, once clean again, is render's: it renders into it.
        fs.rmSync(out, { recursive: true, force: true });
        fs.mkdirSync(out);
        for (const [f, text] of Object.entries(pristine)) fs.writeFileSync(path.join(out, f), text);
        assert.strictEqual((await cli([PLAIN_JS, "--out", out])).code, 0);
    });

    it("--out naming a file: one line, exit 2, the file untouched", async () => {
        const file = path.join(tmpDir(), "report.txt");
        fs.writeFileSync(file, "precious");
        const r = await cli([PLAIN_JS, "--out", file]);
        assert.strictEqual(r.code, 2);
        assertOneLine(r, /report\.txt: is not a directory/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "precious");
    });

    it("caps long object file names (a 253-character Kubernetes name) with a hash, keeping them apart", () => {
        const long = (c: string) => ({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${"a".repeat(240)}${c}`.slice(0, 253), namespace: "n".repeat(63) },
        });
        const a = objectFileName(long("x".repeat(13)));
        const b = objectFileName(long("y".repeat(13)));
        assert.ok(a.length <= 200 && b.length <= 200, `${a.length}, ${b.length}`);
        assert.notStrictEqual(a, b);
        assert.match(a, /^configmap-n+-a+--[0-9a-f]{12}\.yaml$/);
    });
});

describe("render: a program that never finishes", function () {
    this.timeout(120000);
    const NEVER = path.join(FIXTURES, "never-settles");
    const KEEPS_RUNNING = path.join(FIXTURES, "keeps-running");

    it("--timeout: exit 2 with a message, nothing written (in-process, where the test runner keeps Node busy)", async () => {
        const out = path.join(tmpDir(), "out");
        const started = Date.now();
        const r = await cli([NEVER, "--out", out, "--timeout", "1"]);
        assert.strictEqual(r.code, 2);
        assertOneLine(r, /the program in .*never-settles did not finish within 1 s \(--timeout\); nothing was written/);
        assert.ok(Date.now() - started < 15000);
        assert.ok(!fs.existsSync(out), "nothing written");
        // The engine is free again: the next program renders.
        const next = await cli([PLAIN_JS, "--out", path.join(tmpDir(), "out")]);
        assert.strictEqual(next.code, 0, next.stderr);
    });

    it("the bin, default timeout: a promise nothing can settle is found at once (exit 2), not after 120 s and never as exit 0", function () {
        const started = Date.now();
        const out = path.join(tmpDir(), "out");
        const r = spawnSync(process.execPath, [BIN, "render", NEVER, "--out", out], { encoding: "utf8", timeout: 60000 });
        assert.strictEqual(r.status, 2, r.stderr);
        assertOneLine(r, /never finished: it waits on a promise that nothing is left to settle/);
        assert.ok(Date.now() - started < 30000, "found when Node's event loop ran empty, not at the timeout");
        assert.ok(!fs.existsSync(out));
    });

    it("the bin, a program that keeps a timer running: --timeout ends it (exit 2) and the process exits", function () {
        const started = Date.now();
        const r = spawnSync(process.execPath, [BIN, "render", KEEPS_RUNNING, "--out", path.join(tmpDir(), "out"), "--timeout", "1"], {
            encoding: "utf8",
            timeout: 60000,
        });
        assert.strictEqual(r.signal, null, "it ended by itself (spawnSync's own timeout did not have to kill it)");
        assert.strictEqual(r.status, 2, r.stderr);
        assertOneLine(r, /did not finish within 1 s \(--timeout\)/);
        assert.ok(Date.now() - started < 30000);
    });
});

describe("render: every bad invocation is one line and exit 2, never a stack trace", function () {
    this.timeout(120000);
    const BOMB = [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        ...["b", "c", "d", "e", "f", "g", "h", "i"].map(
            (k, i, ks) =>
                `${k}: &${k} [${Array(9)
                    .fill(`*${i === 0 ? "a" : ks[i - 1]}`)
                    .join(", ")}]`,
        ),
    ].join("\n");

    it("flags and files", async () => {
        const dir = tmpDir();
        const write = (name: string, text: string) => {
            fs.writeFileSync(path.join(dir, name), text);
            return path.join(dir, name);
        };
        const out = () => path.join(tmpDir(), "out");
        const cases: [string[], RegExp][] = [
            [[], /DIR is required/],
            [[PLAIN_JS, "--bogus"], /unknown option --bogus \(istio-egress render --help for usage\)/],
            [[PLAIN_JS, PLAIN_JS], /expected one DIR/],
            [[PLAIN_JS, "--out"], /--out needs a value/],
            [[PLAIN_JS, "--out="], /--out needs a value/],
            [[PLAIN_JS, "--json=yes"], /--json takes no value/],
            [[PLAIN_JS, "--timeout", "0"], /--timeout "0": expected a number of seconds/],
            [[PLAIN_JS, "--timeout", "-5"], /--timeout needs a value|--timeout "-5"/],
            [[PLAIN_JS, "--timeout", "soon"], /--timeout "soon"/],
            [[PLAIN_JS, "--timeout", "1e9"], /--timeout "1e9"/],
            [[PLAIN_JS, "--stack", "../../etc/passwd"], /--stack "\.\.\/\.\.\/etc\/passwd": a stack name is/],
            [[PLAIN_JS, "--config", "novalue"], /--config "novalue": expected key=value/],
            [[PLAIN_JS, "--config", "bad key=1"], /a config key is key or namespace:key/],
            [[PLAIN_JS, "--stack-reference", "org/p/s"], /--stack-reference "org\/p\/s": expected ORG\/PROJECT\/STACK=FILE/],
            [[PLAIN_JS, "--stack-reference", `org/p/s=${path.join(dir, "missing.json")}`], /--stack-reference .*missing\.json: no such file/],
            [[PLAIN_JS, "--stack-reference", `org/p/s=${write("list.yaml", "- a\n- b\n")}`], /list\.yaml: must be a mapping/],
            [[PLAIN_JS, "--policy-config", path.join(dir, "nope.yaml")], /--policy-config .*nope\.yaml: no such file/],
            [[PLAIN_JS, "--policy-config", dir], /--policy-config .*: not a file/],
            [
                [PLAIN_JS, "--policy-config", write("bomb.yaml", BOMB)],
                /--policy-config .*bomb\.yaml: not valid YAML: Excessive alias count .*\(at most 100 alias expansions\)/,
            ],
            [[PLAIN_JS, "--policy-config", write("loop.yaml", "all: &a [*a]\n")], /recursive YAML alias/],
            [[PLAIN_JS, "--policy-config", write("dup.yaml", "all: advisory\nall: mandatory\n")], /dup\.yaml:2: not valid YAML: Map keys must be unique/],
            [[PLAIN_JS, "--policy-config", write("bad.json", "{all: advisory}")], /bad\.json: not valid JSON/],
            [
                [PLAIN_JS, "--policy-config", write("level.yaml", "all: advisery\n")],
                /all: must be one of advisory, mandatory, remediate, disabled; got "advisery"/,
            ],
            [[PLAIN_JS, "--policy-config", write("entry.yaml", "all: [advisory]\n")], /all: must be an enforcement level/],
            [
                [PLAIN_JS, "--policy-config", write("unknown.yaml", "no-such-policy: advisory\n")],
                /config names policy "no-such-policy", which is not in the pack/,
            ],
            [[path.join(dir, "nothing-here")], /no Pulumi\.yaml/],
        ];
        for (const [argv, message] of cases) {
            const r = await cli(argv.includes("--out") || argv.some((a) => a.startsWith("--out=")) || argv.length === 0 ? argv : [...argv, "--out", out()]);
            assert.strictEqual(r.code, 2, `${argv.join(" ")}: ${r.stderr}`);
            assertOneLine(r, message);
        }
    });

    it("a YAML alias bomb, a recursive alias or a list where a mapping belongs in Pulumi.yaml or Pulumi.<stack>.yaml", async () => {
        const cases: [string, string, RegExp][] = [
            [
                "Pulumi.dev.yaml",
                `config:\n${BOMB.split("\n")
                    .map((l) => `  ${l}`)
                    .join("\n")}\n`,
                /Pulumi\.dev\.yaml: not valid YAML: Excessive alias count/,
            ],
            ["Pulumi.dev.yaml", "config:\n  x: &a [1, *a]\n", /Pulumi\.dev\.yaml: a recursive YAML alias/],
            ["Pulumi.dev.yaml", "config: [a, b]\n", /Pulumi\.dev\.yaml: config: must be a mapping/],
            ["Pulumi.dev.yaml", "config:\n  a: 1\n  a: 2\n", /Pulumi\.dev\.yaml:3: not valid YAML: Map keys must be unique/],
            [
                "Pulumi.yaml",
                "name: x\nruntime: nodejs\nconfig:\n" +
                    BOMB.split("\n")
                        .map((l) => `  ${l}`)
                        .join("\n") +
                    "\n",
                /Pulumi\.yaml: not valid YAML: Excessive alias count/,
            ],
            ["Pulumi.yaml", "- name: x\n", /Pulumi\.yaml: expected a mapping with name and runtime/],
        ];
        for (const [file, text, message] of cases) {
            const dir = projectDir();
            try {
                fs.writeFileSync(path.join(dir, file), text);
                const r = await cli([dir, "--out", path.join(tmpDir(), "out")]);
                assert.strictEqual(r.code, 2, `${file}: ${r.stderr}`);
                assertOneLine(r, message);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
    });

    it("the bin: an alias bomb and an unknown command are one line, exit 2", function () {
        const dir = projectDir();
        try {
            fs.writeFileSync(
                path.join(dir, "Pulumi.dev.yaml"),
                `config:\n${BOMB.split("\n")
                    .map((l) => `  ${l}`)
                    .join("\n")}\n`,
            );
            const r = spawnSync(process.execPath, [BIN, "render", dir, "--out", path.join(tmpDir(), "out")], { encoding: "utf8" });
            assert.strictEqual(r.status, 2);
            assertOneLine(r, /Excessive alias count/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const unknown = spawnSync(process.execPath, [BIN, "rendr"], { encoding: "utf8" });
        assert.strictEqual(unknown.status, 2);
        assertOneLine(unknown, /unknown command "rendr"/);
        const none = spawnSync(process.execPath, [BIN], { encoding: "utf8" });
        assert.strictEqual(none.status, 2);
        assertOneLine(none, /a command is required/);
    });
});

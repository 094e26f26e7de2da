/**
 * The pack as the Pulumi CLI loads it: PulumiPolicy.yaml + package.json + the compiled entry point, started as its
 * own process (it serves @pulumi/policy's analyzer over gRPC, as under `pulumi preview --policy-pack`). The test
 * talks to that real server the way the engine does — configure, analyze, analyzeStack — and checks that the
 * in-process harness used by the other tests and by `istio-egress check` reports exactly the same diagnostics.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { fromManifests, policies, PolicyResource, reconcileConfig, runPolicies } from "istio-egress-guard/lib";
import type * as GrpcJs from "@grpc/grpc-js";
import type * as AnalyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import type * as AnalyzerGrpcPb from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as EmptyPb from "google-protobuf/google/protobuf/empty_pb";
import type * as StructPb from "google-protobuf/google/protobuf/struct_pb";
import { K8sObject } from "../sdk/schema/validate";
import { stringAt, valueAt } from "../sdk/model/read";
import { INJECTED_PROXY, defaultDeny, workload } from "./fixtures/policy/workloads";

const ROOT = path.resolve(__dirname, "..", "..");
const PACK = path.join(ROOT, "policy-pack");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const protoDir = path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));

/** A module as @pulumi/pulumi's generated proto code loads it (the same copy), typed by its declarations. */
function requireFromProto<T>(id: string): T {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is resolved at run time from @pulumi/pulumi's proto directory (the copy its generated code uses), which no import statement can name
    return require(require.resolve(id, { paths: [protoDir] })) as T;
}
const analyzerpb = requireFromProto<typeof AnalyzerPb>(path.join(protoDir, "analyzer_pb"));
const analyzergrpc = requireFromProto<typeof AnalyzerGrpcPb>(path.join(protoDir, "analyzer_grpc_pb"));
const grpc = requireFromProto<typeof GrpcJs>("@grpc/grpc-js");
const structpb = requireFromProto<typeof StructPb>("google-protobuf/google/protobuf/struct_pb");

const LEVEL_NAMES = ["advisory", "mandatory", "disabled", "remediate"];
const LEVEL_ENUM: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };

interface Diag {
    policy: string;
    level: string;
    urn: string;
    message: string;
}

type Client = AnalyzerGrpcPb.AnalyzerClient;
type Callback<T> = (err: GrpcJs.ServiceError | null, resp: T) => void;

/** One unary call: `start` makes it with the callback given. */
function call<T>(start: (cb: Callback<T>) => unknown): Promise<T> {
    return new Promise((resolve, reject) => start((err, resp) => (err ? reject(err) : resolve(resp))));
}

function options(): AnalyzerPb.AnalyzerResourceOptions {
    return new analyzerpb.AnalyzerResourceOptions();
}

/** Props as a protobuf Struct takes them (its JavaScriptValue is any value but undefined). */
function struct(props: Record<string, unknown>): StructPb.Struct {
    const fields: Record<string, StructPb.JavaScriptValue> = {};
    for (const [k, v] of Object.entries(props)) if (v !== undefined) fields[k] = v;
    return structpb.Struct.fromJavaScript(fields);
}

function diags(resp: AnalyzerPb.AnalyzeResponse, urn?: string): Diag[] {
    return resp
        .getDiagnosticsList()
        .map((d) => ({ policy: d.getPolicyname(), level: LEVEL_NAMES[d.getEnforcementlevel()], urn: d.getUrn() || urn || "", message: d.getMessage() }));
}

async function startPack(): Promise<{ proc: ChildProcess; port: number }> {
    const proc = spawn(process.execPath, ["-e", "require(process.cwd())"], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        proc.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) resolve(Number(m[1]));
        });
        proc.on("exit", (code) => reject(new Error(`policy pack exited (${String(code)}): ${stderr}`)));
    });
    return { proc, port };
}

/** What the real analyzer server says about the resources, given the config the CLI would send. */
async function serverDiagnostics(client: Client, resources: PolicyResource[], userConfig: Record<string, unknown>): Promise<Diag[]> {
    const reconciled = reconcileConfig(policies, userConfig);
    const creq = new analyzerpb.ConfigureAnalyzerRequest();
    const map = creq.getPolicyconfigMap();
    for (const [name, c] of Object.entries(reconciled)) {
        const { enforcementLevel, ...props } = c;
        const pc = new analyzerpb.PolicyConfig();
        pc.setEnforcementlevel(LEVEL_ENUM[enforcementLevel ?? "advisory"]);
        pc.setProperties(struct(props));
        map.set(name, pc);
    }
    await call((cb) => client.configure(creq, cb));
    const out: Diag[] = [];
    for (const r of resources) {
        const req = new analyzerpb.AnalyzeRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(struct(r.props));
        req.setOptions(options());
        out.push(...diags(await call<AnalyzerPb.AnalyzeResponse>((cb) => client.analyze(req, cb)), r.urn));
    }
    const sreq = new analyzerpb.AnalyzeStackRequest();
    sreq.setResourcesList(
        resources.map((r) => {
            const ar = new analyzerpb.AnalyzerResource();
            ar.setType(r.type);
            ar.setName(r.name);
            ar.setUrn(r.urn);
            ar.setProperties(struct(r.props));
            ar.setOptions(options());
            if (r.parent) ar.setParent(r.parent);
            return ar;
        }),
    );
    out.push(...diags(await call<AnalyzerPb.AnalyzeResponse>((cb) => client.analyzeStack(sreq, cb))));
    return out;
}

/** The harness's report in the analyzer's terms (the server prefixes a reported message with the description). */
async function harnessDiagnostics(resources: PolicyResource[], userConfig: Record<string, unknown>): Promise<Diag[]> {
    const vs = await runPolicies(resources, { config: userConfig });
    return vs.map((v) => ({
        policy: v.policy,
        level: v.enforcementLevel,
        urn: v.resource.urn,
        message: v.message.startsWith("can't run policy") ? v.message : `${v.description}\n${v.message}`,
    }));
}

const key = (d: Diag) => `${d.policy}|${d.level}|${d.urn}|${d.message}`;

describe("policy pack as the Pulumi CLI runs it", function () {
    this.timeout(120000);

    it("PulumiPolicy.yaml and package.json are what `pulumi preview --policy-pack ./policy-pack` needs", function () {
        const meta: unknown = parseYaml(fs.readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8"));
        assert.strictEqual(valueAt(meta, "runtime", "name"), "nodejs");
        assert.strictEqual(valueAt(meta, "runtime", "options", "typescript"), false);
        const pkg: unknown = JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8"));
        assert.match(String(valueAt(pkg, "version")), /^\d+\.\d+\.\d+$/, "PolicyPack reads its version from package.json");
        const pkgMain = stringAt(pkg, "main");
        assert.ok(pkgMain !== undefined, "the pack's package.json names its main");
        const main = path.resolve(PACK, pkgMain);
        assert.ok(fs.existsSync(main), `${pkgMain} is built by npm run build`);
        assert.match(fs.readFileSync(main, "utf8"), /new policy_1\.PolicyPack\(policies_1\.POLICY_PACK_NAME/);
        assert.ok(!path.relative(PACK, main).startsWith(".."), `the pack's main (${pkgMain}) lies inside the pack, so it can be published alone`);
        for (const dep of ["@pulumi/policy", "@pulumi/pulumi", "ajv"]) assert.ok(valueAt(pkg, "dependencies", dep), `the pack depends on ${dep} itself`);
    });

    // The args are validated by ajv's standalone code, compiled at build time (sdk/schema/args.validators.ts):
    // ajv stays a devDependency (issue 9 item 8).
    it("the component library does not load @pulumi/policy or ajv: only the CLI does, through the optional pack", function () {
        const root: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        for (const dep of ["@pulumi/policy", "ajv", "istio-egress-guard"]) {
            assert.ok(!valueAt(root, "dependencies", dep), `${dep} is not a runtime dependency of the component library`);
        }
        assert.strictEqual(valueAt(root, "peerDependenciesMeta", "istio-egress-guard", "optional"), true);
        const script = [
            "const before = new Set(Object.keys(require.cache));",
            `require(${JSON.stringify(path.join(ROOT, "dist", "sdk", "index.js"))});`,
            // Validating args (good, bad, and a resolved Output's value) loads nothing more.
            `const schema = require(${JSON.stringify(path.join(ROOT, "dist", "sdk", "schema", "args.js"))});`,
            'schema.checkArgsShape("EgressGatewayArgs", { hosts: "x", gateway: { chartVersion: 5 }, lockdwon: {} });',
            'schema.checkResolved({ field: "gateway", schema: { $ref: "#/definitions/GatewayReferenceArgs" }, value: 1 }, { namespace: 1 });',
            "const loaded = Object.keys(require.cache).filter((k) => !before.has(k));",
            "const bad = loaded.filter((k) => /node_modules[\\/](@pulumi[\\/]policy|ajv)[\\/]|policy-pack/.test(k));",
            "process.stdout.write(JSON.stringify(bad));",
        ].join("\n");
        const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
        assert.deepStrictEqual(JSON.parse(out), []);
    });

    describe("the served analyzer", function () {
        let pack: { proc: ChildProcess; port: number } | undefined;
        let client: Client | undefined;

        before(async function () {
            pack = await startPack();
            client = new analyzergrpc.AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
        });
        after(function () {
            client?.close();
            pack?.proc.kill();
        });

        it("announces the pack's name, version and policies", async function () {
            const c = client;
            assert.ok(c);
            const empty = new (requireFromProto<typeof EmptyPb>("google-protobuf/google/protobuf/empty_pb").Empty)();
            const info = await call<AnalyzerPb.AnalyzerInfo>((cb) => c.getAnalyzerInfo(empty, cb));
            assert.strictEqual(info.getName(), "istio-egress-guard");
            assert.strictEqual(info.getVersion(), valueAt(JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8")), "version"));
            const served = info.getPoliciesList().map((p) => [p.getName(), LEVEL_NAMES[p.getEnforcementlevel()]]);
            assert.deepStrictEqual(
                served,
                policies.map((p) => [p.name, p.enforcementLevel]),
            );
        });

        const scenarios: { name: string; objects: () => PolicyResource[]; config: Record<string, unknown> }[] = [
            {
                name: "bypasses of every kind, defaults",
                config: {},
                objects: () =>
                    fromManifests([
                        workload("Deployment", "a", "shop", {
                            labels: { "sidecar.istio.io/inject": "false" },
                            annotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": "443" },
                        }),
                        workload("CronJob", "b", "shop", {
                            spec: {
                                hostNetwork: true,
                                containers: [
                                    { name: "c", image: "c", securityContext: { runAsUser: 1337, capabilities: { add: ["NET_ADMIN"] } } },
                                    INJECTED_PROXY,
                                ],
                            },
                        }),
                        workload("StatefulSet", "c", "other"),
                        {
                            apiVersion: "networking.k8s.io/v1",
                            kind: "NetworkPolicy",
                            metadata: { name: "open", namespace: "shop" },
                            spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] },
                        },
                        {
                            apiVersion: "networking.istio.io/v1",
                            kind: "ServiceEntry",
                            metadata: { name: "any", namespace: "shop" },
                            spec: { hosts: ["*", "db.example.com"], ports: [{ number: 5432, name: "pg", protocol: "TCP" }] },
                        },
                        {
                            apiVersion: "networking.istio.io/v1",
                            kind: "Sidecar",
                            metadata: { name: "default", namespace: "istio-system" },
                            spec: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } },
                        },
                        {
                            apiVersion: "networking.istio.io/v1",
                            kind: "Gateway",
                            metadata: { name: "egress", namespace: "istio-egress" },
                            spec: {
                                selector: { istio: "egressgateway" },
                                servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } }],
                            },
                        },
                        defaultDeny("other"),
                    ] as K8sObject[]),
            },
            {
                name: "levels and properties from config, unknown values in preview",
                config: {
                    all: "advisory",
                    "no-proxy-escape-privileges": { enforcementLevel: "mandatory", exemptNamespaces: ["other"] },
                    "namespace-default-deny-egress": "remediate",
                    "no-open-service-entry": "disabled",
                },
                objects: () => [
                    ...fromManifests([
                        workload("Pod", "p", "other", { spec: { hostNetwork: true } }),
                        workload("Job", "j", "shop", { spec: { hostNetwork: true } }),
                    ]),
                    {
                        type: "kubernetes:apps/v1:Deployment",
                        name: "late",
                        urn: "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::late",
                        props: {
                            metadata: { name: "late", namespace: UNKNOWN },
                            spec: {
                                template: {
                                    metadata: { annotations: { "traffic.sidecar.istio.io/excludeOutboundIPRanges": UNKNOWN } },
                                    spec: { containers: [] },
                                },
                            },
                        },
                    },
                    {
                        type: "kubernetes:helm.sh/v3:Release",
                        name: "egw",
                        urn: "urn:pulumi:dev::p::kubernetes:helm.sh/v3:Release::egw",
                        props: { chart: "gateway", name: "istio-egressgateway", namespace: "istio-egress", values: { service: { type: UNKNOWN } } },
                    },
                    {
                        type: "kubernetes:networking.istio.io/v1:ServiceEntry",
                        name: "x",
                        urn: "urn:pulumi:dev::p::kubernetes:networking.istio.io/v1:ServiceEntry::x",
                        props: { metadata: { name: "x", namespace: "shop" }, spec: { hosts: ["*"] } },
                    },
                ],
            },
        ];
        for (const s of scenarios) {
            it(`reports exactly what the harness reports: ${s.name}`, async function () {
                const resources = s.objects();
                assert.ok(client);
                const server = (await serverDiagnostics(client, resources, s.config)).map(key).sort();
                const harness = (await harnessDiagnostics(resources, s.config)).map(key).sort();
                assert.ok(server.length >= 5, `scenario produces findings (${server.length})`);
                if (process.env.SHOW_DIAGS) console.log(server.join("\n"));
                assert.deepStrictEqual(harness, server);
            });
        }
    });
});

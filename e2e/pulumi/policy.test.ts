/**
 * Issue 12 item 3, the policy pack under the real engine: `pulumi preview --policy-pack ./policy-pack` on the
 * examples passes with no mandatory violation; a throwaway stack with a bypass (a `hostNetwork: true` Deployment)
 * fails preview with the pack's mandatory violation; the same stack with `--policy-pack-config` setting that
 * policy to advisory passes and still prints it. The team example is previewed with the pack in multi-team.test.ts
 * (its StackReference needs the platform stack's outputs, i.e. a platform `up`).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO, Stack, Workspace } from "./stack";

const PACK = path.join(REPO, "policy-pack");
const BYPASS_POLICY = "no-proxy-escape-privileges";

const EXAMPLES: { label: string; project: string; dir: string }[] = [
    { label: "blog-scenario (the reference stack, root Pulumi.yaml)", project: "istio-egress", dir: REPO },
    { label: "asm-tutorial", project: "istio-egress-asm-tutorial", dir: path.join(REPO, "examples", "asm-tutorial") },
    { label: "multi-team platform", project: "multi-team-platform", dir: path.join(REPO, "examples", "multi-team", "platform") },
];

function assertPackPassed(label: string, r: { code: number; stdout: string; stderr: string }): void {
    const out = r.stdout + r.stderr;
    assert.match(out, /istio-egress-guard@v[\d.]+/, `${label}: the pack did not run:\n${out.slice(-4000)}`);
    assert.doesNotMatch(out, /\[mandatory\]/, `${label}: the pack reported a mandatory violation:\n${out.slice(-6000)}`);
    assert.strictEqual(r.code, 0, `${label}: preview exited ${r.code}:\n${out.slice(-6000)}`);
}

describe("pulumi: preview --policy-pack on the examples and on a bypass", function () {
    this.timeout(30 * 60_000);
    let ws: Workspace;
    before(() => {
        ws = new Workspace("pulumi-policy");
    });
    after(() => ws?.cleanup());

    for (const ex of EXAMPLES) {
        it(`${ex.label}: no mandatory violation`, () => {
            const s = ws.stack(ex.project, "policy", ex.dir, { chart: ws.chart, skipAwait: "true" });
            try {
                assertPackPassed(ex.label, s.pulumi(["preview", "--policy-pack", PACK]));
            } finally {
                s.remove();
            }
        });
    }

    describe("a hostNetwork Deployment (the pod leaves the sidecar's network namespace)", () => {
        let s: Stack;
        before(() => {
            const prog = path.join(ws.dir, "bypass");
            fs.mkdirSync(prog);
            fs.symlinkSync(path.join(REPO, "node_modules"), path.join(prog, "node_modules"));
            fs.writeFileSync(path.join(prog, "Pulumi.yaml"), "name: e2e-bypass\nruntime: nodejs\nmain: index.js\n");
            fs.writeFileSync(path.join(prog, "package.json"), JSON.stringify({ name: "e2e-bypass", private: true, main: "index.js" }));
            fs.writeFileSync(path.join(prog, "index.js"), BYPASS_PROGRAM);
            s = ws.stack("e2e-bypass", "dev", prog, {});
        });
        after(() => s?.remove());

        it(`fails preview with the pack's mandatory ${BYPASS_POLICY} violation`, () => {
            const r = s.pulumi(["preview", "--policy-pack", PACK]);
            const out = r.stdout + r.stderr;
            assert.notStrictEqual(r.code, 0, `preview of a hostNetwork Deployment passed the pack:\n${out.slice(-4000)}`);
            assert.match(out, new RegExp(`\\[mandatory\\]\\s+${BYPASS_POLICY}\\s`), `no mandatory ${BYPASS_POLICY} in the output:\n${out.slice(-4000)}`);
            assert.match(out, /hostNetwork: true runs the pod in the node's network namespace/, out.slice(-4000));
        });

        it(`passes preview with ${BYPASS_POLICY} set to advisory by --policy-pack-config, still printing it`, () => {
            const cfg = path.join(ws.dir, "advisory.json");
            fs.writeFileSync(cfg, JSON.stringify({ [BYPASS_POLICY]: { enforcementLevel: "advisory" } }));
            const r = s.pulumi(["preview", "--policy-pack", PACK, "--policy-pack-config", cfg]);
            const out = r.stdout + r.stderr;
            assert.strictEqual(r.code, 0, `preview with the policy advisory exited ${r.code}:\n${out.slice(-4000)}`);
            assert.match(out, new RegExp(`\\[advisory\\]\\s+${BYPASS_POLICY}\\s`), `no advisory ${BYPASS_POLICY} in the output:\n${out.slice(-4000)}`);
            assert.doesNotMatch(out, /\[mandatory\]/, out.slice(-4000));
        });
    });
});

/**
 * A Deployment that would otherwise pass the pack (injected namespace and pod, default-deny egress for its
 * namespace), with `hostNetwork: true`: the one trick under test.
 */
const BYPASS_PROGRAM = `
const k8s = require("@pulumi/kubernetes");
const ns = new k8s.core.v1.Namespace("app", { metadata: { name: "e2e-bypass", labels: { "istio-injection": "enabled" } } });
new k8s.networking.v1.NetworkPolicy("deny", {
    metadata: { name: "default-deny-egress", namespace: "e2e-bypass" },
    spec: { podSelector: {}, policyTypes: ["Egress"] },
}, { dependsOn: [ns] });
new k8s.apps.v1.Deployment("agent", {
    metadata: { name: "agent", namespace: "e2e-bypass", annotations: { "pulumi.com/skipAwait": "true" } },
    spec: {
        selector: { matchLabels: { app: "agent" } },
        template: {
            metadata: { labels: { app: "agent" } },
            spec: { hostNetwork: true, containers: [{ name: "agent", image: "registry.example/agent:1.0" }] },
        },
    },
}, { dependsOn: [ns] });
`;

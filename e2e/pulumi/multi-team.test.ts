/**
 * Issue 12 item 3, the multi-team example with a real `StackReference`: the platform stack and the team stack on
 * the same file backend; `pulumi up` of the platform, then of the team (config `platformStack` names the platform
 * stack); the team's objects are on the API server, equal to render's, and route through the platform's gateway;
 * both destroyed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { listAt, recordAt, stringAt, stringRecord, valueAt } from "../../sdk/model/read";
import { REPO, renderExample, Rendered, run } from "../lib/tools";
import { compare, key, kubectl, liveObjects } from "./objects";
import { kubeconfig, Stack, Workspace } from "./stack";

const PACK = path.join(REPO, "policy-pack");

describe("pulumi: multi-team platform and team stacks through a real StackReference", function () {
    this.timeout(40 * 60_000);
    let ws: Workspace;
    let platform: Stack;
    let team: Stack;
    let platformOut: Record<string, unknown>;
    let teamRender: Rendered;
    const created: string[] = [];
    const teamPolicy = () => path.join(ws.dir, "team-policy.json");

    before(() => {
        ws = new Workspace("pulumi-multi-team");
        platform = ws.stack("multi-team-platform", "e2e", path.join(REPO, "examples", "multi-team", "platform"), { chart: ws.chart, skipAwait: "true" });
        team = ws.stack("multi-team-payments", "e2e", path.join(REPO, "examples", "multi-team", "team"), { platformStack: platform.fqsn });
        // The namespaces the two stacks lock down but do not create (the applications'), made as a user's would be.
        for (const n of ["ci", "payments"]) {
            kubectl(["create", "namespace", n]);
            created.push(n);
        }
    });
    after(() => {
        for (const s of [team, platform]) {
            if (!s) continue;
            s.pulumi(["destroy", "--yes", "--skip-preview"]);
            s.remove();
        }
        if (created.length)
            run("kubectl", ["--kubeconfig", kubeconfig(), "delete", "namespace", "--ignore-not-found", "--wait=true", "--timeout=120s", ...created]);
        ws?.cleanup();
    });

    it("pulumi up of the platform stack (with the pack)", () => {
        platform.pulumiOk(["up", "--yes", "--skip-preview", "--policy-pack", PACK]);
        platformOut = platform.outputs();
        assert.ok(platformOut.serviceHost && platformOut.gatewayRef, `platform outputs: ${JSON.stringify(platformOut)}`);
    });

    it("the team stack passes preview --policy-pack (the platform's gateway named by --policy-pack-config)", () => {
        // The team stack holds no gateway Release, so the pack cannot learn the gateway's Service from it: the team
        // names it, as docs/policy-pack.md says (gatewayServiceHosts).
        fs.writeFileSync(teamPolicy(), JSON.stringify({ "service-entry-via-egress-gateway": { gatewayServiceHosts: [platformOut.serviceHost] } }));
        const r = team.pulumi(["preview", "--policy-pack", PACK, "--policy-pack-config", teamPolicy()]);
        const out = r.stdout + r.stderr;
        assert.match(out, /istio-egress-guard@v[\d.]+/, `the pack did not run:\n${out.slice(-4000)}`);
        assert.doesNotMatch(out, /\[mandatory\]/, `the pack reported a mandatory violation:\n${out.slice(-6000)}`);
        assert.strictEqual(r.code, 0, out.slice(-6000));
    });

    it("pulumi up of the team stack reads the platform's outputs; its objects are render's, on the server", () => {
        team.pulumiOk(["up", "--yes", "--skip-preview"]);
        const outputs = path.join(ws.dir, "platform-outputs.json");
        fs.writeFileSync(outputs, JSON.stringify(platformOut));
        teamRender = renderExample(path.join(REPO, "examples", "multi-team", "team"), path.join(ws.dir, "render-team"), [
            "--config",
            `platformStack=${platform.fqsn}`,
            "--stack-reference",
            `${platform.fqsn}=${outputs}`,
            "--policy-config",
            teamPolicy(),
        ]);
        const live = new Map(liveObjects(teamRender.objectFiles).map((o) => [key(o), o]));
        assert.deepStrictEqual([...live.keys()].sort(), teamRender.objects.map(key).sort(), "the team's objects are not all on the server");
        const diffs = teamRender.objects.flatMap((o) => compare(o, live.get(key(o))!).map((d) => `${key(o)} ${d}`));
        assert.deepStrictEqual(diffs, [], `the API server's copies differ from render's:\n${diffs.join("\n")}`);
    });

    it("the team's host routes through the platform's gateway (mesh leg to its Service, Gateway and policy on its pods)", () => {
        const live = liveObjects(teamRender.objectFiles);
        const vs = live.filter((o) => o.kind === "VirtualService");
        assert.ok(vs.length > 0, "no VirtualService in the team stack");
        for (const v of vs) {
            const meshLegs = [...listAt(v, "spec", "tls"), ...listAt(v, "spec", "http"), ...listAt(v, "spec", "tcp")].filter((r) =>
                listAt(r, "match").some((m) => listAt(m, "gateways").includes("mesh")),
            );
            assert.ok(meshLegs.length > 0, `${key(v)}: no mesh leg`);
            for (const leg of meshLegs) {
                const routes = valueAt(leg, "route");
                assert.ok(Array.isArray(routes), `${key(v)}: a mesh leg without a route list`);
                for (const d of routes) {
                    const host = valueAt(d, "destination", "host");
                    assert.strictEqual(host, platformOut.serviceHost, `${key(v)}: the mesh leg goes to ${String(host)}, not the platform's gateway`);
                }
            }
            assert.strictEqual(v.metadata.namespace, platformOut.namespace, `${key(v)} is not in the platform's gateway namespace`);
        }
        const platformLabels = stringRecord(platformOut.labels);
        assert.deepStrictEqual(
            platformLabels,
            platformOut.labels,
            `the platform's labels output is not a map of strings: ${JSON.stringify(platformOut.labels)}`,
        );
        for (const gw of live.filter((o) => o.kind === "Gateway")) {
            assert.deepStrictEqual(valueAt(gw, "spec", "selector"), platformLabels, `${key(gw)} does not select the platform's gateway pods`);
        }
        for (const ap of live.filter((o) => o.kind === "AuthorizationPolicy")) {
            assert.deepStrictEqual(valueAt(ap, "spec", "selector", "matchLabels"), platformLabels, `${key(ap)} does not apply to the platform's gateway pods`);
        }
        // The platform's gateway Deployment (from its Helm release) carries those labels on its pods.
        const [ns, svc] = [stringAt(platformOut, "namespace"), stringAt(platformOut, "serviceName")];
        assert.ok(ns !== undefined && svc !== undefined, `platform outputs without a string namespace and serviceName: ${JSON.stringify(platformOut)}`);
        const dep: unknown = JSON.parse(kubectl(["get", "deployment", "-n", ns, svc, "-o", "json"]).stdout);
        const podLabels = recordAt(dep, "spec", "template", "metadata", "labels");
        for (const [k, v] of Object.entries(platformLabels)) assert.strictEqual(podLabels[k], v, `the gateway pods lack ${k}=${v}`);
    });

    it("pulumi destroy of the team, then of the platform, removes both stacks' objects", () => {
        team.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        assert.deepStrictEqual(liveObjects(teamRender.objectFiles, true).map(key), [], "team objects left after destroy");
        platform.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        const ns = stringAt(platformOut, "namespace");
        assert.ok(ns !== undefined, `platform outputs without a string namespace: ${JSON.stringify(platformOut)}`);
        const left = kubectl(["get", "namespace", ns, "--ignore-not-found", "-o", "name"]).stdout.trim();
        assert.strictEqual(left, "", `the platform's gateway namespace is left after destroy`);
    });
});

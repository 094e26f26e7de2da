/**
 * `egress-tls-origination-verified`: the component originates TLS at the gateway verifying the host's certificate
 * (its DestinationRules say insecureSkipVerify: false); a DestinationRule for an external host that skips the
 * verification anywhere Istio reads TLS settings is reported. The trick, and the same rule without it.
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { fromManifests, originationProblems, runPolicies } from "istio-egress-guard/lib";
import { componentOutput, packConfigFor } from "./fixtures/policy/component";

const dr = (host: string, spec: Record<string, unknown>, ns = "istio-egress"): K8sObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "dr", namespace: ns },
    spec: { host, ...spec },
});
const problems = (o: K8sObject) => originationProblems("DestinationRule", "networking.istio.io", o);
const SKIP = { mode: "SIMPLE", insecureSkipVerify: true };

describe("policy pack: TLS origination verifies the host (egress-tls-origination-verified)", function () {
    it("the component's origination DestinationRules (SIMPLE and MUTUAL) pass", async function () {
        const out = componentOutput();
        const drs = out.objects.filter((o) => o.kind === "DestinationRule");
        assert.ok(drs.some((d) => JSON.stringify(d.spec).includes('"mode":"MUTUAL"')) && drs.some((d) => JSON.stringify(d.spec).includes('"mode":"SIMPLE"')));
        for (const d of drs) assert.deepStrictEqual(problems(d), [], d.metadata.name);
        const vs = await runPolicies(out.resources, { config: packConfigFor(out.plan) });
        assert.deepStrictEqual(
            vs.filter((v) => v.policy === "egress-tls-origination-verified"),
            [],
        );
    });

    const tricks: [string, Record<string, unknown>][] = [
        ["top-level trafficPolicy.tls", { trafficPolicy: { tls: SKIP } }],
        ["a port-level setting", { trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: SKIP }] } }],
        ["a subset", { subsets: [{ name: "s", trafficPolicy: { tls: SKIP } }] }],
        [
            "a subset's port-level setting",
            {
                subsets: [
                    {
                        name: "s",
                        trafficPolicy: {
                            portLevelSettings: [{ port: { number: 443 }, tls: { mode: "MUTUAL", credentialName: "c", insecureSkipVerify: true } }],
                        },
                    },
                ],
            },
        ],
        ['the string "true" (fails closed)', { trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: "true" } } }],
    ];
    for (const [where, spec] of tricks) {
        it(`insecureSkipVerify in ${where} is reported`, function () {
            assert.strictEqual(problems(dr("api.example.com", spec)).length, 1);
        });
    }
    it("host '*' counts as external", function () {
        assert.strictEqual(problems(dr("*", { trafficPolicy: { tls: SKIP } })).length, 1);
    });
    it("without the trick: verification on, another TLS mode, or an in-mesh host", function () {
        assert.deepStrictEqual(problems(dr("api.example.com", { trafficPolicy: { tls: { mode: "SIMPLE", insecureSkipVerify: false } } })), []);
        assert.deepStrictEqual(problems(dr("api.example.com", { trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", insecureSkipVerify: true } } })), []);
        for (const host of ["reviews", "reviews.bookinfo.svc.cluster.local", "*.bookinfo.svc.cluster.local"]) {
            assert.deepStrictEqual(problems(dr(host, { trafficPolicy: { tls: SKIP } })), [], host);
        }
    });
    it("runs as a resource policy on DestinationRules in any namespace", async function () {
        const vs = await runPolicies(fromManifests([dr("api.example.com", { trafficPolicy: { tls: SKIP } }, "app-a")]));
        assert.deepStrictEqual(
            vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.namespace}/${v.resource.name}`),
            ["egress-tls-origination-verified mandatory app-a/dr"],
        );
    });
});

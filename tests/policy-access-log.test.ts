/**
 * `egress-gateway-access-log` (issue 11 item 6 on the pack side): the provider the gateway's Telemetry names must
 * give audit lines under the mesh config of the stack's istiod release, and no second Telemetry may turn the log
 * off, filter it or replace its provider — judged the way istiod merges Telemetries (pilot/pkg/model/telemetry.go
 * applicableTelemetries, mergeLogs). Each test: the trick, and the same objects without it.
 */
import * as assert from "assert";
import { EgressGatewayArgs } from "../sdk/args";
import { K8sObject } from "../sdk/schema/validate";
import { egressAuditLogProvider, EGRESS_AUDIT_PROVIDER } from "../sdk/model";
import { fromManifests, PolicyResource, runPolicies, Violation } from "istio-egress-guard/lib";
import { componentOutput, FULL_ARGS, istiodRelease, packConfigFor } from "./fixtures/policy/component";
import { valueAt } from "../sdk/model/read";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const POLICY = "egress-gateway-access-log";

const audit = componentOutput(FULL_ARGS, { team: false });
const plainArgs: EgressGatewayArgs = { ...FULL_ARGS, lockdown: { ...FULL_ARGS.lockdown, accessLogProvider: undefined } };
const plain = componentOutput(plainArgs, { team: false });
const noLogsArgs: EgressGatewayArgs = { ...FULL_ARGS, lockdown: { ...FULL_ARGS.lockdown, accessLogProvider: undefined, accessLogs: false } };
const noLogs = componentOutput(noLogsArgs, { team: false });
const GW_NS = audit.plan.gateway.namespace;
const GW_LABELS = audit.plan.gateway.labels;
const config = packConfigFor(audit.plan);

const telemetry = (name: string, spec: Record<string, unknown>, ns = GW_NS): K8sObject => ({
    apiVersion: "telemetry.istio.io/v1",
    kind: "Telemetry",
    metadata: { name, namespace: ns },
    spec,
});
const second = (accessLogging: unknown[], extra: Record<string, unknown> = {}, ns = GW_NS) =>
    telemetry("second", { selector: { matchLabels: { ...GW_LABELS } }, accessLogging, ...extra }, ns);

async function run(resources: PolicyResource[]): Promise<Violation[]> {
    return (await runPolicies(resources, { config })).filter((v) => v.policy === POLICY);
}
const brief = (vs: Violation[]) => vs.map((v) => `${v.enforcementLevel} ${v.resource.namespace}/${v.resource.name}`).sort();
const ours = (o: typeof audit) => o.objects.find((x) => x.kind === "Telemetry")!;

describe("policy pack: the egress gateway's access log (egress-gateway-access-log)", function () {
    this.timeout(60000);

    describe("rule 1: the provider the gateway's Telemetry names, against istiod's mesh config", function () {
        it("the component's audit provider with istiod defining it passes; without the definition it is reported", async function () {
            assert.strictEqual(valueAt(ours(audit), "spec", "accessLogging", 0, "providers", 0, "name"), EGRESS_AUDIT_PROVIDER);
            assert.deepStrictEqual(await run([...audit.resources, istiodRelease()]), []);
            const vs = await run([...audit.resources, istiodRelease({})]);
            assert.deepStrictEqual(brief(vs), [`mandatory ${GW_NS}/${ours(audit).metadata.name}`]);
            assert.match(vs[0].message, /no extension provider is named "istio-egress-audit": istiod writes no access log for it/);
            assert.match(vs[0].message, /istiod Release istio-system\/istiod/);
        });

        it("the default provider (built-in envoy) with istiod's default format: the lines have no caller", async function () {
            const vs = await run([...plain.resources, istiodRelease(undefined)]);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /provider "envoy" writes lines without %DOWNSTREAM_PEER_URI_SAN%/);
            // the same, with the mesh-wide format carrying the audit fields, passes
            const format = "[%START_TIME%] %DOWNSTREAM_PEER_URI_SAN% %REQUESTED_SERVER_NAME% %REQ(:AUTHORITY)% %UPSTREAM_HOST% %RESPONSE_FLAGS%\n";
            assert.deepStrictEqual(await run([...plain.resources, istiodRelease({ accessLogFormat: format })]), []);
        });

        it("a look-alike provider listed first shadows the audit one (names match case-insensitively, first wins)", async function () {
            const lookalike = { name: EGRESS_AUDIT_PROVIDER.toUpperCase(), envoyFileAccessLog: { path: "/dev/stdout" } };
            const vs = await run([...audit.resources, istiodRelease({ extensionProviders: [lookalike, egressAuditLogProvider()] })]);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /writes lines without %DOWNSTREAM_PEER_URI_SAN%/);
            assert.deepStrictEqual(await run([...audit.resources, istiodRelease({ extensionProviders: [egressAuditLogProvider(), lookalike] })]), []);
        });

        it("judges against every istiod release (revisions): one without the provider is enough", async function () {
            const vs = await run([...audit.resources, istiodRelease(), istiodRelease({}, "istiod-canary")]);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /istiod Release istio-system\/istiod-canary/);
        });

        it("does not apply without an istiod release in the stack", async function () {
            assert.deepStrictEqual(await run(plain.resources), []);
        });

        it("withholds the finding while istiod's values are unknown (preview), and reports it once known", async function () {
            const unknown = { ...istiodRelease(), props: { ...istiodRelease().props, values: { meshConfig: UNKNOWN } } };
            const vs = await run([...plain.resources, unknown]);
            assert.deepStrictEqual(
                vs.map((v) => v.enforcementLevel),
                ["advisory"],
            );
            assert.match(vs[0].message, /can't run policy 'egress-gateway-access-log' .* during preview/);
            assert.strictEqual((await run([...plain.resources, istiodRelease({})])).length, 1);
        });
    });

    describe("rule 2: a second Telemetry reaching the gateway pods", function () {
        it("disabled: true without naming a provider inherits ours and turns it off", async function () {
            const vs = await run([...audit.resources, istiodRelease(), ...fromManifests([second([{ disabled: true }])])]);
            assert.deepStrictEqual(brief(vs), [`mandatory ${GW_NS}/second`]);
            assert.match(vs[0].message, /disabled: true/);
            // without the trick: an entry that changes nothing
            assert.deepStrictEqual(await run([...audit.resources, istiodRelease(), ...fromManifests([second([{}])])]), []);
        });

        it("disabled naming our provider, and a filter that drops lines, are reported", async function () {
            const disabled = await run([
                ...audit.resources,
                istiodRelease(),
                ...fromManifests([second([{ providers: [{ name: EGRESS_AUDIT_PROVIDER }], disabled: true }])]),
            ]);
            assert.deepStrictEqual(brief(disabled), [`mandatory ${GW_NS}/second`]);
            const filtered = await run([
                ...audit.resources,
                istiodRelease(),
                ...fromManifests([second([{ providers: [{ name: EGRESS_AUDIT_PROVIDER }], filter: { expression: "response.code >= 400" } }])]),
            ]);
            assert.deepStrictEqual(brief(filtered), [`mandatory ${GW_NS}/second`]);
            assert.match(filtered[0].message, /filters the egress gateway's access log/);
            // without the trick: the same provider named again, unfiltered
            assert.deepStrictEqual(
                await run([...audit.resources, istiodRelease(), ...fromManifests([second([{ providers: [{ name: EGRESS_AUDIT_PROVIDER }] }])])]),
                [],
            );
        });

        it("a provider swap: with istiod, the swapped-in provider is judged; without istiod, the two Telemetries are", async function () {
            const swap = fromManifests([second([{ providers: [{ name: "envoy" }] }])]);
            const withIstiod = await run([...audit.resources, istiodRelease(), ...swap]);
            assert.deepStrictEqual(brief(withIstiod), [`mandatory ${GW_NS}/second`]);
            assert.match(withIstiod[0].message, /provider "envoy" writes lines without %DOWNSTREAM_PEER_URI_SAN%/);
            const without = await run([...audit.resources, ...swap]);
            assert.deepStrictEqual(brief(without), [`mandatory ${GW_NS}/${ours(audit).metadata.name}`, `mandatory ${GW_NS}/second`]);
            assert.match(without[0].message, /istiod keeps only the providers of the one it applies last/);
            // a swap to another provider with the audit fields is harmless once istiod shows it
            const other = { ...egressAuditLogProvider("audit-2") };
            const harmless = fromManifests([second([{ providers: [{ name: "audit-2" }] }])]);
            assert.deepStrictEqual(await run([...audit.resources, istiodRelease({ extensionProviders: [egressAuditLogProvider(), other] }), ...harmless]), []);
        });

        it("only Telemetries istiod applies to the gateway pods count", async function () {
            const off = [{ disabled: true }];
            const [firstKey] = Object.keys(GW_LABELS);
            const notApplied: K8sObject[] = [
                // SERVER mode: a gateway's listeners are CLIENT (telemetry.go workloadMode)
                second([{ disabled: true, match: { mode: "SERVER" } }]),
                // a selector that contradicts the gateway's labels
                telemetry("other-pods", { selector: { matchLabels: { ...GW_LABELS, [firstKey]: `${GW_LABELS[firstKey]}-not` } }, accessLogging: off }),
                // targetRefs: ignored for a pod that is not a Gateway API gateway (policyattachment.go ShouldAttachPolicy)
                telemetry("by-ref", { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "x" }], accessLogging: off }),
                // another namespace, and a root-namespace Telemetry with a selector (root-namespace pods only)
                telemetry("apps", { accessLogging: off }, "app-a"),
                telemetry("root-selected", { selector: { matchLabels: { ...GW_LABELS } }, accessLogging: off }, "istio-system"),
                // namespace-wide and mesh-wide ones come before ours and are overridden by it
                telemetry("ns-wide", { accessLogging: [{ providers: [{ name: "envoy" }], disabled: true }] }),
                telemetry("mesh-default", { accessLogging: [{ disabled: true }] }, "istio-system"),
            ];
            assert.deepStrictEqual(await run([...audit.resources, istiodRelease(), ...fromManifests(notApplied)]), []);
            // the trick that does apply: the same entry in CLIENT mode
            assert.deepStrictEqual(
                brief(await run([...audit.resources, istiodRelease(), ...fromManifests([second([{ disabled: true, match: { mode: "CLIENT" } }])])])),
                [`mandatory ${GW_NS}/second`],
            );
        });

        it("without the component's Telemetry, the namespace-wide and root ones decide, and are judged", async function () {
            assert.strictEqual(noLogs.objects.filter((o) => o.kind === "Telemetry").length, 0);
            const meshOff = fromManifests([telemetry("mesh-default", { accessLogging: [{ disabled: true }] }, "istio-system")]);
            assert.deepStrictEqual(brief(await run([...noLogs.resources, ...meshOff])), ["mandatory istio-system/mesh-default"]);
            const nsEnvoy = fromManifests([telemetry("ns-wide", { accessLogging: [{ providers: [{ name: "envoy" }] }] })]);
            const vs = await run([...noLogs.resources, istiodRelease(), ...nsEnvoy]);
            assert.deepStrictEqual(brief(vs), [`mandatory ${GW_NS}/ns-wide`]);
            assert.match(vs[0].message, /applies to every workload of the gateway namespace/);
            // the same namespace-wide Telemetry naming the audit provider passes
            const nsAudit = fromManifests([telemetry("ns-wide", { accessLogging: [{ providers: [{ name: EGRESS_AUDIT_PROVIDER }] }] })]);
            assert.deepStrictEqual(await run([...noLogs.resources, istiodRelease(), ...nsAudit]), []);
        });

        it("a stack without the gateway (a mesh-wide Telemetry alone) is not judged", async function () {
            const meshOff = fromManifests([telemetry("mesh-default", { accessLogging: [{ disabled: true }] }, "istio-system")]);
            assert.deepStrictEqual(await run([...meshOff, istiodRelease({})]), []);
        });

        it("an unknown value in a second Telemetry withholds the findings (it could be the one that decides)", async function () {
            const unknown = fromManifests([second([{ providers: [{ name: UNKNOWN }] }])]);
            const vs = await run([...audit.resources, istiodRelease({}), ...unknown]);
            assert.deepStrictEqual(
                vs.map((v) => v.enforcementLevel),
                ["advisory"],
            );
        });
    });
});

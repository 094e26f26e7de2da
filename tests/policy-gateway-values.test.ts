/**
 * `egress-gateway-cluster-ip` on the gateway release's production values (issue 11's production settings on the
 * pack side): the proxy environment (`env`, `envVarFrom`) and the tolerations. The component sets exactly
 * `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` and `MINIMUM_DRAIN_DURATION` (gateway.drain) and keyed tolerations
 * (gateway.tolerations); anything pilot-agent would take its configuration from is a finding, and so is a key-less
 * toleration. Each test: the trick, and the same release without it.
 */
import * as assert from "assert";
import { HELM_RELEASE_TYPE } from "../sdk/model";
import { PolicyResource, runPolicies, Violation } from "istio-egress-guard/lib";
import { componentOutput, FULL_ARGS, packConfigFor } from "./fixtures/policy/component";
import { asObject, isRecord, listAt, recordAt } from "../sdk/model/read";

const out = componentOutput(FULL_ARGS, { team: false });
const release = out.resources.find((r) => r.type === HELM_RELEASE_TYPE)!;
const config = packConfigFor(out.plan);

/** The component's gateway release with `edit` applied to a copy of its values. */
function withValues(edit: (values: Record<string, unknown>) => void): PolicyResource {
    const values = asObject(JSON.parse(JSON.stringify(release.props.values)));
    edit(values);
    return { ...release, props: { ...release.props, values } };
}

/** The values' map `key` (the component's values have it). */
function mapIn(values: Record<string, unknown>, key: string): Record<string, unknown> {
    const m = values[key];
    assert.ok(isRecord(m), `values.${key} is a map`);
    return m;
}

/** The values' list `key` (the component's values have it). */
function listIn(values: Record<string, unknown>, key: string): unknown[] {
    const l = values[key];
    assert.ok(Array.isArray(l), `values.${key} is a list`);
    return l;
}
async function findings(r: PolicyResource): Promise<string[]> {
    const vs: Violation[] = await runPolicies([r], { config });
    return vs.filter((v) => v.policy === "egress-gateway-cluster-ip").map((v) => v.message);
}

describe("policy pack: the gateway release's proxy environment and tolerations (egress-gateway-cluster-ip)", function () {
    this.timeout(60000);

    it("the component's release (drain env, keyed tolerations, spread, node selector) passes", async function () {
        const values = recordAt(release.props, "values");
        assert.deepStrictEqual(Object.keys(recordAt(values, "env")).sort(), ["EXIT_ON_ZERO_ACTIVE_CONNECTIONS", "MINIMUM_DRAIN_DURATION"]);
        assert.strictEqual(listAt(values, "tolerations").length, FULL_ARGS.gateway!.tolerations!.length);
        assert.deepStrictEqual(await findings(release), []);
    });

    const envTricks: [string, (v: Record<string, unknown>) => void, RegExp][] = [
        [
            "CA_ADDR: another CA signs the gateway's certificates",
            (v) => (mapIn(v, "env").CA_ADDR = "evil-ca.attacker.svc:15012"),
            /values\.env\.CA_ADDR sets the egress gateway proxy's environment/,
        ],
        [
            "PROXY_CONFIG: a proxy config with another discovery address",
            (v) => (mapIn(v, "env").PROXY_CONFIG = '{"discoveryAddress":"evil.attacker.svc:15012"}'),
            /values\.env\.PROXY_CONFIG/,
        ],
        ["XDS_ROOT_CA: trust another control plane", (v) => (mapIn(v, "env").XDS_ROOT_CA = "SYSTEM"), /values\.env\.XDS_ROOT_CA/],
        [
            "ISTIO_META_*: node metadata istiod builds the config from",
            (v) => (mapIn(v, "env").ISTIO_META_DNS_CAPTURE = "false"),
            /values\.env\.ISTIO_META_DNS_CAPTURE/,
        ],
        ["a look-alike of an allowed name (case differs)", (v) => (mapIn(v, "env").minimum_drain_duration = "5s"), /values\.env\.minimum_drain_duration/],
        ["env as a list (not the chart's map)", (v) => (v.env = [{ name: "CA_ADDR", value: "x" }]), /values\.env must be a map/],
        [
            "an allowed name with a structured value",
            (v) => (mapIn(v, "env").MINIMUM_DRAIN_DURATION = { valueFrom: { secretKeyRef: { name: "s", key: "k" } } }),
            /values\.env\.MINIMUM_DRAIN_DURATION must be a plain value/,
        ],
        [
            "envVarFrom: the environment from a Secret",
            (v) => (v.envVarFrom = [{ name: "CA_ADDR", valueFrom: { secretKeyRef: { name: "ca", key: "addr" } } }]),
            /values\.envVarFrom sets/,
        ],
        [
            "networkGateway: ISTIO_META_REQUESTED_NETWORK_VIEW by the back door",
            (v) => (v.networkGateway = "network2"),
            /values\.networkGateway sets ISTIO_META_REQUESTED_NETWORK_VIEW/,
        ],
        ["a key-less toleration (tolerates every taint)", (v) => listIn(v, "tolerations").push({ operator: "Exists" }), /values\.tolerations\[2\] has no key/],
        [
            "a toleration with an empty key",
            (v) => listIn(v, "tolerations").push({ key: "", operator: "Exists", effect: "NoSchedule" }),
            /values\.tolerations\[2\] has no key/,
        ],
        ["tolerations as a map", (v) => (v.tolerations = { key: "dedicated" }), /values\.tolerations must be a list/],
    ];
    for (const [trick, edit, expected] of envTricks) {
        it(trick, async function () {
            const found = await findings(withValues(edit));
            assert.strictEqual(found.length, 1, found.join("\n"));
            assert.match(found[0], expected);
        });
    }

    it("without the tricks: the drain variables alone, an empty envVarFrom, keyed Exists tolerations pass", async function () {
        assert.deepStrictEqual(await findings(withValues((v) => (v.env = { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true, MINIMUM_DRAIN_DURATION: "30s" }))), []);
        assert.deepStrictEqual(await findings(withValues((v) => (v.envVarFrom = []))), []);
        assert.deepStrictEqual(await findings(withValues((v) => listIn(v, "tolerations").push({ key: "dedicated", operator: "Exists" }))), []);
        assert.deepStrictEqual(await findings(withValues((v) => delete v.env)), [], "no env at all (waitForConnections: false)");
    });

    it("judges a release of another gateway's stack the same way (a release of the chart in a gateway namespace)", async function () {
        const foreign: PolicyResource = {
            ...withValues((v) => (mapIn(v, "env").CA_ADDR = "x")),
            urn: "urn:pulumi:other::p::kubernetes:helm.sh/v3:Release::gw2",
            name: "gw2",
        };
        const vs = await runPolicies([foreign], { config });
        assert.ok(
            vs.some((v) => v.policy === "egress-gateway-cluster-ip" && /CA_ADDR/.test(v.message)),
            JSON.stringify(vs),
        );
    });
});

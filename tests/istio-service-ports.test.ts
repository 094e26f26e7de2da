/**
 * The gateway Service's ports follow Istio's protocol selection, as `istioctl validate` checks every Service
 * outside the Istio namespace (istioctl/pkg/validate/validate.go `validateServicePortPrefix`): a TCP port either
 * has an `appProtocol` Istio knows, or a name `<protocol>[-<suffix>]`. Found by the e2e suite (e2e/istio): the
 * chart's default `status-port` name fails it ("port "status-port" does not follow the Istio naming convention").
 */
import * as assert from "assert";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { listAt, stringAt, valueAt } from "../sdk/model/read";
import { buildPlan } from "../sdk/plan";

/** pkg/config/protocol/instance.go `Parse` (case-insensitive); anything else is `Unsupported`. */
const ISTIO_PROTOCOLS = new Set(["tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql"]);

/** validateServicePortPrefix's judgement of one port: undefined when it passes, else its complaint. */
function istioctlPortProblem(p: { name?: string; protocol?: string; appProtocol?: string }): string | undefined {
    if (p.protocol?.toUpperCase() === "UDP") return undefined;
    if (p.appProtocol !== undefined) {
        return ISTIO_PROTOCOLS.has(p.appProtocol.toLowerCase()) ? undefined : `appProtocol "${p.appProtocol}" is not an Istio protocol`;
    }
    if (p.name === undefined) return "unnamed port";
    const prefix = p.name.split("-")[0].toLowerCase();
    return ISTIO_PROTOCOLS.has(prefix) ? undefined : `port "${p.name}" does not follow the Istio naming convention`;
}

describe("the gateway Service's ports pass istioctl validate's protocol selection check", () => {
    it("the oracle rejects the chart's own default port name, and accepts it with an appProtocol", () => {
        // The trick: a name that reads like a protocol but is not one (status-port is the chart's default).
        assert.match(istioctlPortProblem({ name: "status-port", protocol: "TCP" })!, /naming convention/);
        assert.strictEqual(istioctlPortProblem({ name: "status-port", protocol: "TCP", appProtocol: "http" }), undefined);
        assert.strictEqual(istioctlPortProblem({ name: "http2", protocol: "TCP" }), undefined);
        assert.strictEqual(istioctlPortProblem({ name: "https", protocol: "TCP" }), undefined);
        assert.match(istioctlPortProblem({ name: "http2", appProtocol: "kubernetes.io/h2c" })!, /not an Istio protocol/);
    });

    const cases: [string, EgressGatewayArgs][] = [
        ["defaults", {}],
        [
            "hosts of every mode",
            {
                hosts: [
                    { host: "a.example.com", mode: EgressMode.Tls },
                    { host: "b.example.com", mode: EgressMode.TlsOrigination },
                    { host: "c.example.com", mode: EgressMode.Http },
                ],
            },
        ],
        ["autoscaling and a revision", { gateway: { revision: "1-29", autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } } }],
    ];
    for (const [label, args] of cases) {
        it(`${label}: every port of values.service.ports`, () => {
            const ports = listAt(buildPlan("egress", args).release!.values, "service", "ports");
            assert.ok(ports.length >= 3);
            assert.deepStrictEqual(
                ports
                    .map((p) => [
                        valueAt(p, "name"),
                        istioctlPortProblem({ name: stringAt(p, "name"), protocol: stringAt(p, "protocol"), appProtocol: stringAt(p, "appProtocol") }),
                    ])
                    .filter(([, problem]) => problem !== undefined),
                [],
            );
            // The routing's ports are unchanged: names and numbers as the chart has them.
            assert.deepStrictEqual(
                ports.map((p) => [valueAt(p, "name"), valueAt(p, "port"), valueAt(p, "targetPort")]),
                [
                    ["status-port", 15021, 15021],
                    ["http2", 80, 80],
                    ["https", 443, 443],
                ],
            );
        });
    }
});

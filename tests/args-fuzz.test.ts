/**
 * The property-based test of issue 10: valid args, mutated structure-aware (tests/helpers/args-fuzz.ts), judged by
 * evaluation. Bounded to a few seconds here; `npm run fuzz` (bench/fuzz.ts) runs the same properties long.
 */
import * as assert from "assert";
import * as fc from "fast-check";
import { checkEngine, checkPure, FuzzFailure, mutatedArgs, Outcome, safetyProblems, showArgs, validArgs } from "./helpers/args-fuzz";

/** Seeds are fixed so that a failure is reproducible; FUZZ_SEED overrides. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261201;

function tally(outcomes: Outcome[]): Record<string, number> {
    const t: Record<string, number> = {};
    for (const o of outcomes) t[o.kind] = (t[o.kind] ?? 0) + 1;
    return t;
}

describe("args fuzzing: mutated args are refused cleanly or accepted safe (by evaluation)", function () {
    this.timeout(120000);

    it("the valid args themselves are accepted, and judged safe (200 cases, plan and manifests)", () => {
        fc.assert(
            fc.property(validArgs, fc.nat(), (args, seed) => {
                const o = checkPure(args, { seed });
                assert.notStrictEqual(o.kind, "refused", `valid args refused: ${o.kind === "refused" ? o.message : ""}\n${showArgs(args)}`);
            }),
            { numRuns: 200, seed: SEED },
        );
    });

    it("mutated args (600 cases, plan and manifests): only ArgsErrors naming field and rule, accepted ones safe", () => {
        const outcomes: Outcome[] = [];
        fc.assert(
            fc.property(mutatedArgs, ({ args, mutations, probeSeed }) => {
                try {
                    outcomes.push(checkPure(args, { seed: probeSeed }));
                } catch (err) {
                    if (err instanceof FuzzFailure) throw new Error(`${err.message}\nmutations: ${JSON.stringify(mutations)}\nargs: ${showArgs(args)}`);
                    throw err;
                }
            }),
            { numRuns: 600, seed: SEED },
        );
        const t = tally(outcomes);
        // The mutations must reach both sides: a fuzzer whose every case is refused (or accepted) proves little.
        assert.ok((t.refused ?? 0) > 100 && (t.accepted ?? 0) > 50, JSON.stringify(t));
    });

    it("valid and mutated args under the mock engine (40 cases, up and preview): ResourceErrors with nothing registered, or safe resources", async () => {
        const samples = [
            ...fc.sample(validArgs, { numRuns: 10, seed: SEED + 1 }).map((args, i) => ({ args, mutations: [], probeSeed: i })),
            ...fc.sample(mutatedArgs, { numRuns: 30, seed: SEED + 2 }),
        ];
        const outcomes: Outcome[] = [];
        for (const [i, { args, mutations, probeSeed }] of samples.entries()) {
            try {
                outcomes.push(await checkEngine(args, i % 4 === 3, { seed: probeSeed }));
            } catch (err) {
                if (err instanceof FuzzFailure) throw new Error(`${err.message}\nmutations: ${JSON.stringify(mutations)}\nargs: ${showArgs(args)}`);
                throw err;
            }
        }
        const t = tally(outcomes);
        assert.ok((t.refused ?? 0) >= 10 && (t.accepted ?? 0) >= 10, JSON.stringify(t));
    });

    it("the oracle can fail: it catches an unsafe object set (a Sidecar set to ALLOW_ANY, an open NetworkPolicy, a LoadBalancer)", () => {
        const args = { hosts: [{ host: "api.example.com", mode: "TLS" }], lockdown: { namespaces: [{ name: "app-a" }] } };
        const bad = [
            {
                apiVersion: "networking.istio.io/v1",
                kind: "Sidecar",
                metadata: { name: "s", namespace: "app-a" },
                spec: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } },
            },
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "open", namespace: "app-a" },
                spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{}] },
            },
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: { name: "all", namespace: "istio-egress" },
                spec: { action: "ALLOW", rules: [{}] },
            },
        ];
        const problems = safetyProblems(args, bad, { service: { type: "LoadBalancer" }, labels: { istio: "egressgateway" } });
        for (const p of [
            /ALLOW_ANY/,
            /no REGISTRY_ONLY Sidecar|says ALLOW_ANY/,
            /pod app-a\/.* reaches 93\.184\.216\.34/,
            /is allowed TLS to api\.example\.com/,
            /service\.type is "LoadBalancer"/,
        ]) {
            assert.ok(
                problems.some((x) => p.test(x)),
                `${p} in\n${problems.slice(0, 20).join("\n")}`,
            );
        }
    });
});

/**
 * The args' validators are ajv's standalone code, compiled at build time from args.schema.json
 * (scripts/generate-args-schema.js → sdk/schema/args.validators.ts): no ajv at run time, the same verdicts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import Ajv, { ErrorObject } from "ajv";
import schema from "../sdk/schema/args.schema.json";
import { VALIDATORS } from "../sdk/schema/args.validators";
import { checkArgsShape, checkResolved } from "../sdk/schema/args";
import { mutatedArgs, validArgs } from "./helpers/args-fuzz";

const GENERATED = path.resolve(__dirname, "../sdk/schema/args.validators.js");

/** Plain data only (Outputs, Promises and functions dropped), as the validators see it after the Output walk. */
const plainOf = (v: unknown): unknown =>
    JSON.parse(
        JSON.stringify(v, (_k, x: unknown) =>
            pulumi.Output.isInstance(x) || (x !== null && typeof x === "object" && typeof (x as { then?: unknown }).then === "function") ? undefined : x,
        ) ?? "null",
    );

/** A generated validator (ajv's standalone code: a function with the `errors` of its last call). */
type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
/** The generated module is untyped (`@ts-nocheck`): its validators by pointer. */
const validators = VALIDATORS as Record<string, Validator | undefined>;

describe("args validators: ajv's standalone code, compiled at build time", function () {
    this.timeout(60000);

    it("the compiled module imports nothing (no ajv, none of its run-time helpers)", () => {
        const code = fs.readFileSync(GENERATED, "utf8");
        assert.ok(!/\brequire\s*\(/.test(code), "no require()");
        assert.ok(!/\bimport\s*\(/.test(code), "no dynamic import()");
        assert.ok(!/ajv/.test(code.replace(/^\/\/.*$/gm, "")), "ajv is not named outside comments");
    });

    it("covers every definition and every node an Output may stand for", () => {
        const expected = Object.keys(schema.definitions).map((d) => `#/definitions/${d}`);
        const walk = (node: unknown, pointer: string): void => {
            if (!node || typeof node !== "object") return;
            if ("x-pulumi-input" in node && node["x-pulumi-input"] === true) expected.push(pointer);
            for (const [k, v] of Object.entries(node)) walk(v, `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
        };
        walk(schema, "#");
        for (const p of expected) assert.strictEqual(typeof validators[p], "function", p);
    });

    it("gives the verdicts and errors of ajv compiled at run time (300 valid and mutated args)", () => {
        const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictTuples: false });
        ajv.addKeyword({ keyword: "x-pulumi-input", schemaType: "boolean" });
        ajv.addSchema(schema);
        const reference = ajv.getSchema(`${schema.$id}#/definitions/EgressGatewayArgs`)!;
        const compiled = validators["#/definitions/EgressGatewayArgs"]!;
        const errs = (e: ErrorObject[] | null | undefined) => (e ?? []).map((x) => `${x.instancePath} ${x.keyword} ${JSON.stringify(x.params)}`).sort();
        let invalid = 0;
        const cases = [...fc.sample(validArgs, { numRuns: 50, seed: 5 }), ...fc.sample(mutatedArgs, { numRuns: 250, seed: 6 }).map((m) => m.args)];
        // Strings whose UTF-16 and code-point lengths differ (the `unicode: false` option) must not change anything.
        cases.push({ hosts: [{ host: "😀", mode: "TLS" }] }, { gateway: { namespace: "" } }, { gateway: { namespace: "😀" } });
        for (const c of cases) {
            const data = plainOf(c);
            const ok = compiled(data);
            assert.strictEqual(ok, reference(data), JSON.stringify(data));
            assert.deepStrictEqual(errs(compiled.errors), errs(reference.errors), JSON.stringify(data));
            if (!ok) invalid++;
        }
        assert.ok(invalid > 100, `the corpus has invalid cases too (${invalid})`);
    });

    it("checkArgsShape and checkResolved use them (fail closed for a schema the build did not compile)", () => {
        assert.match(JSON.stringify(checkArgsShape("EgressGatewayArgs", { lockdwon: {} }).problems), /lockdwon.*did you mean \\"lockdown\\"/);
        assert.deepStrictEqual(
            checkResolved({ field: "gateway.chartVersion", schema: {}, pointer: "#/definitions/GatewayArgs/properties/chartVersion", value: 1 }, 5),
            [{ field: "gateway.chartVersion", rule: "must be a string; got a number (5)" }],
        );
        assert.deepStrictEqual(checkResolved({ field: "gateway.resources", schema: { type: "object" }, value: 1 }, { limits: {} }), []);
        assert.throws(() => checkResolved({ field: "x", schema: { type: "string", minLength: 3 }, value: 1 }, "ab"), /internal: x: no precompiled validator/);
    });
});

import * as assert from "assert";
import { inspect } from "util";
import { asList, asRecord, bool, dig, num, stringRecord } from "../sdk/model/object";

// The typed readers of sdk/model/object.ts: a value of the wrong type reads as absent, never as a crash and
// never coerced into something that looks valid.
describe("model object readers (unknown-typed)", () => {
    it("asRecord: a plain object as is; arrays, null, strings, numbers and functions read as {}", () => {
        const o = { a: 1 };
        assert.strictEqual(asRecord(o), o);
        for (const bad of [undefined, null, [], [{ a: 1 }], "a", 5, true, () => 1]) {
            assert.deepStrictEqual(asRecord(bad), {}, `asRecord(${inspect(bad)})`);
        }
    });

    it("asList: an array as is (holes kept); strings, objects and array-likes read as []", () => {
        const l = [1, "x"];
        assert.strictEqual(asList(l), l);
        for (const bad of [undefined, null, "abc", { 0: "a", length: 1 }, 3, {}]) {
            assert.deepStrictEqual(asList(bad), [], `asList(${inspect(bad)})`);
        }
    });

    it("dig: steps through plain objects only; an array, a string or an inherited property on the way reads as undefined", () => {
        const v = { spec: { selector: { matchLabels: { app: "a" } }, list: [{ x: 1 }] } };
        assert.deepStrictEqual(dig(v, "spec", "selector", "matchLabels"), { app: "a" });
        assert.strictEqual(dig(v), v);
        assert.strictEqual(dig(v, "spec", "missing", "deeper"), undefined);
        assert.strictEqual(dig(v, "spec", "list", "0"), undefined, "no indexing into arrays");
        assert.strictEqual(dig({ spec: "selector" }, "spec", "length"), undefined, "no reading a string's properties");
        assert.strictEqual(dig({}, "constructor"), undefined, "an inherited property is no field");
        assert.strictEqual(dig({ spec: { toString: "x" } }, "spec", "toString"), "x", "an own field of that name is");
        assert.strictEqual(dig(null, "spec"), undefined);
        assert.strictEqual(dig({ spec: null }, "spec"), null, "a present null is returned as null");
    });

    it("num: finite numbers only; numeric strings, NaN, Infinity and booleans read as undefined", () => {
        assert.strictEqual(num(443), 443);
        assert.strictEqual(num(0), 0);
        assert.strictEqual(num(-1.5), -1.5);
        for (const bad of ["443", "", NaN, Infinity, -Infinity, true, null, undefined, [443], { number: 443 }]) {
            assert.strictEqual(num(bad), undefined, `num(${inspect(bad)})`);
        }
    });

    it("bool: booleans only; \"true\", 1 and \"on\" read as undefined", () => {
        assert.strictEqual(bool(true), true);
        assert.strictEqual(bool(false), false);
        for (const bad of ["true", "false", 1, 0, "on", null, undefined, {}]) {
            assert.strictEqual(bool(bad), undefined, `bool(${inspect(bad)})`);
        }
    });

    it("stringRecord: keeps string values only (a label 1 or {} is left out, not stringified)", () => {
        assert.deepStrictEqual(stringRecord({ app: "a", version: 1, on: true, nested: { x: "y" }, list: ["a"], empty: "", nil: null }), { app: "a", empty: "" });
        for (const bad of [undefined, null, "app=a", ["a"], 7]) {
            assert.deepStrictEqual(stringRecord(bad), {}, `stringRecord(${inspect(bad)})`);
        }
    });
});

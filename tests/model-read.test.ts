import * as assert from "assert";
import { inspect } from "util";
import { bool, errorCode, errorMessage, isRecord, listAt, listField, num, objectField, recordAt, shown, stringAt, stringRecord, valueAt } from "../sdk/model";

// The typed readers of sdk/model/read.ts: a value of the wrong type reads as absent, never as a crash and
// never coerced into something that looks valid.
describe("model readers (unknown-typed, sdk/model/read.ts)", () => {
    it("recordAt: a plain object as is; arrays, null, strings, numbers and functions read as {}", () => {
        const o = { a: 1 };
        assert.strictEqual(recordAt(o), o);
        for (const bad of [undefined, null, [], [{ a: 1 }], "a", 5, true, () => 1]) {
            assert.deepStrictEqual(recordAt(bad), {}, `recordAt(${inspect(bad)})`);
        }
    });

    it("listAt: an array as is (holes kept); strings, objects and array-likes read as []", () => {
        const l = [1, "x"];
        assert.strictEqual(listAt(l), l);
        for (const bad of [undefined, null, "abc", { 0: "a", length: 1 }, 3, {}]) {
            assert.deepStrictEqual(listAt(bad), [], `listAt(${inspect(bad)})`);
        }
    });

    it("valueAt: steps through plain objects only; an array, a string or an inherited property on the way reads as undefined", () => {
        const v = { spec: { selector: { matchLabels: { app: "a" } }, list: [{ x: 1 }] } };
        assert.deepStrictEqual(valueAt(v, "spec", "selector", "matchLabels"), { app: "a" });
        assert.strictEqual(valueAt(v), v);
        assert.strictEqual(valueAt(v, "spec", "missing", "deeper"), undefined);
        assert.strictEqual(valueAt(v, "spec", "list", "0"), undefined, "no indexing into arrays");
        assert.strictEqual(valueAt({ spec: "selector" }, "spec", "length"), undefined, "no reading a string's properties");
        assert.strictEqual(valueAt({}, "constructor"), undefined, "an inherited property is no field");
        assert.strictEqual(valueAt({ spec: { toString: "x" } }, "spec", "toString"), "x", "an own field of that name is");
        assert.strictEqual(valueAt(null, "spec"), undefined);
        assert.strictEqual(valueAt({ spec: null }, "spec"), null, "a present null is returned as null");
    });

    it("num: finite numbers only; numeric strings, NaN, Infinity and booleans read as undefined", () => {
        assert.strictEqual(num(443), 443);
        assert.strictEqual(num(0), 0);
        assert.strictEqual(num(-1.5), -1.5);
        for (const bad of ["443", "", NaN, Infinity, -Infinity, true, null, undefined, [443], { number: 443 }]) {
            assert.strictEqual(num(bad), undefined, `num(${inspect(bad)})`);
        }
    });

    it('bool: booleans only; "true", 1 and "on" read as undefined', () => {
        assert.strictEqual(bool(true), true);
        assert.strictEqual(bool(false), false);
        for (const bad of ["true", "false", 1, 0, "on", null, undefined, {}]) {
            assert.strictEqual(bool(bad), undefined, `bool(${inspect(bad)})`);
        }
    });

    it("stringRecord: keeps string values only (a label 1 or {} is left out, not stringified)", () => {
        assert.deepStrictEqual(stringRecord({ app: "a", version: 1, on: true, nested: { x: "y" }, list: ["a"], empty: "", nil: null }), {
            app: "a",
            empty: "",
        });
        for (const bad of [undefined, null, "app=a", ["a"], 7]) {
            assert.deepStrictEqual(stringRecord(bad), {}, `stringRecord(${inspect(bad)})`);
        }
    });

    it("valueAt: a number steps into an array, a string into an object; a number into an object reads as undefined", () => {
        const v = { spec: { ports: [{ number: 443 }, { number: 80 }] } };
        assert.strictEqual(valueAt(v, "spec", "ports", 1, "number"), 80);
        assert.strictEqual(valueAt(v, "spec", "ports", 2, "number"), undefined, "past the end");
        assert.strictEqual(valueAt({ 0: "a" }, 0), undefined, "an object is not indexed by a number");
        assert.strictEqual(valueAt("abc", 0), undefined, "nor a string");
    });

    it("recordAt / listAt / stringAt: read at a path; the wrong type at the end reads as absent", () => {
        const v = { spec: { selector: { app: "a" }, hosts: ["a.com"], mode: "", n: 1 } };
        assert.deepStrictEqual(recordAt(v, "spec", "selector"), { app: "a" });
        assert.deepStrictEqual(recordAt(v, "spec", "hosts"), {}, "an array is no record");
        assert.deepStrictEqual(listAt(v, "spec", "hosts"), ["a.com"]);
        assert.deepStrictEqual(listAt(v, "spec", "selector"), [], "a record is no list");
        assert.strictEqual(stringAt(v, "spec", "mode"), "", "the empty string is a string");
        assert.strictEqual(stringAt(v, "spec", "n"), undefined, "1 is no string");
        assert.strictEqual(stringAt(v, "spec", "hosts", 0), "a.com");
    });

    it("isRecord: plain objects only (not arrays, null, functions)", () => {
        assert.strictEqual(isRecord({}), true);
        for (const bad of [[], null, undefined, "a", 1, () => 1]) {
            assert.strictEqual(isRecord(bad), false, `isRecord(${inspect(bad)})`);
        }
    });

    it("objectField / listField: absent reads as empty; any other wrong type is refused naming the field", () => {
        assert.deepStrictEqual(objectField(undefined, "spec"), {});
        assert.deepStrictEqual(objectField(null, "spec"), {});
        const o = { a: 1 };
        assert.strictEqual(objectField(o, "spec"), o);
        for (const bad of [[], "a", 0, false]) {
            assert.throws(() => objectField(bad, "spec.selector"), /^Error: spec\.selector: must be an object$/, `objectField(${inspect(bad)})`);
        }
        assert.deepStrictEqual(listField(undefined, "spec.rules"), []);
        assert.deepStrictEqual(listField(null, "spec.rules"), []);
        const l = [1];
        assert.strictEqual(listField(l, "spec.rules"), l);
        for (const bad of [{}, "a", 0, false]) {
            assert.throws(() => listField(bad, "spec.rules"), /^Error: spec\.rules: must be a list$/, `listField(${inspect(bad)})`);
        }
    });

    it("errorMessage / errorCode: read a thrown value of any type without throwing", () => {
        const e = Object.assign(new Error("no such file"), { code: "ENOENT" });
        assert.strictEqual(errorMessage(e), "no such file");
        assert.strictEqual(errorCode(e), "ENOENT");
        assert.strictEqual(errorMessage("plain string"), "plain string");
        assert.strictEqual(errorMessage(undefined), "undefined");
        assert.strictEqual(errorMessage(null), "null");
        assert.strictEqual(errorMessage({ message: 5 }), "5");
        assert.strictEqual(errorCode({ code: 2 }), undefined, "a non-string code is no code");
        assert.strictEqual(errorCode("ENOENT"), undefined);
        assert.strictEqual(errorCode(null), undefined);
    });

    it('shown: a primitive exactly as String shows it; an object or a list as JSON, never "[object Object]"', () => {
        for (const v of ["a", "", 5, -0.5, true, null, undefined, 10n]) {
            assert.strictEqual(shown(v), String(v), `shown(${inspect(v)})`);
        }
        assert.strictEqual(shown({ name: "x" }), '{"name":"x"}');
        assert.strictEqual(shown(["a", 1]), '["a",1]');
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        assert.strictEqual(shown(cyclic), "(unprintable)", "a cycle does not throw");
    });
});

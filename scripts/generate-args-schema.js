#!/usr/bin/env node
/**
 * Generates sdk/schema/args.schema.json from the components' argument types in sdk/args.ts — the one source of
 * their shape — with ts-json-schema-generator. Run by `npm run build` before tsc; the result is committed so
 * that a diff shows every change to the public argument schema.
 *
 * ts-json-schema-generator renders `pulumi.Input<T>` as `anyOf: [T, OutputInstance<T>]`; this script replaces
 * each such reference by T itself marked `"x-pulumi-input": true` (a keyword the run-time validator knows:
 * an Output or a Promise is accepted there and checked once it resolves; anywhere else it is refused).
 */
const fs = require("fs");
const path = require("path");
const { createGenerator } = require("ts-json-schema-generator");

const root = path.resolve(__dirname, "..");
const out = path.join(root, "sdk", "schema", "args.schema.json");
const TOP = ["EgressGatewayArgs", "EgressRoutesArgs"];

const generator = createGenerator({
    path: path.join(root, "sdk", "args.ts"),
    tsconfig: path.join(root, "tsconfig.json"),
    type: "*",
    expose: "export",
    topRef: true,
    jsDoc: "extended",
    skipTypeCheck: true,
    additionalProperties: false,
    sortProps: true,
    encodeRefs: false,
});
const definitions = {};
for (const type of TOP) {
    Object.assign(definitions, generator.createSchema(type).definitions);
}

const INPUT = /^Input<(.*)>$/;
/** The T of an `Input<T>` definition: its anyOf branch that is not an OutputInstance (nor a Promise). */
function inputInner(name) {
    const def = definitions[name];
    const branches = (def.anyOf ?? []).filter((b) => !(b.$ref && /#\/definitions\/(OutputInstance|Promise)</.test(b.$ref)));
    if (branches.length !== 1) throw new Error(`${name}: cannot find the T of Input<T> in ${JSON.stringify(def)}`);
    return branches[0];
}
function rewrite(node) {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== "object") return node;
    if (typeof node.$ref === "string") {
        const name = node.$ref.replace(/^#\/definitions\//, "");
        if (INPUT.test(name)) {
            const { $ref: _ref, ...rest } = node;
            return { ...rewrite(inputInner(name)), ...rest, "x-pulumi-input": true };
        }
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]));
}
const kept = {};
for (const [name, def] of Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))) {
    if (INPUT.test(name) || /^(OutputInstance|Promise)</.test(name)) continue;
    kept[name] = rewrite(def);
}
const text = JSON.stringify(
    {
        $schema: "http://json-schema.org/draft-07/schema#",
        $id: "https://istio-egress.dev/schema/args.schema.json",
        $comment: "Generated from sdk/args.ts by scripts/generate-args-schema.js; do not edit.",
        definitions: kept,
    },
    null,
    2,
) + "\n";
if (text.includes("OutputInstance") || text.includes("Input<")) {
    throw new Error("args.schema.json still mentions Input<...> or OutputInstance: a pulumi.Input form this script does not handle");
}
if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== text) {
    fs.writeFileSync(out, text);
    process.stdout.write(`wrote ${path.relative(root, out)}\n`);
}

#!/usr/bin/env node
/**
 * Generates sdk/schema/args.schema.json from the components' argument types in sdk/args.ts — the one source of
 * their shape — with ts-json-schema-generator. Run by `npm run build` before tsc; the result is committed so
 * that a diff shows every change to the public argument schema.
 *
 * Then compiles that schema with ajv's standalone code generation into sdk/schema/args.validators.ts, so that the
 * component library validates its args without ajv at run time (ajv is a devDependency; issue 9 item 8). The
 * generated module is not committed: it is a pure function of the committed schema and the locked ajv version,
 * rewritten by every build (tsc compiles it into dist/ with the rest), and 60 KB of generated code would only add
 * unreadable diffs next to the schema's readable one. The options keep the generated code free of imports of
 * ajv's run-time helpers: `unicode: false` (minLength/maxLength by UTF-16 length: the schema only uses
 * minLength 1, where the two agree; it avoids `ajv/dist/runtime/ucs2length`), and the schema has no keyword that
 * needs one (`uniqueItems` would need `equal`, `format` the formats plugin); the script fails if any import slips in.
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

// ---------------------------------------------------------------------------------------------------------
// The standalone validators

const Ajv = require("ajv").default;
const standaloneCode = require("ajv/dist/standalone").default;

const schema = JSON.parse(text);
/** Schemas the component checks resolved Outputs against that are not a node of args.schema.json. */
const ADHOC = { "adhoc:object": { type: "object" } };

const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    unicode: false,
    code: { source: true, esm: true },
    // `unicode` is deprecated in ajv 8 but still honoured; its warning is the only one expected here.
    logger: { log: console.log, warn: (...a) => (/DEPRECATED: option unicode/.test(String(a[0])) ? undefined : console.warn(...a)), error: console.error },
});
ajv.addKeyword({ keyword: "x-pulumi-input", schemaType: "boolean" });
ajv.addSchema(schema);
for (const [id, s] of Object.entries(ADHOC)) ajv.addSchema({ $id: id, ...s });

/** Every definition, and every node an Output may stand in for (`x-pulumi-input`), by JSON pointer. */
const pointers = Object.keys(schema.definitions).map((d) => `#/definitions/${d}`);
(function walk(node, pointer) {
    if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${pointer}/${i}`));
    if (!node || typeof node !== "object") return;
    if (node["x-pulumi-input"] === true && !pointers.includes(pointer)) pointers.push(pointer);
    for (const [k, v] of Object.entries(node)) walk(v, `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
})(schema, "#");

const exportsByRef = {};
const table = {};
[...pointers, ...Object.keys(ADHOC)].forEach((key, i) => {
    const ref = key.startsWith("#") ? `${schema.$id}${key}` : key;
    if (!ajv.getSchema(ref)) throw new Error(`ajv cannot resolve ${ref}`);
    exportsByRef[`v${i}`] = ref;
    table[key] = `v${i}`;
});
const code = standaloneCode(ajv, exportsByRef);
const imports = code.match(/\brequire\s*\(|^\s*import\s|\bimport\s*\(/m);
if (imports) {
    throw new Error(`the generated validators import ${JSON.stringify(code.slice(imports.index, imports.index + 60))}: an ajv option or keyword needs a run-time helper`);
}
const validatorsOut = path.join(root, "sdk", "schema", "args.validators.ts");
const moduleText = [
    "// @ts-nocheck",
    "/* eslint-disable */",
    "// Generated from args.schema.json by scripts/generate-args-schema.js (ajv standalone code); do not edit.",
    "// Not committed: every npm run build rewrites it.",
    code,
    "",
    "/** The validators by JSON pointer into args.schema.json (and `adhoc:*` for the few schemas outside it). */",
    `export const VALIDATORS = {${Object.entries(table).map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(", ")}};`,
    "",
].join("\n");
if (!fs.existsSync(validatorsOut) || fs.readFileSync(validatorsOut, "utf8") !== moduleText) {
    fs.writeFileSync(validatorsOut, moduleText);
    process.stdout.write(`wrote ${path.relative(root, validatorsOut)}\n`);
}

/**
 * Run-time validation of the components' arguments against their JSON Schema (args.schema.json, generated from
 * sdk/args.ts — the one source of their shape). Pure but for recognising Pulumi Outputs.
 *
 * Two passes, both before anything is registered:
 *  1. a walk along the schema that finds Outputs and Promises: accepted (and set aside, to be checked when they
 *     resolve) where the schema says `x-pulumi-input`, refused with the field named anywhere else;
 *  2. the schema's validators over the remaining plain data: types (booleans only as booleans, integers only as
 *     integers), enums, required fields, non-empty lists, unknown keys (with a "did you mean"). Every problem at
 *     once, as `{field, rule}`; never a TypeError.
 * The validators are ajv's, compiled at build time (scripts/generate-args-schema.js → args.validators.ts, ajv's
 * standalone code): ajv is not a run-time dependency of the component library.
 * Semantic rules (host names, CIDR ranges, collisions) are the plan's (sdk/plan.ts).
 */
import { closest, distance } from "fastest-levenshtein";
import * as pulumi from "@pulumi/pulumi";
import schema from "./args.schema.json";
import { VALIDATORS } from "./args.validators";

/** An error of a generated validator (the fields of ajv's `ErrorObject` this module reads; `verbose` mode). */
interface ValidationError {
    keyword: string;
    instancePath: string;
    params: Record<string, unknown>;
    message?: string;
    data?: unknown;
    parentSchema?: Record<string, any>;
}

/** A generated validator: true when the data is valid, else its `errors`. */
type Validator = ((data: unknown) => boolean) & { errors?: ValidationError[] | null };

/** One problem with the args: the field (a path such as `hosts[2].port`) and the rule it breaks. */
export interface ArgsProblem {
    field: string;
    rule: string;
}

/** Thrown with every problem found; the components turn it into a `pulumi.ResourceError`. */
export class ArgsError extends Error {
    constructor(readonly problems: ArgsProblem[]) {
        super(problems.map((p) => `${p.field}: ${p.rule}`).join("; "));
        this.name = "ArgsError";
    }
}

export type ArgsTypeName = "EgressGatewayArgs" | "EgressRoutesArgs";

type SchemaNode = Record<string, any>;
const DEFINITIONS: Record<string, SchemaNode> = (schema as any).definitions;
export const ARGS_SCHEMA: Readonly<Record<string, any>> = schema;

/** An input given as an Output or a Promise where the schema accepts one: checked once it resolves. */
export interface DeferredInput {
    /** Where it is (`gateway.chartVersion`). */
    field: string;
    /** The schema of the value it must resolve to. */
    schema: SchemaNode;
    /**
     * The JSON pointer of that schema in args.schema.json (`#/definitions/GatewayArgs/properties/chartVersion`),
     * which names its precompiled validator. Without it, `schema` must be `{ $ref: "#/definitions/X" }` or one of
     * the few ad-hoc schemas the build compiles (`{ type: "object" }`).
     */
    pointer?: string;
    value: unknown;
}

export interface CheckedArgs<T> {
    /** The args with every deferred input removed: plain data only. */
    plain: T;
    deferred: DeferredInput[];
}

/** An Output or a Promise (or any thenable): a value not known yet. */
export function isPending(v: unknown): boolean {
    return pulumi.Output.isInstance(v) || (v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as any).then === "function");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/** `hosts[0].allow[1].namespaces`, `gateway.labels["app.kubernetes.io/name"]` */
export function fieldPath(parent: string, key: string | number): string {
    if (typeof key === "number") return `${parent}[${key}]`;
    const name = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
    if (!parent) return name.startsWith('"') ? `[${name}]` : name;
    return name.startsWith('"') ? `${parent}[${name}]` : `${parent}.${name}`;
}

function resolveRef(node: SchemaNode): { node: SchemaNode; def?: string } {
    let def: string | undefined;
    let n = node;
    for (let i = 0; i < 8 && typeof n.$ref === "string"; i++) {
        def = n.$ref.replace(/^#\/definitions\//, "");
        const target = DEFINITIONS[def];
        if (!target) throw new Error(`internal: args schema has no definition ${def}`);
        const { $ref: _ref, ...siblings } = n;
        n = { ...target, ...siblings };
    }
    return { node: n, def };
}

function what(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (pulumi.Output.isInstance(v)) return "an Output";
    if (typeof v === "object") return "an object";
    if (typeof v === "string") return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
    if (typeof v === "number") return `a number (${v})`;
    return `${typeof v === "undefined" ? "undefined" : `a ${typeof v}`}${typeof v === "boolean" || typeof v === "bigint" ? ` (${String(v)})` : ""}`;
}

/**
 * Pass 1: finds Outputs and Promises along the schema. Returns a plain copy (deferred inputs dropped) and the
 * problems of Outputs where none may be. Free-form objects (`gateway.values`, `gateway.resources`) are copied
 * as they are: their own checks (sdk/plan.ts `helmValuesProblems`) handle Outputs inside them.
 */
function walk(node: SchemaNode, pointer: string, value: unknown, field: string, problems: ArgsProblem[], deferred: DeferredInput[]): unknown {
    const { node: n, def } = resolveRef(node);
    // Children are addressed from the definition a $ref led to.
    const base = def !== undefined ? `#/definitions/${def}` : pointer;
    if (isPending(value)) {
        if (n["x-pulumi-input"]) {
            deferred.push({ field, schema: n, pointer, value });
        } else {
            problems.push({
                field: field || "args",
                rule: "must be a plain value, not an Output or a Promise: it decides which resources exist and how they are named, which must be known before anything is registered (resolve it first, e.g. from stack config)",
            });
        }
        return undefined;
    }
    if (n.type === "object" && (n.properties || n.additionalProperties !== undefined)) {
        if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) return value; // ajv reports the type
        if (!isPlainObject(value)) {
            problems.push({ field: field || "args", rule: `must be a plain object (an object literal); got an instance of ${(value as any)?.constructor?.name ?? "a class"}` });
            return undefined;
        }
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            const v = (value as Record<string, unknown>)[key];
            const own = n.properties?.[key] !== undefined;
            const child = own ? n.properties[key] : typeof n.additionalProperties === "object" ? n.additionalProperties : undefined;
            const childPointer = own ? `${base}/properties/${escapePointer(key)}` : `${base}/additionalProperties`;
            if (v === undefined && def === "AccessRuleArgs") {
                // A computed list that came out undefined would widen the rule to every caller (or every path).
                problems.push({ field: fieldPath(field, key), rule: "is undefined: a rule without it matches more callers or requests; omit the key if that is what you mean" });
                continue;
            }
            if (v === undefined) continue;
            out[key] = child ? walk(child, childPointer, v, fieldPath(field, key), problems, deferred) : v;
            if (out[key] === undefined) delete out[key];
        }
        return out;
    }
    if (n.type === "array" && Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            // A hole reads as undefined and fails the item's type below.
            out.push(n.items ? walk(n.items, `${base}/items`, value[i], fieldPath(field, i), problems, deferred) : value[i]);
        }
        return out;
    }
    return value;
}

function escapePointer(key: string): string {
    return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The precompiled validator of a schema node (fails closed: a node the build did not compile is an internal error). */
function validatorAt(pointer: string): Validator {
    const v = (VALIDATORS as Record<string, Validator | undefined>)[pointer];
    if (!v) throw new Error(`internal: no precompiled validator for ${pointer} (run npm run build)`);
    return v;
}

function validatorFor(ref: ArgsTypeName): Validator {
    return validatorAt(`#/definitions/${ref}`);
}

function pointerToField(pointer: string): string {
    let field = "";
    for (const raw of pointer.split("/").slice(1)) {
        const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        field = fieldPath(field, /^\d+$/.test(key) ? Number(key) : key);
    }
    return field;
}

/** "did you mean" for a misspelt key or enum value: the closest candidate, if it is close enough. */
export function didYouMean(given: string, candidates: string[]): string {
    if (candidates.length === 0) return "";
    const best = closest(given, candidates);
    const d = distance(given.toLowerCase(), best.toLowerCase());
    return d <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean ${JSON.stringify(best)}?)` : "";
}

/** Why a list may not be empty, by field name. */
const EMPTY_LIST_WHY: Record<string, string> = {
    namespaces: "an access rule's empty list would match every caller",
    serviceAccounts: "an access rule's empty list would match every caller",
    paths: "an access rule's empty list would match every path",
    methods: "an access rule's empty list would match every method",
    subjectAltNames: "the gateway must verify the host's identity against at least one name",
    ports: "list at least one TCP port; an extra CIDR never opens every port",
};

function ajvProblem(e: ValidationError, base: string): ArgsProblem {
    const at = (f: string) => (base ? (f ? `${base}${f.startsWith("[") ? "" : "."}${f}` : base) : f || "args");
    const field = pointerToField(e.instancePath);
    const got = what(e.data);
    const parent: SchemaNode = (e.parentSchema as SchemaNode) ?? {};
    if ((e.keyword === "minimum" || e.keyword === "maximum" || e.keyword === "type") && parent.minimum === 1 && parent.maximum === 65535) {
        return { field: at(field), rule: `must be an integer port from 1 to 65535; got ${got}` };
    }
    switch (e.keyword) {
        case "additionalProperties": {
            const key = String((e.params as any).additionalProperty);
            const known = Object.keys(resolveRef(parent).node.properties ?? {});
            return {
                field: at(fieldPath(field, key)),
                rule: `is not a known field${didYouMean(key, known)}; known fields: ${known.join(", ")}`,
            };
        }
        case "required":
            return { field: at(fieldPath(field, String((e.params as any).missingProperty))), rule: "is required" };
        case "type": {
            const type = (e.params as any).type;
            const article = type === "integer" || type === "object" || type === "array" ? "an" : "a";
            const noun = type === "array" ? "list" : type;
            return { field: at(field), rule: `must be ${article} ${noun}; got ${got}` };
        }
        case "enum": {
            const allowed: unknown[] = (e.params as any).allowedValues ?? [];
            const hint = typeof e.data === "string" ? didYouMean(e.data, allowed.map(String)) : "";
            return { field: at(field), rule: `must be one of ${allowed.map(String).join(", ")}; got ${got}${hint}` };
        }
        case "minItems": {
            const key = e.instancePath.split("/").pop() ?? "";
            return { field: at(field), rule: `must not be empty: ${EMPTY_LIST_WHY[key] ?? "an empty list here would widen what it allows"} (a list computed by the program that came out empty?)` };
        }
        case "minProperties":
            return { field: at(field), rule: "must be a non-empty map" };
        case "minLength":
            return { field: at(field), rule: `must not be empty` };
        case "minimum":
        case "maximum":
            return { field: at(field), rule: `${e.message}; got ${got}` };
        default:
            return { field: at(field), rule: `${e.message ?? e.keyword}; got ${got}` };
    }
}

/** Runs a validator on plain data; problems are reported under `base`. */
function ajvProblems(validate: Validator, data: unknown, base: string, deferred: ReadonlySet<string> = new Set()): ArgsProblem[] {
    if (validate(data)) return [];
    const seen = new Set<string>();
    const out: ArgsProblem[] = [];
    for (const e of validate.errors ?? []) {
        const p = ajvProblem(e, base);
        // A required input given as an Output was set aside (it is checked once it resolves): it is there.
        if (e.keyword === "required" && deferred.has(p.field)) continue;
        const key = `${p.field}\n${p.rule}`;
        if (!seen.has(key)) {
            seen.add(key);
            out.push(p);
        }
    }
    return out;
}

/** The shape check's result: the plain args with every value that broke a rule removed, and the problems. */
export interface ShapeCheck<T> extends CheckedArgs<T> {
    problems: ArgsProblem[];
}

function unset(root: unknown, pointer: string): void {
    const parts = pointer.split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    let cur: any = root;
    for (const part of parts.slice(0, -1)) {
        if (cur === null || typeof cur !== "object") return;
        cur = cur[part];
    }
    const last = parts[parts.length - 1];
    if (last !== undefined && cur !== null && typeof cur === "object") {
        if (Array.isArray(cur)) cur[Number(last)] = undefined;
        else delete cur[last];
    }
}

/**
 * Checks `args` against the schema of `type` without throwing: the problems, and a copy of the args with every
 * value that broke a shape rule removed (so that the semantic checks can still run on the rest).
 */
export function checkArgsShape<T>(type: ArgsTypeName, args: unknown): ShapeCheck<T> {
    const problems: ArgsProblem[] = [];
    const deferred: DeferredInput[] = [];
    if (args !== undefined && !isPlainObject(args)) {
        return { problems: [{ field: "args", rule: `must be an object; got ${what(args)}` }], plain: {} as T, deferred };
    }
    const plain = walk({ $ref: `#/definitions/${type}` }, `#/definitions/${type}`, args ?? {}, "", problems, deferred) ?? {};
    const validate = validatorFor(type);
    problems.push(...ajvProblems(validate, plain, "", new Set(deferred.map((d) => d.field))));
    for (const e of validate.errors ?? []) {
        if (e.keyword === "additionalProperties") unset(plain, `${e.instancePath}/${String((e.params as any).additionalProperty).replace(/~/g, "~0").replace(/\//g, "~1")}`);
        else if (e.keyword !== "required") unset(plain, e.instancePath);
    }
    return { problems, plain: plain as T, deferred };
}

/**
 * Checks `args` against the schema of `type`. Throws `ArgsError` with every shape problem; returns the plain
 * args and the inputs to check once they resolve.
 */
export function checkArgs<T>(type: ArgsTypeName, args: unknown): CheckedArgs<T> {
    const { problems, plain, deferred } = checkArgsShape<T>(type, args);
    if (problems.length > 0) throw new ArgsError(problems);
    return { plain, deferred };
}

/** The pointer of a deferred input's schema: its own, a bare `$ref`'s target, or an ad-hoc schema the build compiled. */
function pointerOf(input: DeferredInput): string {
    if (input.pointer) return input.pointer;
    const keys = Object.keys(input.schema).filter((k) => k !== "description" && k !== "x-pulumi-input");
    if (keys.length === 1 && typeof input.schema.$ref === "string" && /^#\/definitions\/[A-Za-z0-9]+$/.test(input.schema.$ref)) return input.schema.$ref;
    if (keys.length === 1 && input.schema.type === "object") return "adhoc:object";
    throw new Error(`internal: ${input.field}: no precompiled validator for the schema ${JSON.stringify(input.schema)}`);
}

/**
 * Checks a deferred input once it has resolved: no Outputs left where none may be, and the shape of its schema.
 * Returns the problems (field-named), empty when it is fine.
 */
export function checkResolved(input: DeferredInput, resolved: unknown): ArgsProblem[] {
    const problems: ArgsProblem[] = [];
    const pointer = pointerOf(input);
    const inner = { ...input.schema };
    delete inner["x-pulumi-input"];
    // Outputs nested in the resolved value are refused or, where the schema takes one, left out (and then
    // reported as missing if required): a resolved value is checked as plain data.
    const plain = walk(inner, pointer, resolved, input.field, problems, []);
    problems.push(...ajvProblems(validatorAt(pointer), plain, input.field));
    return problems;
}

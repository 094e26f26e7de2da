/**
 * YAML 1.1 scalars as the Kubernetes API server reads them.
 *
 * `kubectl` and the API server turn YAML into JSON with sigs.k8s.io/yaml, which decodes with go.yaml.in/yaml/v2
 * (`resolve.go`): a plain (unquoted) scalar `y`, `yes`, `on`, `true` (and their capitalised forms) is the boolean
 * true, `n`, `no`, `off`, `false` false; integers are read by Go's `strconv.ParseInt(s, 0, 64)` after removing every
 * `_`, so `02471` is octal (1337), `0x539` hex, `0b...` binary; `~`, `null` and the empty scalar are null; dates
 * (`2001-12-14`) are timestamps, written to JSON as RFC 3339 strings; sexagesimal numbers (`1:30`) are NOT
 * resolved (YAML 1.1 has them; yaml.v2 purposely reads them as strings).
 *
 * `resolvePlainScalar` is that resolver for one untagged plain scalar. `yaml11Bool` / `yaml11Int` read a value
 * that should be a boolean / an integer the way that resolver would have read its text, so a rule judging a
 * string spelling (a value the API server would reject for its type) fails closed rather than reading it as
 * false or 0.
 */

const BOOL_TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const BOOL_FALSE = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's `strconv.ParseInt(s, 0, 64)` (and ParseUint): sign, then `0x`/`0o`/`0b`/leading-`0` octal or decimal. */
function goParseInt(s: string): number | undefined {
    let sign = 1;
    let t = s;
    if (t.startsWith("+") || t.startsWith("-")) {
        if (t[0] === "-") sign = -1;
        t = t.slice(1);
    }
    if (t.length === 0) return undefined;
    let base = 10;
    let digits = t;
    if (/^0[xX]/.test(t)) [base, digits] = [16, t.slice(2)];
    else if (/^0[oO]/.test(t)) [base, digits] = [8, t.slice(2)];
    else if (/^0[bB]/.test(t)) [base, digits] = [2, t.slice(2)];
    else if (t.length > 1 && t[0] === "0") [base, digits] = [8, t.slice(1)];
    const valid = { 16: /^[0-9a-fA-F]+$/, 10: /^[0-9]+$/, 8: /^[0-7]+$/, 2: /^[01]+$/ }[base]!;
    if (!valid.test(digits)) return undefined;
    const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
    const v = BigInt(sign) * BigInt(prefix + digits);
    if (v > BigInt("18446744073709551615") || v < -BigInt("9223372036854775808")) return undefined;
    return Number(v);
}

/** RFC 3339 (as Go's time.Time marshals to JSON) of a YAML 1.1 timestamp yaml.v2 accepts, else undefined. */
function timestamp(s: string): string | undefined {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]| )(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(s);
    if (!m) return undefined;
    const [, y, mo, d, h, mi, se, frac, zone] = m;
    const p2 = (x: string) => x.padStart(2, "0");
    const date = `${y}-${p2(mo)}-${p2(d)}`;
    const check = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 10) !== date) return undefined;
    if (h === undefined) return `${date}T00:00:00Z`;
    const fr = frac ? frac.replace(/0+$/, "").replace(/^\.$/, "") : "";
    const z = zone === undefined || zone === "Z" ? "Z" : zone;
    return `${date}T${p2(h)}:${p2(mi)}:${p2(se)}${fr}${z}`;
}

/** What go.yaml.in/yaml/v2 decodes an untagged plain scalar to (as JSON: booleans, numbers, null, strings). */
export function resolvePlainScalar(source: string): string | number | boolean | null {
    if (BOOL_TRUE.has(source)) return true;
    if (BOOL_FALSE.has(source)) return false;
    if (NULLS.has(source)) return null;
    const c = source[0];
    if (c === ".") {
        if (/^\.(nan|NaN|NAN)$/.test(source)) return source; // NaN has no JSON form; yaml.v2's JSON conversion fails
        if (/^\.(inf|Inf|INF)$/.test(source)) return source;
        if (YAML_FLOAT.test(source)) return Number(source);
        return source;
    }
    if (/^[-+]?\.(inf|Inf|INF)$/.test(source)) return source;
    if ((c >= "0" && c <= "9") || c === "+" || c === "-") {
        const ts = timestamp(source);
        if (ts !== undefined) return ts;
        const plain = source.replace(/_/g, "");
        const i = goParseInt(plain);
        if (i !== undefined) return i;
        if (YAML_FLOAT.test(plain)) return Number(plain);
    }
    return source;
}

/**
 * A value that should be a boolean: the boolean itself, or a string the API server's YAML decoder would read as
 * one if it were written plain (`"yes"`, `"On"`). `undefined`/`null` are `undefined`; anything else is `"invalid"`.
 */
export function yaml11Bool(v: unknown): boolean | undefined | "invalid" {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "boolean") return v;
    if (typeof v === "string") {
        const r = resolvePlainScalar(v.trim());
        if (typeof r === "boolean") return r;
    }
    return "invalid";
}

/**
 * A value that should be an integer: the number itself, or a string the API server's YAML decoder would read as an
 * integer if written plain (`"02471"` is 1337). `undefined`/`null` are `undefined`; anything else is NaN.
 */
export function yaml11Int(v: unknown): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number") return v;
    if (typeof v === "string") {
        const r = resolvePlainScalar(v.trim());
        if (typeof r === "number") return r;
    }
    return NaN;
}

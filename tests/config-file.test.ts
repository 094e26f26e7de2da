/**
 * One reader for `--policy-config` (render and check): the hardened YAML/JSON reader, the pack's expansion of the
 * top-level `exemptNamespaces` / `exemptObjects`, and the enforcement-level check. Before, render had its own
 * reader that refused the top-level keys `check` accepted, so one file meant two things.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigFileError, readPolicyConfigFile } from "../sdk/cli/config-file";

function write(name: string, text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

describe("--policy-config: one reader for render and check", () => {
    it("expands the top-level exemptNamespaces into each policy that has the setting", () => {
        const config = readPolicyConfigFile(write("c.yaml", "exemptNamespaces: [legacy]\nno-traffic-capture-exclusions: advisory\n"));
        assert.ok(!("exemptNamespaces" in config), "the top-level key is expanded, not passed on as a policy name");
        const entry = config["no-traffic-capture-exclusions"] as { enforcementLevel?: string; exemptNamespaces?: string[] };
        assert.strictEqual(entry.enforcementLevel, "advisory");
        assert.ok(entry.exemptNamespaces?.includes("legacy"), JSON.stringify(entry));
    });

    it("refuses a mistyped level, a bad top-level list and a YAML alias bomb, naming the flag and the file", () => {
        assert.throws(
            () => readPolicyConfigFile(write("l.yaml", "all: advisery\n")),
            (e: unknown) => e instanceof ConfigFileError && /--policy-config .*l\.yaml: all: must be one of advisory/.test(e.message),
        );
        assert.throws(
            () => readPolicyConfigFile(write("n.yaml", "exemptNamespaces: legacy\n"), "--config"),
            (e: unknown) => e instanceof ConfigFileError && /--config .*n\.yaml: exemptNamespaces must be a list/.test(e.message),
        );
        assert.throws(
            () =>
                readPolicyConfigFile(
                    write(
                        "b.yaml",
                        "a: &a [x]\nb: [*a, *a, *a]\n".replace("[*a, *a, *a]", Array(200).fill("*a").join(", ").replace(/^/, "[").replace(/$/, "]")),
                    ),
                ),
            ConfigFileError,
        );
    });
});

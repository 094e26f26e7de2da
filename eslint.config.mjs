// Lint: typescript-eslint's type-checked recommended rules over every TypeScript file of both packages;
// formatting is Prettier's (eslint-config-prettier turns off the rules that would fight it).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
    { ignores: ["**/dist/**", "node_modules/**", "out/**", "bench/results/**", "sdk/schema/args.validators.ts", "**/*.js", "**/*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
    },
    {
        rules: {
            // `_`-prefixed names are deliberately unused (callbacks' positional parameters, fields split off a rest).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    prettier,
);

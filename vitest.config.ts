import { defineConfig } from "vitest/config";

// CI asks for a JSON report (GITSTORE_JSON_REPORT) to derive its summary line.
const json = process.env.GITSTORE_JSON_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: json ? ["default", ["json", { outputFile: json }]] : ["default"],
  },
});

#!/usr/bin/env node
// Prints the plain "N passed, N failed" line for a Vitest JSON report, and fails when no test ran.
import fs from 'node:fs';
const [label, file] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const passed = report.numPassedTests;
const failed = report.numFailedTests;
const skipped = report.numPendingTests + (report.numTodoTests ?? 0);
process.stdout.write(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (passed === 0 || failed > 0) process.exit(1);

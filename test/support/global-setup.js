// One temporary folder per jest run: every worker's os.tmpdir() points into it (TMPDIR is inherited by the
// workers), so synthesized assemblies and emulator files of this run never mix with another process's,
// and the global teardown deletes exactly this folder and nothing else.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-iot-dr-jest-'));
  process.env.CDK_IOT_DR_TEST_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
};

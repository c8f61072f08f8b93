// Deletes this run's temporary folder (made by global-setup.js) and nothing else.
const fs = require('node:fs');

module.exports = async () => {
  const runDir = process.env.CDK_IOT_DR_TEST_TMPDIR;
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
};

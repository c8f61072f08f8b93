// Template.fromStack synthesizes into cdk.out* folders under the system temp dir and never removes them.
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async () => {
  const tmp = os.tmpdir();
  for (const entry of fs.readdirSync(tmp)) {
    if (entry.startsWith('cdk.out') || entry.startsWith('cdk-test-app-')) {
      fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
    }
  }
};

// Fails when API.md is stale: regenerates the API reference from the compiled assembly (.jsii) into a
// temporary file and compares. Run after `npm run compile` (the `api:check` script does both).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'api-check-'));
const fresh = join(dir, 'API.md');
try {
  execFileSync(join(root, 'node_modules', '.bin', 'jsii-docgen'), ['--output', fresh], { cwd: root, stdio: 'inherit' });
  if (readFileSync(fresh, 'utf8') === readFileSync(join(root, 'API.md'), 'utf8')) {
    console.log('API.md is up to date');
  } else {
    spawnSync('diff', ['-u', join(root, 'API.md'), fresh], { stdio: 'inherit' });
    console.error("API.md is stale: run 'npm run build' (or 'npm run compile && npm run docgen') and commit API.md");
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Bundles every Lambda handler (lambda/<name>/index.ts) into assets/<name>/index.js.
// Constructs load these folders with Code.fromAsset, so consumers need neither esbuild nor Docker.
// Output is deterministic (no sourcemap paths, no timestamps): asset hashes change only with handler code.
import { build } from 'esbuild';
import { readdirSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lambdaDir = join(root, 'lambda');
const outRoot = join(root, 'assets');

const handlers = readdirSync(lambdaDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'shared' && existsSync(join(lambdaDir, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

rmSync(outRoot, { recursive: true, force: true });
mkdirSync(outRoot, { recursive: true });

const started = Date.now();
await Promise.all(
  handlers.map((name) =>
    build({
      entryPoints: [join(lambdaDir, name, 'index.ts')],
      outfile: join(outRoot, name, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);
console.log(`bundled ${handlers.length} handlers into assets/ in ${Date.now() - started} ms: ${handlers.join(', ')}`);

// Bundles every Lambda handler (lambda/<name>/index.ts, except the shared and contract folders) into
// assets/<name>/index.js. Constructs load these folders with Code.fromAsset, so consumers need neither
// esbuild nor Docker. Output is deterministic (no sourcemap paths, no timestamps): asset hashes change only
// with handler code.
import { build } from 'esbuild';
import { readdirSync, existsSync, rmSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lambdaDir = join(root, 'lambda');
const outRoot = join(root, 'assets');
/** Folders under lambda/ that are libraries for the handlers, not handlers. */
const NOT_HANDLERS = new Set(['shared', 'contract']);
/** Bundles bigger than this fail the build: a handler's cold start grows with its size. */
const MAX_BUNDLE_BYTES = 500 * 1024;

/**
 * The SDK's generated schema modules key their traits by constants (`{ [_h]: [...] }` with
 * `const _h = "http"`), and esbuild keeps every object with a computed key, so the schemas of all of a
 * service's operations (hundreds for IoT) stay in the bundle. Writing those keys as the string literals
 * they stand for lets esbuild drop the schemas of operations a handler never calls.
 */
const inlineSchemaTraitKeys = {
  name: 'inline-sdk-schema-trait-keys',
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/].*[\\/]dist-es[\\/](.*[\\/])?schemas[\\/]schemas_\d+\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const constants = new Map();
      for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(name, literal);
      const contents = source.replace(/\[(_\w+)\](?=\s*:)/g, (key, name) => (constants.has(name) ? `[${constants.get(name)}]` : key));
      return { contents, loader: 'js' };
    });
  },
};

const handlers = readdirSync(lambdaDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !NOT_HANDLERS.has(d.name) && existsSync(join(lambdaDir, d.name, 'index.ts')))
  .map((d) => d.name)
  .sort();

// Stale bundles (a handler folder since removed) go; current ones are replaced in place, each by a rename,
// so a test or synth running meanwhile reads either the old bundle or the new one, never a missing file.
mkdirSync(outRoot, { recursive: true });
for (const stale of readdirSync(outRoot).filter((name) => !handlers.includes(name))) {
  rmSync(join(outRoot, stale), { recursive: true, force: true });
}

const started = Date.now();
await Promise.all(
  handlers.map((name) =>
    build({
      entryPoints: [join(lambdaDir, name, 'index.ts')],
      outfile: join(outRoot, name, 'index.js'),
      write: false,
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      // The SDK's ES-module builds let esbuild drop the commands and helpers a handler never uses.
      mainFields: ['module', 'main'],
      plugins: [inlineSchemaTraitKeys],
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }).then(({ outputFiles }) => {
      for (const file of outputFiles) {
        mkdirSync(dirname(file.path), { recursive: true });
        const temporary = `${file.path}.${process.pid}.tmp`;
        writeFileSync(temporary, file.contents);
        renameSync(temporary, file.path);
      }
    }),
  ),
);
console.log(`bundled ${handlers.length} handlers into assets/ in ${Date.now() - started} ms`);
const oversized = [];
for (const name of handlers) {
  const bytes = statSync(join(outRoot, name, 'index.js')).size;
  console.log(`  ${name.padEnd(12)} ${(bytes / 1024).toFixed(1).padStart(7)} KB`);
  if (bytes > MAX_BUNDLE_BYTES) oversized.push(name);
}
if (oversized.length > 0) {
  console.error(`bundles over ${MAX_BUNDLE_BYTES / 1024} KB: ${oversized.join(', ')}; see what they import with esbuild's metafile (--analyze)`);
  process.exitCode = 1;
}

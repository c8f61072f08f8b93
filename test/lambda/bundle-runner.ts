/**
 * Runs exports of a built handler bundle (`assets/<bundle>/index.js`, from `npm run bundle`) in a child
 * Node process, as the Lambda runtime would load it: Jest's module sandbox cannot run the dynamic
 * `import()`s of the SDK's ES-module builds the bundles are made from.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface BundleCall {
  /** The export to invoke, e.g. 'replayThing' or 'handler'. */
  readonly exportName: string;
  readonly event: unknown;
}

/** What one call returned, or the name and message of what it threw. */
export type BundleOutcome = { readonly result: unknown } | { readonly error: { readonly name: string; readonly message: string } };

const RESULT_MARKER = 'BUNDLE-RESULT ';

const CHILD = `
const bundle = require(process.argv[1]);
(async () => {
  const outcomes = [];
  for (const { exportName, event } of JSON.parse(process.argv[2])) {
    try {
      outcomes.push({ result: await bundle[exportName](event) });
    } catch (err) {
      outcomes.push({ error: { name: err.name, message: err.message } });
    }
  }
  process.stdout.write('\\n${RESULT_MARKER}' + JSON.stringify(outcomes) + '\\n');
})();
`;

export function invokeBundle(bundle: string, calls: readonly BundleCall[], env: NodeJS.ProcessEnv = process.env): Promise<BundleOutcome[]> {
  const path = join(__dirname, '..', '..', 'assets', bundle, 'index.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CHILD, path, JSON.stringify(calls)], { env: { ...env, IOT_DR_SILENT_METRICS: 'true' } }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (err || line === undefined) {
        reject(new Error(`bundle ${bundle} failed: ${err?.message ?? 'no result'}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as BundleOutcome[]);
    });
  });
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The pre-bundled handlers this library ships (one folder per `lambda/<name>/index.ts`). */
export type HandlerName = 'capture' | 'replay-thing' | 'replay-thing-type' | 'replay-thing-group' | 'replay-membership';

// From the sources (lib/) the bundle folder is ../assets; from the compiled package (dist/lib/) it is ../../assets.
const CANDIDATE_ROOTS = [path.join(__dirname, '..', 'assets'), path.join(__dirname, '..', '..', 'assets')];

/**
 * Absolute path of a pre-bundled handler folder (`assets/<name>`, holding `index.js`).
 *
 * Handlers are bundled by `npm run bundle` (run automatically by `npm ci`, `npm test` and `npm run build`),
 * so neither this package's users nor its constructs need esbuild or Docker at synth time.
 */
export function handlerAssetPath(name: HandlerName): string {
  for (const root of CANDIDATE_ROOTS) {
    const dir = path.join(root, name);
    if (fs.existsSync(path.join(dir, 'index.js'))) {
      return dir;
    }
  }
  throw new Error(
    `The bundled Lambda handler '${name}' was not found (looked for ${CANDIDATE_ROOTS.map((r) => path.join(r, name, 'index.js')).join(' and ')}). ` +
      "Run 'npm run bundle' in the cdk-iot-dr package to build the handler assets.",
  );
}

/** `lambda.Code` for a pre-bundled handler; asset hashes change only when the bundle's bytes do. */
export function handlerCode(name: HandlerName): lambda.Code {
  return lambda.Code.fromAsset(handlerAssetPath(name));
}

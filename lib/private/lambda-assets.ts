import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLERS, type HandlerId } from '../../lambda/contract';

// From the sources (lib/private/) the bundle folder is ../../assets; from the compiled package
// (dist/lib/private/) it is ../../../assets.
const CANDIDATE_ROOTS = [path.join(__dirname, '..', '..', 'assets'), path.join(__dirname, '..', '..', '..', 'assets')];

/**
 * Absolute path of a pre-bundled handler folder (`assets/<bundle>`, holding `index.js`).
 *
 * Handlers are bundled by `npm run bundle` (run by `npm test` and `npm run build`), so neither this
 * package's users nor its constructs need esbuild or Docker at synth time.
 */
export function handlerAssetPath(bundle: string): string {
  for (const root of CANDIDATE_ROOTS) {
    const dir = path.join(root, bundle);
    if (fs.existsSync(path.join(dir, 'index.js'))) {
      return dir;
    }
  }
  throw new Error(
    `The bundled Lambda handler '${bundle}' was not found (looked for ${CANDIDATE_ROOTS.map((r) => path.join(r, bundle, 'index.js')).join(' and ')}). ` +
      "Run 'npm run bundle' in the cdk-iot-dr package to build the handler assets.",
  );
}

/** `lambda.Code` and the `handler` setting of one of the library's entry points. */
export function handlerEntry(id: HandlerId): { code: lambda.Code; handler: string } {
  const { bundle, exportName } = HANDLERS[id];
  // One asset per bundle: entry points sharing a bundle share its (content-hashed) asset.
  return { code: lambda.Code.fromAsset(handlerAssetPath(bundle)), handler: `index.${exportName}` };
}

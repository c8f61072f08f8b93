import * as fs from 'node:fs';
import * as path from 'node:path';
import { HANDLERS, HANDLER_BUNDLES } from '../../../lambda/contract';
import { handlerAssetPath, handlerEntry } from '../../../lib/private/lambda-assets';

describe('handlerAssetPath', () => {
  it.each(HANDLER_BUNDLES)('finds the bundled %s handler', (bundle) => {
    const dir = handlerAssetPath(bundle);
    expect(dir).toBe(path.join(__dirname, '..', '..', '..', 'assets', bundle));
    expect(fs.existsSync(path.join(dir, 'index.js'))).toBe(true);
  });

  it('tells the user to run the bundler when a handler is missing', () => {
    expect(() => handlerAssetPath('no-such-handler')).toThrow(/The bundled Lambda handler 'no-such-handler' was not found .*Run 'npm run bundle'/);
  });
});

describe('handlerEntry', () => {
  it.each(Object.keys(HANDLERS) as (keyof typeof HANDLERS)[])('points %s at its export of its bundle', (id) => {
    const entry = handlerEntry(id);
    expect(entry.handler).toBe(`index.${HANDLERS[id].exportName}`);
    expect((entry.code as unknown as { path: string }).path).toBe(handlerAssetPath(HANDLERS[id].bundle));
  });

  it("has the bundle export every entry point's function", () => {
    for (const { bundle, exportName } of Object.values(HANDLERS)) {
      expect(fs.readFileSync(path.join(handlerAssetPath(bundle), 'index.js'), 'utf8')).toContain(exportName);
    }
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { type HandlerName, handlerAssetPath } from '../../lib';

describe('handlerAssetPath', () => {
  it.each<HandlerName>(['capture', 'replay-thing', 'replay-thing-type', 'replay-thing-group', 'replay-membership'])(
    'finds the bundled %s handler',
    (name) => {
      const dir = handlerAssetPath(name);
      expect(dir).toBe(path.join(__dirname, '..', '..', 'assets', name));
      expect(fs.existsSync(path.join(dir, 'index.js'))).toBe(true);
    },
  );

  it('tells the user to run the bundler when a handler is missing', () => {
    expect(() => handlerAssetPath('no-such-handler' as HandlerName)).toThrow(
      /The bundled Lambda handler 'no-such-handler' was not found .*Run 'npm run bundle'/,
    );
  });
});

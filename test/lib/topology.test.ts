import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { DrRegionRole, DrTopology, type DrTopologyProps } from '../../lib';

const VALID: DrTopologyProps = {
  accounts: { sharedServices: '123456789012', iotServices: '210987654321', commandControl: '111122223333', dataAnalytics: '444455556666' },
  primaryRegion: 'eu-west-1',
  secondaryRegion: 'eu-central-1',
  domainName: 'Devices.Example.org',
};

describe('DrTopology', () => {
  it('keeps a valid topology, lower-casing the domain', () => {
    const t = new DrTopology(VALID);
    expect(t.accounts).toEqual(VALID.accounts);
    expect(t.primaryRegion).toBe('eu-west-1');
    expect(t.secondaryRegion).toBe('eu-central-1');
    expect(t.domainName).toBe('devices.example.org');
    expect(t.regionOf(DrRegionRole.PRIMARY)).toBe('eu-west-1');
    expect(t.regionOf(DrRegionRole.SECONDARY)).toBe('eu-central-1');
    expect(t.peerOf(DrRegionRole.PRIMARY)).toBe('eu-central-1');
    expect(t.peerOf(DrRegionRole.SECONDARY)).toBe('eu-west-1');
  });

  it('has a placeholder default', () => {
    expect(DrTopology.DEFAULT).toMatchObject({
      accounts: { sharedServices: '111111111111', iotServices: '222222222222', commandControl: '333333333333', dataAnalytics: '444444444444' },
      primaryRegion: 'us-west-2',
      secondaryRegion: 'us-east-1',
      domainName: 'example.com',
    });
  });

  it.each(['us-gov-west-1', 'cn-north-1', 'ap-southeast-5', 'il-central-1'])('accepts the region %s', (region) => {
    expect(new DrTopology({ ...VALID, secondaryRegion: region }).secondaryRegion).toBe(region);
  });

  it.each<[string, unknown, RegExp]>([
    ['a short account', { ...VALID, accounts: { ...VALID.accounts, iotServices: '1234' } }, /^DrTopology: accounts.iotServices must be a 12-digit AWS account id as a string, e.g. "123456789012", got "1234"$/],
    ['a numeric account', { ...VALID, accounts: { ...VALID.accounts, dataAnalytics: 444455556666 } }, /accounts.dataAnalytics must be a 12-digit AWS account id as a string.*got 444455556666/],
    ['a missing account', { ...VALID, accounts: { sharedServices: '123456789012', iotServices: '210987654321', commandControl: '111122223333' } }, /accounts.dataAnalytics must be .* got undefined/],
    ['an unknown account', { ...VALID, accounts: { ...VALID.accounts, billing: '123456789012' } }, /unknown account\(s\) billing; allowed: sharedServices, iotServices, commandControl, dataAnalytics/],
    ['no accounts', { ...VALID, accounts: undefined }, /accounts must be an object with sharedServices, iotServices, commandControl, dataAnalytics/],
    ['a malformed region', { ...VALID, primaryRegion: 'Oregon' }, /primaryRegion must be an AWS region name such as "us-west-2", got "Oregon"/],
    ['a missing region', { ...VALID, secondaryRegion: undefined }, /secondaryRegion must be an AWS region name such as "us-west-2", got undefined/],
    [
      'a misspelt region',
      { ...VALID, primaryRegion: 'eu-wset-1' },
      /primaryRegion must be an AWS region name such as "us-west-2", got "eu-wset-1"; did you mean "eu-west-1"\?/,
    ],
    ['a region of the right shape that does not exist', { ...VALID, secondaryRegion: 'eu-west-9' }, /secondaryRegion must be an AWS region name .* got "eu-west-9"; did you mean "eu-west-\d"\?/],
    ['equal regions', { ...VALID, secondaryRegion: 'eu-west-1' }, /primaryRegion and secondaryRegion must differ, both are "eu-west-1"/],
    ['a single-label domain', { ...VALID, domainName: 'localhost' }, /domainName must be a DNS name of at least two labels .* got "localhost"/],
    ['a trailing dot', { ...VALID, domainName: 'example.com.' }, /domainName must be a DNS name/],
    ['a label starting with a hyphen', { ...VALID, domainName: '-x.example.com' }, /domainName must be a DNS name/],
    ['a label over 63 characters', { ...VALID, domainName: `${'a'.repeat(64)}.com` }, /domainName must be a DNS name/],
    ['an underscore', { ...VALID, domainName: 'my_domain.com' }, /domainName must be a DNS name/],
    ['an unknown field', { ...VALID, primaryRegoin: 'us-west-2' }, /unknown field\(s\) primaryRegoin; allowed: accounts, primaryRegion, secondaryRegion, domainName/],
    ['not an object', 'us-west-2', /must be an object with accounts, primaryRegion, secondaryRegion, domainName/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => new DrTopology(props as DrTopologyProps)).toThrow(message);
  });

  describe('fromContext', () => {
    it('falls back to the default without context, with a warning on the first stack', () => {
      const app = new App();
      expect(DrTopology.fromContext(app)).toBe(DrTopology.DEFAULT);
      DrTopology.fromContext(app);
      const first = new Stack(app, 'First');
      const second = new Stack(app, 'Second');
      const warning = Match.stringLikeRegexp("no 'iot-dr:topology' context is set, so DrTopology.DEFAULT's placeholder accounts");
      Annotations.fromStack(first).hasWarning('/First', warning);
      expect(Annotations.fromStack(first).findWarning('*', warning)).toHaveLength(1);
      Annotations.fromStack(second).hasNoWarning('*', warning);
    });

    it('warns of nothing when the context is set', () => {
      const app = new App({ context: { 'iot-dr:topology': VALID } });
      DrTopology.fromContext(app);
      Annotations.fromStack(new Stack(app, 'First')).hasNoWarning('*', Match.anyValue());
    });

    it.each(['iot-dr:topolgy', 'iot-dr:Topology', 'iotdr:topology', 'iot-dr:topologies', 'iot-dr:accounts'])(
      'refuses the context key %s, which looks meant for it',
      (key) => {
        const app = new App({ context: { [key]: VALID } });
        expect(() => DrTopology.fromContext(app)).toThrow(
          new RegExp(`^context key '${key}' is not one cdk-iot-dr reads: did you mean 'iot-dr:topology'\\?`),
        );
      },
    );

    it('leaves other context keys alone', () => {
      const app = new App({ context: { 'iot-dr:topology': VALID, '@aws-cdk/core:validateAgainstDefaultRules': true, 'my-app:stage': 'prod' } });
      expect(DrTopology.fromContext(app).primaryRegion).toBe('eu-west-1');
    });

    it('reads an object from cdk.json context', () => {
      const app = new App({ context: { 'iot-dr:topology': VALID } });
      expect(DrTopology.fromContext(app).primaryRegion).toBe('eu-west-1');
    });

    it('accepts a construct node', () => {
      const app = new App({ context: { 'iot-dr:topology': VALID } });
      expect(DrTopology.fromContext(app.node).domainName).toBe('devices.example.org');
    });

    it('reads a JSON string from -c on the command line', () => {
      const app = new App({ context: { 'iot-dr:topology': JSON.stringify(VALID) } });
      expect(DrTopology.fromContext(app).accounts.iotServices).toBe('210987654321');
    });

    it('names the context key in errors', () => {
      const app = new App({ context: { 'iot-dr:topology': { ...VALID, primaryRegion: 'mars-1' } } });
      expect(() => DrTopology.fromContext(app)).toThrow(/^context 'iot-dr:topology': primaryRegion must be an AWS region name/);
      const bad = new App({ context: { 'iot-dr:topology': '{not json' } });
      expect(() => DrTopology.fromContext(bad)).toThrow(/^context 'iot-dr:topology' must be a JSON object/);
    });
  });
});

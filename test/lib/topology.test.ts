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

  describe('failover', () => {
    const URLS = (region: string) => ({
      iotServices: `https://abc1234501.execute-api.${region}.amazonaws.com/v1/health`,
      commandControl: `https://abc1234502.execute-api.${region}.amazonaws.com/v1/health`,
      dataAnalytics: `https://abc1234503.execute-api.${region}.amazonaws.com/v1/health`,
    });
    const FAILOVER = {
      iotEndpointPrefix: 'a1b2c3d4e5f6g7',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      healthApiUrls: { primary: URLS('eu-west-1'), secondary: URLS('eu-central-1') },
      iotCertificateArns: {
        primary: 'arn:aws:acm:eu-west-1:210987654321:certificate/11111111-2222-3333-4444-555555555555',
        secondary: 'arn:aws:acm:eu-central-1:210987654321:certificate/66666666-7777-8888-9999-000000000000',
      },
      apiDomainNames: {
        primary: 'd-abc1234504.execute-api.eu-west-1.amazonaws.com',
        secondary: 'd-abc1234505.execute-api.eu-central-1.amazonaws.com',
      },
      regionSwitchPlan: false,
      recoveryTimeObjectiveSeconds: 90,
    };

    it('keeps valid failover settings and derives the IoT data endpoints', () => {
      const t = new DrTopology({ ...VALID, failover: FAILOVER });
      expect(t.failover).toEqual(FAILOVER);
      expect(t.iotDataEndpointOf(DrRegionRole.PRIMARY)).toBe('a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com');
      expect(t.iotDataEndpointOf(DrRegionRole.SECONDARY)).toBe('a1b2c3d4e5f6g7-ats.iot.eu-central-1.amazonaws.com');
      expect(new DrTopology(VALID).iotDataEndpointOf(DrRegionRole.PRIMARY)).toBeUndefined();
    });

    it('takes the endpoint prefix alone (phase one)', () => {
      expect(new DrTopology({ ...VALID, failover: { iotEndpointPrefix: 'a1b2c3d4e5f6g7' } }).failover).toEqual({ iotEndpointPrefix: 'a1b2c3d4e5f6g7' });
    });

    it('has placeholder failover values in the default, so every stack synthesizes', () => {
      expect(DrTopology.DEFAULT.failover?.iotEndpointPrefix).toBe('a1b2c3d4e5f6g7');
      expect(DrTopology.DEFAULT.failover?.healthApiUrls?.secondary.iotServices).toMatch(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/v1\/health$/);
    });

    const f = (over: object) => ({ ...VALID, failover: { ...FAILOVER, ...over } });
    it.each<[string, unknown, RegExp]>([
      ['no endpoint prefix', f({ iotEndpointPrefix: undefined }), /failover.iotEndpointPrefix must be the prefix of the iot-services account's IoT data endpoint .* got undefined$/],
      [
        'the whole endpoint as prefix',
        f({ iotEndpointPrefix: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com' }),
        /failover.iotEndpointPrefix must be .* got "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com"; did you mean "a1b2c3d4e5f6g7"\?$/,
      ],
      ['an upper-case prefix', f({ iotEndpointPrefix: 'A1B2C3D4E5F6G7' }), /failover.iotEndpointPrefix must be/],
      ['a hosted zone path', f({ hostedZoneId: '/hostedzone/Z0123456789ABCDEFGHIJ' }), /failover.hostedZoneId must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ" \(without "\/hostedzone\/"\)/],
      ['a plain http URL', f({ healthApiUrls: { primary: { ...URLS('eu-west-1'), commandControl: 'http://abc.execute-api.eu-west-1.amazonaws.com/v1/health' }, secondary: URLS('eu-central-1') } }), /failover.healthApiUrls.primary.commandControl must be an https URL: the HealthApiUrl output of the commandControl stack in the primary region/],
      ['a URL of the other region', f({ healthApiUrls: { primary: URLS('eu-central-1'), secondary: URLS('eu-central-1') } }), /failover.healthApiUrls.primary.iotServices is an API of eu-central-1, but the primary region is eu-west-1: copy the output of the primary region's stack/],
      ['a missing URL', f({ healthApiUrls: { primary: { iotServices: URLS('eu-west-1').iotServices }, secondary: URLS('eu-central-1') } }), /failover.healthApiUrls.primary.commandControl must be an https URL/],
      ['a missing region', f({ healthApiUrls: { primary: URLS('eu-west-1') } }), /failover.healthApiUrls.secondary must be an object with iotServices, commandControl, dataAnalytics/],
      ['an unknown URL field', f({ healthApiUrls: { primary: { ...URLS('eu-west-1'), billing: 'https://x/' }, secondary: URLS('eu-central-1') } }), /unknown field\(s\) failover.healthApiUrls.primary.billing; allowed: iotServices, commandControl, dataAnalytics/],
      ['an unknown failover field', f({ rto: 60 }), /unknown field\(s\) failover.rto; allowed: iotEndpointPrefix, hostedZoneId, healthApiUrls/],
      ['a fractional objective', f({ recoveryTimeObjectiveSeconds: 59.5 }), /failover.recoveryTimeObjectiveSeconds must be a whole number of seconds between 1 and 86400, got 59.5/],
      ['a string flag', f({ regionSwitchPlan: 'no' }), /failover.regionSwitchPlan must be true or false, got "no"/],
      ['a certificate of the other region', f({ iotCertificateArns: { primary: FAILOVER.iotCertificateArns.secondary, secondary: FAILOVER.iotCertificateArns.secondary } }), /failover.iotCertificateArns.primary is a certificate of eu-central-1, but the primary region is eu-west-1/],
      ['not a certificate', f({ iotCertificateArns: { primary: 'arn:aws:sns:eu-west-1:210987654321:topic', secondary: FAILOVER.iotCertificateArns.secondary } }), /failover.iotCertificateArns.primary must be an ACM certificate ARN/],
      ['failover not an object', { ...VALID, failover: 'yes' }, /failover must be an object with iotEndpointPrefix/],
      [
        'an API domain of the other region',
        f({ apiDomainNames: { primary: FAILOVER.apiDomainNames.secondary, secondary: FAILOVER.apiDomainNames.secondary } }),
        /failover.apiDomainNames.primary is a domain of eu-central-1, but the primary region is eu-west-1: copy the output of the primary region's stack/,
      ],
      [
        'an API URL instead of its domain name',
        f({ apiDomainNames: { primary: 'https://d-abc1234504.execute-api.eu-west-1.amazonaws.com/', secondary: FAILOVER.apiDomainNames.secondary } }),
        /failover.apiDomainNames.primary must be the ApiRegionalDomainName output of the primary region's command-control stack \(d-<id>.execute-api.eu-west-1.amazonaws.com\)/,
      ],
      ['one API domain only', f({ apiDomainNames: { primary: FAILOVER.apiDomainNames.primary } }), /failover.apiDomainNames.secondary must be the ApiRegionalDomainName output/],
    ])('rejects %s', (_what, props, message) => {
      expect(() => new DrTopology(props as DrTopologyProps)).toThrow(message);
    });
  });

  describe('analytics', () => {
    it('keeps a global endpoint id, and an empty analytics object', () => {
      expect(new DrTopology({ ...VALID, analytics: { globalEndpointId: 'abcde12345.veo' } }).analytics).toEqual({ globalEndpointId: 'abcde12345.veo' });
      expect(new DrTopology({ ...VALID, analytics: {} }).analytics).toEqual({});
      expect(new DrTopology(VALID).analytics).toBeUndefined();
      expect(DrTopology.DEFAULT.analytics?.globalEndpointId).toBe('abcde12345.veo');
    });

    it.each<[string, unknown, RegExp]>([
      ['the endpoint URL', { globalEndpointId: 'https://abcde12345.veo.endpoint.events.amazonaws.com' }, /analytics.globalEndpointId must be the GlobalEndpointId output .* not its URL\), got "https:/],
      ['a number', { globalEndpointId: 12 }, /analytics.globalEndpointId must be/],
      ['an unknown field', { endpointId: 'abcde12345.veo' }, /unknown field\(s\) analytics.endpointId; allowed: globalEndpointId/],
    ])('rejects %s', (_what, analytics, message) => {
      expect(() => new DrTopology({ ...VALID, analytics } as DrTopologyProps)).toThrow(message);
    });
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
